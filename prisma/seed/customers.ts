// Customer profiles: identity, subscription, the phases of plans in force and plan changes.
// Pure generation (no database); loadCustomers writes them.
import type { BulkLoader } from "./bulk";
import type { Catalog, CatalogVersion, PlanKey } from "./catalog";
import { CompanyNamer } from "./names";
import { changePreview, periodStart } from "./pricing-bridge";
import { createRng, type Rng } from "./prng";
import type { Staff } from "./reference";

export const DAY = 86_400_000;
export const startOfUtcDay = (t: number) => Math.floor(t / DAY) * DAY;
export const REGIONS = ["us-east", "us-west", "eu-central", "eu-west", "ap-southeast", "ap-northeast"] as const;

export type Phase = { id: string; version: CatalogVersion; start: Date; end: Date | null };
export type PlanChange = {
  id: string; from: CatalogVersion; to: CatalogVersion; timing: "immediate" | "period_end";
  effectiveAt: Date; status: "applied" | "scheduled"; createdAt: Date; requestedBy: Staff; preview: unknown;
};
export type CustomerProfile = {
  index: number; id: string; platformId: string; name: string; email: string; region: string;
  status: "active" | "trialing" | "past_due" | "suspended" | "churned"; currency: "USD" | "EUR";
  providerCustomerId: string; createdAt: Date; subscriptionId: string; providerSubscriptionId: string;
  anchor: Date; phases: Phase[]; changes: PlanChange[];
};

const LADDER: PlanKey[] = ["free", "starter", "pro", "team", "business", "enterprise"];

/** The period [start, end) of `anchor`'s monthly cycle containing instant t. */
export function periodAt(anchor: Date, t: number): { start: Date; end: Date } {
  const a = new Date(anchor);
  let k = (new Date(t).getUTCFullYear() - a.getUTCFullYear()) * 12 + (new Date(t).getUTCMonth() - a.getUTCMonth());
  while (periodStart(anchor, k).getTime() > t) k--;
  while (periodStart(anchor, k + 1).getTime() <= t) k++;
  return { start: periodStart(anchor, k), end: periodStart(anchor, k + 1) };
}

function nextPlan(rng: Rng, current: PlanKey, currency: string): { key: PlanKey; upgrade: boolean } {
  if (currency === "EUR") return current === "pro" ? { key: "team", upgrade: true } : { key: "pro", upgrade: false };
  if (current === "legacy_hobby") return rng.chance(0.85) ? { key: rng.pick(["starter", "pro"] as const), upgrade: true } : { key: "free", upgrade: false };
  const i = LADDER.indexOf(current);
  const up = i === 0 || (i < LADDER.length - 1 && rng.chance(0.75));
  if (up) return { key: LADDER[Math.min(LADDER.length - 1, i + (rng.chance(0.2) ? 2 : 1))]!, upgrade: true };
  return { key: LADDER[i - 1]!, upgrade: false };
}

export type Uniques = { platformIds: Set<string>; providerIds: Set<string>; namer: CompanyNamer };
export const newUniques = (): Uniques => ({ platformIds: new Set(), providerIds: new Set(), namer: new CompanyNamer() });

function unique(rng: Rng, set: Set<string>, make: () => string): string {
  let v = make();
  while (set.has(v)) v = make();
  set.add(v);
  return v;
}

