// Adoption figures against a small hand-built fixture whose answers are worked out by hand.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { getAllowanceUsage, getPlanChangeMatrix, getRevenueSeries, getSubscriberSeries, parseAdoptionRange, getPlanCatalog } from "./adoption";

let t: TestDatabase;
const now = new Date("2026-03-15T12:00:00Z");
const id = () => randomUUID();
const ids = { m1: id(), m2: id(), basic: id(), pro: id(), team: id(), vBasic: id(), vPro: id(), vTeam: id() };
const customers: Record<string, { id: string; sub: string }> = {};

async function q(sql: string, params: unknown[] = []) {
  await t.pool.query(sql, params);
}

async function customer(name: string, anchor: string, phases: Array<[string, string, string | null]>, opts: { ended?: string } = {}) {
  const c = { id: id(), sub: id() };
  customers[name] = c;
  await q(`INSERT INTO customers (id, platform_id, name, email, region, currency) VALUES ($1, $2, $3, $4, 'us-east', 'USD')`, [c.id, `acct_${name}`, `Customer ${name}`, `${name}@x.example`]);
  await q(`INSERT INTO subscriptions (id, customer_id, status, billing_anchor, started_at, ended_at) VALUES ($1, $2, $3, $4, $4, $5)`, [
    c.sub, c.id, opts.ended ? "canceled" : "active", anchor, opts.ended ?? null,
  ]);
  for (const [version, from, to] of phases) {
    await q(`INSERT INTO subscription_phases (id, subscription_id, plan_version_id, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5)`, [id(), c.sub, version, from, to]);
  }
}
async function change(name: string, from: string, to: string, at: string, status = "applied") {
  await q(`INSERT INTO subscription_changes (id, subscription_id, from_plan_version_id, to_plan_version_id, timing, effective_at, status) VALUES ($1, $2, $3, $4, 'immediate', $5, $6::"PlanChangeStatus")`, [
    id(), customers[name]!.sub, from, to, at, status,
  ]);
}
let invoiceNo = 0;
async function invoice(name: string, periodStart: string, total: number, status = "issued", currency = "USD") {
  await q(`INSERT INTO invoices (id, customer_id, number, period_start, period_end, currency, subtotal_minor, total_minor, status) VALUES ($1, $2, $3, $4, $4::timestamptz + interval '1 month', $5, $6, $6, $7::"InvoiceStatus")`, [
    id(), customers[name]!.id, `INV-${++invoiceNo}`, periodStart, currency, total, status,
  ]);
}
async function usage(name: string, meter: string, day: string, quantity: string) {
  await q(`INSERT INTO usage_daily (customer_id, meter_id, day, quantity) VALUES ($1, $2, $3, $4)`, [customers[name]!.id, meter, day, quantity]);
}

beforeAll(async () => {
  t = await createTestDatabase();
  await q(`INSERT INTO meters (id, key, name, unit, display_order) VALUES ($1, 'm1', 'Meter one', 'hour', 1), ($2, 'm2', 'Meter two', 'GB', 2)`, [ids.m1, ids.m2]);
  for (const [plan, version, key, tier, fee] of [[ids.basic, ids.vBasic, "basic", 1, 500], [ids.pro, ids.vPro, "pro", 2, 9900], [ids.team, ids.vTeam, "team", 3, 29900]] as const) {
    await q(`INSERT INTO plans (id, key, name, tier) VALUES ($1, $2, $3, $4)`, [plan, key, key[0]!.toUpperCase() + key.slice(1), tier]);
    await q(`INSERT INTO plan_versions (id, plan_id, version, currency, base_fee_minor) VALUES ($1, $2, 1, 'USD', $3)`, [version, plan, fee]);
  }
  const price = async (version: string, meter: string, included: string) => {
    const pid = id();
    await q(`INSERT INTO plan_prices (id, plan_version_id, meter_id, model, unit_price, included_quantity) VALUES ($1, $2, $3, 'graduated', NULL, $4)`, [pid, version, meter, included]);
    await q(`INSERT INTO price_tiers (id, price_id, position, up_to, unit_price) VALUES ($1, $2, 1, 100, 0.5), ($3, $2, 2, NULL, 0.25)`, [id(), pid, id()]);
  };
  await price(ids.vBasic, ids.m1, "10"); await price(ids.vBasic, ids.m2, "5");
  await price(ids.vPro, ids.m1, "100"); await price(ids.vPro, ids.m2, "50");
  await price(ids.vTeam, ids.m1, "1000"); await price(ids.vTeam, ids.m2, "0");

  await customer("A", "2025-12-01T00:00:00Z", [[ids.vPro, "2025-12-01T00:00:00Z", "2026-02-10T00:00:00Z"], [ids.vTeam, "2026-02-10T00:00:00Z", null]]);
  await change("A", ids.vPro, ids.vTeam, "2026-02-10T00:00:00Z");
  await customer("B", "2026-01-05T00:00:00Z", [[ids.vPro, "2026-01-05T00:00:00Z", null]]);
  await customer("C", "2025-11-01T00:00:00Z", [[ids.vTeam, "2025-11-01T00:00:00Z", "2026-03-01T00:00:00Z"], [ids.vBasic, "2026-03-01T00:00:00Z", null]]);
  await change("C", ids.vTeam, ids.vBasic, "2026-03-01T00:00:00Z");
  await change("C", ids.vBasic, ids.vPro, "2026-05-01T00:00:00Z", "scheduled"); // not applied: not counted
  await customer("D", "2026-02-20T00:00:00Z", [[ids.vBasic, "2026-02-20T00:00:00Z", null]]);
  await customer("E", "2025-10-01T00:00:00Z", [[ids.vPro, "2025-10-01T00:00:00Z", "2026-01-20T00:00:00Z"]], { ended: "2026-01-20T00:00:00Z" });
  await customer("F", "2025-10-01T00:00:00Z", [[ids.vPro, "2025-10-01T00:00:00Z", "2025-12-15T00:00:00Z"], [ids.vTeam, "2025-12-15T00:00:00Z", null]]);
  await change("F", ids.vPro, ids.vTeam, "2025-12-15T00:00:00Z"); // before the range

  await invoice("A", "2026-01-01T00:00:00Z", 9900);
  await invoice("A", "2026-02-01T00:00:00Z", 20000); // pro was in force when the period began
  await invoice("A", "2026-03-01T00:00:00Z", 29900);
  await invoice("B", "2026-02-05T00:00:00Z", 9900);
  await invoice("C", "2026-03-01T00:00:00Z", 500);
  await invoice("C", "2026-02-15T00:00:00Z", 99999, "void");
  await invoice("D", "2026-02-20T00:00:00Z", 7777, "issued", "EUR");

  await usage("A", ids.m1, "2026-03-05", "900");
  await usage("B", ids.m1, "2026-03-10", "30");
  await usage("B", ids.m2, "2026-03-10", "60");
  await usage("B", ids.m1, "2026-02-10", "500"); // before B's current period
  await usage("C", ids.m1, "2026-03-02", "4");
  await usage("C", ids.m2, "2026-03-02", "3");
  await usage("F", ids.m1, "2026-03-03", "1000");
}, 120_000);
afterAll(async () => {
  await t.drop();
});

