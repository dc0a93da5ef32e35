// Usage for the customer Usage tab and its CSV export: the range in the URL, the bucket
// (hourly or daily rollups), the per-meter series aggregated in SQL, and usage and cost to date
// with a projection to period end. No "server-only": the benchmark runs getUsageSeries
// outside Next, so nothing here imports next/* either.
import { BillingDecimal, utcDayKey, type Decimal, type Period } from "@/lib/billing";
import type { Db } from "../db/client";
import {
  loadCustomerBilling,
  platformUsageDays,
  previewFor,
  segmentsFor,
  type CustomerBilling,
  type UsageDay,
} from "../billing/customer-billing";

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Hourly rollups are kept for the last 14 UTC days (today included). */
export const HOURLY_RETENTION_DAYS = 14;
/** Ranges up to this long are shown hourly when hourly rollups cover them. */
export const MAX_HOURLY_RANGE_DAYS = 7;
/** Two years, leap day included. */
export const MAX_RANGE_DAYS = 731;
/** The projection's run rate: average daily usage over this many complete UTC days before today. */
export const RUN_RATE_DAYS = 7;

export type Bucket = "hour" | "day";
export type RangeKind = "period" | "30d" | "90d" | "custom";
/** Half-open [start, end) in UTC, and the rollup it is read from. */
export type UsageRange = { start: Date; end: Date; bucket: Bucket };
export type RangeInput = { range?: string; from?: string; to?: string };
export type RangeError = { message: string; fieldErrors: { range?: string; from?: string; to?: string } };

export type ParsedRange =
  | { ok: true; kind: "period" }
  /** `from` and `to` are UTC days, both included: the window is [from 00:00, to + 1 day 00:00). */
  | { ok: true; kind: "30d" | "90d" | "custom"; start: Date; end: Date; from: string; to: string }
  | { ok: false; error: RangeError };

const startOfUtcDay = (t: number) => Math.floor(t / DAY) * DAY;

/** A strict YYYY-MM-DD UTC day (a real calendar date), or null. */
export function parseUtcDay(text: string | undefined): Date | null {
  if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const d = new Date(`${text}T00:00:00.000Z`);
  return Number.isNaN(d.getTime()) || utcDayKey(d) !== text ? null : d;
}

/** The range in the URL, validated. Bad input is an error with a message per field, never a throw. */
export function parseUsageRange(input: RangeInput, now: Date): ParsedRange {
  const range = input.range ?? "period";
  const today = startOfUtcDay(now.getTime());
  if (range === "period") return { ok: true, kind: "period" };
  if (range === "30d" || range === "90d") {
    const days = range === "30d" ? 30 : 90;
    const start = new Date(today - (days - 1) * DAY);
    const end = new Date(today + DAY);
    return { ok: true, kind: range, start, end, from: utcDayKey(start), to: utcDayKey(new Date(today)) };
  }
  if (range !== "custom") {
    return { ok: false, error: { message: "Choose a range: current period, last 30 days, last 90 days or custom dates.", fieldErrors: { range: "Unknown range." } } };
  }
  const fieldErrors: RangeError["fieldErrors"] = {};
  const start = parseUtcDay(input.from);
  const last = parseUtcDay(input.to);
  if (!start) fieldErrors.from = input.from ? "Enter the start date as YYYY-MM-DD." : "Enter a start date.";
  else if (start.getTime() > today) fieldErrors.from = "The start date is in the future.";
  if (!last) fieldErrors.to = input.to ? "Enter the end date as YYYY-MM-DD." : "Enter an end date.";
  if (start && last && !fieldErrors.from) {
    if (last < start) fieldErrors.to = "The end date is before the start date.";
    else if ((last.getTime() - start.getTime()) / DAY + 1 > MAX_RANGE_DAYS) {
      fieldErrors.to = `The range is longer than two years (${MAX_RANGE_DAYS} days); choose a shorter one.`;
    }
  }
  if (fieldErrors.from || fieldErrors.to) {
    return { ok: false, error: { message: `This range cannot be shown: ${[fieldErrors.from, fieldErrors.to].filter(Boolean).join(" ")} Showing the current billing period instead.`, fieldErrors } };
  }
  return { ok: true, kind: "custom", start: start!, end: new Date(last!.getTime() + DAY), from: input.from!, to: input.to! };
}

/** Without the database: short enough, and inside the hourly rollups' retention window. */
export function hourlyEligible(window: Period, now: Date): boolean {
  const retentionStart = startOfUtcDay(now.getTime()) - (HOURLY_RETENTION_DAYS - 1) * DAY;
  return window.end.getTime() - window.start.getTime() <= MAX_HOURLY_RANGE_DAYS * DAY && window.start.getTime() >= retentionStart;
}

