import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { can } from "@/lib/auth/permissions";
import { db } from "@/lib/server/db";
import { requirePagePermission } from "@/lib/server/session";
import { customerIdFromParams } from "@/lib/server/queries/customers";
import { getCustomerPlan, type PlanChangeRowDto } from "@/lib/server/queries/plans-for-customer";
import { applyDuePlanChanges } from "@/lib/server/services/apply-due-plan-changes";
import { Badge } from "@/components/ui/badge";
import { DateTime } from "@/components/ui/date-time";
import { Money } from "@/components/ui/money";
import { EmptyState, Table, Td, Th } from "@/components/ui/table";
import { PlanChangeForm } from "./plan-change-form";
import { ScheduledChanges } from "./scheduled-changes";

export const metadata: Metadata = { title: "Plan" };

const statusTone = { applied: "good", scheduled: "info", canceled: "neutral" } as const;
const timingLabels = { immediate: "Now", period_end: "At period end", on_date: "On a date" } as const;
const syncLabels: Record<string, string> = { pending: "pending", in_flight: "sending", succeeded: "confirmed", failed: "failed" };

const dayAfter = (d: Date, days: number) => new Date(d.getTime() + days * 86_400_000).toISOString().slice(0, 10);
const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

function SyncCell({ change }: { change: PlanChangeRowDto }) {
  if (!change.sync) return <span className="text-slate-500">—</span>;
  const what = change.sync.kind === "plan.change_cancel" ? "Cancel" : "Change";
  const tone = change.sync.status === "succeeded" ? "good" : change.sync.status === "failed" ? "bad" : "warn";
  return (
    <span title={change.sync.lastError ?? undefined}>
      <Badge tone={tone}>{what} {syncLabels[change.sync.status] ?? change.sync.status}</Badge>
    </span>
  );
}

export default async function CustomerPlanPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requirePagePermission("customers.view");
  const id = await customerIdFromParams(params);
  // A scheduled change whose time has come is applied before reading (the worker does the same
  // on its tick), so this page never shows a due change as still pending.
  const now = new Date();
  await applyDuePlanChanges(db, now, { customerId: id });
  const data = await getCustomerPlan(id, now);
  if (!data) notFound();
  const canChange = can(actor.role, "plans.change");
  const sub = data.subscription;
  const scheduled = data.changes.filter((c) => c.status === "scheduled");

  return (
    <div className="space-y-6">
      <section aria-labelledby="current-subscription" className="rounded-lg border border-slate-200 bg-white p-4">
        <h2 id="current-subscription" className="mb-2 text-base font-semibold">Current subscription</h2>
        {sub?.current ? (
          <>
            <dl className="grid grid-cols-2 gap-x-6 gap-y-2 text-sm sm:grid-cols-5">
              <div><dt className="text-xs text-slate-500">Plan</dt><dd className="font-medium">{sub.current.planName}</dd></div>
              <div><dt className="text-xs text-slate-500">Version</dt><dd>v{sub.current.version}</dd></div>
              <div><dt className="text-xs text-slate-500">Base fee</dt><dd><Money minor={sub.current.baseFeeMinor} currency={data.customer.currency} /> per period</dd></div>
              <div><dt className="text-xs text-slate-500">On this plan since</dt><dd><DateTime iso={sub.current.since} /></dd></div>
              <div><dt className="text-xs text-slate-500">Billing anchor</dt><dd><DateTime iso={sub.billingAnchor} /></dd></div>
              <div className="col-span-2 sm:col-span-5">
                <dt className="text-xs text-slate-500">Current period</dt>
                <dd><span className="font-medium">{sub.period.label}</span></dd>
              </div>
            </dl>
            <p className="mt-2 text-xs text-slate-500">
              Billing periods are half-open: this one starts at {utc(sub.period.start)} and ends just before {utc(sub.period.end)}, when the next period
              begins — so “{sub.period.label}” includes all of its last day and none of the next.
            </p>
          </>
        ) : (
          <p className="text-sm text-slate-600">{data.customer.name} has no active subscription; there is no plan to change.</p>
        )}
      </section>

      <section aria-labelledby="scheduled-changes" className="space-y-2">
        <h2 id="scheduled-changes" className="text-base font-semibold">Scheduled changes</h2>
        <p className="text-xs text-slate-500">A scheduled change is applied at its effective time by the background worker, and also when this tab is opened, so a change whose time has come is never shown here as pending.</p>
        <ScheduledChanges
          canCancel={canChange}
          changes={scheduled.map((c) => ({
            id: c.id,
            fromPlan: c.fromPlan,
            toPlan: c.toPlan,
            effectiveAt: c.effectiveAt,
            timingLabel: timingLabels[c.timing].toLowerCase(),
            requestedBy: c.requestedBy,
            syncLabel: c.sync ? `${c.sync.kind === "plan.change_cancel" ? "cancel" : "change"} ${syncLabels[c.sync.status] ?? c.sync.status}` : null,
          }))}
        />
      </section>

      {canChange ? (
        sub?.current ? (
          <PlanChangeForm
            customerId={data.customer.id}
            customerName={data.customer.name}
            currency={data.customer.currency}
            currentPlanId={sub.current.planId}
            periodEnd={sub.period.end}
            minDate={dayAfter(now, 1)}
            maxDate={dayAfter(now, 365)}
            options={data.options}
            hasScheduled={scheduled.length > 0}
          />
        ) : null
      ) : (
        <p className="rounded-lg border border-slate-200 bg-slate-50 p-3 text-sm text-slate-600">Your role can see this customer’s plan but not change it. Support leads, Finance and Admins can change plans.</p>
      )}

      <section aria-labelledby="plan-history" className="space-y-2">
        <h2 id="plan-history" className="text-base font-semibold">History of changes</h2>
        {data.changes.length === 0 ? (
          <EmptyState title="No plan changes yet">Changes made here (now, at period end or on a date) are listed with who made them and when.</EmptyState>
        ) : (
          <Table caption="Plan changes, latest effective date first">
            <thead>
              <tr>
                <Th>Effective</Th>
                <Th>Change</Th>
                <Th>When</Th>
                <Th>Status</Th>
                <Th>Requested</Th>
                <Th>By</Th>
                <Th align="right">Proration (net)</Th>
                <Th>Provider</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {data.changes.map((c) => (
                <tr key={c.id}>
                  <Td><DateTime iso={c.effectiveAt} /></Td>
                  <Td>{c.fromPlan} → {c.toPlan}</Td>
                  <Td>{timingLabels[c.timing]}</Td>
                  <Td>
                    <Badge tone={statusTone[c.status]}>{c.status}</Badge>
                    {c.status === "applied" && c.appliedAt ? <span className="block text-xs text-slate-500">at <DateTime iso={c.appliedAt} /></span> : null}
                    {c.status === "canceled" && c.canceledAt ? <span className="block text-xs text-slate-500">at <DateTime iso={c.canceledAt} /></span> : null}
                  </Td>
                  <Td><DateTime iso={c.createdAt} /></Td>
                  <Td>{c.requestedBy ?? <span className="text-slate-500">system</span>}</Td>
                  <Td align="right">{c.prorationNetMinor !== null ? <Money minor={c.prorationNetMinor} currency={c.currency} /> : "—"}</Td>
                  <Td><SyncCell change={c} /></Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </section>
    </div>
  );
}
