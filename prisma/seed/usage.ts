// Usage rollups for one customer: daily values for every seeded day, hourly values for the
// last 14 UTC days (whose daily value is the sum of its hours, exactly, in micro-units).
import type { BulkLoader } from "./bulk";
import { METER_KEYS, type Catalog, type PlanKey } from "./catalog";
import { DAY, startOfUtcDay, type CustomerProfile } from "./customers";
import { createRng } from "./prng";

export const HOURLY_DAYS = 14;
const HOUR = 3_600_000;
const YEAR = 365 * DAY;

/** Typical monthly quantity per plan, METERS order. */
const TYPICAL: Record<PlanKey, number[]> = {
  free: [300, 0, 0, 40, 300, 3, 1, 0.3],
  starter: [900, 100, 0, 250, 1800, 20, 3, 2],
  pro: [1800, 300, 50, 1000, 6000, 100, 9, 10],
  team: [4000, 700, 150, 2500, 14000, 300, 22, 30],
  business: [12000, 2500, 600, 12000, 50000, 1200, 90, 110],
  enterprise: [30000, 7000, 2500, 60000, 160000, 5000, 450, 520],
  legacy_hobby: [500, 0, 0, 80, 600, 8, 1, 0.5],
};
/** Probability that a customer on the plan uses the meter (nested as plans grow). */
const USE_PROB: Record<PlanKey, number[]> = {
  free: [1, 0, 0, 1, 0.7, 0.3, 1, 0.3],
  starter: [1, 0.3, 0, 1, 0.85, 0.7, 1, 0.5],
  pro: [1, 0.8, 0.3, 1, 0.95, 0.9, 1, 0.7],
  team: [1, 0.95, 0.7, 1, 1, 1, 1, 0.85],
  business: [1, 1, 0.9, 1, 1, 1, 1, 0.95],
  enterprise: [1, 1, 1, 1, 1, 1, 1, 1],
  legacy_hobby: [1, 0, 0, 1, 0.6, 0.5, 1, 0.2],
};
const GAUGE = [false, false, false, false, false, true, true, false]; // disk, seats: level per month
const WEEKEND = [0.85, 0.85, 0.85, 0.75, 0.3, 1, 1, 0.7];
const DIURNAL_AMP = [0.35, 0.35, 0.35, 0.5, 0.9, 0, 0, 0.5];
const UTC_OFFSET: Record<string, number> = { "us-east": -5, "us-west": -8, "eu-central": 1, "eu-west": 0, "ap-southeast": 8, "ap-northeast": 9 };

export type UsageContext = { seed: number; now: Date; days: number; catalog: Catalog };
/** micro[day * 8 + meter] in millionths of a unit; -1 = no row. Day 0 = first seeded day. */
export type CustomerUsage = { firstDay: number; micro: Float64Array };

const daysInMonth = (t: number) => { const d = new Date(t); return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(); };
const fmt = (micro: number) => (micro / 1e6).toFixed(6);

export function rangeStartDay(now: Date, days: number): number {
  return startOfUtcDay(now.getTime()) - (days - 1) * DAY;
}

