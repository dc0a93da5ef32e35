// The monthly running totals are kept by triggers on the daily rows: the sandbox's own
// (sandbox_usage_monthly from sandbox_usage_daily) and Meterdesk's (usage_monthly from the
// rollups in usage_daily, which the review queue's batch previews read). Whatever statements
// change the days (inserts, the add-on-conflict of ingest and roll-up, updates, deletes,
// truncation, several rows at once, across month ends, from two connections at once), the
// monthly rows must equal what the days say: thirty-one running totals, the days with a row, the
// smallest and largest day, and no row for a month without days.
import fc from "fast-check";
import type pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
}, 120_000);
afterAll(async () => {
  await t.drop();
});
type Table = {
  daily: string;
  monthly: string;
  customer: string;
  meter: string;
  keyType: "text" | "uuid";
  /** Key values as the columns hold them. */
  customers: [string, string];
  meters: [string, string];
};

const tables: Table[] = [
  {
    daily: "sandbox_usage_daily", monthly: "sandbox_usage_monthly", customer: "provider_customer_id", meter: "meter_key", keyType: "text",
    customers: ["sbx_a", "sbx_b"], meters: ["m1", "m2"],
  },
  {
    daily: "usage_daily", monthly: "usage_monthly", customer: "customer_id", meter: "meter_id", keyType: "uuid",
    customers: ["00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"],
    meters: ["00000000-0000-4000-8000-0000000000f1", "00000000-0000-4000-8000-0000000000f2"],
  },
];

/** Millionths, so sums are exact in JS too. */
const micros = (text: string) => BigInt(text.replace(".", "").replace(/^0+(?=\d)/, ""));
const text = (m: bigint) => `${m / 1_000_000n}.${(m % 1_000_000n).toString().padStart(6, "0")}`;

type Month = { through: string[]; bits: string; min: string; max: string };

/** The monthly rows as the days say they should be. */
async function expected(tb: Table): Promise<Record<string, Month>> {
  const { rows } = await t.pool.query<{ c: string; m: string; day: string; quantity: string }>(
    `SELECT ${tb.customer}::text AS c, ${tb.meter}::text AS m, to_char(day, 'YYYY-MM-DD') AS day, quantity::text FROM ${tb.daily} ORDER BY day`,
  );
  const months = new Map<string, { through: bigint[]; bits: bigint; min: bigint; max: bigint }>();
  for (const r of rows) {
    const key = `${r.day.slice(0, 7)}-01 ${r.c} ${r.m}`;
    const q = micros(r.quantity);
    let m = months.get(key);
    if (!m) months.set(key, (m = { through: Array.from({ length: 31 }, () => 0n), bits: 0n, min: q, max: q }));
    const dom = Number(r.day.slice(8));
    for (let i = dom - 1; i < 31; i++) m.through[i]! += q;
    m.bits |= 1n << BigInt(dom - 1);
    if (q < m.min) m.min = q;
    if (q > m.max) m.max = q;
  }
  return Object.fromEntries(
    [...months].map(([k, m]) => [k, { through: m.through.map(text), bits: m.bits.toString(), min: text(m.min), max: text(m.max) }]),
  );
}

async function actual(tb: Table): Promise<Record<string, Month>> {
  const { rows } = await t.pool.query<{ month: string; c: string; m: string; through: string[]; bits: string; min: string; max: string }>(
    `SELECT to_char(month, 'YYYY-MM-DD') AS month, ${tb.customer}::text AS c, ${tb.meter}::text AS m, through::text[] AS through, day_bits::text AS bits
            , min_day::text AS min, max_day::text AS max
       FROM ${tb.monthly}`,
  );
  return Object.fromEntries(
    rows.map((r) => [`${r.month} ${r.c} ${r.m}`, { through: r.through, bits: r.bits, min: r.min, max: r.max }]),
  );
}

