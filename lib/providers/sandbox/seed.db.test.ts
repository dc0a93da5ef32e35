// seedSandboxState on a small demo database: the sandbox's copy agrees with Meterdesk's own
// (shadow) computation to the cent, line by line, except for the customers it deliberately
// diverges, which differ.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDatabase } from "@/prisma/seed/index";
import { computeShadowPreview } from "@/lib/server/billing/customer-billing";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { createSandboxProvider } from "./index";
import { DIVERGENCE_SETTING, divergenceCount, seedSandboxState, type SandboxDivergence, type SandboxSeedSummary } from "./seed";

const NOW = new Date("2026-03-15T10:00:00Z");
let t: TestDatabase;
let summary: SandboxSeedSummary;

const count = async (sql: string, params: unknown[] = []) => Number((await t.pool.query<{ n: string }>(sql, params)).rows[0]!.n);
const comparable = (lines: Array<{ kind: string; meterKey?: string; quantity?: string; amountMinor: bigint }>) =>
  lines.map((l) => ({ kind: l.kind, meterKey: l.meterKey ?? null, quantity: l.quantity ?? null, amountMinor: l.amountMinor }));

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 60, days: 20, now: NOW });
  summary = await seedSandboxState(t.pool, { now: NOW, seed: 7 });
}, 180_000);

afterAll(async () => {
  await t?.drop();
});

describe("seedSandboxState", () => {
  it("copies usage, active grants (with what is left of them) and scheduled plan changes in bulk", async () => {
    expect(summary.usageRows).toBe(await count(`SELECT count(*) n FROM usage_daily`));
    expect(summary.creditGrants).toBe(await count(`SELECT count(*) n FROM credit_grants WHERE status = 'active'`));
    expect(summary.creditGrants).toBeGreaterThan(0);
    // Every active grant points at its sandbox copy, whose remaining equals the ledger sum.
    expect(await count(`
      SELECT count(*) n FROM credit_grants g
        LEFT JOIN sandbox_credit_grants s ON s.id = g.provider_grant_id
       WHERE g.status = 'active' AND (s.id IS NULL OR s.amount_minor - s.consumed_minor <>
             GREATEST((SELECT COALESCE(SUM(l.amount_minor), 0) FROM credit_ledger_entries l WHERE l.grant_id = g.id), 0))`)).toBe(0);
    expect(summary.planChanges).toBe(await count(`SELECT count(*) n FROM subscription_changes WHERE status = 'scheduled'`));
  });

  it("records a handful of divergences in the settings", async () => {
    expect(summary.divergences.length).toBe(divergenceCount(60));
    expect(new Set(summary.divergences.map((d) => d.kind))).toEqual(new Set(["late_events", "dropped_day", "double_counted_hour"]));
    const stored = (await t.pool.query<{ value: SandboxDivergence[] }>(`SELECT value FROM settings WHERE key = $1`, [DIVERGENCE_SETTING])).rows[0]!.value;
    expect(stored).toEqual(summary.divergences);
    expect(divergenceCount(2000)).toBe(6);
    // The divergent rows really differ from Meterdesk's usage.
    for (const d of summary.divergences) {
      const { rows } = await t.pool.query<{ q: string | null }>(
        `SELECT quantity::text q FROM sandbox_usage_daily WHERE provider_customer_id = $1 AND meter_key = $2 AND day = $3::date`,
        [d.providerCustomerId, d.meterKey, d.day]);
      expect(rows[0]?.q ?? null).toBe(d.sandboxQuantity);
      expect(d.sandboxQuantity).not.toBe(d.platformQuantity);
    }
  });

  it("gives every customer the same upcoming invoice as the shadow computation, except the diverging ones", async () => {
    const sandbox = createSandboxProvider(t.db, { now: () => NOW });
    const diverging = new Set(summary.divergences.map((d) => d.customerId));
    const customers = await t.pool.query<{ id: string; provider_customer_id: string }>(`SELECT id::text, provider_customer_id FROM customers ORDER BY id`);
    let compared = 0;
    let withCredits = 0;
    for (const c of customers.rows) {
      const shadow = await computeShadowPreview(t.db, c.id, NOW);
      if (!shadow) continue;
      const provider = await sandbox.getUpcomingInvoice({ customerId: c.id, providerCustomerId: c.provider_customer_id }, NOW);
      const same = {
        lines: comparable(provider.lines),
        subtotal: provider.subtotalMinor,
        credits: provider.creditsAppliedMinor,
        total: provider.totalMinor,
        period: [provider.periodStart.getTime(), provider.periodEnd.getTime()],
      };
      const expected = {
        lines: comparable(shadow.preview.lines),
        subtotal: shadow.preview.subtotalMinor,
        credits: shadow.preview.creditsAppliedMinor,
        total: shadow.preview.totalMinor,
        period: [shadow.preview.period.start.getTime(), shadow.preview.period.end.getTime()],
      };
      if (diverging.has(c.id)) expect(same.lines, `customer ${c.id} should diverge`).not.toEqual(expected.lines);
      else expect(same, `customer ${c.id}`).toEqual(expected);
      compared++;
      if (shadow.preview.creditsAppliedMinor > BigInt(0)) withCredits++;
    }
    expect(compared).toBeGreaterThan(40);
    expect(withCredits).toBeGreaterThan(0);
  });

  it("replaces the earlier copy when run again", async () => {
    const again = await seedSandboxState(t.pool, { now: NOW, seed: 7 });
    expect(again.divergences).toEqual(summary.divergences);
    expect(await count(`SELECT count(*) n FROM sandbox_usage_daily`)).toBe(summary.usageRows - summary.divergences.filter((d) => d.kind === "dropped_day").length);
  });
});
