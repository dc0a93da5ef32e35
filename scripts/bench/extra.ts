// Benchmarks that features add (usage tab, review queue, ingest): each returns its ratios.
import type pg from "pg";
import type { Db } from "../../lib/server/db/client";
import type { Measurement } from "./harness";

export type BenchContext = {
  db: Db;
  pool: pg.Pool;
  customerId: string;
  at: Date;
  runs: number;
  explain: (name: string, sql: string, params: unknown[], opts?: { enforce?: boolean }) => Promise<void>;
};

export const extraBenchmarks: Array<{ title: string; run: (ctx: BenchContext) => Promise<Measurement[]> }> = [];

// The finance review queue (issue 6): the recompute job's work against one aggregation pass over
// the same usage, and the queue page's query (through Prisma, with DTOs and the stale check)
// against its raw SQL.
extraBenchmarks.push({
  title: "Review queue: preview recompute and the queue page's query",
  async run(ctx) {
    const { median, ratio } = await import("./harness");
    const { createSandboxProvider } = await import("../../lib/providers/sandbox");
    const { recomputePreviews } = await import("../../lib/server/services/recompute-previews");
    const { createReviewQueueQueries, reviewQueueQuerySchema } = await import("../../lib/server/queries/review-queue-core");
    const provider = createSandboxProvider(ctx.db, { now: () => ctx.at });
    const out: Measurement[] = [];
    let customers = 0;
    const recompute = await median("recomputePreviews (provider + shadow + rules + upsert)", Math.max(1, Math.min(ctx.runs, 3)), async () => {
      customers = (await recomputePreviews(ctx.db, provider, ctx.at)).customers;
    });
    const onePass = await median("one aggregation pass over the same usage", ctx.runs, () =>
      ctx.pool.query(`SELECT d.customer_id, d.meter_id, sum(d.quantity) FROM usage_daily d WHERE d.day >= current_date - 31 GROUP BY d.customer_id, d.meter_id`),
    );
    console.log(`  (${customers.toLocaleString("en-US")} snapshots)`);
    out.push(ratio("preview recompute / one aggregation pass", recompute, onePass, { max: 3 }));
    // The same recompute with the provider's answers fetched beforehand: Meterdesk's own share
    // (shadow pass, rules, snapshots). With the built-in sandbox, the provider's batch prices
    // every invoice from its own copy of usage on this machine; a real provider does that on its
    // own servers. Reported so the two shares can be told apart.
    const { rows: refs } = await ctx.pool.query<{ customerId: string; providerCustomerId: string }>(
      `SELECT c.id::text AS "customerId", c.provider_customer_id AS "providerCustomerId"
         FROM customers c JOIN subscriptions s ON s.customer_id = c.id AND s.status = 'active' WHERE c.provider_customer_id IS NOT NULL`,
    );
    const answers = await provider.getUpcomingInvoices!(refs, ctx.at);
    const answered = { ...provider, getUpcomingInvoices: async () => answers };
    const ownShare = await median("recomputePreviews with the provider's answers already fetched", Math.max(1, Math.min(ctx.runs, 3)), () =>
      recomputePreviews(ctx.db, answered, ctx.at),
    );
    out.push(ratio("preview recompute, Meterdesk's share (provider answers fetched beforehand) / one aggregation pass", ownShare, onePass, {}));

    const queue = createReviewQueueQueries(ctx.db);
    const query = reviewQueueQuerySchema.parse({ flag: "any", sort: "total", dir: "desc" });
    const ours = await median("getReviewQueue (flagged, by total, page 1)", ctx.runs * 4, () => queue.getReviewQueue(query));
    const rawSql = `
      WITH latest AS (SELECT DISTINCT ON (customer_id) * FROM invoice_preview_snapshots
                       WHERE period_start > now() - interval '32 days' ORDER BY customer_id, period_start DESC)
      SELECT s.customer_id, c.name, s.total_minor, s.flags, r.status FROM latest s JOIN customers c ON c.id = s.customer_id
        LEFT JOIN invoice_reviews r ON r.customer_id = s.customer_id AND r.period_start = s.period_start
       WHERE cardinality(s.flags) > 0 ORDER BY s.total_minor DESC LIMIT 25`;
    const raw = await median("raw SQL for the same page", ctx.runs * 4, () => ctx.pool.query(rawSql));
    out.push(ratio("review queue page / its raw SQL", ours, raw, { max: 5 }));
    await ctx.explain("review queue (flagged, by total)", rawSql, [], { enforce: false });
    return out;
  },
});

