import Link from "next/link";
import { SelectField, TextField } from "@/components/ui/field";
import { buttonClass } from "@/components/ui/button";
import type { ReviewQueueQuery } from "@/lib/server/queries/review-queue";

/** A plain GET form: filters land in the URL, Enter submits, and it works without JavaScript. */
export function QueueFilters({ query, plans, flagTitles, exportHref }: {
  query: ReviewQueueQuery;
  plans: Array<{ key: string; name: string; status: string }>;
  flagTitles: Record<string, string>;
  exportHref: string;
}) {
  return (
    <form method="get" action="/invoices" role="search" aria-label="Review queue filters" className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3">
      <SelectField id="flag" label="Flag" defaultValue={query.flag ?? ""}>
        <option value="">All invoices</option>
        <option value="any">Any flag</option>
        <option value="none">No flags</option>
        {Object.entries(flagTitles).map(([code, title]) => <option key={code} value={code}>{title}</option>)}
      </SelectField>
      <SelectField id="plan" label="Plan" defaultValue={query.plan ?? ""}>
        <option value="">All plans</option>
        {plans.map((p) => <option key={p.key} value={p.key}>{p.name}{p.status === "archived" ? " (archived)" : ""}</option>)}
      </SelectField>
      <SelectField id="status" label="Review status" defaultValue={query.status ?? ""}>
        <option value="">Any status</option>
        <option value="unreviewed">Unreviewed</option>
        <option value="reviewed">Reviewed</option>
        <option value="held">Held</option>
      </SelectField>
      <TextField id="min" label="Total from" inputMode="decimal" placeholder="0.00" defaultValue={query.min ?? ""} className="w-28" hint="Major units" pattern="\d{1,12}(\.\d{1,2})?" title="An amount such as 100 or 99.50" />
      <TextField id="max" label="Total up to" inputMode="decimal" placeholder="any" defaultValue={query.max ?? ""} className="w-28" hint="Major units" pattern="\d{1,12}(\.\d{1,2})?" title="An amount such as 100 or 99.50" />
      <SelectField id="pageSize" label="Per page" defaultValue={String(query.pageSize)}>
        {[25, 50, 100].map((n) => <option key={n} value={n}>{n}</option>)}
      </SelectField>
      <input type="hidden" name="sort" value={query.sort} />
      <input type="hidden" name="dir" value={query.dir} />
      <button type="submit" className={buttonClass("primary")}>Apply filters</button>
      <Link href="/invoices" className={buttonClass("ghost")}>Reset</Link>
      <a href={exportHref} className={buttonClass("secondary", "ml-auto")} download>Export CSV</a>
    </form>
  );
}
