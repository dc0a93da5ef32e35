// getUsageSeries, the bucket choice and the usage-and-cost table against hand-built rollups
// with known sums, in a private clone seeded with the demo catalog.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { seedDatabase } from "../../../prisma/seed/index";
import { createCustomer, type CreatedCustomer } from "../../../prisma/seed/factories";
import { chooseBucket, getUsageCost, getUsageSeries, resolveUsageView, usageSeriesSql } from "./usage";

let t: TestDatabase;
let a: CreatedCustomer;
let b: CreatedCustomer;
let dailyOnly: CreatedCustomer;

const d = (iso: string) => new Date(iso);

async function daily(customerId: string, meterKey: string, rows: Array<[string, string]>) {
  for (const [day, q] of rows) {
    await t.pool.query(
      `INSERT INTO usage_daily (customer_id, meter_id, day, quantity) SELECT $1, id, $3::date, $4::numeric FROM meters WHERE key = $2`,
      [customerId, meterKey, day, q],
    );
  }
}
async function hourly(customerId: string, meterKey: string, rows: Array<[string, string]>) {
  for (const [at, q] of rows) {
    await t.pool.query(
      `INSERT INTO usage_hourly (customer_id, meter_id, bucket_start, quantity) SELECT $1, id, $3::timestamptz, $4::numeric FROM meters WHERE key = $2`,
      [customerId, meterKey, at, q],
    );
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 2, days: 2 }); // the catalog (and two unrelated customers)
  const startedAt = d("2026-03-01T00:00:00Z");
  [a, b, dailyOnly] = [
    await createCustomer(t.pool, { planKey: "pro", startedAt }),
    await createCustomer(t.pool, { planKey: "pro", startedAt }),
    await createCustomer(t.pool, { planKey: "pro", startedAt }),
  ];
  // Customer A: days 1–3 of March on two meters; the other customers on the same days.
  await daily(a.id, "compute_small_hours", [["2026-03-01", "1.5"], ["2026-03-02", "2.25"], ["2026-03-03", "3"]]);
  await daily(a.id, "bandwidth_gb", [["2026-03-02", "10.000001"]]);
  await daily(b.id, "compute_small_hours", [["2026-03-01", "1000"], ["2026-03-02", "1000"]]);
  await hourly(a.id, "compute_small_hours", [["2026-03-01T00:00:00Z", "0.5"], ["2026-03-01T01:00:00Z", "0.25"], ["2026-03-01T02:00:00Z", "0.75"], ["2026-03-01T03:00:00Z", "9"]]);
  await hourly(b.id, "compute_small_hours", [["2026-03-01T01:00:00Z", "500"]]);
  await daily(dailyOnly.id, "build_minutes", [["2026-03-02", "42"]]);
}, 180_000);

afterAll(async () => {
  await t?.drop();
});

describe("getUsageSeries", () => {
  it("sums daily rollups per meter and day over a half-open range, this customer only", async () => {
    const series = await getUsageSeries(t.db, a.id, { start: d("2026-03-01T00:00:00Z"), end: d("2026-03-03T00:00:00Z"), bucket: "day" });
    expect(series).toEqual([
      {
        meterKey: "compute_small_hours", name: "Compute — small instance", unit: "hour", total: "3.75",
        points: [{ t: "2026-03-01T00:00:00Z", quantity: "1.5" }, { t: "2026-03-02T00:00:00Z", quantity: "2.25" }],
      },
      { meterKey: "bandwidth_gb", name: "Bandwidth", unit: "GB", total: "10.000001", points: [{ t: "2026-03-02T00:00:00Z", quantity: "10.000001" }] },
    ]);
  });

  it("includes the start day and excludes the end day", async () => {
    const series = await getUsageSeries(t.db, a.id, { start: d("2026-03-03T00:00:00Z"), end: d("2026-03-04T00:00:00Z"), bucket: "day" });
    expect(series.map((s) => [s.meterKey, s.total, s.points.length])).toEqual([["compute_small_hours", "3", 1]]);
    expect(await getUsageSeries(t.db, a.id, { start: d("2026-03-04T00:00:00Z"), end: d("2026-03-10T00:00:00Z"), bucket: "day" })).toEqual([]);
  });

  it("reads hourly rollups for an hourly range, half-open at the hour", async () => {
    const [s] = await getUsageSeries(t.db, a.id, { start: d("2026-03-01T01:00:00Z"), end: d("2026-03-01T03:00:00Z"), bucket: "hour" });
    expect(s).toMatchObject({ meterKey: "compute_small_hours", total: "1" });
    expect(s!.points).toEqual([{ t: "2026-03-01T01:00:00Z", quantity: "0.25" }, { t: "2026-03-01T02:00:00Z", quantity: "0.75" }]);
  });

  it("is the exported SQL: same rows when run directly", async () => {
    const params = [a.id, d("2026-03-01T00:00:00Z"), d("2026-03-04T00:00:00Z")];
    const { rows } = await t.pool.query(usageSeriesSql.day, params);
    expect(rows.map((r) => [r.meter_key, r.total])).toEqual([["compute_small_hours", "6.75"], ["bandwidth_gb", "10.000001"]]);
    expect(rows[0].points).toHaveLength(3);
  });
});

