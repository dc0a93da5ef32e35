// Reconciliation: Meterdesk's usage (usage_daily) against the billing provider's copy, per
// customer, meter and UTC day over a range. The list reads both sides in one query each (the
// provider's optional getUsageBatch; the sandbox answers it from sandbox_usage_daily) and never
// calls the provider once per customer. Differences are priced by money impact:
//
//   impact = cost of that meter's usage line for the billing period with Meterdesk's usage
//          − the same with the provider's quantities on the differing days,
//
// each priced by previewFor (the plan(s) in force, allowance and tiers, rounded once per line as on
// the invoice). Positive: the provider would bill less than Meterdesk's usage says (revenue at
// risk); negative: it would bill more (the customer would be over-charged).
// No "server-only" or next/*: the re-sync service and tests use it outside Next.
import { BillingDecimal, utcDayKey } from "@/lib/billing";
import type { BillingProvider } from "@/lib/providers/types";
import { loadCustomerBilling, platformUsageDays, previewFor } from "../billing/customer-billing";
import type { Db } from "../db/client";
import { parseUtcDay } from "./usage";

const DAY = 86_400_000;
export const MAX_RECON_DAYS = 93;
/** Customers priced per list (largest quantity differences first); the rest show "not priced". */
export const MAX_PRICED_CUSTOMERS = 200;

export type ReconRange = { from: string; to: string; start: Date; end: Date };
export type ReconRangeResult = { range: ReconRange; error: { message: string; fieldErrors: Record<string, string> } | null };

/** Default: the current calendar month to date (UTC). */
export function parseReconRange(input: { from?: string; to?: string }, now: Date): ReconRangeResult {
  const today = new Date(Math.floor(now.getTime() / DAY) * DAY);
  const monthStart = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
  const fieldErrors: Record<string, string> = {};
  let start = input.from ? parseUtcDay(input.from) : monthStart;
  let last = input.to ? parseUtcDay(input.to) : today;
  if (!start) fieldErrors.from = "Enter the start date as YYYY-MM-DD.";
  if (!last) fieldErrors.to = "Enter the end date as YYYY-MM-DD.";
  if (start && last && last < start) fieldErrors.to = "The end date is before the start date.";
  else if (start && last && (last.getTime() - start.getTime()) / DAY + 1 > MAX_RECON_DAYS) fieldErrors.to = `Choose at most ${MAX_RECON_DAYS} days.`;
  const bad = Object.keys(fieldErrors).length > 0;
  if (bad || !start || !last) {
    start = monthStart;
    last = today;
  }
  return {
    range: { from: utcDayKey(start), to: utcDayKey(last), start, end: new Date(last.getTime() + DAY) },
    error: bad ? { message: `This range cannot be compared: ${Object.values(fieldErrors).join(" ")} Showing this month instead.`, fieldErrors } : null,
  };
}

export type DayDiff = { meterKey: string; day: string; platform: string; provider: string | null; difference: string };
export type Discrepancy = {
  customerId: string; customerName: string; platformId: string; providerCustomerId: string; currency: string;
  meterKey: string; meterName: string; unit: string;
  days: DayDiff[]; platformTotal: string; providerTotal: string; difference: string;
  /** Minor units (string), null when it could not be priced (no active subscription, or beyond the pricing cap). */
  impactMinor: string | null;
};

type CustomerRow = { id: string; name: string; platform_id: string; provider_customer_id: string; currency: string };

const d = (s: string | null) => new BillingDecimal(s ?? "0");
const plain = (x: InstanceType<typeof BillingDecimal>) => x.toFixed();

function diffDays(platform: Map<string, string>, provider: Map<string, string>): Array<{ key: string; platform: string; provider: string | null; difference: string }> {
  const out = [];
  for (const key of new Set([...platform.keys(), ...provider.keys()])) {
    const p = platform.get(key) ?? "0";
    const v = provider.get(key) ?? null;
    const diff = d(p).minus(d(v));
    if (!diff.isZero()) out.push({ key, platform: plain(d(p)), provider: v === null ? null : plain(d(v)), difference: plain(diff) });
  }
  return out;
}

async function customersOf(db: Db, kind: string, customerId?: string): Promise<CustomerRow[]> {
  return db.$queryRaw<CustomerRow[]>`
    SELECT id::text, name, platform_id, provider_customer_id, currency FROM customers
     WHERE provider::text = ${kind} AND provider_customer_id IS NOT NULL AND (${customerId ?? null}::uuid IS NULL OR id = ${customerId ?? null}::uuid)`;
}