const range = () => parseAdoptionRange({ from: "2026-01-01", to: "2026-03-31", interval: "month" }, now).range;

describe("adoption against the fixture", () => {
  it("counts subscribers per plan at the end of each month (now for the current one)", async () => {
    const s = await getSubscriberSeries(t.db, range(), now);
    expect(s.points.map((p) => p.bucket)).toEqual(["2026-01-01", "2026-02-01", "2026-03-01"]);
    expect(s.points[0]!.values).toEqual({ pro: "2", team: "2" });
    expect(s.points[1]!.values).toEqual({ basic: "1", pro: "1", team: "3" });
    expect(s.points[2]!.values).toEqual({ basic: "2", pro: "1", team: "2" });
  });

  it("attributes invoice totals to the plan in force at period start, excluding void and other currencies", async () => {
    const r = await getRevenueSeries(t.db, range());
    expect(r.points.map((p) => p.values)).toEqual([{ pro: "9900" }, { pro: "29900" }, { basic: "500", team: "29900" }]);
    expect(r.currencies).toEqual(["EUR", "USD"]);
  });

  it("builds the plan-change matrix from applied changes in the range, upgrades told from downgrades by tier", async () => {
    const m = await getPlanChangeMatrix(t.db, range());
    expect(m.cells).toEqual([
      { from: "pro", to: "team", count: 1, direction: "upgrade" },
      { from: "team", to: "basic", count: 1, direction: "downgrade" },
    ]);
    expect([m.upgrades, m.downgrades]).toEqual([1, 1]);
    const wider = await getPlanChangeMatrix(t.db, parseAdoptionRange({ from: "2025-12-01", to: "2026-03-31" }, now).range);
    expect(wider.cells.find((c) => c.from === "pro" && c.to === "team")?.count).toBe(2);
  });

  it("bands customers by their most-used allowance meter in the current period", async () => {
    const a = await getAllowanceUsage(t.db, now);
    const counts = Object.fromEntries(a.plans.map((p) => [p.key, p.counts]));
    expect(counts).toEqual({
      basic: { under50: 1, from50to80: 1, from80to100: 0, over: 0 },
      pro: { under50: 0, from50to80: 0, from80to100: 0, over: 1 },
      team: { under50: 0, from50to80: 0, from80to100: 2, over: 0 },
    });
    const b = a.customers.find((c) => c.name === "Customer B")!;
    expect(b).toMatchObject({ meterKey: "m2", used: "60", included: "50", percent: "120.0", band: "over" });
    expect(a.customers[0]!.name).toBe("Customer B");
  });

  it("lists the catalog with tiers", async () => {
    const cat = await getPlanCatalog(t.db);
    expect(cat.map((p) => p.key)).toEqual(["basic", "pro", "team"]);
    expect(cat[1]!.versions[0]!.prices[0]!.tiers).toEqual([{ upTo: "100", unitPrice: "0.5", flatFee: null }, { upTo: null, unitPrice: "0.25", flatFee: null }]);
  });

  it("rejects a reversed range with a field error and falls back", () => {
    const r = parseAdoptionRange({ from: "2026-03-01", to: "2026-01-01" }, now);
    expect(r.error?.fieldErrors.to).toMatch(/before/);
    expect(r.range.from).toBe("2025-10-01");
  });
});
