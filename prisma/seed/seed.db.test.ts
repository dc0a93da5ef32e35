// Seeds two small databases with the same seed and `now`, checks the data's invariants with
// SQL and that both are identical. Uses the shared test server (test/global-setup.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/db";
import { createCustomer } from "./factories";
import { SEEDED_MARKER, seedDatabase, type SeedSummary } from "./index";

const NOW = new Date("2026-03-15T10:00:00Z");
const OPTS = { customers: 60, days: 45, now: NOW, seed: 4242 };

let a: TestDatabase;
let b: TestDatabase;
let summaryA: SeedSummary;
let summaryB: SeedSummary;

const one = async <T = Record<string, unknown>>(db: TestDatabase, sql: string, params: unknown[] = []) =>
  (await db.pool.query(sql, params)).rows[0] as T;
const count = async (db: TestDatabase, sql: string) => Number((await one<{ n: string }>(db, sql)).n);

beforeAll(async () => {
  [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  summaryA = await seedDatabase(a.url, OPTS);
  summaryB = await seedDatabase(b.url, OPTS);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.drop(), b?.drop()]);
});

describe("seedDatabase", () => {
  it("loads the requested customers, catalog, staff and the seeded marker", async () => {
    expect(await count(a, `SELECT count(*) n FROM customers`)).toBe(60);
    expect(await count(a, `SELECT count(*) n FROM meters`)).toBe(8);
    expect(await count(a, `SELECT count(*) n FROM plans WHERE status = 'active'`)).toBe(6);
    expect(await count(a, `SELECT count(*) n FROM plans WHERE key = 'legacy_hobby' AND status = 'archived'`)).toBe(1);
    expect(await count(a, `SELECT count(*) n FROM plan_versions WHERE currency = 'EUR'`)).toBe(2);
    expect(await count(a, `SELECT count(DISTINCT role) n FROM staff_users`)).toBe(6);
    const marker = await one<{ value: { customers: number; days: number; seed: number } }>(a, `SELECT value FROM settings WHERE key = $1`, [SEEDED_MARKER]);
    expect(marker.value).toMatchObject({ customers: 60, days: 45, seed: 4242 });
    expect(summaryA.rows.usage_daily).toBeGreaterThan(0);
    expect(await count(a, `SELECT count(*) n FROM invoices`)).toBeGreaterThan(0);
  });

  it("refuses to seed a database that already has data", async () => {
    await expect(seedDatabase(a.url, OPTS)).rejects.toThrow(/already has data/);
  });

  it("gives every customer one active subscription with a phase covering now", async () => {
    const bad = await count(a, `
      SELECT count(*) n FROM customers c WHERE (
        SELECT count(*) FROM subscriptions s JOIN subscription_phases p ON p.subscription_id = s.id
        WHERE s.customer_id = c.id AND s.status = 'active' AND p.starts_at <= '${NOW.toISOString()}'
          AND (p.ends_at IS NULL OR p.ends_at > '${NOW.toISOString()}')) <> 1
        OR (SELECT count(*) FROM subscriptions s WHERE s.customer_id = c.id AND s.status = 'active') <> 1`);
    expect(bad).toBe(0);
    // Phases tile time: each phase after the first starts where the previous ended.
    expect(await count(a, `
      SELECT count(*) n FROM (SELECT starts_at, lag(ends_at) OVER (PARTITION BY subscription_id ORDER BY starts_at) prev
        FROM subscription_phases) x WHERE prev IS NOT NULL AND prev <> starts_at`)).toBe(0);
  });

  it("keeps invoices consistent: lines sum to the total, total = subtotal − credits ≥ 0", async () => {
    expect(await count(a, `
      SELECT count(*) n FROM invoices i
      WHERE total_minor <> (SELECT coalesce(sum(amount_minor), 0) FROM invoice_lines l WHERE l.invoice_id = i.id)
         OR total_minor <> subtotal_minor - credits_applied_minor OR total_minor < 0 OR credits_applied_minor < 0`)).toBe(0);
    expect(await count(a, `
      SELECT count(*) n FROM invoices i
      WHERE credits_applied_minor <> -(SELECT coalesce(sum(amount_minor), 0) FROM credit_ledger_entries e
                                       WHERE e.invoice_id = i.id AND e.kind = 'consumption')`)).toBe(0);
    expect(await count(a, `SELECT count(*) n FROM invoices WHERE period_end > '${NOW.toISOString()}'`)).toBe(0);
  });

  it("never lets a grant's ledger balance go negative, and statuses match the ledger", async () => {
    expect(await count(a, `SELECT count(*) n FROM (SELECT grant_id, sum(amount_minor) s FROM credit_ledger_entries GROUP BY 1) x WHERE s < 0`)).toBe(0);
    expect(await count(a, `
      SELECT count(*) n FROM credit_grants g
      WHERE g.amount_minor <> (SELECT amount_minor FROM credit_ledger_entries e WHERE e.grant_id = g.id AND e.kind = 'grant')
         OR (g.status IN ('voided', 'expired', 'exhausted')) <> ((SELECT sum(amount_minor) FROM credit_ledger_entries e WHERE e.grant_id = g.id) = 0)`)).toBe(0);
  });

  it("has maker-checker requests, none decided by their requester", async () => {
    expect(await count(a, `SELECT count(*) n FROM credit_requests WHERE status = 'pending'`)).toBeGreaterThan(0);
    expect(await count(a, `SELECT count(*) n FROM credit_requests WHERE decided_by_id = requested_by_id`)).toBe(0);
  });

  it("makes daily usage the sum of hourly usage wherever hourly data exists", async () => {
    expect(await count(a, `SELECT count(*) n FROM usage_hourly`)).toBeGreaterThan(0);
    expect(await count(a, `
      SELECT count(*) n FROM (
        SELECT h.customer_id, h.meter_id, (h.bucket_start AT TIME ZONE 'UTC')::date d, sum(h.quantity) q
        FROM usage_hourly h GROUP BY 1, 2, 3) x
      FULL JOIN (SELECT * FROM usage_daily WHERE day >= (SELECT min((bucket_start AT TIME ZONE 'UTC')::date) FROM usage_hourly)) d
        ON d.customer_id = x.customer_id AND d.meter_id = x.meter_id AND d.day = x.d
      WHERE x.q IS DISTINCT FROM d.quantity`)).toBe(0);
    expect(await count(a, `SELECT count(*) n FROM usage_hourly WHERE bucket_start >= '${NOW.toISOString()}'`)).toBe(0);
  });

  it("chains the audit events in time order", async () => {
    expect(await count(a, `SELECT count(*) n FROM audit_events`)).toBeGreaterThan(0);
    expect(await count(a, `
      SELECT count(*) n FROM (SELECT prev_hash, lag(hash) OVER (ORDER BY id) p, occurred_at, lag(occurred_at) OVER (ORDER BY id) po FROM audit_events) x
      WHERE prev_hash <> coalesce(p, '') OR occurred_at < po`)).toBe(0);
  });

  it("is deterministic: same seed and now give identical data", async () => {
    expect(summaryB.rows).toEqual(summaryA.rows);
    const checksum = `
      SELECT md5(string_agg(x, '|' ORDER BY x)) n FROM (
        SELECT concat_ws(',', id, name, email, platform_id, currency) AS x FROM customers
        UNION ALL SELECT concat_ws(',', number, total_minor, customer_id) FROM invoices
        UNION ALL SELECT concat_ws(',', customer_id, meter_id, day, quantity) FROM usage_daily
        UNION ALL SELECT concat_ws(',', id, amount_minor, status) FROM credit_grants
        UNION ALL SELECT hash FROM audit_events) t`;
    expect((await one<{ n: string }>(b, checksum)).n).toBe((await one<{ n: string }>(a, checksum)).n);
  });

  it("creates a fresh customer with the factory", async () => {
    const c = await createCustomer(a.pool, { planKey: "team", currency: "EUR", region: "eu-west", usage: { days: 5 } });
    const row = await one<{ key: string; currency: string }>(a, `
      SELECT p.key, v.currency FROM subscriptions s JOIN subscription_phases ph ON ph.subscription_id = s.id
      JOIN plan_versions v ON v.id = ph.plan_version_id JOIN plans p ON p.id = v.plan_id WHERE s.customer_id = $1`, [c.id]);
    expect(row).toEqual({ key: "team", currency: "EUR" });
    expect(await count(a, `SELECT count(*) n FROM usage_daily WHERE customer_id = '${c.id}'`)).toBe(15);
  });
});
