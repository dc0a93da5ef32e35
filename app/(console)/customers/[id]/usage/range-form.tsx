import Link from "next/link";
import { TextField } from "@/components/ui/field";
import { buttonClass } from "@/components/ui/button";
import type { RangeError, RangeKind } from "@/lib/server/queries/usage";

const presets: Array<{ kind: RangeKind; label: string }> = [
  { kind: "period", label: "Current period" },
  { kind: "30d", label: "Last 30 days" },
  { kind: "90d", label: "Last 90 days" },
];

/**
 * Presets are links and the custom range a plain GET form, so the range lives in the URL, Enter
 * submits, and it works without JavaScript. The message for a bad range sits next to the form.
 */
export function UsageRangeForm({ path, kind, from, to, error, input }: {
  path: string;
  kind: RangeKind;
  from: string;
  to: string;
  error: RangeError | null;
  input: { from?: string; to?: string };
}) {
  return (
    <div className="flex flex-wrap items-end gap-4 rounded-lg border border-slate-200 bg-white p-3">
      <nav aria-label="Usage range">
        <p className="mb-1 text-xs font-medium text-slate-700">Range</p>
        <ul className="flex gap-1">
          {presets.map((p) => (
            <li key={p.kind}>
              <Link
                href={p.kind === "period" ? path : `${path}?range=${p.kind}`}
                aria-current={kind === p.kind && !error ? "page" : undefined}
                className={buttonClass(kind === p.kind && !error ? "primary" : "secondary")}
              >
                {p.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <form method="get" action={path} aria-label="Custom usage range" className="flex flex-wrap items-end gap-3">
        <input type="hidden" name="range" value="custom" />
        <TextField
          id="from"
          label="From (UTC day, included)"
          type="date"
          required
          defaultValue={error ? (input.from ?? "") : kind === "custom" ? from : ""}
          error={error?.fieldErrors.from}
        />
        <TextField
          id="to"
          label="To (UTC day, included)"
          type="date"
          required
          defaultValue={error ? (input.to ?? "") : kind === "custom" ? to : ""}
          error={error?.fieldErrors.to}
        />
        <button type="submit" className={buttonClass(kind === "custom" && !error ? "primary" : "secondary")}>Show custom range</button>
      </form>
      {error ? (
        <p id="usage-range-error" role="alert" className="w-full rounded border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {error.message}
        </p>
      ) : null}
    </div>
  );
}
