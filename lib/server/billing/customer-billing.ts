// A customer's billing situation for a period — subscription anchor, the plans in force and
// when, scheduled changes — and the invoice preview computed from it with lib/billing. Usage
// and credits are passed in, so Meterdesk's own (shadow) computation and the sandbox provider
// price exactly the same way from their own copies of the data.
import {
  billingPeriodContaining,
  previewInvoice,
  utcDayKey,
  type CreditGrant,
  type InvoicePreview,
  type Period,
  type PlanSegment,
} from "@/lib/billing";
import type { Db } from "../db/client";
import { loadBillingPlans, type CatalogPlan } from "./catalog";

export type Phase = { planVersionId: string; startsAt: Date; endsAt: Date | null };

export type CustomerBilling = {
  customerId: string;
  providerCustomerId: string | null;
  currency: string;
  subscriptionId: string;
  billingAnchor: Date;
  period: Period;
  /** Phases (applied, plus scheduled changes taking effect) overlapping the period, in order. */
  phases: Phase[];
  plans: Map<string, CatalogPlan>;
};

export type UsageDay = { meterKey: string; day: string; quantity: string };

/**
 * The plans in force over a period: the applied phases overlapping it, then any changes
 * scheduled inside it (each ends the open phase at its date and opens the next).
 */
export function phasesInPeriod(applied: Phase[], scheduled: Array<{ planVersionId: string; effectiveAt: Date }>): Phase[] {
  const phases = applied.map((p) => ({ ...p }));
  for (const change of [...scheduled].sort((a, b) => a.effectiveAt.getTime() - b.effectiveAt.getTime())) {
    const open = phases[phases.length - 1];
    if (open && (open.endsAt === null || open.endsAt > change.effectiveAt)) open.endsAt = change.effectiveAt;
    phases.push({ planVersionId: change.planVersionId, startsAt: change.effectiveAt, endsAt: null });
  }
  return phases;
}

/** The subscription's applied phases overlapping the period, in order. */
export async function appliedPhases(db: Db, subscriptionId: string, period: Period): Promise<Phase[]> {
  const rows = await db.$queryRaw<Array<{ plan_version_id: string; starts_at: Date; ends_at: Date | null }>>`
    SELECT plan_version_id::text, starts_at, ends_at FROM subscription_phases
     WHERE subscription_id = ${subscriptionId}::uuid AND starts_at < ${period.end} AND (ends_at IS NULL OR ends_at > ${period.start})
     ORDER BY starts_at`;
  return rows.map((p) => ({ planVersionId: p.plan_version_id, startsAt: p.starts_at, endsAt: p.ends_at }));
}

/** Null when the customer has no active subscription. */
export async function loadCustomerBilling(db: Db, customerId: string, at: Date): Promise<CustomerBilling | null> {
  const [sub] = await db.$queryRaw<Array<{ id: string; billing_anchor: Date; currency: string; provider_customer_id: string | null }>>`
    SELECT s.id::text AS id, s.billing_anchor, c.currency, c.provider_customer_id
      FROM subscriptions s JOIN customers c ON c.id = s.customer_id
     WHERE s.customer_id = ${customerId}::uuid AND s.status = 'active'
     ORDER BY s.started_at DESC LIMIT 1`;
  if (!sub) return null;
  const period = billingPeriodContaining(sub.billing_anchor, at);
  const applied = await appliedPhases(db, sub.id, period);
  const scheduled = await db.$queryRaw<Array<{ to_plan_version_id: string; effective_at: Date }>>`
    SELECT to_plan_version_id::text, effective_at FROM subscription_changes
     WHERE subscription_id = ${sub.id}::uuid AND status = 'scheduled' AND effective_at > ${at} AND effective_at < ${period.end}
     ORDER BY effective_at`;
  const phases = phasesInPeriod(
    applied,
    scheduled.map((c) => ({ planVersionId: c.to_plan_version_id, effectiveAt: c.effective_at })),
  );
  const plans = await loadBillingPlans(db, [...new Set(phases.map((p) => p.planVersionId))]);
  return {
    customerId,
    providerCustomerId: sub.provider_customer_id,
    currency: sub.currency,
    subscriptionId: sub.id,
    billingAnchor: sub.billing_anchor,
    period,
    phases,
    plans,
  };
}

/**
 * Segments of the period with the usage under each plan. Daily usage belongs to the segment in
 * force at the start of its UTC day (rollups are daily; a change mid-day prices that day's usage
 * by the plan in force when the day began).
 */