async function platformRows(db: Db, range: ReconRange, customerId?: string) {
  return db.$queryRaw<Array<{ customer_id: string; meter_key: string; day: string; quantity: string }>>`
    SELECT d.customer_id::text, m.key AS meter_key, to_char(d.day, 'YYYY-MM-DD') AS day, d.quantity::text AS quantity
      FROM usage_daily d JOIN meters m ON m.id = d.meter_id
     WHERE d.day >= ${range.from}::date AND d.day < ${utcDayKey(range.end)}::date
       AND (${customerId ?? null}::uuid IS NULL OR d.customer_id = ${customerId ?? null}::uuid)`;
}

/** Groups day differences per (customer, meter) and prices them. */
async function assemble(db: Db, customers: Map<string, CustomerRow>, diffs: Array<{ customerId: string; meterKey: string; day: string; platform: string; provider: string | null; difference: string }>, opts: { price: boolean }): Promise<Discrepancy[]> {
  const meters = new Map((await db.$queryRaw<Array<{ key: string; name: string; unit: string }>>`SELECT key, name, unit FROM meters`).map((m) => [m.key, m]));
  const groups = new Map<string, Discrepancy>();
  for (const x of diffs) {
    const c = customers.get(x.customerId)!;
    const k = `${x.customerId}|${x.meterKey}`;
    const g = groups.get(k) ?? {
      customerId: c.id, customerName: c.name, platformId: c.platform_id, providerCustomerId: c.provider_customer_id, currency: c.currency,
      meterKey: x.meterKey, meterName: meters.get(x.meterKey)?.name ?? x.meterKey, unit: meters.get(x.meterKey)?.unit ?? "",
      days: [], platformTotal: "0", providerTotal: "0", difference: "0", impactMinor: null,
    };
    g.days.push({ meterKey: x.meterKey, day: x.day, platform: x.platform, provider: x.provider, difference: x.difference });
    g.platformTotal = plain(d(g.platformTotal).plus(d(x.platform)));
    g.providerTotal = plain(d(g.providerTotal).plus(d(x.provider)));
    g.difference = plain(d(g.difference).plus(d(x.difference)));
    groups.set(k, g);
  }
  const list = [...groups.values()];
  for (const g of list) g.days.sort((a, b) => a.day.localeCompare(b.day));
  if (opts.price) {
    const byCustomer = new Map<string, Discrepancy[]>();
    for (const g of list) byCustomer.set(g.customerId, [...(byCustomer.get(g.customerId) ?? []), g]);
    const ranked = [...byCustomer.entries()]
      .sort(([, a], [, b]) => d(b.reduce((s, g) => s + Math.abs(Number(g.difference)), 0).toString()).comparedTo(d(a.reduce((s, g) => s + Math.abs(Number(g.difference)), 0).toString())))
      .slice(0, MAX_PRICED_CUSTOMERS);
    for (const [customerId, groupsOf] of ranked) await priceCustomer(db, customerId, groupsOf);
  }
  const abs = (m: string | null) => (m === null ? -1n : BigInt(m) < 0n ? -BigInt(m) : BigInt(m));
  return list.sort((a, b) => {
    const x = abs(a.impactMinor), y = abs(b.impactMinor);
    if (x !== y) return x > y ? -1 : 1;
    return d(b.difference).abs().comparedTo(d(a.difference).abs()) || a.customerName.localeCompare(b.customerName);
  });
}

/** Impact per (customer, meter): per billing period touched, line cost with Meterdesk's usage minus with the provider's. */
async function priceCustomer(db: Db, customerId: string, groups: Discrepancy[]): Promise<void> {
  const periods = new Map<string, { at: Date; days: DayDiff[] }>();
  for (const g of groups) {
    for (const day of g.days) {
      const at = new Date(`${day.day}T12:00:00.000Z`);
      const billing = await loadCustomerBilling(db, customerId, at);
      if (!billing) continue;
      const key = billing.period.start.toISOString();
      const entry = periods.get(key) ?? { at, days: [] };
      entry.days.push(day);
      periods.set(key, entry);
    }
  }
  const impact = new Map<string, bigint>();
  for (const { at, days } of periods.values()) {
    const billing = (await loadCustomerBilling(db, customerId, at))!;
    const usage = await platformUsageDays(db, customerId, billing.period);
    const changed = new Map(days.map((x) => [`${x.meterKey}|${x.day}`, x.provider]));
    const theirs = usage.flatMap((u) => {
      const k = `${u.meterKey}|${u.day}`;
      if (!changed.has(k)) return [u];
      const q = changed.get(k)!;
      changed.delete(k);
      return q === null ? [] : [{ ...u, quantity: q }];
    });
    for (const [k, q] of changed) if (q !== null) theirs.push({ meterKey: k.split("|")[0]!, day: k.split("|")[1]!, quantity: q });
    const ours = previewFor(billing, usage, [], billing.period.start);
    const provider = previewFor(billing, theirs, [], billing.period.start);
    const lineCost = (lines: typeof ours.lines, meter: string) => lines.filter((l) => l.kind === "usage" && l.meterKey === meter).reduce((s, l) => s + l.amountMinor, 0n);
    for (const meter of new Set(days.map((x) => x.meterKey))) impact.set(meter, (impact.get(meter) ?? 0n) + lineCost(ours.lines, meter) - lineCost(provider.lines, meter));
  }
  for (const g of groups) if (impact.has(g.meterKey)) g.impactMinor = impact.get(g.meterKey)!.toString();
}

