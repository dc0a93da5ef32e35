import Link from "next/link";
import { SelectField, TextField } from "@/components/ui/field";
import { buttonClass } from "@/components/ui/button";
import type { CustomerListQuery } from "@/lib/server/queries/customers";

/** A plain GET form: filters land in the URL, Enter submits, and it works without JavaScript. */
export function CustomerFilters({ query, options, autoFocus }: {
  query: CustomerListQuery;
  options: { plans: Array<{ key: string; name: string; status: string }>; regions: string[] };
  autoFocus: boolean;
}) {
  return (
    <form method="get" action="/customers" role="search" aria-label="Customer search and filters" className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3">
      <TextField
        id="customer-search"
        name="q"
        label="Search customers"
        type="search"
        placeholder="Name, email, platform or provider id (press /)"
        defaultValue={query.q ?? ""}
        autoFocus={autoFocus}
        className="min-w-72 flex-1"
        maxLength={10_000}
      />
      <SelectField id="plan" label="Plan" defaultValue={query.plan ?? ""}>
        <option value="">All plans</option>
        {options.plans.map((p) => (
          <option key={p.key} value={p.key}>{p.name}{p.status === "archived" ? " (archived)" : ""}</option>
        ))}
      </SelectField>
      <SelectField id="status" label="Status" defaultValue={query.status ?? ""}>
        <option value="">All statuses</option>
        {["active", "trialing", "past_due", "suspended", "churned"].map((s) => <option key={s} value={s}>{s.replace("_", " ")}</option>)}
      </SelectField>
      <SelectField id="provider" label="Provider" defaultValue={query.provider ?? ""}>
        <option value="">All providers</option>
        {["sandbox", "orb", "metronome", "stripe"].map((s) => <option key={s} value={s}>{s}</option>)}
      </SelectField>
      <SelectField id="region" label="Region" defaultValue={query.region ?? ""}>
        <option value="">All regions</option>
        {options.regions.map((r) => <option key={r} value={r}>{r}</option>)}
      </SelectField>
      <SelectField id="pageSize" label="Per page" defaultValue={String(query.pageSize)}>
        {[25, 50, 100].map((n) => <option key={n} value={n}>{n}</option>)}
      </SelectField>
      <input type="hidden" name="sort" value={query.sort} />
      <input type="hidden" name="dir" value={query.dir} />
      <button type="submit" className={buttonClass("primary")}>Search</button>
      <Link href="/customers" className={buttonClass("ghost")}>Reset</Link>
    </form>
  );
}
