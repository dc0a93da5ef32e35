// The review queue's rule context, computed for everyone at once (loadAnomalyContexts, fed by
// the shadow pass's activity), against a plain per-customer computation of the same inputs
// (the rules' definitions read literally), on seeded data made awkward on purpose: missing days,
// spikes before and inside the period, a customer created a few days ago, a plan change inside
// the period. Same usage, days, credits and last invoice; same flags for several thresholds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { seedDatabase } from "@/prisma/seed/index";
import { trimDecimalText, usageSpike, utcDayKey } from "@/lib/billing";
import { computeAllPreviews, type BatchPreview } from "../billing/batch-previews";
import { checkCustomerAnomalies, defaultThresholds, type AnomalyThresholds, type CustomerAnomalyInput, type PreviewInput } from "../billing/anomaly-check";
import { activityFor, loadAnomalyContexts, spikeTest, type AnomalyContext } from "./recompute-previews";

const DAY = 86_400_000;
let t: TestDatabase;
let at: Date;

beforeAll(async () => {
  t = await createTestDatabase();
  const seeded = await seedDatabase(t.url, { customers: 60, days: 50 });
  at = new Date(seeded.now);
  const q = (sql: string, params: unknown[] = []) => t.pool.query(sql, params);
  const today = utcDayKey(at);
  // Missing days: every third customer loses two or three recent days (all meters).
  await q(`DELETE FROM usage_daily d USING (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers) c
            WHERE d.customer_id = c.id AND c.n % 3 = 0 AND d.day IN ($1::date - 2, $1::date - 3 - (c.n % 2)::int)`, [today]);
  // One customer has no usage at all since long before the period.
  await q(`DELETE FROM usage_daily WHERE customer_id = (SELECT id FROM customers ORDER BY id OFFSET 7 LIMIT 1) AND day >= $1::date - 45`, [today]);
  // Spikes: some in the period, some only in the days just before it (which must not be flagged
  // but feed the trailing median), some on tiny meters (below the minimum quantity).
  await q(`UPDATE usage_daily d SET quantity = d.quantity * 40 + 3 FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers) c
            WHERE d.customer_id = c.id AND c.n % 4 = 1 AND d.day = $1::date - 1 - (c.n % 5)::int`, [today]);
  await q(`UPDATE usage_daily d SET quantity = d.quantity * 25 FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers) c
            WHERE d.customer_id = c.id AND c.n % 5 = 2 AND d.day BETWEEN $1::date - 40 AND $1::date - 25`, [today]);
  await q(`UPDATE usage_daily d SET quantity = 0.5 FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers) c
            WHERE d.customer_id = c.id AND c.n % 6 = 5 AND d.day < $1::date - 3`, [today]);
  // Zero-quantity rows still count as a day with data.
  await q(`UPDATE usage_daily d SET quantity = 0 FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers) c
            WHERE d.customer_id = c.id AND c.n % 7 = 3 AND d.day = $1::date - 1`, [today]);
  // A customer created four days ago: its history window starts then.
  await q(`UPDATE customers SET created_at = $1::timestamptz - interval '4 days 5 hours' WHERE id = (SELECT id FROM customers ORDER BY id OFFSET 11 LIMIT 1)`, [at]);
  // A plan change two days ago for a customer with usage: two segments this period.
  const { rows: [c] } = await q(
    `SELECT s.customer_id::text, s.id::text AS subscription_id, ph.id::text AS phase_id, ph.plan_version_id::text
       FROM subscriptions s JOIN subscription_phases ph ON ph.subscription_id = s.id AND ph.ends_at IS NULL
      WHERE s.status = 'active' AND EXISTS (SELECT 1 FROM usage_daily d WHERE d.customer_id = s.customer_id AND d.day >= $1::date - 3)
      ORDER BY s.customer_id OFFSET 2 LIMIT 1`,
    [today],
  );
  const { rows: [other] } = await q(
    `SELECT v.id::text FROM plan_versions v JOIN plan_versions cur ON cur.id = $1::uuid WHERE v.currency = cur.currency AND v.id <> cur.id ORDER BY v.base_fee_minor DESC LIMIT 1`,
    [c.plan_version_id],
  );
  const changeAt = new Date(Math.floor(at.getTime() / DAY) * DAY - 2 * DAY + 6 * 3_600_000);
  await q("UPDATE subscription_phases SET ends_at = $2 WHERE id = $1::uuid", [c.phase_id, changeAt]);
  await q("INSERT INTO subscription_phases (id, subscription_id, plan_version_id, starts_at) VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3)", [c.subscription_id, other.id, changeAt]);
}, 180_000);
afterAll(async () => {
  await t.drop();
});

