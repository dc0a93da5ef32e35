// Shapes one meter's usage into chart rows. Pure (no React, no database), shared by the server
// page (text summary, data table) and the client chart. Quantities stay decimal strings here;
// only the chart turns them into numbers, to place marks.
import { BillingDecimal, type Decimal } from "@/lib/billing/decimal";

export type ChartMode = "cumulative" | "buckets";

/** One bucket: its usage, and in cumulative mode the running total and the projection. */
export type UsageChartRow = { t: string; usage: string | null; cumulative: string | null; projected: string | null };

type Point = { t: string; quantity: string };
type DayQuantity = { day: string; quantity: string };

/**
 * Buckets mode: every bucket of the range, with "0" where no rollup exists and null for buckets
 * that have not started yet (so the future is blank, not zero).
 */
export function bucketRows(starts: readonly string[], points: readonly Point[], now: Date): UsageChartRow[] {
  const byT = new Map(points.map((p) => [p.t, p.quantity]));
  return starts.map((t) => ({ t, usage: byT.get(t) ?? (new Date(t) <= now ? "0" : null), cumulative: null, projected: null }));
}

/**
 * Cumulative mode (the current period, daily): the running total through the end of each day up
 * to today, then the projection from the end of yesterday (where actual and projected meet) to
 * the end of the period — the running total plus each remaining day's projected usage.
 */
export function cumulativeRows(days: readonly string[], points: readonly Point[], projection: readonly DayQuantity[] | null, now: Date): UsageChartRow[] {
  const byDay = new Map(points.map((p) => [p.t.slice(0, 10), new BillingDecimal(p.quantity)]));
  const projectedByDay = new Map((projection ?? []).map((p) => [p.day, new BillingDecimal(p.quantity)]));
  const today = now.toISOString().slice(0, 10);
  const rows: UsageChartRow[] = [];
  let running: Decimal = new BillingDecimal(0);
  let projected: Decimal | null = null;
  for (const t of days) {
    const day = t.slice(0, 10);
    const past = day <= today;
    const q = byDay.get(day) ?? new BillingDecimal(0);
    if (past) running = running.plus(q);
    const row: UsageChartRow = { t, usage: past ? q.toFixed() : null, cumulative: past ? running.toFixed() : null, projected: null };
    if (projection && day >= today) {
      if (projected === null) {
        // The day before today anchors the dashed line on the actual one; today's actual
        // usage so far is part of the base.
        const prev = rows[rows.length - 1];
        if (prev) prev.projected = prev.cumulative;
        projected = running;
      }
      projected = projected.plus(projectedByDay.get(day) ?? 0);
      row.projected = projected.toFixed();
    }
    rows.push(row);
  }
  return rows;
}

/** "1,234.5" — exact (Intl formats the decimal string), rounded half-even to `digits` places. */
export function formatQuantity(value: string, digits = 2): string {
  const rounded = new BillingDecimal(value).toDecimalPlaces(digits).toFixed();
  const nf = new Intl.NumberFormat("en-US", { maximumFractionDigits: digits });
  return (nf.format as unknown as (v: string) => string)(rounded);
}

/** Bucket label in UTC: "Mar 3" for days, "Mar 3 14:00" for hours. */
export function bucketLabel(t: string, bucket: "hour" | "day"): string {
  const d = new Date(t);
  const day = d.toLocaleDateString("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
  return bucket === "day" ? day : `${day} ${t.slice(11, 16)}`;
}
