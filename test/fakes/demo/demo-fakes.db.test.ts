// The demo fakes over a seeded database, through the real adapters: each provider's answers are
// the sandbox's state translated to its wire format and back by the adapter's map.ts, so the
// console sees the same invoices, credits, plan changes and usage on Orb, Metronome and Stripe
// as on the sandbox (what an adapter cannot express aside: see the README).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BillingDecimal, billingPeriodContaining, utcDayKey } from "@/lib/billing";
import { getBillingProvider } from "@/lib/providers";
import { createSandboxProvider } from "@/lib/providers/sandbox";
import { DIVERGENCE_SETTING, type SandboxDivergence } from "@/lib/providers/sandbox/seed";
import type { BillingProvider, CustomerRef, ProviderInvoicePreview, ProviderUsageDay } from "@/lib/providers/types";
import { computeShadowPreview } from "@/lib/server/billing/customer-billing";
import { runOutboxOnce } from "@/lib/server/outbox/worker";
import { customerDiscrepancies, parseReconRange } from "@/lib/server/queries/reconciliation";
import { cancelPlanChange } from "@/lib/server/services/cancel-plan-change";
import { changePlan } from "@/lib/server/services/change-plan";
import { previewPlanChange } from "@/lib/server/services/preview-plan-change";
import { recomputePreviews } from "@/lib/server/services/recompute-previews";
import { seedDatabase } from "@/prisma/seed/index";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { DEMO_KINDS, linkDemoCustomers, startDemoFake, type DemoFake } from "./index";

// The adapters compare some instants with the real clock (e.g. whether a scheduled change is
// already in force), so the demo data and the fake's clock are set to now.
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const DAY = 86_400_000;
const ZERO = BigInt(0);

let t: TestDatabase;
let divergences: SandboxDivergence[];
let finance: { id: string; email: string; role: "finance" };
let plans: Record<string, string>;

type Row = { id: string; provider_customer_id: string; currency: string };
const q = async <T,>(sql: string, params: unknown[] = []) => (await t.pool.query(sql, params)).rows as T[];
const ref = (c: Row): CustomerRef => ({ customerId: c.id, providerCustomerId: c.provider_customer_id });
const num = (q: string | undefined) => (q === undefined ? null : new BillingDecimal(q).toString());
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** The adapter's preview against the sandbox's: totals, then every charge line in order. */
function expectSamePreview(theirs: ProviderInvoicePreview, ours: Pick<ProviderInvoicePreview, "currency" | "lines" | "subtotalMinor" | "creditsAppliedMinor" | "totalMinor" | "periodStart" | "periodEnd">, kind: string, label: string) {
  expect({ currency: theirs.currency, subtotal: theirs.subtotalMinor, credits: theirs.creditsAppliedMinor, total: theirs.totalMinor }, label).toEqual({
    currency: ours.currency, subtotal: ours.subtotalMinor, credits: ours.creditsAppliedMinor, total: ours.totalMinor,
  });
  // Stripe carries instants in whole seconds.
  expect([seconds(theirs.periodStart), seconds(theirs.periodEnd)], label).toEqual([seconds(ours.periodStart), seconds(ours.periodEnd)]);
  const charges = (lines: ProviderInvoicePreview["lines"]) => lines.filter((l) => l.kind !== "credit");
  const shape = (l: ProviderInvoicePreview["lines"][number]) => ({
    amountMinor: l.amountMinor,
    description: l.description,
    usage: l.kind === "usage",
    meterKey: l.kind === "usage" ? (l.meterKey ?? null) : null,
    quantity: l.kind === "usage" ? num(l.quantity) : null,
    // Only Stripe's wire format says which lines are prorations.
    ...(kind === "stripe" ? { proration: l.kind === "proration" } : {}),
  });
  expect(charges(theirs.lines).map(shape), label).toEqual(charges(ours.lines).map(shape));
}