/** The rules' inputs for one customer, read literally: a few queries, no prefilter. */
async function plainContext(b: BatchPreview, th: AnomalyThresholds, createdAt: Date): Promise<AnomalyContext> {
  const pstart = utcDayKey(b.period.start);
  const pend = utcDayKey(b.period.end);
  const id = b.customerId;
  const usage = await t.pool.query<{ key: string; q: string }>(
    `SELECT m.key, trim_scale(sum(d.quantity))::text AS q FROM usage_daily d JOIN meters m ON m.id = d.meter_id
      WHERE d.customer_id = $1::uuid AND d.day >= $2::date AND d.day < $3::date GROUP BY m.key`,
    [id, pstart, pend],
  );
  const days = await t.pool.query<{ day: string }>(
    `SELECT DISTINCT to_char(day, 'YYYY-MM-DD') AS day FROM usage_daily WHERE customer_id = $1::uuid AND day >= $2::date AND day < $3::date ORDER BY 1`,
    [id, pstart, pend],
  );
  const from = b.period.start.getTime() - th.missingUsageDays.historyDays * DAY;
  const hstart = utcDayKey(new Date(Math.max(from, Math.ceil(createdAt.getTime() / DAY) * DAY)));
  const history = await t.pool.query<{ n: number }>(
    `SELECT count(DISTINCT day)::int AS n FROM usage_daily WHERE customer_id = $1::uuid AND day >= $2::date AND day < $3::date`,
    [id, hstart, pstart],
  );
  const credits = await t.pool.query<{ granted: string }>(
    `SELECT coalesce(sum(amount_minor), 0)::text AS granted FROM credit_ledger_entries
      WHERE customer_id = $1::uuid AND kind = 'grant' AND created_at >= $2 AND created_at < $3`,
    [id, b.period.start, at],
  );
  const last = await t.pool.query<{ total_minor: string; currency: string }>(
    `SELECT total_minor::text, currency FROM invoices WHERE customer_id = $1::uuid AND status IN ('issued', 'paid') ORDER BY period_start DESC LIMIT 1`,
    [id],
  );
  const wstart = utcDayKey(new Date(b.period.start.getTime() - th.usageSpike.trailingDays * DAY));
  const series = await t.pool.query<{ key: string; day: string; q: string }>(
    `SELECT m.key, to_char(d.day, 'YYYY-MM-DD') AS day, d.quantity::text AS q FROM usage_daily d JOIN meters m ON m.id = d.meter_id
      WHERE d.customer_id = $1::uuid AND d.day >= $2::date AND d.day < $3::date ORDER BY m.key, d.day`,
    [id, wstart, pend],
  );
  const dailyByMeter: AnomalyContext["dailyByMeter"] = {};
  for (const r of series.rows) (dailyByMeter[r.key] ??= []).push({ day: r.day, quantity: trimDecimalText(r.q) });
  const lastRow = last.rows[0];
  return {
    lastInvoiceMinor: lastRow && lastRow.currency === b.currency ? BigInt(lastRow.total_minor) : null,
    creditsGrantedMinor: BigInt(credits.rows[0]!.granted),
    usageByMeter: Object.fromEntries(usage.rows.map((r) => [r.key, r.q])),
    daysWithData: days.rows.map((r) => r.day),
    history: { days: Math.max(0, Math.round((Date.parse(`${pstart}T00:00:00Z`) - Date.parse(`${hstart}T00:00:00Z`)) / DAY)), daysWithData: history.rows[0]!.n },
    dailyByMeter,
  };
}

const inputOf = (b: BatchPreview): PreviewInput => ({
  currency: b.preview.currency,
  lines: b.preview.lines,
  subtotalMinor: b.preview.subtotalMinor,
  creditsAppliedMinor: b.preview.creditsAppliedMinor,
  totalMinor: b.preview.totalMinor,
});

function flagsWith(b: BatchPreview, ctx: AnomalyContext, th: AnomalyThresholds) {
  const input: CustomerAnomalyInput = {
    currency: b.currency,
    period: b.period,
    asOf: at,
    provider: inputOf(b),
    shadow: inputOf(b),
    lastInvoiceTotalMinor: ctx.lastInvoiceMinor,
    creditsGrantedMinor: ctx.creditsGrantedMinor,
    usageByMeter: ctx.usageByMeter,
    daysWithData: ctx.daysWithData,
    history: ctx.history,
    dailyByMeter: ctx.dailyByMeter,
  };
  return checkCustomerAnomalies(input, th);
}

function thresholds(edit: (t: AnomalyThresholds) => void): AnomalyThresholds {
  const th = defaultThresholds();
  edit(th);
  return th;
}