export function segmentsFor(billing: CustomerBilling, usage: readonly UsageDay[]): PlanSegment[] {
  const { period } = billing;
  const segments = segmentShells(billing);
  for (const row of usage) {
    const dayStart = new Date(`${row.day}T00:00:00.000Z`);
    const at = dayStart < period.start ? period.start : dayStart;
    const segment = segments.find((s) => s.from <= at && at < s.to) ?? segments[segments.length - 1];
    if (!segment) continue;
    const prev = segment.usageByMeter[row.meterKey];
    segment.usageByMeter[row.meterKey] = prev === undefined ? row.quantity : addDecimalStrings(prev, row.quantity);
  }
  return segments;
}

/** The period's segments (plan in force, from, to) with no usage yet. */
export function segmentShells(billing: Pick<CustomerBilling, "period" | "phases" | "plans">): PlanSegment[] {
  const { period } = billing;
  const segments: PlanSegment[] = [];
  for (const phase of billing.phases) {
    const from = new Date(Math.max(phase.startsAt.getTime(), period.start.getTime()));
    const to = new Date(Math.min((phase.endsAt ?? period.end).getTime(), period.end.getTime()));
    if (to <= from) continue;
    const plan = billing.plans.get(phase.planVersionId);
    if (!plan) throw new Error(`plan version ${phase.planVersionId} is not in the catalog`);
    segments.push({ plan, from, to, usageByMeter: {} });
  }
  return segments;
}

function addDecimalStrings(a: string, b: string): string {
  // Exact: both are numeric(24,6) strings; sum as scaled integers.
  const scale = (s: string) => {
    const [i, f = ""] = s.split(".");
    return BigInt(i + f.padEnd(6, "0").slice(0, 6));
  };
  const total = scale(a) + scale(b);
  const text = total.toString().padStart(7, "0");
  return `${text.slice(0, -6)}.${text.slice(-6)}`.replace(/\.?0+$/, "") || "0";
}

export function previewFor(billing: CustomerBilling, usage: readonly UsageDay[], credits: readonly CreditGrant[], at: Date): InvoicePreview {
  return previewInvoice({ customerCurrency: billing.currency, period: billing.period, segments: segmentsFor(billing, usage), credits, at });
}

/** Meterdesk's own usage for the customer in the period, from the daily rollups. */
export async function platformUsageDays(db: Db, customerId: string, period: Period): Promise<UsageDay[]> {
  const rows = await db.$queryRaw<Array<{ meter_key: string; day: Date; quantity: string }>>`
    SELECT m.key AS meter_key, d.day, d.quantity::text AS quantity
      FROM usage_daily d JOIN meters m ON m.id = d.meter_id
     WHERE d.customer_id = ${customerId}::uuid AND d.day >= ${utcDayKey(period.start)}::date AND d.day < ${utcDayKey(period.end)}::date
     ORDER BY d.day, m.key`;
  return rows.map((r) => ({ meterKey: r.meter_key, day: utcDayKey(r.day), quantity: r.quantity }));
}

/** Meterdesk's ledger view of the customer's usable grants (remaining = sum of ledger per grant). */
export async function platformCreditGrants(db: Db, customerId: string, currency: string): Promise<CreditGrant[]> {
  const rows = await db.$queryRaw<Array<{ id: string; remaining: bigint; currency: string; expires_at: Date | null; created_at: Date }>>`
    SELECT g.id::text AS id, COALESCE(SUM(l.amount_minor), 0)::bigint AS remaining, g.currency, g.expires_at, g.created_at
      FROM credit_grants g LEFT JOIN credit_ledger_entries l ON l.grant_id = g.id
     WHERE g.customer_id = ${customerId}::uuid AND g.currency = ${currency} AND g.status = 'active'
     GROUP BY g.id HAVING COALESCE(SUM(l.amount_minor), 0) > 0`;
  return rows.map((r) => ({ id: r.id, remainingMinor: BigInt(r.remaining), currency: r.currency, expiresAt: r.expires_at, createdAt: r.created_at }));
}

/** Meterdesk's own computation of the customer's upcoming invoice (shadow billing). */
export async function computeShadowPreview(db: Db, customerId: string, at: Date) {
  const billing = await loadCustomerBilling(db, customerId, at);
  if (!billing) return null;
  const [usage, credits] = await Promise.all([
    platformUsageDays(db, customerId, billing.period),
    platformCreditGrants(db, customerId, billing.currency),
  ]);
  return { billing, preview: previewFor(billing, usage, credits, at) };
}