const asMap = (days: ProviderUsageDay[]) => new Map(days.map((d) => [`${d.meterKey}|${d.day}`, num(d.quantity)]));

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 40, days: 20, now: NOW });
  divergences = (await q<{ value: SandboxDivergence[] }>(`SELECT value FROM settings WHERE key = $1`, [DIVERGENCE_SETTING]))[0]!.value;
  finance = (await q<typeof finance>(`SELECT id::text, email, role::text AS role FROM staff_users WHERE email = 'finance@demo.meterdesk.test'`))[0]!;
  plans = Object.fromEntries((await q<{ key: string; id: string }>(`SELECT key, id::text FROM plans`)).map((r) => [r.key, r.id]));
}, 180_000);

afterAll(async () => {
  await t?.drop();
});

describe.each(DEMO_KINDS)("the %s demo fake", (kind) => {
  let fake: DemoFake;
  let adapter: BillingProvider;
  let customers: Row[];
  const sandbox = () => createSandboxProvider(t.db, { now: () => NOW, customerProvider: kind });

  beforeAll(async () => {
    const linked = await linkDemoCustomers(t.db, kind);
    expect(linked.customers).toBeGreaterThan(0);
    fake = await startDemoFake(kind, t.db, { now: () => NOW, schedulerIntervalMs: 0 });
    adapter = getBillingProvider(t.db, { ...fake.env, PROVIDER_TIMEOUT_MS: "15000" });
    expect(adapter.kind).toBe(kind);
    customers = await q<Row>(
      `SELECT c.id::text, c.provider_customer_id, c.currency FROM customers c
        WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = c.id AND s.status = 'active') ORDER BY c.id`,
    );
  });

  afterAll(async () => {
    await fake?.close();
  });

  it("passes the health check, and logs the request", async () => {
    const health = await adapter.healthCheck();
    expect(health, health.detail).toMatchObject({ ok: true });
    expect(fake.http.requests.length).toBeGreaterThan(0);
  });

  it("gives every customer's upcoming invoice as the sandbox computes it, to the cent and line by line", async () => {
    let withCredits = 0;
    for (const c of customers) {
      const ours = await sandbox().getUpcomingInvoice(ref(c), NOW);
      const theirs = await adapter.getUpcomingInvoice(ref(c), NOW);
      expectSamePreview(theirs, ours, kind, `customer ${c.id}`);
      if (ours.creditsAppliedMinor > ZERO) withCredits++;
    }
    expect(customers.length).toBeGreaterThan(20);
    expect(withCredits).toBeGreaterThan(0);
  });

  it("flags shadow mismatches in the review queue exactly for the customers whose provider copy of usage diverges", async () => {
    await recomputePreviews(t.db, adapter, NOW);
    const flagged = await q<{ customer_id: string; negative: boolean }>(
      `SELECT customer_id::text, 'negative_line' = ANY(flags) AS negative FROM invoice_preview_snapshots WHERE 'shadow_mismatch' = ANY(flags)`,
    );
    // Seeded divergences inside the current period show up; the rest agree to the cent, however
    // the provider names its lines (prorations, minimums, credits beside the lines).
    const expected = new Set<string>();
    for (const d of divergences) {
      const c = customers.find((x) => x.id === d.customerId);
      if (!c) continue;
      const preview = await sandbox().getUpcomingInvoice(ref(c), NOW);
      const shadow = await computeShadowPreview(t.db, c.id, NOW);
      if (preview.totalMinor !== shadow!.preview.totalMinor) expected.add(c.id);
    }
    expect(new Set(flagged.map((f) => f.customer_id))).toEqual(expected);
    const negative = await q<{ n: number }>(`SELECT count(*)::int AS n FROM invoice_preview_snapshots WHERE 'negative_line' = ANY(flags)`);
    expect(negative[0]!.n).toBe(0);
  });

  it("grants a credit (once, however often sent), finds it by reference, and voids it", async () => {
    const diverging = new Set(divergences.map((d) => d.customerId));
    let chosen: { c: Row; before: ProviderInvoicePreview } | null = null;
    for (const c of customers) {
      if (diverging.has(c.id)) continue;
      const before = await adapter.getUpcomingInvoice(ref(c), NOW);
      if (before.subtotalMinor - before.creditsAppliedMinor >= BigInt(5000)) {
        chosen = { c, before };
        break;
      }
    }
    expect(chosen, "a customer with at least 50.00 left to pay").not.toBeNull();
    const { c, before } = chosen!;
    const op = randomUUID();
    const grant = {
      idempotencyKey: `credit.grant:${op}`, customer: ref(c), amountMinor: BigInt(1234), currency: c.currency, expiresAt: null,
      description: `Demo fake test credit (${kind})`, metadata: { meterdesk_operation_id: op, meterdesk_grant_id: randomUUID() },
    };
    const first = await adapter.grantCredit(grant);
    const again = await adapter.grantCredit(grant);
    expect(again.providerGrantId).toBe(first.providerGrantId);
    const rows = await q<{ amount_minor: string; voided_at: Date | null }>(`SELECT amount_minor::text, voided_at FROM sandbox_credit_grants WHERE id = $1`, [first.providerGrantId]);
    expect(rows).toEqual([{ amount_minor: "1234", voided_at: null }]);
    expect(await adapter.findCreditByReference(ref(c), { key: "meterdesk_operation_id", value: op })).toEqual({ providerGrantId: first.providerGrantId });

    const credited = await adapter.getUpcomingInvoice(ref(c), NOW);
    expect(credited.creditsAppliedMinor).toBe(before.creditsAppliedMinor + BigInt(1234));
    expect(credited.totalMinor).toBe(before.totalMinor - BigInt(1234));
    expectSamePreview(credited, await sandbox().getUpcomingInvoice(ref(c), NOW), kind, "after the grant");

    await adapter.voidCredit({ idempotencyKey: `credit.void:${randomUUID()}`, customer: ref(c), providerGrantId: first.providerGrantId, amountMinor: BigInt(1234), currency: c.currency, reason: "Test void" });
    const voided = await q<{ voided_at: Date | null }>(`SELECT voided_at FROM sandbox_credit_grants WHERE id = $1`, [first.providerGrantId]);
    expect(voided[0]!.voided_at).not.toBeNull();
    const after = await adapter.getUpcomingInvoice(ref(c), NOW);
    expect({ credits: after.creditsAppliedMinor, total: after.totalMinor }).toEqual({ credits: before.creditsAppliedMinor, total: before.totalMinor });
  });

  it("changes a plan now through the outbox exactly as previewed, and schedules and cancels one for period end", async () => {
    const diverging = new Set(divergences.map((d) => d.customerId));
    const [c] = await q<Row & { plan_key: string }>(
      `SELECT c.id::text, c.provider_customer_id, c.currency, p.key AS plan_key FROM customers c
         JOIN subscriptions s ON s.customer_id = c.id AND s.status = 'active'
         JOIN subscription_phases ph ON ph.subscription_id = s.id AND ph.ends_at IS NULL
         JOIN plan_versions v ON v.id = ph.plan_version_id JOIN plans p ON p.id = v.plan_id
        WHERE c.currency = 'USD' AND p.key IN ('starter', 'pro', 'business') AND c.id <> ALL($1::uuid[])
          AND NOT EXISTS (SELECT 1 FROM subscription_changes x WHERE x.subscription_id = s.id AND x.status = 'scheduled')
          AND NOT EXISTS (SELECT 1 FROM sandbox_plan_changes x WHERE x.provider_customer_id = c.provider_customer_id AND x.status = 'scheduled')
          AND NOT EXISTS (SELECT 1 FROM provider_operations o WHERE o.customer_id = c.id)
        ORDER BY c.id LIMIT 1`,
      [[...diverging]],
    );
    expect(c, "a USD customer with no plan change pending").toBeTruthy();

    const input = { customerId: c!.id, toPlanId: plans.team!, timing: "immediate" as const };
    const preview = await previewPlanChange(t.db, finance, input, { now: NOW });
    expect(preview.prorationLines.length).toBe(2);
    const done = await changePlan(t.db, finance, { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId: randomUUID() }, { now: NOW });
    // Operations are due at their creation time (the real clock); the provider runs on NOW.
    await runOutboxOnce(t.db, adapter);
    expect(await q(`SELECT status::text, provider::text, last_error FROM provider_operations WHERE subject_id = $1`, [done.changeId])).toEqual([
      { status: "succeeded", provider: kind, last_error: null },
    ]);

    // The provider now bills what the preview showed, proration lines included.
    const shadow = (await computeShadowPreview(t.db, c!.id, NOW))!.preview;
    const theirs = await adapter.getUpcomingInvoice(ref(c!), NOW);
    expectSamePreview(theirs, { ...shadow, periodStart: shadow.period.start, periodEnd: shadow.period.end }, kind, "after the change");
    expect(theirs.totalMinor.toString()).toBe(preview.newInvoice.totalMinor);
    const prorations = preview.prorationLines.map((l) => BigInt(l.amountMinor));
    const amounts = theirs.lines.map((l) => l.amountMinor);
    expect(amounts.filter((a) => prorations.includes(a))).toEqual(prorations);

    // For period end: scheduled at the provider, then canceled there.
    const back = { customerId: c!.id, toPlanId: plans.pro!, timing: "period_end" as const };
    const scheduled = await previewPlanChange(t.db, finance, back, { now: NOW });
    const change = await changePlan(t.db, finance, { ...back, effectiveAt: scheduled.effectiveAt, token: scheduled.token, requestId: randomUUID() }, { now: NOW });
    await runOutboxOnce(t.db, adapter);
    expect(await q(`SELECT status::text, last_error FROM provider_operations WHERE subject_id = $1`, [change.changeId])).toEqual([{ status: "succeeded", last_error: null }]);
    const period = billingPeriodContaining((await q<{ billing_anchor: Date }>(`SELECT billing_anchor FROM subscriptions WHERE customer_id = $1 AND status = 'active'`, [c!.id]))[0]!.billing_anchor, NOW);
    const atProvider = await q<{ status: string; effective_at: Date }>(`SELECT status, effective_at FROM sandbox_plan_changes WHERE provider_customer_id = $1 ORDER BY created_at`, [c!.provider_customer_id]);
    expect(atProvider.map((x) => x.status)).toEqual(["applied", "scheduled"]);
    expect(seconds(atProvider[1]!.effective_at)).toBe(seconds(period.end));

    await cancelPlanChange(t.db, finance, { changeId: change.changeId }, { now: NOW });
    await runOutboxOnce(t.db, adapter);
    expect(await q(`SELECT kind, status::text, last_error FROM provider_operations WHERE subject_id = $1 ORDER BY created_at`, [change.changeId])).toEqual([
      { kind: "plan.change", status: "succeeded", last_error: null },
      { kind: "plan.change_cancel", status: "succeeded", last_error: null },
    ]);
    const canceled = await q<{ status: string }>(`SELECT status FROM sandbox_plan_changes WHERE provider_customer_id = $1 ORDER BY created_at`, [c!.provider_customer_id]);
    expect(canceled.map((x) => x.status)).toEqual(["applied", "canceled"]);
  });

  it("reads usage back as the sandbox holds it, a seeded divergence included, and takes usage in once", async () => {
    const d = divergences[0]!;
    const [c] = await q<Row>(`SELECT id::text, provider_customer_id, currency FROM customers WHERE id = $1`, [d.customerId]);
    const range = { start: new Date(NOW.getTime() - 14 * DAY), end: NOW };
    const theirs = asMap(await adapter.getUsage(ref(c!), range));
    const ours = asMap(await sandbox().getUsage(ref(c!), range));
    expect(theirs.size).toBeGreaterThan(0);
    expect(theirs).toEqual(ours);
    // The diverging day: the provider's quantity, not the platform's.
    const key = `${d.meterKey}|${d.day}`;
    expect(theirs.get(key) ?? null).toBe(d.sandboxQuantity === null ? null : num(d.sandboxQuantity));
    expect(theirs.get(key) ?? null).not.toBe(num(d.platformQuantity));

    // What the reconciliation drill-down shows for the customer through the adapter.
    const recon = await customerDiscrepancies(t.db, adapter, d.customerId, parseReconRange({ from: d.day, to: d.day }, NOW).range);
    expect(recon.customer?.id).toBe(d.customerId);
    expect(recon.discrepancies.flatMap((g) => g.days.map((x) => `${g.meterKey}|${x.day}`))).toContain(key);

    // Usage sent twice (a re-sync's retry) counts once (on another day, so the divergence stays).
    const yesterday = utcDayKey(new Date(NOW.getTime() - DAY));
    const day = d.day === yesterday ? utcDayKey(new Date(NOW.getTime() - 2 * DAY)) : yesterday;
    const dayRange = { start: new Date(`${day}T00:00:00Z`), end: new Date(Date.parse(`${day}T00:00:00Z`) + DAY) };
    const was = new BillingDecimal(asMap(await adapter.getUsage(ref(c!), dayRange)).get(`${d.meterKey}|${day}`) ?? "0");
    const event = { idempotencyKey: `demo-test-${kind}-${randomUUID()}`, customer: ref(c!), meterKey: d.meterKey, timestamp: new Date(`${day}T12:00:00Z`), quantity: "2.5" };
    await adapter.ingestUsage([event]);
    await adapter.ingestUsage([event]);
    expect(asMap(await adapter.getUsage(ref(c!), dayRange)).get(`${d.meterKey}|${day}`)).toBe(was.plus("2.5").toString());
    expect(asMap(await sandbox().getUsage(ref(c!), dayRange)).get(`${d.meterKey}|${day}`)).toBe(was.plus("2.5").toString());
  });
});

