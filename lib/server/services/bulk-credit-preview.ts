// Bulk incident credits, step 1: who was affected and how much each gets.
// Method (stated on the page): a customer's cost in the window is their usage on the chosen
// meters during the window, priced with lib/billing priceMeterUsage at the per-unit rates of the
// plan in force when the window opened, without allowances. Usage comes from the daily rollups:
// each UTC day the window touches counts pro rata to the share of that day inside the window.
// The credit is a percentage of that cost (rounded once, half-even) or a flat amount, then capped.
// No "server-only": prepare (web) and the tests use it; it only reads.
import { BillingDecimal, minorToDecimal, priceMeterUsage, roundToMinorHalfEven, type Decimal } from "@/lib/billing";
import type { Db } from "../db/client";
import { loadBillingPlans } from "../billing/catalog";

export type BulkCreditRuleInput =
  | { rule: "percent_of_cost"; percent: string; capMinor: bigint | null }
  | { rule: "flat"; flatMinor: bigint; capMinor: bigint | null };

export type BulkCreditParams = {
  windowStart: Date;
  windowEnd: Date;
  meterKeys: string[];
  /** Empty = every region. */
  regions: string[];
  currency: string;
} & BulkCreditRuleInput;

export type BulkPreviewRow = {
  customerId: string;
  customerName: string;
  platformId: string;
  region: string;
  usage: Array<{ meterKey: string; quantity: string }>;
  costMinor: bigint;
  amountMinor: bigint;
};

export type BulkPreview = { rows: BulkPreviewRow[]; totalMinor: bigint; costTotalMinor: bigint };

const DAY = 86_400_000;
const ZERO_DECIMAL: Decimal = new BillingDecimal(0);

export function creditFor(params: BulkCreditRuleInput, costMinor: bigint, currency: string): bigint {
  let amount = params.rule === "flat"
    ? params.flatMinor
    : roundToMinorHalfEven(minorToDecimal(costMinor, currency).times(params.percent).div(100), currency);
  if (params.capMinor !== null && amount > params.capMinor) amount = params.capMinor;
  return amount < 0n ? 0n : amount;
}

/** Share of the UTC day starting at `dayStart` that lies inside [start, end). */
export function dayShare(dayStart: Date, start: Date, end: Date): Decimal {
  const from = Math.max(dayStart.getTime(), start.getTime());
  const to = Math.min(dayStart.getTime() + DAY, end.getTime());
  return to <= from ? ZERO_DECIMAL : new BillingDecimal(to - from).div(DAY);
}

export async function previewBulkCredit(db: Db, p: BulkCreditParams): Promise<BulkPreview> {
  const regions = p.regions.length ? p.regions : null;
  const usage = await db.$queryRaw<Array<{ customer_id: string; name: string; platform_id: string; region: string; meter_key: string; day: Date; quantity: string }>>`
    SELECT u.customer_id::text, c.name, c.platform_id, c.region, m.key AS meter_key, u.day, u.quantity::text AS quantity
      FROM usage_daily u
      JOIN customers c ON c.id = u.customer_id
      JOIN meters m ON m.id = u.meter_id
     WHERE m.key = ANY(${p.meterKeys}::text[])
       AND c.currency = ${p.currency}
       AND (${regions}::text[] IS NULL OR c.region = ANY(${regions}::text[]))
       AND u.day >= (${p.windowStart}::timestamptz AT TIME ZONE 'UTC')::date
       AND u.day < ${p.windowEnd}::timestamptz AT TIME ZONE 'UTC'
       AND u.quantity > 0
     ORDER BY c.name, c.id, m.key, u.day`;
  if (usage.length === 0) return { rows: [], totalMinor: 0n, costTotalMinor: 0n };
  const customerIds = [...new Set(usage.map((u) => u.customer_id))];
  const phases = await db.$queryRaw<Array<{ customer_id: string; plan_version_id: string }>>`
    SELECT DISTINCT ON (s.customer_id) s.customer_id::text, ph.plan_version_id::text
      FROM subscriptions s JOIN subscription_phases ph ON ph.subscription_id = s.id
     WHERE s.customer_id = ANY(${customerIds}::uuid[])
       AND ph.starts_at < ${p.windowEnd} AND (ph.ends_at IS NULL OR ph.ends_at > ${p.windowStart})
     ORDER BY s.customer_id, (ph.starts_at <= ${p.windowStart}) DESC, ph.starts_at DESC`;
  const planOf = new Map(phases.map((r) => [r.customer_id, r.plan_version_id]));
  const plans = await loadBillingPlans(db, [...new Set(phases.map((r) => r.plan_version_id))]);

  const byCustomer = new Map<string, { head: (typeof usage)[number]; qty: Map<string, Decimal> }>();
  for (const u of usage) {
    const share = dayShare(new Date(u.day), p.windowStart, p.windowEnd);
    if (share.isZero()) continue;
    const entry = byCustomer.get(u.customer_id) ?? { head: u, qty: new Map<string, Decimal>() };
    entry.qty.set(u.meter_key, (entry.qty.get(u.meter_key) ?? ZERO_DECIMAL).plus(new BillingDecimal(u.quantity).times(share)));
    byCustomer.set(u.customer_id, entry);
  }
  const rows: BulkPreviewRow[] = [];
  for (const [customerId, { head, qty }] of byCustomer) {
    const plan = plans.get(planOf.get(customerId) ?? "");
    let cost = ZERO_DECIMAL;
    for (const [meterKey, q] of qty) {
      const meter = plan?.meters.find((m) => m.meterKey === meterKey);
      if (meter) cost = cost.plus(priceMeterUsage(meter, q, { includedQuantity: "0" }).amount);
    }
    const costMinor = roundToMinorHalfEven(cost, p.currency);
    rows.push({
      customerId,
      customerName: head.name,
      platformId: head.platform_id,
      region: head.region,
      usage: [...qty].map(([meterKey, q]) => ({ meterKey, quantity: q.toDecimalPlaces(6).toFixed() })),
      costMinor,
      amountMinor: creditFor(p, costMinor, p.currency),
    });
  }
  return {
    rows,
    totalMinor: rows.reduce((s, r) => s + r.amountMinor, 0n),
    costTotalMinor: rows.reduce((s, r) => s + r.costMinor, 0n),
  };
}
