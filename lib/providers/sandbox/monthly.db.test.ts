// sandbox_usage_monthly is kept by triggers on sandbox_usage_daily. Whatever statements change
// the days (inserts, the ingest's add-on-conflict, updates, deletes, truncation, several rows at
// once, across month ends, from two connections at once), the monthly rows must equal what the
// days say: thirty-one running totals and the days with a row, and no row for a month without days.
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
}, 120_000);
afterAll(async () => {
  await t.drop();
});
beforeEach(async () => {
  await t.pool.query("DELETE FROM sandbox_usage_daily");
});

/** Millionths, so sums are exact in JS too. */
const micros = (text: string) => BigInt(text.replace(".", "").replace(/^0+(?=\d)/, ""));
const text = (m: bigint) => `${m / 1_000_000n}.${(m % 1_000_000n).toString().padStart(6, "0")}`;

/** The monthly rows as the days say they should be. */
async function expected() {
  const { rows } = await t.pool.query<{ pcid: string; meter: string; day: string; quantity: string }>(
    `SELECT provider_customer_id AS pcid, meter_key AS meter, to_char(day, 'YYYY-MM-DD') AS day, quantity::text FROM sandbox_usage_daily ORDER BY day`,
  );
  const months = new Map<string, { through: bigint[]; bits: bigint }>();
  for (const r of rows) {
    const key = `${r.day.slice(0, 7)}-01 ${r.pcid} ${r.meter}`;
    let m = months.get(key);
    if (!m) months.set(key, (m = { through: Array.from({ length: 31 }, () => 0n), bits: 0n }));
    const dom = Number(r.day.slice(8));
    for (let i = dom - 1; i < 31; i++) m.through[i]! += micros(r.quantity);
    m.bits |= 1n << BigInt(dom - 1);
  }
  return Object.fromEntries([...months].map(([k, m]) => [k, { through: m.through.map(text), bits: m.bits.toString() }]));
}

async function actual() {
  const { rows } = await t.pool.query<{ month: string; pcid: string; meter: string; through: string[]; bits: string }>(
    `SELECT to_char(month, 'YYYY-MM-DD') AS month, provider_customer_id AS pcid, meter_key AS meter, through::text[] AS through, day_bits::text AS bits
       FROM sandbox_usage_monthly`,
  );
  return Object.fromEntries(rows.map((r) => [`${r.month} ${r.pcid} ${r.meter}`, { through: r.through, bits: r.bits }]));
}

// Days around two month ends (a 30-day and a 31-day month), for two customers and two meters.
const days = ["2026-09-29", "2026-09-30", "2026-10-01", "2026-10-02", "2026-10-15", "2026-10-30", "2026-10-31", "2026-11-01"];
const key = fc.record({ pcid: fc.constantFrom("sbx_a", "sbx_b"), meter: fc.constantFrom("m1", "m2"), day: fc.constantFrom(...days) });
const quantity = fc.integer({ min: 0, max: 5_000_000_000 }).map((m) => text(BigInt(m)));
const op = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), rows: fc.array(fc.record({ k: key, q: quantity }), { minLength: 1, maxLength: 5 }) }),
  fc.record({ kind: fc.constant("update" as const), k: key, q: quantity }),
  fc.record({ kind: fc.constant("delete" as const), k: key }),
  fc.record({ kind: fc.constant("deleteMonth" as const), pcid: fc.constantFrom("sbx_a", "sbx_b"), month: fc.constantFrom("2026-09", "2026-10", "2026-11") }),
  fc.record({ kind: fc.constant("truncate" as const) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function apply(o: Op) {
  switch (o.kind) {
    case "insert": {
      // The ingest's statement: one row per key, added to the day's row when there is one.
      const merged = new Map<string, { pcid: string; meter: string; day: string; q: bigint }>();
      for (const { k, q } of o.rows) {
        const id = `${k.pcid} ${k.meter} ${k.day}`;
        const m = merged.get(id);
        if (m) m.q += micros(q);
        else merged.set(id, { ...k, q: micros(q) });
      }
      const rows = [...merged.values()];
      await t.pool.query(
        `INSERT INTO sandbox_usage_daily (provider_customer_id, meter_key, day, quantity)
         SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::numeric[])
         ON CONFLICT (provider_customer_id, meter_key, day) DO UPDATE SET quantity = sandbox_usage_daily.quantity + EXCLUDED.quantity`,
        [rows.map((r) => r.pcid), rows.map((r) => r.meter), rows.map((r) => r.day), rows.map((r) => text(r.q))],
      );
      return;
    }
    case "update":
      await t.pool.query(`UPDATE sandbox_usage_daily SET quantity = $4::numeric WHERE provider_customer_id = $1 AND meter_key = $2 AND day = $3::date`, [
        o.k.pcid, o.k.meter, o.k.day, o.q,
      ]);
      return;
    case "delete":
      await t.pool.query(`DELETE FROM sandbox_usage_daily WHERE provider_customer_id = $1 AND meter_key = $2 AND day = $3::date`, [o.k.pcid, o.k.meter, o.k.day]);
      return;
    case "deleteMonth":
      await t.pool.query(`DELETE FROM sandbox_usage_daily WHERE provider_customer_id = $1 AND to_char(day, 'YYYY-MM') = $2`, [o.pcid, o.month]);
      return;
    case "truncate":
      await t.pool.query("TRUNCATE sandbox_usage_daily");
      return;
  }
}

describe("sandbox monthly running totals", () => {
  it("equal the days after any sequence of statements", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        await t.pool.query("DELETE FROM sandbox_usage_daily");
        for (const o of ops) {
          await apply(o);
          expect(await actual()).toEqual(await expected());
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it("hold a day of zero usage as a day with data", async () => {
    await apply({ kind: "insert", rows: [{ k: { pcid: "sbx_a", meter: "m1", day: "2026-10-02" }, q: "0.000000" }] });
    expect(await actual()).toEqual({ "2026-10-01 sbx_a m1": { through: Array.from({ length: 31 }, () => "0.000000"), bits: "2" } });
  });

  it("stay exact when two connections add to the same month at once", async () => {
    const a = await t.pool.connect();
    const b = await t.pool.connect();
    try {
      await a.query("BEGIN");
      await b.query("BEGIN");
      const add = (c: typeof a, day: string, q: string) =>
        c.query(
          `INSERT INTO sandbox_usage_daily (provider_customer_id, meter_key, day, quantity) VALUES ('sbx_a', 'm1', $1::date, $2::numeric)
           ON CONFLICT (provider_customer_id, meter_key, day) DO UPDATE SET quantity = sandbox_usage_daily.quantity + EXCLUDED.quantity`,
          [day, q],
        );
      await add(a, "2026-10-02", "1.5");
      // b's rebuild waits for a's to commit, then reads a's day as well as its own.
      const second = add(b, "2026-10-20", "2.25");
      await new Promise((resolve) => setTimeout(resolve, 100));
      await a.query("COMMIT");
      await second;
      await b.query("COMMIT");
    } finally {
      a.release();
      b.release();
    }
    expect(await actual()).toEqual(await expected());
    expect((await actual())["2026-10-01 sbx_a m1"]!.through[30]).toBe("3.750000");
  });
});