// Usage ingest (issue 7): the ingest path (validation, INSERT … ON CONFLICT DO NOTHING and the
// outbox rows, one statement) against PostgreSQL COPY of the same rows into a logged copy of
// usage_events with its indexes. Batches of 5,000 with 10% repeated ids, so dedup is exercised.
// Reported as throughput relative to COPY (target ≥ 0.3). The rollups are the roll-up job's: also
// reported, with no target, is ingest plus a roll-up after every batch, the worst case for the
// job (every event of these batches lands in an hourly bucket of its own; real traffic puts many
// events in a bucket, and the job folds all batches since its last run in one upsert per bucket).
extraBenchmarks.push({
  title: "Usage ingest throughput vs COPY",
  async run(ctx) {
    const { median, ratio } = await import("./harness");
    const { ingestUsageEvents } = await import("../../lib/server/services/ingest-usage");
    const { rollUpThrough } = await import("../../lib/server/services/roll-up-usage");
    const { EventEmitter } = await import("node:events");
    const { rows: customers } = await ctx.pool.query<{ id: string; platform_id: string }>("SELECT id::text, platform_id FROM customers ORDER BY platform_id LIMIT 500");
    const { rows: meters } = await ctx.pool.query<{ id: string; key: string }>("SELECT id::text, key FROM meters ORDER BY key");
    const N = 5_000;
    let run = 0;
    const batch = () => {
      run += 1;
      const stamp = `${Date.now().toString(36)}-${run}`;
      const events = Array.from({ length: N }, (_, i) => {
        const j = i % 10 === 9 ? i - 1 : i; // every tenth id repeats the previous one
        return {
          id: `bench-${stamp}-${j}`,
          customer: customers[j % customers.length]!.platform_id,
          meter: meters[j % meters.length]!.key,
          timestamp: new Date(Date.now() - (j % 72) * 3_600_000 - 1000).toISOString(),
          quantity: `${j % 100}.5`,
        };
      });
      return events;
    };
    const byPlatform = new Map(customers.map((c) => [c.platform_id, c.id]));
    const byKey = new Map(meters.map((m) => [m.key, m.id]));

    // COPY FROM STDIN through pg's submittable interface (no extra dependency).
    class CopyIn extends EventEmitter {
      constructor(readonly text: string, readonly data: string) { super(); }
      submit(connection: { query(text: string): void }) { connection.query(this.text); }
      handleCopyInResponse(connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }) {
        connection.sendCopyFromChunk(Buffer.from(this.data));
        connection.endCopyFrom();
      }
      handleCommandComplete() {}
      handleReadyForQuery() { this.emit("end"); }
      handleError(error: Error) { this.emit("error", error); }
    }
    const client = await ctx.pool.connect();
    try {
      // A fair baseline: usage_events is a logged table, so the COPY target is logged too (an
      // UNLOGGED table skips the WAL our path must write), with the same columns, defaults,
      // constraints and indexes (LIKE … INCLUDING ALL). LIKE copies no foreign keys, so COPY
      // still skips the per-row customer check that inserts into usage_events pay.
      await client.query("DROP TABLE IF EXISTS bench_copy_events; CREATE TABLE bench_copy_events (LIKE usage_events INCLUDING ALL)");
      const copyOnce = async () => {
        const rows = batch().map((e) => [e.id, byPlatform.get(e.customer), byKey.get(e.meter), e.timestamp, e.quantity].join("\t")).filter((_, i) => i % 10 !== 9);
        await new Promise<void>((resolve, reject) => {
          const q = new CopyIn("COPY bench_copy_events (idempotency_key, customer_id, meter_id, occurred_at, quantity) FROM STDIN", rows.join("\n") + "\n");
          q.once("end", resolve);
          q.once("error", reject);
          client.query(q as never);
        });
      };
      const copy = await median(`COPY of ${N * 0.9} rows`, ctx.runs, copyOnce);
      const ingestOnce = async () => {
        const r = await ingestUsageEvents(ctx.db, batch(), { now: new Date(), maxAgeDays: 35 });
        if (r.accepted !== N * 0.9) throw new Error(`expected ${N * 0.9} accepted, got ${r.accepted} (${r.events.find((e) => e.status === "rejected")?.reason ?? ""})`);
      };
      await rollUpThrough(ctx.db);
      const ours = await median(`ingestUsageEvents, ${N} events (10% duplicate ids)`, ctx.runs, ingestOnce);
      await rollUpThrough(ctx.db);
      const withRollup = await median(`ingest + roll-up of that batch (${N * 0.9} new hourly buckets)`, ctx.runs, async () => {
        await ingestOnce();
        await rollUpThrough(ctx.db);
      });
      // Throughput ratio: ours / COPY in events per second = copy time / our time.
      return [
        ratio("ingest throughput / COPY throughput", copy, ours, { min: 0.3 }),
        ratio("ingest + per-batch roll-up throughput / COPY throughput", copy, withRollup, {}),
      ];
    } finally {
      await client.query("DROP TABLE IF EXISTS bench_copy_events").catch(() => {});
      client.release();
    }
  },
});

// The Usage tab (issue 4): its data function against the raw SQL it runs, for a 90-day daily
// range and a 7-day hourly range of one busy customer. Target ≤ 1.5×.
extraBenchmarks.push({
  title: "Usage tab: data function vs raw SQL",
  async run(ctx) {
    const { pairedMedians, ratio } = await import("./harness");
    const { getUsageSeries, usageSeriesSql } = await import("../../lib/server/queries/usage");
    const day = 86_400_000;
    const today = new Date(Math.floor(ctx.at.getTime() / day) * day);
    const ranges = [
      { name: "90 days, daily", range: { start: new Date(today.getTime() - 89 * day), end: new Date(today.getTime() + day), bucket: "day" as const } },
      { name: "7 days, hourly", range: { start: new Date(today.getTime() - 6 * day), end: new Date(today.getTime() + day), bucket: "hour" as const } },
    ];
    const out: Measurement[] = [];
    for (const { name, range } of ranges) {
      const [ours, raw] = await pairedMedians(
        [`getUsageSeries (${name})`, `raw SQL (${name})`],
        ctx.runs * 20,
        () => getUsageSeries(ctx.db, ctx.customerId, range),
        () => ctx.pool.query(usageSeriesSql[range.bucket], [ctx.customerId, range.start, range.end]),
      );
      out.push(ratio(`usage tab ${name} / raw SQL`, ours, raw, { max: 1.5 }));
      await ctx.explain(`usage tab query (${name})`, usageSeriesSql[range.bucket], [ctx.customerId, range.start, range.end]);
    }
    return out;
  },
});
