// Plan catalog and adoption for /plans: subscribers per plan over time, revenue per plan over
// time, the plan-change matrix, and usage against allowance for the current period. Every figure
// is aggregated in SQL. Counts are numbers; money is minor units as strings with its currency.
// No "server-only" needed (nothing here is secret), and no next/*: tests import it directly.
import { billingPeriodContaining, utcDayKey } from "@/lib/billing";
import type { Db } from "../db/client";
import { parseUtcDay } from "./usage";

const DAY = 86_400_000;
export const MAX_ADOPTION_DAYS = 1_100;

export type Interval = "month" | "week";
export type AdoptionRange = { from: string; to: string; start: Date; end: Date; interval: Interval; currency: string };
export type AdoptionRangeResult = { range: AdoptionRange; error: { message: string; fieldErrors: Record<string, string> } | null };

/** The range in the URL (UTC days, both included), validated; bad input falls back to the default with field errors. */
export function parseAdoptionRange(input: { from?: string; to?: string; interval?: string; currency?: string }, now: Date): AdoptionRangeResult {
  const today = new Date(Math.floor(now.getTime() / DAY) * DAY);
  const defaultFrom = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 5, 1));
  const fieldErrors: Record<string, string> = {};
  const interval: Interval = input.interval === "week" ? "week" : "month";
  if (input.interval && input.interval !== "week" && input.interval !== "month") fieldErrors.interval = "Choose monthly or weekly points.";
  const currency = /^[A-Z]{3}$/.test(input.currency ?? "") ? input.currency! : "USD";
  let start = input.from ? parseUtcDay(input.from) : defaultFrom;
  let last = input.to ? parseUtcDay(input.to) : today;
  if (!start) fieldErrors.from = "Enter the start date as YYYY-MM-DD.";
  if (!last) fieldErrors.to = "Enter the end date as YYYY-MM-DD.";
  if (start && last && last < start) fieldErrors.to = "The end date is before the start date.";
  else if (start && last && (last.getTime() - start.getTime()) / DAY > MAX_ADOPTION_DAYS) fieldErrors.to = "Choose a range of at most three years.";
  const bad = Object.keys(fieldErrors).length > 0;
  if (bad || !start || !last) {
    start = defaultFrom;
    last = today;
  }
  return {
    range: { from: utcDayKey(start), to: utcDayKey(last), start, end: new Date(last.getTime() + DAY), interval: bad ? "month" : interval, currency },
    error: bad ? { message: `This range cannot be shown: ${Object.values(fieldErrors).join(" ")} Showing the last six months instead.`, fieldErrors } : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Catalog

export type CatalogTierDto = { upTo: string | null; unitPrice: string; flatFee: string | null };
export type CatalogPriceDto = {
  meterKey: string; meterName: string; unit: string; model: string; included: string;
  unitPrice: string | null; packageSize: string | null; packagePrice: string | null; tiers: CatalogTierDto[];
};
export type CatalogVersionDto = { id: string; version: number; currency: string; baseFeeMinor: string; minimumMinor: string | null; prices: CatalogPriceDto[] };
export type CatalogPlanDto = { id: string; key: string; name: string; description: string; status: string; tier: number; versions: CatalogVersionDto[] };

const dec = (v: { toString(): string } | null) => (v === null ? null : v.toString());

export async function getPlanCatalog(db: Db): Promise<CatalogPlanDto[]> {
  const plans = await db.plan.findMany({
    orderBy: [{ status: "asc" }, { tier: "asc" }, { key: "asc" }],
    include: {
      versions: {
        orderBy: [{ version: "desc" }, { currency: "asc" }],
        include: { prices: { include: { meter: true, tiers: { orderBy: { position: "asc" } } }, orderBy: { meter: { displayOrder: "asc" } } } },
      },
    },
  });
  return plans.map((p) => ({
    id: p.id, key: p.key, name: p.name, description: p.description, status: p.status, tier: p.tier,
    versions: p.versions.map((v) => ({
      id: v.id, version: v.version, currency: v.currency, baseFeeMinor: v.baseFeeMinor.toString(), minimumMinor: v.minimumCommitmentMinor?.toString() ?? null,
      prices: v.prices.map((pr) => ({
        meterKey: pr.meter.key, meterName: pr.meter.name, unit: pr.meter.unit, model: pr.model, included: pr.includedQuantity.toString(),
        unitPrice: dec(pr.unitPrice), packageSize: dec(pr.packageSize), packagePrice: dec(pr.packagePrice),
        tiers: pr.tiers.map((t) => ({ upTo: dec(t.upTo), unitPrice: t.unitPrice.toString(), flatFee: dec(t.flatFee) })),
      })),
    })),
  }));
}

// ---------------------------------------------------------------------------------------------
// Series

export type PlanRef = { key: string; name: string; tier: number };
export type SeriesPoint = { bucket: string; values: Record<string, string> };
export type PlanSeries = { plans: PlanRef[]; points: SeriesPoint[] };

async function planRefs(db: Db): Promise<PlanRef[]> {
  return db.$queryRaw<PlanRef[]>`SELECT key, name, tier FROM plans ORDER BY tier, key`;
}

/** Bucket starts (UTC) covering the range: first days of months, or Mondays. */
function bucketSql(range: AdoptionRange) {
  return { unit: range.interval, step: range.interval === "week" ? "1 week" : "1 month" };
}

function toSeries(plans: PlanRef[], rows: Array<{ bucket: string; key: string; value: string }>, buckets: string[]): PlanSeries {
  const byBucket = new Map<string, Record<string, string>>(buckets.map((b) => [b, {}]));
  for (const r of rows) {
    const values = byBucket.get(r.bucket) ?? {};
    values[r.key] = r.value;
    byBucket.set(r.bucket, values);
  }
  const used = new Set(rows.map((r) => r.key));
  return {
    plans: plans.filter((p) => used.has(p.key)),
    points: [...byBucket.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([bucket, values]) => ({ bucket, values })),
  };
}

async function bucketList(db: Db, range: AdoptionRange): Promise<string[]> {
  const { unit, step } = bucketSql(range);
  const rows = await db.$queryRaw<Array<{ bucket: string }>>`
    SELECT to_char(t, 'YYYY-MM-DD') AS bucket
      FROM generate_series(date_trunc(${unit}, ${range.start}::timestamptz AT TIME ZONE 'UTC'), (${range.end}::timestamptz AT TIME ZONE 'UTC') - interval '1 millisecond', ${step}::interval) t`;
  return rows.map((r) => r.bucket);
}

/**
 * Active subscribers per plan at the end of each bucket (or now, for the bucket in progress):
 * a subscription counts for the plan of the phase in force just before that instant.
 */
export async function getSubscriberSeries(db: Db, range: AdoptionRange, now: Date): Promise<PlanSeries> {
  const { unit, step } = bucketSql(range);
  const rows = await db.$queryRaw<Array<{ bucket: string; key: string; value: string }>>`
    WITH b AS (
      SELECT t AS bucket, LEAST((t + ${step}::interval) AT TIME ZONE 'UTC', ${now}::timestamptz) AS at
        FROM generate_series(date_trunc(${unit}, ${range.start}::timestamptz AT TIME ZONE 'UTC'), (${range.end}::timestamptz AT TIME ZONE 'UTC') - interval '1 millisecond', ${step}::interval) t
    )
    SELECT to_char(b.bucket, 'YYYY-MM-DD') AS bucket, p.key, count(DISTINCT ph.subscription_id)::text AS value
      FROM b
      JOIN subscription_phases ph ON ph.starts_at < b.at AND (ph.ends_at IS NULL OR ph.ends_at >= b.at)
      JOIN subscriptions s ON s.id = ph.subscription_id AND (s.ended_at IS NULL OR s.ended_at >= b.at)
      JOIN plan_versions v ON v.id = ph.plan_version_id
      JOIN plans p ON p.id = v.plan_id
     GROUP BY 1, 2 ORDER BY 1, 2`;
  return toSeries(await planRefs(db), rows, await bucketList(db, range));
}

/**
 * Invoiced revenue (invoices.total_minor, void invoices excluded) per plan per bucket of the
 * invoice's period start, in one currency. Each invoice is attributed to the plan in force when
 * its billing period began (from subscription_phases).
 */
export async function getRevenueSeries(db: Db, range: AdoptionRange): Promise<PlanSeries & { currency: string; currencies: string[] }> {
  const { unit, step } = bucketSql(range);
  const rows = await db.$queryRaw<Array<{ bucket: string; key: string; value: string }>>`
    SELECT to_char(date_trunc(${unit}, i.period_start AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS bucket,
           COALESCE(pv.key, 'no_plan') AS key, sum(i.total_minor)::text AS value
      FROM invoices i
      LEFT JOIN LATERAL (
        SELECT p.key FROM subscription_phases ph
          JOIN subscriptions s ON s.id = ph.subscription_id
          JOIN plan_versions v ON v.id = ph.plan_version_id
          JOIN plans p ON p.id = v.plan_id
         WHERE s.customer_id = i.customer_id AND ph.starts_at <= i.period_start AND (ph.ends_at IS NULL OR ph.ends_at > i.period_start)
         ORDER BY ph.starts_at DESC LIMIT 1
      ) pv ON true
     WHERE i.status <> 'void' AND i.currency = ${range.currency}
       AND i.period_start >= date_trunc(${unit}, ${range.start}::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
       AND i.period_start < ${range.end}
     GROUP BY 1, 2 ORDER BY 1, 2`;
  void step;
  const currencies = await db.$queryRaw<Array<{ currency: string }>>`SELECT DISTINCT currency FROM invoices ORDER BY currency`;
  const plans = [...(await planRefs(db)), { key: "no_plan", name: "No plan in force", tier: -1 }];
  return { ...toSeries(plans, rows, await bucketList(db, range)), currency: range.currency, currencies: currencies.map((c) => c.currency) };
}

// ---------------------------------------------------------------------------------------------
// Plan changes

export type ChangeCell = { from: string; to: string; count: number; direction: "upgrade" | "downgrade" | "lateral" };
export type ChangeMatrix = { plans: PlanRef[]; cells: ChangeCell[]; upgrades: number; downgrades: number; lateral: number };

/** Plan changes applied with effect inside the range, from → to; direction by plans.tier. */
export async function getPlanChangeMatrix(db: Db, range: AdoptionRange): Promise<ChangeMatrix> {
  const rows = await db.$queryRaw<Array<{ from_key: string; to_key: string; from_tier: number; to_tier: number; n: number }>>`
    SELECT fp.key AS from_key, tp.key AS to_key, fp.tier AS from_tier, tp.tier AS to_tier, count(*)::int AS n
      FROM subscription_changes sc
      JOIN plan_versions fv ON fv.id = sc.from_plan_version_id JOIN plans fp ON fp.id = fv.plan_id
      JOIN plan_versions tv ON tv.id = sc.to_plan_version_id JOIN plans tp ON tp.id = tv.plan_id
     WHERE sc.status = 'applied' AND sc.effective_at >= ${range.start} AND sc.effective_at < ${range.end}
     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2`;
  const cells: ChangeCell[] = rows.map((r) => ({
    from: r.from_key, to: r.to_key, count: r.n,
    direction: r.to_tier > r.from_tier ? "upgrade" : r.to_tier < r.from_tier ? "downgrade" : "lateral",
  }));
  const sum = (d: ChangeCell["direction"]) => cells.filter((c) => c.direction === d).reduce((s, c) => s + c.count, 0);
  return { plans: await planRefs(db), cells, upgrades: sum("upgrade"), downgrades: sum("downgrade"), lateral: sum("lateral") };
}

// ---------------------------------------------------------------------------------------------
// Usage against allowance

export type AllowanceBand = "under50" | "from50to80" | "from80to100" | "over";
export const ALLOWANCE_BANDS: Array<{ band: AllowanceBand; label: string }> = [
  { band: "under50", label: "Under 50%" },
  { band: "from50to80", label: "50–80%" },
  { band: "from80to100", label: "80–100%" },
  { band: "over", label: "Over 100%" },
];
export type AllowanceCustomer = {
  customerId: string; name: string; platformId: string; planKey: string; planName: string;
  meterKey: string; meterName: string; unit: string; used: string; included: string; percent: string; band: AllowanceBand;
  periodStart: string; periodEnd: string;
};
export type AllowanceSummary = { plans: Array<{ key: string; name: string; counts: Record<AllowanceBand, number> }>; customers: AllowanceCustomer[] };

export function bandFor(ratio: number): AllowanceBand {
  return ratio > 1 ? "over" : ratio >= 0.8 ? "from80to100" : ratio >= 0.5 ? "from50to80" : "under50";
}

/**
 * Each active subscriber's current billing period (from its anchor, computed with lib/billing),
 * the plan in force now, and its most-used allowance meter: the meter with included > 0 whose
 * period usage / included is highest. Usage sums and the pick are done in SQL.
 */
export async function getAllowanceUsage(db: Db, now: Date): Promise<AllowanceSummary> {
  const subs = await db.$queryRaw<Array<{ customer_id: string; billing_anchor: Date; plan_version_id: string }>>`
    SELECT s.customer_id::text, s.billing_anchor, ph.plan_version_id::text
      FROM subscriptions s
      JOIN subscription_phases ph ON ph.subscription_id = s.id AND ph.starts_at <= ${now} AND (ph.ends_at IS NULL OR ph.ends_at > ${now})
     WHERE s.status = 'active'`;
  if (subs.length === 0) return { plans: [], customers: [] };
  const periods = subs.map((s) => billingPeriodContaining(s.billing_anchor, now));
  const rows = await db.$queryRaw<Array<{
    customer_id: string; name: string; platform_id: string; plan_key: string; plan_name: string; meter_key: string; meter_name: string;
    unit: string; used: string; included: string; ratio: string; period_start: Date; period_end: Date;
  }>>`
    WITH input AS (
      SELECT * FROM unnest(${subs.map((s) => s.customer_id)}::uuid[], ${subs.map((s) => s.plan_version_id)}::uuid[],
                           ${periods.map((p) => p.start.toISOString())}::timestamptz[], ${periods.map((p) => p.end.toISOString())}::timestamptz[])
             AS t(customer_id, plan_version_id, period_start, period_end)
    ), per_meter AS (
      SELECT i.customer_id, i.plan_version_id, i.period_start, i.period_end, pp.meter_id, pp.included_quantity AS included,
             COALESCE((SELECT sum(d.quantity) FROM usage_daily d
                        WHERE d.customer_id = i.customer_id AND d.meter_id = pp.meter_id
                          AND d.day >= (i.period_start AT TIME ZONE 'UTC')::date AND d.day < (i.period_end AT TIME ZONE 'UTC')::date), 0) AS used
        FROM input i JOIN plan_prices pp ON pp.plan_version_id = i.plan_version_id AND pp.included_quantity > 0
    ), best AS (
      SELECT DISTINCT ON (customer_id) *, used / included AS ratio FROM per_meter ORDER BY customer_id, used / included DESC, meter_id
    )
    SELECT b.customer_id::text, c.name, c.platform_id, p.key AS plan_key, p.name AS plan_name, m.key AS meter_key, m.name AS meter_name, m.unit,
           b.used::text AS used, b.included::text AS included, round(b.ratio, 6)::text AS ratio, b.period_start, b.period_end
      FROM best b JOIN customers c ON c.id = b.customer_id JOIN meters m ON m.id = b.meter_id
      JOIN plan_versions v ON v.id = b.plan_version_id JOIN plans p ON p.id = v.plan_id
     ORDER BY b.ratio DESC, c.name`;
  const trim = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  const customers: AllowanceCustomer[] = rows.map((r) => ({
    customerId: r.customer_id, name: r.name, platformId: r.platform_id, planKey: r.plan_key, planName: r.plan_name,
    meterKey: r.meter_key, meterName: r.meter_name, unit: r.unit, used: trim(r.used), included: trim(r.included),
    percent: (Number(r.ratio) * 100).toFixed(1), band: bandFor(Number(r.ratio)),
    periodStart: r.period_start.toISOString(), periodEnd: r.period_end.toISOString(),
  }));
  const plans = new Map<string, { key: string; name: string; counts: Record<AllowanceBand, number> }>();
  for (const c of customers) {
    const entry = plans.get(c.planKey) ?? { key: c.planKey, name: c.planName, counts: { under50: 0, from50to80: 0, from80to100: 0, over: 0 } };
    entry.counts[c.band] += 1;
    plans.set(c.planKey, entry);
  }
  const order = await planRefs(db);
  return { plans: order.filter((p) => plans.has(p.key)).map((p) => plans.get(p.key)!), customers };
}