/**
 * Hourly when the range is short and hourly rollups cover it; daily otherwise. "Cover" is checked
 * on the data too: when the range has daily rollups but no hourly ones (usage loaded as daily
 * only), the daily view is the one with the numbers.
 */
export async function chooseBucket(db: Db, customerId: string, window: Period, now: Date): Promise<Bucket> {
  if (!hourlyEligible(window, now)) return "day";
  const [row] = await db.$queryRawUnsafe<Array<{ hourly: boolean; daily: boolean }>>(
    `SELECT EXISTS (SELECT 1 FROM usage_hourly WHERE customer_id = $1::uuid AND bucket_start >= $2::timestamptz AND bucket_start < $3::timestamptz) AS hourly,
            EXISTS (SELECT 1 FROM usage_daily WHERE customer_id = $1::uuid
                       AND day >= ($2::timestamptz AT TIME ZONE 'UTC')::date AND day < ($3::timestamptz AT TIME ZONE 'UTC')::date) AS daily`,
    customerId,
    window.start,
    window.end,
  );
  return row && !row.hourly && row.daily ? "day" : "hour";
}

// One row per meter; the buckets are summed in SQL (GROUP BY meter, bucket) and shipped as one
// JSON array of { t, quantity } per meter, already in the shape the page uses. Quantities travel
// as text with trailing zeros trimmed (trim_scale): JSON numbers would become floats.
// Parameters: $1 customer id, $2 range start, $3 range end (timestamptz, half-open).
const seriesSelect = `
SELECT m.key AS meter_key, m.name, m.unit, trim_scale(sum(b.q))::text AS total,
       json_agg(json_build_object('t', to_char(b.t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'quantity', trim_scale(b.q)::text) ORDER BY b.t) AS points
  FROM b JOIN meters m ON m.id = b.meter_id
 GROUP BY m.id
 ORDER BY m.display_order, m.key`;

export const usageSeriesSql: Record<Bucket, string> = {
  hour: `
WITH b AS (
  SELECT h.meter_id, date_trunc('hour', h.bucket_start, 'UTC') AS t, sum(h.quantity) AS q
    FROM usage_hourly h
   WHERE h.customer_id = $1::uuid AND h.bucket_start >= $2::timestamptz AND h.bucket_start < $3::timestamptz
   GROUP BY h.meter_id, t
)${seriesSelect}`,
  // Daily rollups are UTC days: a day belongs to the range when its date is in
  // [date(start), date(end)), the rule the invoice preview uses (platformUsageDays).
  day: `
WITH b AS (
  SELECT d.meter_id, date_trunc('day', d.day::timestamp) AT TIME ZONE 'UTC' AS t, sum(d.quantity) AS q
    FROM usage_daily d
   WHERE d.customer_id = $1::uuid
     AND d.day >= ($2::timestamptz AT TIME ZONE 'UTC')::date AND d.day < ($3::timestamptz AT TIME ZONE 'UTC')::date
   GROUP BY d.meter_id, t
)${seriesSelect}`,
};

export type UsagePoint = { t: string; quantity: string };
export type MeterSeries = { meterKey: string; name: string; unit: string; points: UsagePoint[]; total: string };

/** numeric text like "10.500000" → "10.5". */
export { trimDecimalText as trimDecimal } from "@/lib/billing/decimal";

/** Per meter (display order), the usage in each bucket of the range that has rollups, and the total. */
export async function getUsageSeries(db: Db, customerId: string, range: UsageRange): Promise<MeterSeries[]> {
  const rows = await db.$queryRawUnsafe<Array<{ meter_key: string; name: string; unit: string; total: string; points: unknown }>>(
    usageSeriesSql[range.bucket],
    customerId,
    range.start,
    range.end,
  );
  return rows.map((r) => ({
    meterKey: r.meter_key,
    name: r.name,
    unit: r.unit,
    total: r.total,
    points: (typeof r.points === "string" ? JSON.parse(r.points) : r.points) as UsagePoint[],
  }));
}

/** Every bucket start of the range (UTC), for charts that need a continuous time axis. */
export function bucketStarts(range: UsageRange): string[] {
  const step = range.bucket === "hour" ? HOUR : DAY;
  const first = range.bucket === "hour" ? Math.floor(range.start.getTime() / HOUR) * HOUR : startOfUtcDay(range.start.getTime());
  const out: string[] = [];
  for (let t = first; t < range.end.getTime(); t += step) out.push(new Date(t).toISOString().replace(/\.000Z$/, "Z"));
  return out;
}

