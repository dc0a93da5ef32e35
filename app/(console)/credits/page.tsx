import type { Metadata } from "next";
import Link from "next/link";
import { requirePagePermission } from "@/lib/server/session";
import { can } from "@/lib/auth/permissions";
import { formatMoney } from "@/lib/billing/money";
import { bulkCreditFormOptions, listBulkCredits, listFailedCreditSyncs, listPendingRequests, listRecentCredits, pendingRequesters, requestQueueSchema } from "@/lib/server/queries/credits";
import { creditReasonLabels } from "@/lib/actions/credits.schema";
import { Money } from "@/components/ui/money";
import { DateTime } from "@/components/ui/date-time";
import { Badge } from "@/components/ui/badge";
import { buttonClass } from "@/components/ui/button";
import { EmptyState, Pagination, Table, Td, Th } from "@/components/ui/table";
import { param, type SearchParams } from "@/lib/url";
import { SyncStatus } from "./sync-status";
import { RetrySyncButton } from "./retry-sync-button";
import { RequestDecision } from "./request-decision";
import { DecisionNotices } from "./decision-notices";
import { BulkCreditForm } from "./bulk-credit-form";
import { BulkDecision } from "./bulk-decision";
import { LiveRefresh } from "./live-refresh";

export const metadata: Metadata = { title: "Credits" };

const reasonLabel = (r: string) => creditReasonLabels[r as keyof typeof creditReasonLabels] ?? r;
const bulkTone = { pending_approval: "warn", approved: "info", running: "info", completed: "good", rejected: "bad", draft: "neutral" } as const;

