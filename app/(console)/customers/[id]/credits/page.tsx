import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { requirePagePermission } from "@/lib/server/session";
import { db } from "@/lib/server/db";
import { can } from "@/lib/auth/permissions";
import { customerIdFromParams } from "@/lib/server/queries/customers";
import { getCustomerCredits } from "@/lib/server/queries/credits";
import { majorLimitToMinor, roleCreditLimit } from "@/lib/server/services/credit-limits";
import { creditReasonLabels } from "@/lib/actions/credits.schema";
import { Money } from "@/components/ui/money";
import { DateTime } from "@/components/ui/date-time";
import { Badge } from "@/components/ui/badge";
import { EmptyState, Table, Td, Th } from "@/components/ui/table";
import { SyncStatus } from "../../../credits/sync-status";
import { RetrySyncButton } from "../../../credits/retry-sync-button";
import { IssueCreditForm } from "./issue-credit-form";
import { VoidCreditButton } from "./void-credit-button";

export const metadata: Metadata = { title: "Credits" };

const statusTone = { active: "good", voided: "bad", expired: "neutral", exhausted: "neutral" } as const;
const kindLabel: Record<string, string> = { grant: "Grant", consumption: "Used on invoice", expiration: "Expired", void: "Voided" };

export default async function CustomerCreditsPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requirePagePermission("customers.view");
  const id = await customerIdFromParams(params);
  const [customer, credits] = await Promise.all([
    db.customer.findUnique({ where: { id }, select: { id: true, name: true, currency: true } }),
    getCustomerCredits(id),
  ]);
  if (!customer || !credits) notFound();
  const canIssue = can(actor.role, "credits.issue");
  const canVoid = can(actor.role, "credits.void");
  const limit = canIssue ? await roleCreditLimit(db, actor.role) : null;
  const balance = credits.balances.find((b) => b.currency === customer.currency)?.minor ?? "0";
  const balanceOf = (currency: string) => credits.balances.find((b) => b.currency === currency)?.minor ?? "0";

  return (
    <div className="space-y-6">
      <section aria-labelledby="balance-heading">
        <h2 id="balance-heading" className="mb-2 text-base font-semibold">Credit balance</h2>
        <dl className="flex flex-wrap gap-3">
          {credits.balances.map((b) => (
            <div key={b.currency} className="rounded-lg border border-slate-200 bg-white p-3">
              <dt className="text-xs text-slate-500">{b.currency} (sum of the ledger)</dt>
              <dd className="text-lg font-semibold"><Money minor={b.minor} currency={b.currency} /></dd>
            </div>
          ))}
        </dl>
      </section>

      {canIssue ? (
        <IssueCreditForm customer={customer} balanceMinor={balance} limitMinor={limit === null ? null : majorLimitToMinor(limit, customer.currency).toString()} />
      ) : null}

      {credits.pending.length ? (
        <section aria-labelledby="pending-heading" className="space-y-2">
          <h2 id="pending-heading" className="text-base font-semibold">Waiting for approval</h2>
          <Table caption="Credit requests for this customer waiting for approval">
            <thead><tr><Th>Requested</Th><Th>By</Th><Th>Reason</Th><Th>Note</Th><Th align="right">Amount</Th></tr></thead>
            <tbody className="divide-y divide-slate-100">
              {credits.pending.map((r) => (
                <tr key={r.id}>
                  <Td><DateTime iso={r.createdAt} /></Td>
                  <Td>{r.requestedBy}</Td>
                  <Td>{creditReasonLabels[r.reason as keyof typeof creditReasonLabels] ?? r.reason}</Td>
                  <Td className="max-w-md">{r.note}</Td>
                  <Td align="right"><Money minor={r.amountMinor} currency={r.currency} /></Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <p className="text-xs text-slate-600">Approvers decide on the <a className="underline" href="/credits">Credits</a> page.</p>
        </section>
      ) : null}

      <section aria-labelledby="grants-heading" className="space-y-2">
        <h2 id="grants-heading" className="text-base font-semibold">Grants</h2>
        {credits.grants.length === 0 ? (
          <EmptyState title="No credits yet — issue one">{canIssue ? "Use the form above: credits at or under your limit apply at once." : "People in support and finance can issue credits."}</EmptyState>
        ) : (
          <Table caption="Credit grants, newest first">
            <thead>
              <tr>
                <Th>Issued</Th><Th align="right">Amount</Th><Th align="right">Remaining</Th><Th>Reason</Th><Th>Note</Th><Th>Expires</Th>
                <Th>Issued by</Th><Th>Approved by</Th><Th>Status</Th><Th>Provider sync</Th>{canVoid ? <Th>Void</Th> : null}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {credits.grants.map((g) => (
                <tr key={g.id}>
                  <Td><DateTime iso={g.createdAt} /></Td>
                  <Td align="right"><Money minor={g.amountMinor} currency={g.currency} /></Td>
                  <Td align="right"><Money minor={g.remainingMinor} currency={g.currency} /></Td>
                  <Td>{creditReasonLabels[g.reason as keyof typeof creditReasonLabels] ?? g.reason}</Td>
                  <Td className="max-w-xs">{g.note}{g.ticketRef ? <span className="block text-xs text-slate-500">Ticket {g.ticketRef}</span> : null}</Td>
                  <Td>{g.expiresAt ? <DateTime iso={g.expiresAt} /> : "Never"}</Td>
                  <Td>{g.issuedBy ?? "—"}</Td>
                  <Td>{g.approvedBy ?? "—"}</Td>
                  <Td><Badge tone={statusTone[g.status as keyof typeof statusTone] ?? "neutral"}>{g.status}</Badge></Td>
                  <Td>
                    <SyncStatus sync={g.sync} />
                    {g.sync.state === "failed" && g.sync.operationId && canIssue ? <div className="mt-1"><RetrySyncButton operationId={g.sync.operationId} label={`credit of ${g.amountMinor} minor units`} /></div> : null}
                    {g.voidSync ? <div className="mt-1"><SyncStatus sync={g.voidSync} label="Void: " /></div> : null}
                  </Td>
                  {canVoid ? (
                    <Td>
                      <VoidCreditButton
                        grantId={g.id}
                        customerId={customer.id}
                        remainingMinor={g.remainingMinor}
                        balanceMinor={balanceOf(g.currency)}
                        currency={g.currency}
                        voidable={g.status === "active" && BigInt(g.remainingMinor) > 0n}
                      />
                    </Td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </section>

      {credits.ledger.length ? (
        <section aria-labelledby="ledger-heading" className="space-y-2">
          <h2 id="ledger-heading" className="text-base font-semibold">Ledger</h2>
          <p className="text-xs text-slate-600">Append-only: grants add, usage on invoices, expirations and voids subtract. The balance is the sum of these entries.</p>
          <Table caption="Credit ledger, newest first, with the running balance after each entry">
            <thead><tr><Th>When</Th><Th>Entry</Th><Th>Note</Th><Th align="right">Amount</Th><Th align="right">Balance after</Th></tr></thead>
            <tbody className="divide-y divide-slate-100">
              {credits.ledger.map((e) => (
                <tr key={e.id}>
                  <Td><DateTime iso={e.createdAt} /></Td>
                  <Td>{kindLabel[e.kind] ?? e.kind}</Td>
                  <Td className="max-w-md text-slate-600">{e.note ?? ""}</Td>
                  <Td align="right"><Money minor={e.amountMinor} currency={e.currency} /></Td>
                  <Td align="right"><Money minor={e.runningMinor} currency={e.currency} /></Td>
                </tr>
              ))}
            </tbody>
          </Table>
          {credits.ledgerTotal > credits.ledger.length ? <p className="text-xs text-slate-600">Showing the latest {credits.ledger.length} of {credits.ledgerTotal} entries.</p> : null}
        </section>
      ) : null}
    </div>
  );
}
