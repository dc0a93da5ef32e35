// The roll-up job must never lose an event nor count one twice, whatever order ingests commit or
// abort in around its runs. These tests hold transactions open on their own connections to
// make those orders happen.
import fc from "fast-check";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { seedDatabase } from "@/prisma/seed/index";
import { createCustomer, type CreatedCustomer } from "@/prisma/seed/factories";
import { ingestUsageEvents } from "./ingest-usage";
import { rollUpAllUsage, rollUpThrough, rollUpUsage, usageRollupBacklog } from "./roll-up-usage";

let t: TestDatabase;
let customer: CreatedCustomer;
let meterId: string;
let serial = 0;
const now = new Date();
const hourAgo = (h: number) => new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000 - h * 3_600_000 + 60_000);

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 2, days: 2 });
  customer = await createCustomer(t.pool, { name: "Roll-up Test Co" });
  const { rows } = await t.pool.query<{ id: string }>("SELECT id::text FROM meters WHERE key = 'bandwidth_gb'");
  meterId = rows[0]!.id;
}, 120_000);
afterAll(async () => {
  await t.drop();
});

/** Inserts events on `client` (inside whatever transaction it has open), as ingest does. */
async function insertRaw(client: pg.PoolClient | pg.Pool, quantities: string[], hour = 1) {
  for (const q of quantities) {
    serial += 1;
    await client.query(
      `INSERT INTO usage_events (idempotency_key, customer_id, meter_id, occurred_at, quantity) VALUES ($1, $2::uuid, $3::uuid, $4, $5::numeric)`,
      [`rollup-test-${serial}`, customer.id, meterId, hourAgo(hour), q],
    );
  }
}

async function sums() {
  const { rows } = await t.pool.query<{ events: string; hourly: string; daily: string }>(
    `SELECT (SELECT coalesce(sum(quantity), 0) FROM usage_events WHERE customer_id = $1::uuid)::text AS events,
            (SELECT coalesce(sum(quantity), 0) FROM usage_hourly WHERE customer_id = $1::uuid)::text AS hourly,
            (SELECT coalesce(sum(quantity), 0) FROM usage_daily WHERE customer_id = $1::uuid)::text AS daily`,
    [customer.id],
  );
  return rows[0]!;
}

