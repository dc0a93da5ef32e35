import Link from "next/link";
import { can } from "@/lib/auth/permissions";
import type { Actor } from "@/lib/server/session";
import { failedCreditSyncCount, myRecentRequests, requestsWaitingFor } from "@/lib/server/queries/credits";
import { Money } from "@/components/ui/money";
import { DateTime } from "@/components/ui/date-time";
import { Badge } from "@/components/ui/badge";
import { Table, Td, Th } from "@/components/ui/table";

const tone = { pending: "warn", approved: "good", rejected: "bad", canceled: "neutral" } as const;

/** Home page: approvers see requests waiting for them; requesters see what was decided recently. */
export async function CreditsHomeSection({ actor }: { actor: Actor }) {
  const approver = can(actor.role, "credits.approve");
  const issuer = can(actor.role, "credits.issue");
  if (!approver && !issuer) return null;
  const [waiting, mine, failed] = await Promise.all([
    approver ? requestsWaitingFor(actor.id) : Promise.resolve(null),
    issuer ? myRecentRequests(actor.id) : Promise.resolve([]),
    failedCreditSyncCount(),
  ]);
  return (
    <>
      {waiting ? (
        <section aria-labelledby="approvals-heading" className="space-y-2">
          <div className="flex items-center justify-between">
            <h2 id="approvals-heading" className="text-base font-semibold">Credit approvals waiting for you ({waiting.total})</h2>
            <Link href="/credits" className="text-sm text-indigo-700 underline">All requests</Link>
          </div>
          {waiting.rows.length === 0 ? <p className="text-sm text-slate-600">Nothing waiting for you.</p> : (
            <Table caption="Credit requests waiting for your decision, oldest first">
              <thead><tr><Th>Waiting since</Th><Th>Customer</Th><Th>Requested by</Th><Th align="right">Amount</Th></tr></thead>
              <tbody className="divide-y divide-slate-100">
                {waiting.rows.map((r) => (
                  <tr key={r.id}>
                    <Td><DateTime iso={r.createdAt} /></Td>
                    <Td><Link className="text-indigo-800 hover:underline" href={`/customers/${r.customerId}/credits`}>{r.customerName}</Link></Td>
                    <Td>{r.requestedBy}</Td>
                    <Td align="right"><Money minor={r.amountMinor} currency={r.currency} /></Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </section>
      ) : null}
      {mine.length ? (
        <section aria-labelledby="my-requests-heading" className="space-y-2">
          <h2 id="my-requests-heading" className="text-base font-semibold">Your credit requests</h2>
          <Table caption="Your credit requests: waiting, and decided in the last 14 days">
            <thead><tr><Th>Customer</Th><Th align="right">Amount</Th><Th>Status</Th><Th>Decided by</Th><Th>Note</Th></tr></thead>
            <tbody className="divide-y divide-slate-100">
              {mine.map((r) => (
                <tr key={r.id}>
                  <Td><Link className="text-indigo-800 hover:underline" href={`/customers/${r.customerId}/credits`}>{r.customerName}</Link></Td>
                  <Td align="right"><Money minor={r.amountMinor} currency={r.currency} /></Td>
                  <Td><Badge tone={tone[r.status as keyof typeof tone] ?? "neutral"}>{r.status}</Badge></Td>
                  <Td>{r.decidedBy ? <>{r.decidedBy}{r.decidedAt ? <span className="block text-xs text-slate-500"><DateTime iso={r.decidedAt} /></span> : null}</> : "—"}</Td>
                  <Td className="max-w-sm text-slate-600">{r.decisionNote ?? ""}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
        </section>
      ) : null}
      {failed > 0 ? (
        <p className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
          {failed} credit {failed === 1 ? "operation" : "operations"} failed to reach the billing provider. <Link className="underline" href="/credits#failed-heading">Review and retry</Link>
        </p>
      ) : null}
    </>
  );
}
