import { defineRule } from "./anomaly-rule";
import { BillingDecimal, toNonNegativeDecimal, type Decimal } from "./decimal";
import { utcDaysInPeriod, type Period } from "./period";

const MS_PER_DAY = 86_400_000;

/**
 * Complete UTC days of the period before `asOf` that have no usage data, for
 * a customer whose history shows data on at least `minUsualCoverage` of days
 * (a customer who is often idle is not flagged). The day containing `asOf` is
 * still being ingested and is not judged.
 */
export const missingUsageDays = defineRule<
  { period: Period; asOf: Date; daysWithData: string[]; history: { days: number; daysWithData: number } },
  { minUsualCoverage: string; minMissingDays: number; minHistoryDays: number },
  { missingDays: string[]; usualCoverage: string }
>({
  code: "missing_usage_days",
  title: "Days with no usage data",
  explain: (p) =>
    `At least ${p.minMissingDays} day(s) of the period have no usage data, while the customer had data on at least ` +
    `${p.minUsualCoverage} of days over the last ${p.minHistoryDays}+ days.`,
  evaluate({ period, asOf, daysWithData, history }, p) {
    if (history.days < p.minHistoryDays || history.days <= 0) return null;
    const coverage = new BillingDecimal(history.daysWithData).div(history.days);
    if (coverage.lt(toNonNegativeDecimal(p.minUsualCoverage, "minUsualCoverage"))) return null;
    const cutoff = Math.min(period.end.getTime(), Math.floor(asOf.getTime() / MS_PER_DAY) * MS_PER_DAY);
    if (cutoff <= period.start.getTime()) return null;
    const seen = new Set(daysWithData);
    const missingDays = utcDaysInPeriod({ start: period.start, end: new Date(cutoff) }).filter((d) => !seen.has(d));
    if (missingDays.length < Math.max(1, p.minMissingDays)) return null;
    const usualCoverage = coverage.toDecimalPlaces(4).toString();
    return { message: `No usage data on ${missingDays.join(", ")}.`, details: { missingDays, usualCoverage } };
  },
});

function median(values: Decimal[]): Decimal {
  const sorted = [...values].sort((a, b) => a.comparedTo(b));
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : sorted[mid - 1]!.plus(sorted[mid]!).div(2);
}

/**
 * A day whose usage is above `multiplier` × the median of the previous
 * `trailingDays` days present in the series (days absent from the series are
 * unknown, not zero — missingUsageDays judges those), once at least
 * `minHistoryDays` days precede it. `minQuantity` keeps near-zero meters quiet
 * (the median of an idle meter is 0, and 0 × k is nothing to beat).
 */
export const usageSpike = defineRule<
  { meterKey: string; daily: { day: string; quantity: string }[] },
  { multiplier: string; trailingDays: number; minHistoryDays: number; minQuantity: string },
  { spikes: { day: string; quantity: string; trailingMedian: string }[] }
>({
  code: "usage_spike",
  title: "Usage spike",
  explain: (p) =>
    `A day's usage is above ${p.multiplier}× the median of the previous ${p.trailingDays} days ` +
    `(and above ${p.minQuantity}).`,
  evaluate({ meterKey, daily }, p) {
    const k = toNonNegativeDecimal(p.multiplier, "multiplier");
    const min = toNonNegativeDecimal(p.minQuantity, "minQuantity");
    const series = [...daily]
      .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))
      .map((d) => ({ day: d.day, q: toNonNegativeDecimal(d.quantity, `usage on ${d.day}`) }));
    const spikes: { day: string; quantity: string; trailingMedian: string }[] = [];
    series.forEach((d, i) => {
      if (i < Math.max(1, p.minHistoryDays)) return;
      const window = series.slice(Math.max(0, i - p.trailingDays), i).map((x) => x.q);
      const med = median(window);
      if (d.q.gt(min) && d.q.gt(k.times(med))) {
        spikes.push({ day: d.day, quantity: d.q.toString(), trailingMedian: med.toString() });
      }
    });
    if (spikes.length === 0) return null;
    return { message: `${meterKey} spiked on ${spikes.map((s) => s.day).join(", ")}.`, details: { spikes } };
  },
});

export type ComparableLine = { kind: string; meterKey?: string; description?: string; amountMinor: bigint };
export type ComparablePreview = { currency: string; lines: ComparableLine[]; totalMinor: bigint };
export type LineDelta = { key: string; oursMinor: bigint; theirsMinor: bigint; deltaMinor: bigint };

/** Lines are matched by kind and meter (several lines with one key are summed: providers split differently). */
const lineKey = (l: ComparableLine) => (l.meterKey ? `${l.kind}:${l.meterKey}` : l.kind);

/**
 * Shadow billing: the provider's preview against Meterdesk's own. Agreement to
 * the cent is normal, so any difference above `toleranceMinor` (0 by default
 * in settings) fires. Delta = theirs − ours, per line key and for the total.
 */
export const shadowMismatch = defineRule<
  { ours: ComparablePreview; theirs: ComparablePreview },
  { toleranceMinor: bigint },
  { currencyMismatch: boolean; deltas: LineDelta[] }
>({
  code: "shadow_mismatch",
  title: "Provider preview differs from Meterdesk's",
  explain: (p) => `Any line or the total differs by more than ${p.toleranceMinor} minor units.`,
  evaluate({ ours, theirs }, p) {
    if (ours.currency !== theirs.currency) {
      return { message: `Currencies differ: ${ours.currency} vs ${theirs.currency}.`, details: { currencyMismatch: true, deltas: [] } };
    }
    const sums = new Map<string, { ours: bigint; theirs: bigint }>();
    const zero = BigInt(0);
    for (const [side, lines] of [["ours", ours.lines], ["theirs", theirs.lines]] as const) {
      for (const l of lines) {
        const s = sums.get(lineKey(l)) ?? { ours: zero, theirs: zero };
        s[side] += l.amountMinor;
        sums.set(lineKey(l), s);
      }
    }
    sums.set("total", { ours: ours.totalMinor, theirs: theirs.totalMinor });
    const abs = (v: bigint) => (v < zero ? -v : v);
    const deltas = [...sums.entries()]
      .map(([key, s]) => ({ key, oursMinor: s.ours, theirsMinor: s.theirs, deltaMinor: s.theirs - s.ours }))
      .filter((d) => abs(d.deltaMinor) > p.toleranceMinor)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (deltas.length === 0) return null;
    return { message: `${deltas.length} difference(s): ${deltas.map((d) => d.key).join(", ")}.`, details: { currencyMismatch: false, deltas } };
  },
});