export type ReconList = { comparable: boolean; providerKind: string; customersCompared: number; discrepancies: Discrepancy[] };

/** Every customer of the configured provider: one query per side, compared in memory by (customer, meter, day). */
export async function listDiscrepancies(db: Db, provider: BillingProvider, range: ReconRange, opts: { price?: boolean } = {}): Promise<ReconList> {
  const customers = new Map((await customersOf(db, provider.kind)).map((c) => [c.id, c]));
  if (!provider.getUsageBatch) return { comparable: false, providerKind: provider.kind, customersCompared: customers.size, discrepancies: [] };
  const [ours, theirs] = await Promise.all([platformRows(db, range), provider.getUsageBatch(range)]);
  const byProviderId = new Map([...customers.values()].map((c) => [c.provider_customer_id, c.id]));
  const platform = new Map<string, string>();
  for (const r of ours) if (customers.has(r.customer_id)) platform.set(`${r.customer_id}|${r.meter_key}|${r.day}`, r.quantity);
  const providerMap = new Map<string, string>();
  for (const r of theirs) {
    const id = byProviderId.get(r.providerCustomerId);
    if (id) providerMap.set(`${id}|${r.meterKey}|${r.day}`, r.quantity);
  }
  const diffs = diffDays(platform, providerMap).map((x) => {
    const [customerId, meterKey, day] = x.key.split("|") as [string, string, string];
    return { customerId, meterKey, day, platform: x.platform, provider: x.provider, difference: x.difference };
  });
  return { comparable: true, providerKind: provider.kind, customersCompared: customers.size, discrepancies: await assemble(db, customers, diffs, { price: opts.price ?? true }) };
}

export type CustomerRecon = { customer: { id: string; name: string; platformId: string; currency: string } | null; providerKind: string; discrepancies: Discrepancy[]; daysCompared: number };

/** One customer, through the provider's standard getUsage (the drill-down and the re-sync). */
export async function customerDiscrepancies(db: Db, provider: BillingProvider, customerId: string, range: ReconRange): Promise<CustomerRecon> {
  const [c] = await customersOf(db, provider.kind, customerId);
  if (!c) return { customer: null, providerKind: provider.kind, discrepancies: [], daysCompared: 0 };
  const [ours, theirs] = await Promise.all([
    platformRows(db, range, customerId),
    provider.getUsage({ customerId, providerCustomerId: c.provider_customer_id }, range),
  ]);
  const platform = new Map(ours.map((r) => [`${r.meter_key}|${r.day}`, r.quantity]));
  const providerMap = new Map(theirs.map((r) => [`${r.meterKey}|${r.day}`, r.quantity]));
  const diffs = diffDays(platform, providerMap).map((x) => {
    const [meterKey, day] = x.key.split("|") as [string, string];
    return { customerId, meterKey, day, platform: x.platform, provider: x.provider, difference: x.difference };
  });
  return {
    customer: { id: c.id, name: c.name, platformId: c.platform_id, currency: c.currency },
    providerKind: provider.kind,
    discrepancies: await assemble(db, new Map([[c.id, c]]), diffs, { price: true }),
    daysCompared: new Set([...platform.keys(), ...providerMap.keys()]).size,
  };
}

export type ResyncProgress = { subjectId: string; createdAt: string; total: number; succeeded: number; failed: number; pending: number; lastError: string | null };

/** Re-syncs of a customer (newest first) and how far their outbox operations have got. */
export async function resyncProgress(db: Db, customerId: string): Promise<ResyncProgress[]> {
  const rows = await db.$queryRaw<Array<{ subject_id: string; created_at: Date; total: number; succeeded: number; failed: number; last_error: string | null }>>`
    SELECT subject_id, min(created_at) AS created_at, count(*)::int AS total,
           count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE status = 'failed')::int AS failed,
           max(last_error) AS last_error
      FROM provider_operations
     WHERE customer_id = ${customerId}::uuid AND kind = 'usage.forward' AND subject_id LIKE 'resync:%'
     GROUP BY subject_id ORDER BY min(created_at) DESC LIMIT 5`;
  return rows.map((r) => ({ subjectId: r.subject_id, createdAt: r.created_at.toISOString(), total: r.total, succeeded: r.succeeded, failed: r.failed, pending: r.total - r.succeeded - r.failed, lastError: r.last_error }));
}
