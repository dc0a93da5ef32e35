import type { Metadata } from "next";
import Link from "next/link";
import { requirePagePermission } from "@/lib/server/session";
import { auditChainStatus, auditQuerySchema, searchAudit } from "@/lib/server/queries/audit";
import { AuditTable } from "@/components/audit/audit-table";
import { EmptyState, Pagination } from "@/components/ui/table";
import { TextField } from "@/components/ui/field";
import { buttonClass } from "@/components/ui/button";
import { hrefWith, param, type SearchParams } from "@/lib/url";

export const metadata: Metadata = { title: "Audit log" };

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requirePagePermission("audit.view");
  const sp = await searchParams;
  const query = auditQuerySchema.parse(Object.fromEntries(Object.keys(sp).map((k) => [k, param(sp, k)])));
  const [{ rows, total }, chain] = await Promise.all([searchAudit(query), auditChainStatus()]);
  const exportHref = hrefWith("/api/audit/export", sp, { page: undefined, pageSize: undefined });

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-xl font-semibold">Audit log</h1>
        <p role="status" className={`rounded-md px-3 py-1 text-sm ring-1 ${chain.ok ? "bg-emerald-50 text-emerald-800 ring-emerald-300" : "bg-red-50 text-red-800 ring-red-300"}`}>
          {chain.ok
            ? `Chain verified: ${chain.events.toLocaleString("en-US")} events intact`
            : `Chain broken at event #${chain.brokenId}: ${chain.problem}`}
        </p>
      </div>
      <form method="get" action="/audit" role="search" aria-label="Audit filters" className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3">
        <TextField id="event" label="Event #" inputMode="numeric" className="w-24" defaultValue={query.event ?? ""} />
        <TextField id="actor" label="Actor email" defaultValue={query.actor ?? ""} />
        <TextField id="action" label="Action" placeholder="e.g. credit" defaultValue={query.action ?? ""} />
        <TextField id="customer" label="Customer" placeholder="Name or platform id" defaultValue={query.customer ?? ""} />
        <TextField id="from" label="From (UTC day)" type="date" defaultValue={query.from ?? ""} />
        <TextField id="to" label="To (UTC day, inclusive)" type="date" defaultValue={query.to ?? ""} />
        <button type="submit" className={buttonClass("primary")}>Filter</button>
        <Link href="/audit" className={buttonClass("ghost")}>Reset</Link>
        <a href={exportHref} className={buttonClass("secondary", "ml-auto")} download>Export CSV</a>
      </form>
      {rows.length === 0 ? (
        <EmptyState title="No audit events match these filters" />
      ) : (
        <AuditTable rows={rows} caption="Audit events, newest first" />
      )}
      <Pagination path="/audit" params={sp} page={query.page} pageSize={query.pageSize} total={total} noun="events" />
    </div>
  );
}