describe("chooseBucket", () => {
  const now = d("2026-03-05T12:00:00Z");
  it("hourly for a short range the hourly rollups cover", async () => {
    expect(await chooseBucket(t.db, a.id, { start: d("2026-03-01T00:00:00Z"), end: d("2026-03-02T00:00:00Z") }, now)).toBe("hour");
  });
  it("daily when the range is longer than 7 days", async () => {
    expect(await chooseBucket(t.db, a.id, { start: d("2026-02-26T00:00:00Z"), end: d("2026-03-06T00:00:00Z") }, now)).toBe("day");
  });
  it("daily when the range starts before the hourly retention window", async () => {
    expect(await chooseBucket(t.db, a.id, { start: d("2026-03-01T00:00:00Z"), end: d("2026-03-02T00:00:00Z") }, d("2026-03-20T00:00:00Z"))).toBe("day");
  });
  it("daily when only daily rollups exist for the range", async () => {
    expect(await chooseBucket(t.db, dailyOnly.id, { start: d("2026-03-01T00:00:00Z"), end: d("2026-03-04T00:00:00Z") }, now)).toBe("day");
  });
});

describe("resolveUsageView", () => {
  const now = d("2026-03-05T12:00:00Z");
  it("defaults to the current billing period, daily", async () => {
    const view = await resolveUsageView(t.db, a.id, {}, now);
    expect(view).toMatchObject({ kind: "period", from: "2026-03-01", to: "2026-03-31", error: null });
    expect(view.range).toEqual({ start: d("2026-03-01T00:00:00Z"), end: d("2026-04-01T00:00:00Z"), bucket: "day" });
  });
  it("a custom range of two days inside the hourly window is hourly", async () => {
    const view = await resolveUsageView(t.db, a.id, { range: "custom", from: "2026-03-01", to: "2026-03-02" }, now);
    expect(view.range).toEqual({ start: d("2026-03-01T00:00:00Z"), end: d("2026-03-03T00:00:00Z"), bucket: "hour" });
  });
  it("bad input falls back to the period with the message", async () => {
    const view = await resolveUsageView(t.db, a.id, { range: "custom", from: "2026-03-04", to: "2026-03-01" }, now);
    expect(view.kind).toBe("period");
    expect(view.range.start).toEqual(d("2026-03-01T00:00:00Z"));
    expect(view.error?.fieldErrors.to).toMatch(/before the start/);
  });
});