describe("the review queue's rule context for everyone at once", () => {
  const cases: Array<[string, AnomalyThresholds]> = [
    ["default thresholds", defaultThresholds()],
    ["sensitive spikes, short window", thresholds((x) => Object.assign(x.usageSpike, { multiplier: "1.5", trailingDays: 3, minHistoryDays: 1, minQuantity: "0" }))],
    ["long spike window, odd multiplier", thresholds((x) => Object.assign(x.usageSpike, { multiplier: "2.25", trailingDays: 12, minHistoryDays: 6, minQuantity: "0.75" }))],
    ["missing days: loose coverage, two days to flag, long history", thresholds((x) => Object.assign(x.missingUsageDays, { minUsualCoverage: "0.5", minMissingDays: 2, minHistoryDays: 3, historyDays: 60 }))],
  ];

  it.each(cases)("gives the same inputs and the same flags as a per-customer computation (%s)", async (_name, th) => {
    const previews = await computeAllPreviews(t.db, at, { activity: activityFor(th) });
    const { rows } = await t.pool.query<{ id: string; created_at: Date }>("SELECT id::text, created_at FROM customers");
    const customers = new Map(rows.map((r) => [r.id, r]));
    const contexts = await loadAnomalyContexts(t.db, previews, customers, th, at);
    expect(contexts.size).toBe(previews.length);
    const seen = new Map<string, number>();
    for (const b of previews) {
      const ours = contexts.get(b.customerId)!;
      const plain = await plainContext(b, th, customers.get(b.customerId)!.created_at);
      expect(ours.usageByMeter, b.customerId).toEqual(plain.usageByMeter);
      expect(ours.daysWithData, b.customerId).toEqual(plain.daysWithData);
      expect(ours.creditsGrantedMinor, b.customerId).toBe(plain.creditsGrantedMinor);
      expect(ours.lastInvoiceMinor, b.customerId).toBe(plain.lastInvoiceMinor);
      // The history is read only where the rule could flag; when read, it is the same.
      if (ours.history.days > 0) expect(ours.history, b.customerId).toEqual(plain.history);
      // The series handed to the rule are the full ones, for exactly the meters that spiked in the period.
      for (const [meter, daily] of Object.entries(ours.dailyByMeter)) expect(daily, `${b.customerId} ${meter}`).toEqual(plain.dailyByMeter[meter]);
      const flags = flagsWith(b, ours, th);
      expect(flags, b.customerId).toEqual(flagsWith(b, plain, th));
      for (const f of flags) seen.set(f.code, (seen.get(f.code) ?? 0) + 1);
    }
    // The data exercised the two rules the context is for.
    expect(seen.get("missing_usage_days") ?? 0).toBeGreaterThan(0);
    expect(seen.get("usage_spike") ?? 0).toBeGreaterThan(0);
  });
});

describe("the spike prefilter", () => {
  it("says yes exactly when the usage-spike rule flags a day of the period", () => {
    const quantity = fc.oneof(
      fc.constantFrom("0.000000", "1.000000", "0.500000"),
      fc.bigInt({ min: 0n, max: 10n ** 9n }).map((n) => `${n / 1_000_000n}.${(n % 1_000_000n).toString().padStart(6, "0")}`),
    );
    const params = fc.record({
      multiplier: fc.constantFrom("1", "1.5", "2", "2.25", "5", "3.333333"),
      trailingDays: fc.integer({ min: 2, max: 10 }),
      minHistoryDays: fc.integer({ min: 1, max: 8 }),
      minQuantity: fc.constantFrom("0", "1", "0.75", "50"),
    });
    fc.assert(
      fc.property(params, fc.array(fc.tuple(fc.boolean(), quantity), { minLength: 1, maxLength: 45 }), (p, raw) => {
        const th = defaultThresholds();
        Object.assign(th.usageSpike, p);
        // Days present in the series (some absent), as offsets from the window's first day.
        const points = raw.flatMap(([present, q], i) => (present || i % 3 === 0 ? [{ offset: i, quantity: q }] : []));
        const first = Date.UTC(2026, 9, 1);
        const daily = points.map((x) => ({ day: utcDayKey(new Date(first + x.offset * DAY)), quantity: x.quantity }));
        const firstPeriodDay = utcDayKey(new Date(first + p.trailingDays * DAY));
        const hit = usageSpike.check({ meterKey: "m", daily }, th.usageSpike);
        const inPeriod = (hit?.details.spikes ?? []).some((s) => s.day >= firstPeriodDay);
        return spikeTest(th)(points) === inPeriod;
      }),
      { numRuns: 400 },
    );
  });
});