export async function generateUsage(bulk: BulkLoader | null, p: CustomerProfile, ctx: UsageContext): Promise<CustomerUsage> {
  const rng = createRng(ctx.seed, "usage", p.index);
  const nowMs = ctx.now.getTime();
  const first = rangeStartDay(ctx.now, ctx.days);
  const hourlyFrom = startOfUtcDay(nowMs) - (HOURLY_DAYS - 1) * DAY;
  const micro = new Float64Array(ctx.days * 8).fill(-1);
  const propensity = METER_KEYS.map(() => rng.next());
  const scale = rng.logNormal(-0.1, 0.7);
  const jitter = METER_KEYS.map(() => rng.logNormal(0, 0.3));
  const growth = 0.25 + 0.3 * rng.normal();
  const offset = UTC_OFFSET[p.region] ?? 0;
  const noData = new Set<number>();
  if (rng.chance(0.08)) {
    const at = rng.int(0, Math.max(0, ctx.days - 4));
    for (let k = rng.int(1, 3); k > 0; k--) noData.add(at + k - 1);
  }
  const spikes = new Map<number, { factor: number; meters: number[] }>();
  if (rng.chance(0.25)) {
    for (let e = rng.int(1, 3); e > 0; e--) {
      const at = rng.int(0, ctx.days - 1);
      const spike = { factor: 5 + 5 * rng.next(), meters: [rng.pick([0, 1, 3, 4, 7])] };
      for (let k = rng.int(1, 3); k > 0; k--) spikes.set(at + k - 1, spike);
    }
  }
  // Churned and suspended customers stop sending usage some time before now.
  const stopAt = p.status === "churned" ? startOfUtcDay(nowMs) - rng.int(5, 40) * DAY
    : p.status === "suspended" ? startOfUtcDay(nowMs) - rng.int(1, 10) * DAY : Infinity;
  const startMs = Math.max(first, p.anchor.getTime());
  const hourlyParts: string[][] = METER_KEYS.map(() => []);
  const dailyParts: string[][] = METER_KEYS.map(() => []);
  let phase = 0;
  const firstDay = Math.max(0, Math.round((startMs - first) / DAY));

  for (let d = firstDay; d < ctx.days; d++) {
    const dayMs = first + d * DAY;
    while (p.phases[phase]!.end && p.phases[phase]!.end!.getTime() <= dayMs) phase++;
    const plan = p.phases[phase]!.version.planKey;
    const weekday = new Date(dayMs).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    const grow = Math.exp(growth * (dayMs - nowMs) / YEAR);
    const hourly = dayMs >= hourlyFrom;
    const hours = hourly ? Math.min(24, Math.ceil((nowMs - dayMs) / HOUR)) : 24;
    const silent = noData.has(d) || dayMs >= stopAt || hours <= 0;
    const dim = daysInMonth(dayMs);
    for (let m = 0; m < 8; m++) {
      const used = propensity[m]! < USE_PROB[plan][m]! && TYPICAL[plan][m]! > 0;
      let q = -1;
      if (used && !silent) {
        let perDay: number;
        if (GAUGE[m]) {
          const level = m === 6 ? Math.max(1, Math.round(TYPICAL[plan][m]! * scale * grow)) : TYPICAL[plan][m]! * scale * jitter[m]! * grow;
          perDay = level / dim;
        } else {
          const spike = spikes.get(d);
          perDay = (TYPICAL[plan][m]! / 30) * scale * jitter[m]! * grow * (weekend ? WEEKEND[m]! : 1)
            * rng.logNormal(0, 0.15) * (spike && spike.meters.includes(m) ? spike.factor : 1);
        }
        if (hourly) {
          // Spread over the day's hours with a diurnal curve in the region's local time.
          const w: number[] = [];
          let wsum = 0;
          for (let h = 0; h < 24; h++) {
            const local = (h + offset + 24) % 24;
            const x = Math.max(0.05, 1 + DIURNAL_AMP[m]! * Math.cos((2 * Math.PI * (local - 14)) / 24)) * (GAUGE[m] ? 1 : 0.85 + 0.3 * rng.next());
            w.push(x);
            wsum += x;
          }
          q = 0;
          for (let h = 0; h < 24; h++) {
            const v = h < hours ? Math.round((perDay * w[h]!) / wsum * 1e6) : -1;
            if (v >= 0) q += v;
            hourlyParts[m]!.push(v >= 0 ? fmt(v) : "");
          }
        } else q = Math.round(perDay * 1e6);
      } else if (hourly) for (let h = 0; h < 24; h++) hourlyParts[m]!.push("");
      micro[d * 8 + m] = q;
      dailyParts[m]!.push(q >= 0 ? fmt(q) : "");
    }
  }
  if (bulk) {
    const firstIso = new Date(first + firstDay * DAY).toISOString().slice(0, 10);
    const hourlyIso = new Date(Math.max(hourlyFrom, first + firstDay * DAY)).toISOString();
    for (let m = 0; m < 8; m++) {
      const meterId = ctx.catalog.meters[m]!.id;
      const daily = dailyParts[m]!;
      const rows = daily.reduce((n, s) => n + (s ? 1 : 0), 0);
      if (rows > 0) await bulk.add("usage_daily", [p.id, meterId, firstIso, daily.join(",")], rows);
      const hourly = hourlyParts[m]!;
      const hrows = hourly.reduce((n, s) => n + (s ? 1 : 0), 0);
      if (hrows > 0) await bulk.add("usage_hourly", [p.id, meterId, hourlyIso, hourly.join(",")], hrows);
    }
  }
  return { firstDay, micro };
}

/** Sum of daily usage per meter key over days whose UTC midnight lies in [from, to). */
export function sumUsage(u: CustomerUsage, ctx: UsageContext, from: number, to: number): Record<string, string> {
  const first = rangeStartDay(ctx.now, ctx.days);
  const a = Math.max(0, Math.ceil((from - first) / DAY));
  const b = Math.min(ctx.days, Math.ceil((to - first) / DAY));
  const out: Record<string, string> = {};
  for (let m = 0; m < 8; m++) {
    let s = 0;
    let any = false;
    for (let d = a; d < b; d++) {
      const v = u.micro[d * 8 + m]!;
      if (v >= 0) { s += v; any = true; }
    }
    if (any) out[METER_KEYS[m]!] = fmt(s);
  }
  return out;
}