export type UsageView = {
  kind: RangeKind;
  range: UsageRange;
  /** Inclusive UTC days, for the range form. */
  from: string;
  to: string;
  error: RangeError | null;
  billing: CustomerBilling | null;
};

/** The range to show: what the URL asks for, or the current period with a message when it is invalid. */
export async function resolveUsageView(db: Db, customerId: string, input: RangeInput, now: Date): Promise<UsageView> {
  const parsed = parseUsageRange(input, now);
  const billing = await loadCustomerBilling(db, customerId, now);
  let kind: RangeKind = "period";
  let window: Period;
  if (parsed.ok && parsed.kind !== "period") {
    kind = parsed.kind;
    window = { start: parsed.start, end: parsed.end };
  } else if (billing) {
    window = billing.period;
  } else {
    // No subscription, so no billing period: the current calendar month (UTC).
    window = { start: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)), end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)) };
  }
  const bucket = await chooseBucket(db, customerId, window, now);
  return {
    kind,
    range: { ...window, bucket },
    from: utcDayKey(window.start),
    to: utcDayKey(new Date(window.end.getTime() - 1)),
    error: parsed.ok ? null : parsed.error,
    billing,
  };
}

// ---------------------------------------------------------------------------------------------
// Projection: trailing 7-day average daily run rate × the time left in the period.

export type ProjectionWindow = { start: Date; end: Date; days: number };

/**
 * The complete UTC days the run rate averages: the 7 before today, none before the subscription
 * began (a younger customer is averaged over the days it has). Zero days: no projection.
 */
export function runRateWindow(now: Date, subscriptionStart: Date): ProjectionWindow {
  const end = startOfUtcDay(now.getTime());
  const firstFullDay = Math.ceil(subscriptionStart.getTime() / DAY) * DAY;
  const start = Math.min(end, Math.max(end - RUN_RATE_DAYS * DAY, firstFullDay));
  return { start: new Date(start), end: new Date(end), days: (end - start) / DAY };
}

/**
 * Usage expected from `now` to `periodEnd` at `ratePerDay`, per UTC day (each day its share of
 * the remaining time, rounded to the rollups' 6 decimals), so that a plan change scheduled later
 * in the period prices the projected days by the plan then in force.
 */
export function projectedDays(meterKey: string, ratePerDay: Decimal, now: Date, periodEnd: Date): UsageDay[] {
  const out: UsageDay[] = [];
  for (let day = startOfUtcDay(now.getTime()); day < periodEnd.getTime(); day += DAY) {
    const from = Math.max(day, now.getTime());
    const to = Math.min(day + DAY, periodEnd.getTime());
    if (to <= from) continue;
    const q = ratePerDay.times(to - from).div(DAY).toDecimalPlaces(6);
    if (!q.isZero()) out.push({ meterKey, day: utcDayKey(new Date(day)), quantity: q.toFixed() });
  }
  return out;
}

const dec = (s: string) => new BillingDecimal(s);
const sumBy = <T>(items: readonly T[], key: (t: T) => string, value: (t: T) => Decimal) => {
  const out = new Map<string, Decimal>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? new BillingDecimal(0)).plus(value(item)));
  return out;
};

export type UsageCostRow = {
  meterKey: string;
  name: string;
  unit: string;
  quantity: string;
  /** The period's allowance (pooled by time share when the plan changes within the period). */
  included: string;
  billable: string;
  /** Minor units; null for usage on a meter the plan does not price. */
  costMinor: string | null;
  runRatePerDay: string | null;
  /** The projected usage of each remaining UTC day (today: the rest of it). */
  projectedByDay: Array<{ day: string; quantity: string }> | null;
  projectedQuantity: string | null;
  projectedCostMinor: string | null;
};

export type UsageCost = {
  currency: string;
  period: { start: string; end: string };
  asOf: string;
  runRate: { from: string; to: string; days: number };
  /** Days from now to period end, to one decimal. */
  remainingDays: string;
  rows: UsageCostRow[];
  totalCostMinor: string;
  projectedTotalCostMinor: string | null;
};

/**
 * Usage and its cost so far this period, priced through the plan in force (the shadow preview
 * with no credits), and the same at period end with the projected usage added. Null without
 * an active subscription.
 */