describe("getUsageCost", () => {
  let c: CreatedCustomer;
  const now = d("2026-03-20T12:00:00Z");

  beforeAll(async () => {
    c = await createCustomer(t.pool, { planKey: "pro", startedAt: d("2026-03-01T00:00:00Z") });
    // 80 hours a day on Mar 1–19, 40 so far today: 1,560 hours against 1,500 included.
    const days = Array.from({ length: 19 }, (_, i) => [`2026-03-${String(i + 1).padStart(2, "0")}`, "80"] as [string, string]);
    await daily(c.id, "compute_small_hours", [...days, ["2026-03-20", "40"]]);
    await daily(c.id, "bandwidth_gb", [["2026-03-05", "1200"]]);
    await daily(c.id, "compute_small_hours", [["2026-02-28", "999"]]); // before the period: not counted
  });

  it("prices usage to date through the plan in force, and projects to period end", async () => {
    const cost = await getUsageCost(t.db, c.id, now);
    expect(cost).not.toBeNull();
    expect(cost!.currency).toBe("USD");
    expect(cost!.period).toEqual({ start: "2026-03-01T00:00:00.000Z", end: "2026-04-01T00:00:00.000Z" });
    expect(cost!.runRate).toEqual({ from: "2026-03-13", to: "2026-03-19", days: 7 });
    expect(cost!.remainingDays).toBe("11.5");
    const compute = cost!.rows.find((r) => r.meterKey === "compute_small_hours")!;
    // Pro: 1,500 included, then 0.0125 × 0.95 = 0.011875 per hour.
    expect(compute).toMatchObject({
      quantity: "1560", included: "1500", billable: "60",
      costMinor: "71", // 60 × 0.011875 = 0.7125 → $0.71
      runRatePerDay: "80",
      projectedQuantity: "2480", // 1,560 + 80 × 11.5
      projectedCostMinor: "1164", // 980 × 0.011875 = 11.6375 → $11.64
    });
    const bandwidth = cost!.rows.find((r) => r.meterKey === "bandwidth_gb")!;
    // 1,000 GB included, then graduated from 0.09 × 0.95 = 0.0855: 200 × 0.0855 = 17.10. No usage in the last 7 days.
    expect(bandwidth).toMatchObject({ quantity: "1200", billable: "200", costMinor: "1710", runRatePerDay: "0", projectedQuantity: "1200", projectedCostMinor: "1710" });
    const seats = cost!.rows.find((r) => r.meterKey === "seats")!;
    expect(seats).toMatchObject({ quantity: "0", included: "10", billable: "0", costMinor: "0" });
    expect(cost!.rows).toHaveLength(8);
    expect(cost!.totalCostMinor).toBe("1781");
    expect(cost!.projectedTotalCostMinor).toBe("2874");
  });

  it("the cost to date is the shadow preview's usage lines", async () => {
    const { computeShadowPreview } = await import("../billing/customer-billing");
    const shadow = await computeShadowPreview(t.db, c.id, now);
    const usageMinor = shadow!.preview.lines.filter((l) => l.kind === "usage").reduce((s, l) => s + l.amountMinor, 0n);
    const cost = await getUsageCost(t.db, c.id, now);
    expect(cost!.totalCostMinor).toBe(usageMinor.toString());
  });

  it("has no table and no projection without an active subscription", async () => {
    const gone = await createCustomer(t.pool, { planKey: "pro", startedAt: d("2026-03-01T00:00:00Z") });
    await t.pool.query(`UPDATE subscriptions SET status = 'canceled' WHERE customer_id = $1`, [gone.id]);
    await daily(gone.id, "compute_small_hours", [["2026-03-10", "5"]]);
    expect(await getUsageCost(t.db, gone.id, now)).toBeNull();
    const view = await resolveUsageView(t.db, gone.id, {}, now);
    expect(view.billing).toBeNull();
    expect(view.range).toMatchObject({ start: d("2026-03-01T00:00:00Z"), end: d("2026-04-01T00:00:00Z"), bucket: "day" });
    const series = await getUsageSeries(t.db, gone.id, view.range);
    expect(series.map((s) => s.total)).toEqual(["5"]);
  });

  it("a subscription that began today has no run rate yet", async () => {
    const fresh = await createCustomer(t.pool, { planKey: "pro", startedAt: d("2026-03-20T00:00:00Z") });
    const cost = await getUsageCost(t.db, fresh.id, now);
    expect(cost!.runRate.days).toBe(0);
    expect(cost!.projectedTotalCostMinor).toBeNull();
    expect(cost!.rows.every((r) => r.projectedQuantity === null)).toBe(true);
  });
});