describe("the usage roll-up job", () => {
  it("folds ingested events into the rollups once: a second run adds nothing", async () => {
    await rollUpThrough(t.db);
    const before = await sums();
    const r = await ingestUsageEvents(
      t.db,
      Array.from({ length: 12 }, (_, i) => ({ id: `once-${i}`, customer: customer.platformId, meter: "bandwidth_gb", timestamp: hourAgo(i % 3).toISOString(), quantity: "2.25" })),
      { now, maxAgeDays: 35 },
    );
    expect(r.accepted).toBe(12);
    // Stored, not yet rolled up.
    expect((await sums()).hourly).toBe(before.hourly);
    const backlog = await usageRollupBacklog(t.db);
    expect(backlog.events).toBe(12);
    expect(backlog.oldestReceivedAt?.getTime()).toBe(now.getTime());
    await rollUpThrough(t.db);
    expect((await usageRollupBacklog(t.db)).events).toBe(0);
    const after = await sums();
    expect(Number(after.hourly) - Number(before.hourly)).toBe(27);
    expect(after.daily).toBe(after.hourly);
    expect(after.hourly).toBe(after.events);
    await rollUpAllUsage(t.db);
    await rollUpThrough(t.db);
    expect(await sums()).toEqual(after);
  });

  it("waits for a transaction still open, and never counts an aborted one", async () => {
    await rollUpThrough(t.db);
    const open = await t.pool.connect();
    const aborted = await t.pool.connect();
    try {
      await open.query("BEGIN");
      await insertRaw(open, ["5"]);
      await aborted.query("BEGIN");
      await insertRaw(aborted, ["1000"]);
      // Committed after the open one started: its transaction id is above the open one's.
      await insertRaw(t.pool, ["7"]);
      await rollUpAllUsage(t.db);
      const held = await sums();
      // The open transaction holds the horizon: neither its event nor the later one is in yet.
      expect(Number(held.events) - Number(held.hourly)).toBe(7);
      await aborted.query("ROLLBACK");
      await open.query("COMMIT");
      await rollUpThrough(t.db);
      const done = await sums();
      expect(done.hourly).toBe(done.events);
      expect(done.daily).toBe(done.events);
    } finally {
      open.release();
      aborted.release();
    }
  });

  it("lets one of two concurrent runs take a range, never both", async () => {
    await insertRaw(t.pool, Array.from({ length: 30 }, () => "1"));
    const runs = await Promise.all(Array.from({ length: 6 }, () => rollUpUsage(t.db)));
    expect(runs.filter((r) => !r.busy).length).toBeGreaterThanOrEqual(1);
    await rollUpThrough(t.db);
    const s = await sums();
    expect(s.hourly).toBe(s.events);
  });

  it("splits a backlog into bounded runs at transaction boundaries", async () => {
    await rollUpThrough(t.db);
    await insertRaw(t.pool, Array.from({ length: 12 }, () => "1")); // twelve one-event transactions
    const client = await t.pool.connect();
    try {
      await client.query("BEGIN");
      await insertRaw(client, Array.from({ length: 10 }, () => "0.5"));
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    // Transactions elsewhere on the server (other test files' databases) hold the horizon back
    // for a moment: wait until every transaction up to these inserts has ended.
    const { rows: [mark] } = await t.pool.query<{ x: string }>("SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x");
    for (let i = 0; i < 400; i++) {
      const { rows: [now] } = await t.pool.query<{ x: string }>("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x");
      if (BigInt(now!.x) >= BigInt(mark!.x)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const first = await rollUpUsage(t.db, { maxEvents: 5 });
    expect(first.more).toBe(true);
    expect(first.events).toBeLessThanOrEqual(5);
    await rollUpThrough(t.db, { maxEvents: 5 });
    const s = await sums();
    expect(s.hourly).toBe(s.events);
  });

  it("property: any interleaving of ingest transactions, commits, aborts and runs ends with rollups equal to committed events", async () => {
    type Step = { kind: "insert"; conn: number; q: number } | { kind: "commit"; conn: number } | { kind: "abort"; conn: number } | { kind: "run" };
    const step = fc.oneof(
      fc.record({ kind: fc.constant("insert" as const), conn: fc.integer({ min: 0, max: 2 }), q: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ kind: fc.constant("commit" as const), conn: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant("abort" as const), conn: fc.integer({ min: 0, max: 2 }) }),
      fc.constant({ kind: "run" as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps: Step[]) => {
        await rollUpThrough(t.db);
        const start = await sums();
        const conns = await Promise.all([0, 1, 2].map(() => t.pool.connect()));
        const pending = [0, 0, 0];
        let committed = 0;
        try {
          for (const s of steps) {
            if (s.kind === "run") {
              await rollUpUsage(t.db);
              // Never ahead of what committed: rolled-up usage ≤ committed usage at every point.
              const mid = await sums();
              expect(Number(mid.hourly) - Number(start.hourly)).toBeLessThanOrEqual(committed);
              continue;
            }
            const c = conns[s.conn]!;
            if (s.kind === "insert") {
              if (pending[s.conn] === 0) await c.query("BEGIN");
              await insertRaw(c, [String(s.q)], s.q % 3);
              pending[s.conn]! += s.q;
            } else if (pending[s.conn]! > 0 || s.kind === "commit") {
              await c.query(s.kind === "commit" ? "COMMIT" : "ROLLBACK").catch(() => {});
              if (s.kind === "commit") committed += pending[s.conn]!;
              pending[s.conn] = 0;
            }
          }
          for (const [i, c] of conns.entries()) {
            if (pending[i]! > 0) {
              await c.query("COMMIT");
              committed += pending[i]!;
              pending[i] = 0;
            }
          }
        } finally {
          for (const c of conns) c.release();
        }
        await rollUpThrough(t.db);
        const end = await sums();
        expect(Number(end.hourly) - Number(start.hourly)).toBe(committed);
        expect(end.daily).toBe(end.hourly);
        expect(end.hourly).toBe(end.events);
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