export async function getUsageCost(db: Db, customerId: string, now: Date, preloaded?: CustomerBilling | null): Promise<UsageCost | null> {
  const billing = preloaded === undefined ? await loadCustomerBilling(db, customerId, now) : preloaded;
  if (!billing) return null;
  const window = runRateWindow(now, billing.billingAnchor);
  const [usage, trailing] = await Promise.all([
    platformUsageDays(db, customerId, billing.period),
    window.days > 0 ? platformUsageDays(db, customerId, window) : Promise.resolve([] as UsageDay[]),
  ]);
  const preview = previewFor(billing, usage, [], now);
  const usedByMeter = sumBy(usage, (u) => u.meterKey, (u) => dec(u.quantity));
  const trailingByMeter = sumBy(trailing, (u) => u.meterKey, (u) => dec(u.quantity));

  // Allowance pooled by time share, as the preview prices it.
  const segments = segmentsFor(billing, []);
  const periodMs = billing.period.end.getTime() - billing.period.start.getTime();
  const meters = new Map<string, { name: string; unit: string; included: Decimal }>();
  for (const s of segments) {
    for (const m of s.plan.meters) {
      const share = dec(m.includedQuantity).times(s.to.getTime() - s.from.getTime()).div(periodMs);
      const prev = meters.get(m.meterKey);
      meters.set(m.meterKey, { name: m.displayName, unit: m.unit, included: (prev?.included ?? new BillingDecimal(0)).plus(share) });
    }
  }

  const projectedUsage: UsageDay[] = [...usage];
  const rates = new Map<string, Decimal>();
  const projections = new Map<string, UsageDay[]>();
  if (window.days > 0) {
    for (const key of new Set([...meters.keys(), ...usedByMeter.keys()])) {
      const rate = (trailingByMeter.get(key) ?? new BillingDecimal(0)).div(window.days);
      const days = projectedDays(key, rate, now, billing.period.end);
      rates.set(key, rate);
      projections.set(key, days);
      projectedUsage.push(...days);
    }
  }
  const projected = window.days > 0 ? previewFor(billing, projectedUsage, [], now) : null;
  const projectedByMeter = sumBy(projectedUsage, (u) => u.meterKey, (u) => dec(u.quantity));

  const usageLines = preview.lines.filter((l) => l.kind === "usage" && l.meterKey);
  const costByMeter = sumBy(usageLines, (l) => l.meterKey!, (l) => dec(l.amountMinor.toString()));
  const freeByMeter = sumBy(
    usageLines.flatMap((l) => (l.breakdown ?? []).filter((b) => b.label.startsWith("Included")).map((b) => ({ key: l.meterKey!, q: b.quantity }))),
    (x) => x.key,
    (x) => dec(x.q),
  );
  const projectedCost = projected
    ? sumBy(projected.lines.filter((l) => l.kind === "usage" && l.meterKey), (l) => l.meterKey!, (l) => dec(l.amountMinor.toString()))
    : null;

  const keys = [...meters.keys(), ...[...usedByMeter.keys()].filter((k) => !meters.has(k)).sort()];
  const rows: UsageCostRow[] = keys.map((key) => {
    const meter = meters.get(key);
    const quantity = usedByMeter.get(key) ?? new BillingDecimal(0);
    const free = freeByMeter.get(key) ?? new BillingDecimal(0);
    const rate = rates.get(key);
    return {
      meterKey: key,
      name: meter?.name ?? key,
      unit: meter?.unit ?? "",
      quantity: quantity.toFixed(),
      included: meter ? meter.included.toDecimalPlaces(6).toFixed() : "0",
      billable: meter ? quantity.minus(free).toFixed() : quantity.toFixed(),
      costMinor: meter ? (costByMeter.get(key) ?? new BillingDecimal(0)).toFixed(0) : null,
      runRatePerDay: rate ? rate.toDecimalPlaces(6).toFixed() : null,
      projectedByDay: projections.get(key)?.map((d) => ({ day: d.day, quantity: d.quantity })) ?? null,
      projectedQuantity: projected ? (projectedByMeter.get(key) ?? new BillingDecimal(0)).toFixed() : null,
      projectedCostMinor: projectedCost && meter ? (projectedCost.get(key) ?? new BillingDecimal(0)).toFixed(0) : null,
    };
  });
  const total = (values: Array<string | null>) => values.reduce((s, v) => s + BigInt(v ?? "0"), BigInt(0)).toString();
  return {
    currency: billing.currency,
    period: { start: billing.period.start.toISOString(), end: billing.period.end.toISOString() },
    asOf: now.toISOString(),
    runRate: { from: utcDayKey(window.start), to: utcDayKey(new Date(window.end.getTime() - 1)), days: window.days },
    remainingDays: new BillingDecimal(Math.max(0, billing.period.end.getTime() - now.getTime())).div(DAY).toDecimalPlaces(1).toFixed(1),
    rows,
    totalCostMinor: total(rows.map((r) => r.costMinor)),
    projectedTotalCostMinor: projected ? total(rows.map((r) => r.projectedCostMinor)) : null,
  };
}
