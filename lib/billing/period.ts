/**
 * Billing periods are half-open UTC intervals [start, end): an instant equal to
 * `end` belongs to the next period, so consecutive periods tile time with no
 * gap and no overlap, and usage at exactly midnight is counted once.
 * Time zones are for display only; nothing here reads the server's zone.
 */
export type Period = { start: Date; end: Date };

const MS_PER_DAY = 86_400_000;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function assertValidDate(d: Date, what: string): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError(`${what} is not a valid date`);
}

export function assertValidPeriod(p: Period): void {
  assertValidDate(p.start, "period start");
  assertValidDate(p.end, "period end");
  if (p.end.getTime() <= p.start.getTime()) throw new RangeError("period end must be after its start");
}

function daysInUtcMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/**
 * Start of the k-th monthly period after `anchor` (k may be negative).
 * Always computed from the anchor, never from the previous period, so an
 * anchor on the 31st gives Feb 28/29 and then Mar 31 again rather than
 * drifting to the 28th for ever. The anchor's UTC time of day is kept.
 */
export function monthlyPeriodStart(anchor: Date, k: number): Date {
  assertValidDate(anchor, "anchor");
  const total = anchor.getUTCFullYear() * 12 + anchor.getUTCMonth() + k;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const day = Math.min(anchor.getUTCDate(), daysInUtcMonth(year, month));
  const d = new Date(0);
  d.setUTCFullYear(year, month, day); // setUTCFullYear: years 0–99 are not remapped to 19xx
  d.setUTCHours(anchor.getUTCHours(), anchor.getUTCMinutes(), anchor.getUTCSeconds(), anchor.getUTCMilliseconds());
  return d;
}

/**
 * The monthly billing period containing `at`, for a subscription anchored at
 * `anchor` (its start). Instants before the anchor get the periods that would
 * precede it, which keeps the function total; callers decide whether that means anything.
 */
export function billingPeriodContaining(anchor: Date, at: Date): Period {
  assertValidDate(at, "at");
  let k =
    (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
  // The month difference is right or one too high (at before this month's anchor day/time).
  while (monthlyPeriodStart(anchor, k).getTime() > at.getTime()) k -= 1;
  while (monthlyPeriodStart(anchor, k + 1).getTime() <= at.getTime()) k += 1;
  return { start: monthlyPeriodStart(anchor, k), end: monthlyPeriodStart(anchor, k + 1) };
}

/** The period after `p`; needs the anchor because month lengths vary. */
export function nextPeriod(anchor: Date, p: Period): Period {
  return billingPeriodContaining(anchor, p.end);
}

export function previousPeriod(anchor: Date, p: Period): Period {
  return billingPeriodContaining(anchor, new Date(p.start.getTime() - 1));
}

/** Length in seconds (fractional at millisecond resolution). */
export function periodSeconds(p: Period): number {
  assertValidPeriod(p);
  return (p.end.getTime() - p.start.getTime()) / 1000;
}

export function contains(p: Period, at: Date): boolean {
  return at.getTime() >= p.start.getTime() && at.getTime() < p.end.getTime();
}

/** Intersection of two half-open periods, or null when they do not share an instant. */
export function overlap(a: Period, b: Period): Period | null {
  const start = Math.max(a.start.getTime(), b.start.getTime());
  const end = Math.min(a.end.getTime(), b.end.getTime());
  return end > start ? { start: new Date(start), end: new Date(end) } : null;
}

function utcDayLabel(d: Date, withYear: boolean): string {
  const base = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  return withYear ? `${base}, ${d.getUTCFullYear()}` : base;
}

/**
 * "Nov 1 – Nov 30" for [Nov 1, Dec 1): the end is shown as the last instant
 * inside the period (end − 1 ms), because that is the last day a customer is
 * billed for. Dates are UTC: the period boundaries are UTC instants.
 */
export function formatPeriodLabel(p: Period, opts: { withYear?: boolean } = {}): string {
  assertValidPeriod(p);
  const last = new Date(p.end.getTime() - 1);
  return `${utcDayLabel(p.start, opts.withYear ?? false)} – ${utcDayLabel(last, opts.withYear ?? false)}`;
}

/** "2024-11-05": the UTC day key used for daily usage rollups. */
export function utcDayKey(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** UTC day keys of every day that shares at least one instant with `p`. */
export function utcDaysInPeriod(p: Period): string[] {
  assertValidPeriod(p);
  const days: string[] = [];
  const first = Math.floor(p.start.getTime() / MS_PER_DAY) * MS_PER_DAY;
  for (let t = first; t < p.end.getTime(); t += MS_PER_DAY) days.push(utcDayKey(new Date(t)));
  return days;
}