describe("linkDemoCustomers", () => {
  it("moves the demo customers and their unfinished operations, and leaves finished ones and others' customers alone", async () => {
    const [c] = await q<Row>(`SELECT id::text, provider_customer_id, currency FROM customers WHERE starts_with(provider_customer_id, 'sbx_') ORDER BY id LIMIT 1`);
    const pending = randomUUID();
    await t.pool.query(
      `INSERT INTO provider_operations (id, provider, kind, idempotency_key, customer_id, subject_id, payload, status)
       VALUES ($1, 'stripe', 'credit.grant', $2, $3, 'link-test', '{}', 'pending')`,
      [pending, `credit.grant:${pending}`, c!.id],
    );
    const foreign = randomUUID();
    await t.pool.query(
      `INSERT INTO customers (id, platform_id, name, email, region, provider, provider_customer_id, currency)
       VALUES ($1, $2, 'Someone Else Ltd', 'billing@someone-else.example', 'us-east', 'orb', 'cus_elsewhere01', 'USD')`,
      [foreign, `acct_${foreign.slice(0, 8)}`],
    );
    const succeeded = await q<{ provider: string; n: string }>(`SELECT provider::text, count(*)::text AS n FROM provider_operations WHERE status = 'succeeded' GROUP BY 1 ORDER BY 1`);
    const demo = Number((await q<{ n: string }>(`SELECT count(*)::text AS n FROM customers WHERE starts_with(provider_customer_id, 'sbx_')`))[0]!.n);

    expect(await linkDemoCustomers(t.db, "sandbox")).toEqual({ customers: demo, operations: 1 });
    expect(await q(`SELECT provider::text, count(*)::int AS n FROM customers GROUP BY 1 ORDER BY 1`)).toEqual([{ provider: "orb", n: 1 }, { provider: "sandbox", n: demo }]);
    expect(await q(`SELECT provider::text FROM provider_operations WHERE id = $1`, [pending])).toEqual([{ provider: "sandbox" }]);
    expect(await q(`SELECT provider::text, count(*)::text AS n FROM provider_operations WHERE status = 'succeeded' GROUP BY 1 ORDER BY 1`)).toEqual(succeeded);
    // Linking again changes nothing.
    expect(await linkDemoCustomers(t.db, "sandbox")).toEqual({ customers: 0, operations: 0 });
  });
});