export function generateCustomer(
  seed: number, index: number, now: Date, rangeStart: number, catalog: Catalog, staff: Staff[], u: Uniques,
  fixed: { planKey?: PlanKey; region?: string; currency?: "USD" | "EUR"; name?: string; email?: string; createdAt?: Date } = {},
): CustomerProfile {
  const rng = createRng(seed, "customer", index);
  const nowMs = now.getTime();
  const region = fixed.region ?? rng.weighted({ "us-east": 30, "us-west": 18, "eu-central": 16, "eu-west": 14, "ap-southeast": 12, "ap-northeast": 10 });
  const currency = fixed.currency ?? (region.startsWith("eu") && rng.chance(0.12) ? "EUR" : "USD");
  const status = rng.weighted({ active: 86, trialing: 4, past_due: 5, suspended: 2, churned: 3 });
  let plan: PlanKey = fixed.planKey ?? (currency === "EUR" ? (rng.chance(0.65) ? "pro" : "team")
    : status === "trialing" ? rng.pick(["starter", "pro", "team"] as const)
    : rng.weighted({ free: 34, starter: 28, pro: 18, team: 10, business: 5, enterprise: 1.5, legacy_hobby: 3.5 }));
  const ageDays = plan === "legacy_hobby" || plan === "enterprise" ? rng.int(400, 730) : status === "trialing" ? rng.int(2, 14) : rng.int(2, 730);
  const createdAt = fixed.createdAt ?? new Date(startOfUtcDay(nowMs - ageDays * DAY) + rng.int(0, DAY / 1000 - 1) * 1000);
  const start = new Date(startOfUtcDay(createdAt.getTime()) + DAY); // next UTC midnight: the billing anchor
  const named = u.namer.next(rng);
  const p: CustomerProfile = {
    index, id: rng.uuid(), name: fixed.name ?? named.name, email: fixed.email ?? named.email, region, status, currency,
    platformId: unique(rng, u.platformIds, () => `acct_${rng.base36(8)}`),
    providerCustomerId: unique(rng, u.providerIds, () => `sbx_cus_${rng.base36(10)}`),
    createdAt, subscriptionId: rng.uuid(), providerSubscriptionId: `sbx_sub_${rng.base36(10)}`,
    anchor: start, phases: [], changes: [],
  };
  let version = catalog.version(plan, currency);
  let phaseStart = start;
  // Plan changes within the seeded range, at least a week after the start.
  const winFrom = Math.max(rangeStart, start.getTime() + 7 * DAY);
  const winTo = nowMs - DAY;
  const nChanges = fixed.planKey ? 0 : rng.chance(0.15) ? (rng.chance(0.75) ? 1 : 2) : rng.chance(0.01) ? -1 : 0;
  let from = winFrom;
  for (let c = 0; c < Math.abs(nChanges) && winTo - from > 3 * DAY; c++) {
    const scheduledOnly = nChanges < 0;
    const t = scheduledOnly ? nowMs : from + rng.next() * (winTo - from) / (nChanges - c);
    const target = nextPlan(rng, plan, currency);
    const timing = scheduledOnly || !(target.upgrade ? rng.chance(0.7) : rng.chance(0.2)) ? "period_end" : "immediate";
    const eff = timing === "immediate" ? new Date(startOfUtcDay(t)) : periodAt(start, t).end;
    const to = catalog.version(target.key, currency);
    const createdMs = timing === "immediate" ? Math.max(start.getTime(), eff.getTime() - rng.int(1, 48) * 3_600_000) : startOfUtcDay(t) + rng.int(8, 20) * 3_600_000;
    const period = periodAt(start, eff.getTime());
    const preview = timing === "immediate" && eff.getTime() > period.start.getTime()
      ? changePreview(period, eff, version, to) : { timing, effectiveAt: eff.toISOString(), lines: [] };
    const status = eff.getTime() > nowMs ? "scheduled" : "applied";
    p.changes.push({
      id: rng.uuid(), from: version, to, timing, effectiveAt: eff, status, preview,
      createdAt: new Date(Math.min(createdMs, nowMs - 3_600_000)),
      requestedBy: rng.pick(staff.filter((s) => ["support_lead", "finance", "finance_admin", "admin"].includes(s.role))),
    });
    if (status === "scheduled") break;
    p.phases.push({ id: rng.uuid(), version, start: phaseStart, end: eff });
    phaseStart = eff;
    version = to;
    plan = target.key;
    from = eff.getTime() + 7 * DAY;
  }
  p.phases.push({ id: rng.uuid(), version, start: phaseStart, end: null });
  return p;
}

export async function loadCustomer(bulk: BulkLoader, p: CustomerProfile): Promise<void> {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  await bulk.add("customers", [p.id, p.platformId, p.name, p.email, p.region, p.status, "sandbox", p.providerCustomerId, p.currency, iso(p.createdAt)]);
  await bulk.add("subscriptions", [p.subscriptionId, p.id, "active", iso(p.anchor), iso(p.anchor), null, p.providerSubscriptionId]);
  for (const ph of p.phases) await bulk.add("subscription_phases", [ph.id, p.subscriptionId, ph.version.id, iso(ph.start), iso(ph.end)]);
  for (const c of p.changes) {
    await bulk.add("subscription_changes", [
      c.id, p.subscriptionId, c.from.id, c.to.id, c.timing, iso(c.effectiveAt), c.status, JSON.stringify(c.preview),
      c.requestedBy.id, `seed-change-${c.id.slice(0, 8)}-${p.index}`, iso(c.createdAt), c.status === "applied" ? iso(c.effectiveAt) : null,
    ]);
  }
}