// Days around two month ends (a 30-day and a 31-day month), for two customers and two meters
// (indexes into the table's keys).
const days = ["2026-09-29", "2026-09-30", "2026-10-01", "2026-10-02", "2026-10-15", "2026-10-30", "2026-10-31", "2026-11-01"];
const key = fc.record({ c: fc.constantFrom(0, 1), m: fc.constantFrom(0, 1), day: fc.constantFrom(...days) });
const quantity = fc.integer({ min: 0, max: 5_000_000_000 }).map((m) => text(BigInt(m)));
const op = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), rows: fc.array(fc.record({ k: key, q: quantity }), { minLength: 1, maxLength: 5 }) }),
  fc.record({ kind: fc.constant("update" as const), k: key, q: quantity }),
  fc.record({ kind: fc.constant("delete" as const), k: key }),
  fc.record({ kind: fc.constant("deleteMonth" as const), c: fc.constantFrom(0, 1), month: fc.constantFrom("2026-09", "2026-10", "2026-11") }),
  fc.record({ kind: fc.constant("truncate" as const) }),
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** The ingest's and the roll-up's statement: one row per key, added to the day's row when there is one. */
async function add(tb: Table, client: Pick<pg.Pool, "query">, rows: Array<{ c: number; m: number; day: string; q: string }>) {
  const merged = new Map<string, { c: string; m: string; day: string; q: bigint }>();
  for (const r of rows) {
    const id = `${r.c} ${r.m} ${r.day}`;
    const m = merged.get(id);
    if (m) m.q += micros(r.q);
    else merged.set(id, { c: tb.customers[r.c]!, m: tb.meters[r.m]!, day: r.day, q: micros(r.q) });
  }
  const list = [...merged.values()];
  await client.query(
    `INSERT INTO ${tb.daily} (${tb.customer}, ${tb.meter}, day, quantity)
     SELECT * FROM unnest($1::${tb.keyType}[], $2::${tb.keyType}[], $3::date[], $4::numeric[])
     ON CONFLICT (${tb.customer}, ${tb.meter}, day) DO UPDATE SET quantity = ${tb.daily}.quantity + EXCLUDED.quantity`,
    [list.map((r) => r.c), list.map((r) => r.m), list.map((r) => r.day), list.map((r) => text(r.q))],
  );
}

async function apply(tb: Table, o: Op) {
  const where = `${tb.customer} = $1 AND ${tb.meter} = $2 AND day = $3::date`;
  switch (o.kind) {
    case "insert":
      return add(tb, t.pool, o.rows.map(({ k, q }) => ({ ...k, q })));
    case "update":
      await t.pool.query(`UPDATE ${tb.daily} SET quantity = $4::numeric WHERE ${where}`, [tb.customers[o.k.c], tb.meters[o.k.m], o.k.day, o.q]);
      return;
    case "delete":
      await t.pool.query(`DELETE FROM ${tb.daily} WHERE ${where}`, [tb.customers[o.k.c], tb.meters[o.k.m], o.k.day]);
      return;
    case "deleteMonth":
      await t.pool.query(`DELETE FROM ${tb.daily} WHERE ${tb.customer} = $1 AND to_char(day, 'YYYY-MM') = $2`, [tb.customers[o.c], o.month]);
      return;
    case "truncate":
      await t.pool.query(`TRUNCATE ${tb.daily}`);
      return;
  }
}

describe.each(tables)("monthly running totals from $daily", (tb) => {
  beforeEach(async () => {
    await t.pool.query(`DELETE FROM ${tb.daily}`);
  });

  it("equal the days after any sequence of statements", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        await t.pool.query(`DELETE FROM ${tb.daily}`);
        for (const o of ops) {
          await apply(tb, o);
          expect(await actual(tb)).toEqual(await expected(tb));
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it("hold a day of zero usage as a day with data", async () => {
    await add(tb, t.pool, [{ c: 0, m: 0, day: "2026-10-02", q: "0.000000" }]);
    const zero = "0.000000";
    expect(await actual(tb)).toEqual({
      [`2026-10-01 ${tb.customers[0]} ${tb.meters[0]}`]: { through: Array.from({ length: 31 }, () => zero), bits: "2", min: zero, max: zero },
    });
  });

  it("stay exact when two connections add to the same month at once", async () => {
    const a = await t.pool.connect();
    const b = await t.pool.connect();
    try {
      await a.query("BEGIN");
      await b.query("BEGIN");
      await add(tb, a, [{ c: 0, m: 0, day: "2026-10-02", q: "1.500000" }]);
      // b's rebuild waits for a's to commit, then reads a's day as well as its own.
      const second = add(tb, b, [{ c: 0, m: 0, day: "2026-10-20", q: "2.250000" }]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await a.query("COMMIT");
      await second;
      await b.query("COMMIT");
    } finally {
      a.release();
      b.release();
    }
    const months = await actual(tb);
    expect(months).toEqual(await expected(tb));
    expect(months[`2026-10-01 ${tb.customers[0]} ${tb.meters[0]}`]!.through[30]).toBe("3.750000");
  });
});
