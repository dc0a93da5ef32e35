import Link from "next/link";
import type { ReactNode, TdHTMLAttributes, ThHTMLAttributes } from "react";
import { hrefWith, type SearchParams } from "@/lib/url";

export function Table({ caption, children, captionHidden = true }: { caption: string; children: ReactNode; captionHidden?: boolean }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <caption className={captionHidden ? "sr-only" : "px-3 py-2 text-left text-sm font-medium"}>{caption}</caption>
        {children}
      </table>
    </div>
  );
}

export function Th({ className = "", align = "left", ...props }: ThHTMLAttributes<HTMLTableCellElement> & { align?: "left" | "right" }) {
  return <th scope="col" className={`bg-slate-50 px-3 py-2 text-xs font-semibold text-slate-600 ${align === "right" ? "text-right" : "text-left"} ${className}`} {...props} />;
}

export function Td({ className = "", align = "left", ...props }: TdHTMLAttributes<HTMLTableCellElement> & { align?: "left" | "right" }) {
  return <td className={`px-3 py-2 align-top ${align === "right" ? "text-right" : ""} ${className}`} {...props} />;
}

/** A sortable column header: a link that sets sort/dir in the URL, with aria-sort for readers. */
export function SortTh({ label, column, path, params, sort, dir, align = "left" }: {
  label: string; column: string; path: string; params: SearchParams; sort: string; dir: "asc" | "desc"; align?: "left" | "right";
}) {
  const active = sort === column;
  const nextDir = active && dir === "asc" ? "desc" : "asc";
  return (
    <Th align={align} aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : "none"}>
      <Link href={hrefWith(path, params, { sort: column, dir: nextDir, page: undefined })} className="inline-flex items-center gap-1 hover:text-slate-900">
        {label}
        <span aria-hidden="true" className="text-slate-400">{active ? (dir === "asc" ? "▲" : "▼") : "↕"}</span>
        <span className="sr-only">, sort {nextDir === "asc" ? "ascending" : "descending"}</span>
      </Link>
    </Th>
  );
}

export function Pagination({ path, params, page, pageSize, total, noun }: {
  path: string; params: SearchParams; page: number; pageSize: number; total: number; noun: string;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav aria-label={`${noun} pages`} className="mt-3 flex items-center justify-between text-sm text-slate-600">
      <p aria-live="polite">
        {total === 0 ? `No ${noun}` : `${first.toLocaleString("en-US")}–${last.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} ${noun}`}
      </p>
      <div className="flex gap-2">
        {page > 1 ? (
          <Link className="rounded border border-slate-300 bg-white px-2 py-1 hover:bg-slate-100" href={hrefWith(path, params, { page: page - 1 })} rel="prev">Previous page</Link>
        ) : null}
        <span>Page {page} of {pages}</span>
        {page < pages ? (
          <Link className="rounded border border-slate-300 bg-white px-2 py-1 hover:bg-slate-100" href={hrefWith(path, params, { page: page + 1 })} rel="next">Next page</Link>
        ) : null}
      </div>
    </nav>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center">
      <p className="font-medium text-slate-800">{title}</p>
      {children ? <div className="mt-1 text-sm text-slate-600">{children}</div> : null}
    </div>
  );
}