export default async function CreditsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const actor = await requirePagePermission("customers.view");
  const sp = await searchParams;
  const query = requestQueueSchema.parse(Object.fromEntries(["min", "max", "age", "requester", "page"].map((k) => [k, param(sp, k)])));
  const canApprove = can(actor.role, "credits.approve");
  const canRetry = can(actor.role, "credits.issue") || can(actor.role, "admin.manage");
  const canPrepare = can(actor.role, "bulk_credits.prepare");
  const canApproveBulk = can(actor.role, "bulk_credits.approve");
  const [queue, requesters, recent, failed, bulks, options] = await Promise.all([
    listPendingRequests(query),
    pendingRequesters(),
    listRecentCredits(20),
    listFailedCreditSyncs(),
    listBulkCredits(),
    canPrepare ? bulkCreditFormOptions() : Promise.resolve(null),
  ]);
  const running = bulks.some((b) => b.status === "approved" || b.status === "running" || b.job?.status === "running" || b.job?.status === "queued");

  return (
    <div className="space-y-8">
      <h1 className="text-xl font-semibold">Credits</h1>

      <section aria-labelledby="queue-heading" className="space-y-2">
        <h2 id="queue-heading" className="text-base font-semibold">Requests waiting for approval</h2>
        <form method="get" className="flex flex-wrap items-end gap-3" aria-label="Filter requests">
          <div><label htmlFor="q-min" className="block text-xs text-slate-700">Amount from</label><input id="q-min" name="min" inputMode="decimal" defaultValue={query.min ?? ""} className="w-28 rounded border border-slate-300 px-2 py-1 text-sm" /></div>
          <div><label htmlFor="q-max" className="block text-xs text-slate-700">Amount to</label><input id="q-max" name="max" inputMode="decimal" defaultValue={query.max ?? ""} className="w-28 rounded border border-slate-300 px-2 py-1 text-sm" /></div>
          <div>
            <label htmlFor="q-age" className="block text-xs text-slate-700">Waiting at least</label>
            <select id="q-age" name="age" defaultValue={query.age ?? ""} className="rounded border border-slate-300 px-2 py-1 text-sm">
              <option value="">Any time</option><option value="1">1 day</option><option value="3">3 days</option><option value="7">7 days</option><option value="30">30 days</option>
            </select>
          </div>
          <div>
            <label htmlFor="q-requester" className="block text-xs text-slate-700">Requester</label>
            <select id="q-requester" name="requester" defaultValue={query.requester ?? ""} className="rounded border border-slate-300 px-2 py-1 text-sm">
              <option value="">Anyone</option>
              {requesters.map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
            </select>
          </div>
          <button type="submit" className={buttonClass("secondary")}>Filter</button>
          <Link href="/credits" className="text-sm text-indigo-700 underline">Clear</Link>
        </form>
        <DecisionNotices />
        {queue.total === 0 ? (
          <EmptyState title="No requests waiting">Credits above the issuer’s limit appear here for a second person to decide.</EmptyState>
        ) : (
          <>
            <Table caption="Credit requests waiting for approval, oldest first">
              <thead><tr><Th>Waiting since</Th><Th>Customer</Th><Th>Requested by</Th><Th>Reason</Th><Th>Note</Th><Th align="right">Amount</Th>{canApprove ? <Th>Decide</Th> : null}</tr></thead>
              <tbody className="divide-y divide-slate-100">
                {queue.rows.map((r) => {
                  const amount = formatMoney({ amountMinor: BigInt(r.amountMinor), currency: r.currency });
                  return (
                    <tr key={r.id}>
                      <Td><DateTime iso={r.createdAt} /></Td>
                      <Td><Link className="text-indigo-800 hover:underline" href={`/customers/${r.customerId}/credits`}>{r.customerName}</Link></Td>
                      <Td>{r.requestedBy}</Td>
                      <Td>{reasonLabel(r.reason)}</Td>
                      <Td className="max-w-xs">{r.note}{r.ticketRef ? <span className="block text-xs text-slate-500">Ticket {r.ticketRef}</span> : null}</Td>
                      <Td align="right"><Money minor={r.amountMinor} currency={r.currency} /></Td>
                      {canApprove ? (
                        <Td>{r.requestedById === actor.id ? <span className="text-xs text-slate-500">Your own request</span> : <RequestDecision creditRequestId={r.id} summary={`${amount} to ${r.customerName}`} />}</Td>
                      ) : null}
                    </tr>
                  );
                })}
              </tbody>
            </Table>
            <Pagination path="/credits" params={sp} page={query.page} pageSize={25} total={queue.total} noun="requests" />
          </>
        )}
      </section>

      <section aria-labelledby="failed-heading" className="space-y-2">
        <h2 id="failed-heading" className="text-base font-semibold">Failed provider syncs</h2>
        {failed.length === 0 ? <p className="text-sm text-slate-600">None: every credit sent to the provider was accepted or is still being sent.</p> : (
          <Table caption="Credit operations the provider did not accept">
            <thead><tr><Th>Last attempt</Th><Th>Customer</Th><Th>Operation</Th><Th align="right">Amount</Th><Th>Error</Th><Th align="right">Attempts</Th>{canRetry ? <Th>Retry</Th> : null}</tr></thead>
            <tbody className="divide-y divide-slate-100">
              {failed.map((f) => (
                <tr key={f.operationId}>
                  <Td><DateTime iso={f.updatedAt} /></Td>
                  <Td>{f.customerId ? <Link className="text-indigo-800 hover:underline" href={`/customers/${f.customerId}/credits`}>{f.customerName ?? f.customerId}</Link> : "—"}</Td>
                  <Td>{f.kind === "credit.grant" ? "Grant" : "Void"}</Td>
                  <Td align="right">{f.amountMinor && f.currency ? <Money minor={f.amountMinor} currency={f.currency} /> : "—"}</Td>
                  <Td className="max-w-sm text-xs text-red-800">{f.error ?? "—"}</Td>
                  <Td align="right" className="tabular">{f.attempts}</Td>
                  {canRetry ? <Td><RetrySyncButton operationId={f.operationId} label={`${f.kind} for ${f.customerName ?? "customer"}`} /></Td> : null}
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </section>

      <section aria-labelledby="recent-heading" className="space-y-2">
        <h2 id="recent-heading" className="text-base font-semibold">Recent credits</h2>
        {recent.length === 0 ? <EmptyState title="No credits yet — issue one">Open a customer and use the Credits tab.</EmptyState> : (
          <Table caption="The 20 most recent credit grants">
            <thead><tr><Th>Issued</Th><Th>Customer</Th><Th>Reason</Th><Th>Issued by</Th><Th>Approved by</Th><Th align="right">Amount</Th><Th>Status</Th><Th>Provider sync</Th></tr></thead>
            <tbody className="divide-y divide-slate-100">
              {recent.map((g) => (
                <tr key={g.id}>
                  <Td><DateTime iso={g.createdAt} /></Td>
                  <Td><Link className="text-indigo-800 hover:underline" href={`/customers/${g.customerId}/credits`}>{g.customerName}</Link></Td>
                  <Td>{reasonLabel(g.reason)}</Td>
                  <Td>{g.issuedBy ?? "—"}</Td>
                  <Td>{g.approvedBy ?? "—"}</Td>
                  <Td align="right"><Money minor={g.amountMinor} currency={g.currency} /></Td>
                  <Td>{g.status}</Td>
                  <Td><SyncStatus sync={g.sync} /></Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </section>

      <section aria-labelledby="bulk-heading" className="space-y-3">
        <h2 id="bulk-heading" className="text-base font-semibold">Bulk incident credits</h2>
        <LiveRefresh active={running} />
        {bulks.length === 0 ? <p className="text-sm text-slate-600">No bulk credits yet.</p> : (
          <Table caption="Bulk incident credits, newest first">
            <thead><tr><Th>Prepared</Th><Th>Incident</Th><Th>Window</Th><Th>Rule</Th><Th align="right">Customers</Th><Th align="right">Total</Th><Th>Status</Th><Th>Progress</Th>{canApproveBulk ? <Th>Decide</Th> : null}</tr></thead>
            <tbody className="divide-y divide-slate-100">
              {bulks.map((b) => {
                const total = formatMoney({ amountMinor: BigInt(b.totalMinor), currency: b.currency });
                return (
                  <tr key={b.id}>
                    <Td><DateTime iso={b.createdAt} /><span className="block text-xs text-slate-500">by {b.preparedBy}</span></Td>
                    <Td>{b.name}<span className="block text-xs text-slate-500">{b.meterKeys.join(", ")}{b.regions.length ? ` · ${b.regions.join(", ")}` : " · all regions"}</span></Td>
                    <Td className="text-xs"><DateTime iso={b.windowStart} /> – <DateTime iso={b.windowEnd} /></Td>
                    <Td className="text-xs">{b.rule === "flat" ? `Flat ${formatMoney({ amountMinor: BigInt(b.flatMinor ?? "0"), currency: b.currency })}` : `${b.percent}% of cost`}{b.capMinor ? `, cap ${formatMoney({ amountMinor: BigInt(b.capMinor), currency: b.currency })}` : ""}</Td>
                    <Td align="right" className="tabular">{b.items}</Td>
                    <Td align="right"><Money minor={b.totalMinor} currency={b.currency} /></Td>
                    <Td><Badge tone={bulkTone[b.status as keyof typeof bulkTone] ?? "neutral"}>{b.status.replace("_", " ")}</Badge>{b.decidedBy ? <span className="block text-xs text-slate-500">by {b.decidedBy}</span> : null}</Td>
                    <Td>
                      {b.job ? (
                        <div className="min-w-32">
                          <progress className="w-full" max={Math.max(1, b.job.total)} value={b.job.done} aria-label={`Progress of ${b.name}`} />
                          <p className="text-xs tabular" aria-live="polite">{b.job.done} done · {b.job.failed} failed · {b.job.total} total</p>
                          {b.job.error ? <p className="text-xs text-red-700">{b.job.error}</p> : null}
                        </div>
                      ) : "—"}
                    </Td>
                    {canApproveBulk ? (
                      <Td>
                        {b.preparedById === actor.id ? (
                          b.status === "pending_approval" ? <span className="text-xs text-slate-500">You prepared this</span> : null
                        ) : (
                          <BulkDecision bulkCreditId={b.id} summary={`${b.name}: ${total} to ${b.items} customers`} pending={b.status === "pending_approval"} />
                        )}
                      </Td>
                    ) : null}
                  </tr>
                );
              })}
            </tbody>
          </Table>
        )}
        {options ? <BulkCreditForm options={options} /> : null}
      </section>
    </div>
  );
}
