// npm run bench: seeds a separate database at scale (10,000 customers × 365 days × 8 meters
// by default; `-- --customers N --days D` for a quicker run), then measures, in one run, our
// code paths against the raw SQL beneath them and prints ratios. Results go to
// bench-results/bench.json (see README). Exits non-zero when a target is missed or a screen's
// query scans a whole large table.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { applyMigrations, root } from "../db/engine";
import { startEmbeddedPostgres, type EmbeddedHandle } from "../db/embedded";
import { seedDatabase } from "../../prisma/seed/index";
import { createPrismaClient } from "../../lib/server/db/client";
import { computeAllPreviews } from "../../lib/server/billing/batch-previews";
import { computeShadowPreview, loadCustomerBilling } from "../../lib/server/billing/customer-billing";
import { utcDayKey } from "../../lib/billing";
import { median, pairedMedians, ratio, seqScans, type Measurement } from "./harness";
import { extraBenchmarks } from "./extra";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const customers = arg("customers", 10_000);
const days = arg("days", 365);
const runs = arg("runs", 5);

let embedded: EmbeddedHandle | null = null;

async function benchDatabase(): Promise<string> {
  if (process.env.BENCH_DATABASE_URL) return process.env.BENCH_DATABASE_URL;
  embedded = await startEmbeddedPostgres({ dir: ".data-bench", port: Number(process.env.BENCH_PG_PORT ?? 54399), database: "meterdesk_bench", quiet: true });
  return embedded.url;
}

async function ensureScale(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await applyMigrations(url);
    const { rows } = await pool.query<{ value: { customers?: number; days?: number } }>("SELECT value FROM settings WHERE key = 'demo.seeded'");
    const seeded = rows[0]?.value;
    if (seeded && seeded.customers === customers && seeded.days === days) return;
    if (seeded || (await pool.query("SELECT 1 FROM customers LIMIT 1")).rowCount) {
      console.log("The bench database holds another scale: recreating it.");
      await pool.end();
      const admin = new URL(url);
      admin.pathname = "/postgres";
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      const name = new URL(url).pathname.slice(1);
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.query(`CREATE DATABASE "${name}"`);
      await c.end();
      await applyMigrations(url);
    }
    console.log(`Seeding ${customers.toLocaleString("en-US")} customers × ${days} days (once; reused by later runs)…`);
    const t0 = Date.now();
    await seedDatabase(url, { customers, days, log: (m) => console.log(`  ${m}`) });
    console.log(`Seeded in ${((Date.now() - t0) / 1000).toFixed(0)} s.`);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query("VACUUM ANALYZE");
    await admin.end();
  } finally {
    await pool.end().catch(() => {});
  }
}

async function main() {
  const url = await benchDatabase();
  await ensureScale(url);
  const db = createPrismaClient(url);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // The embedded server stops at the end: an idle connection it closes is no failure of the bench.
  pool.on("error", (error) => console.warn(`[bench] idle connection closed: ${error.message}`));
  const at = new Date();
  const results: Measurement[] = [];
  const scans: Array<{ query: string; seqScans: string[]; enforced: boolean }> = [];

  // A customer with usage on several meters.
  const { rows: [busy] } = await pool.query<{ customer_id: string }>(
    `SELECT customer_id::text FROM usage_daily WHERE day >= current_date - 20 GROUP BY customer_id ORDER BY count(DISTINCT meter_id) DESC, sum(quantity) DESC LIMIT 1`,
  );
  const customerId = busy!.customer_id;
  const billing = (await loadCustomerBilling(db, customerId, at))!;

  console.log("\n1. One customer's invoice preview vs the SQL aggregation under it");
  const [onePreview, oneRaw] = await pairedMedians(["computeShadowPreview", "raw usage aggregation for the period"], runs * 8,
    () => computeShadowPreview(db, customerId, at),
    () =>
      pool.query(
        `SELECT m.key, sum(d.quantity) FROM usage_daily d JOIN meters m ON m.id = d.meter_id
          WHERE d.customer_id = $1 AND d.day >= $2::date AND d.day < $3::date GROUP BY m.key`,
        [customerId, utcDayKey(billing.period.start), utcDayKey(billing.period.end)],
      ),
  );
  // No target: one preview is several small queries (subscription, phases, usage, credits) and
  // pricing, against one aggregation; reported so a regression shows.
  results.push(ratio("one customer's preview / its SQL aggregation", onePreview, oneRaw, {}));

  console.log("\n2. Previews for all customers vs one aggregation pass");
  let count = 0;
  const allPreviews = await median("computeAllPreviews", runs, async () => {
    count = (await computeAllPreviews(db, at)).length;
  });
  const onePass = await median("one aggregation pass over the same usage", runs, () =>
    pool.query(
      `SELECT d.customer_id, d.meter_id, sum(d.quantity) FROM usage_daily d
        WHERE d.day >= current_date - 31 GROUP BY d.customer_id, d.meter_id`,
    ),
  );
  console.log(`  (${count.toLocaleString("en-US")} previews)`);
  results.push(ratio("all-customer previews / one aggregation pass", allPreviews, onePass, { max: 3 }));

  console.log("\n3. Query plans of screen queries (no whole-table scans)");
  // Screen queries that look up a customer or a customer's rows must never read a whole table.
  // Queries that by design read every row of a period (the review queue) are shown, not enforced.
  const explain = async (name: string, sql: string, params: unknown[], opts: { enforce?: boolean } = {}) => {
    const { rows } = await pool.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    const found = seqScans(rows[0]["QUERY PLAN"][0].Plan).filter((r) => !["meters", "plans", "plan_versions", "plan_prices", "price_tiers", "settings"].includes(r));
    const enforced = opts.enforce ?? true;
    scans.push({ query: name, seqScans: found, enforced });
    console.log(`  ${name}: ${found.length ? `SEQ SCAN on ${found.join(", ")}${enforced ? "" : " (expected: reads the whole period)"}` : "index only"}`);
  };
  // What support types: a fragment of one customer's email, name or id (not a word that half the
  // customers share, for which reading the table is the right plan).
  const { rows: [probe] } = await pool.query<{ email: string; name: string; platform_id: string }>(
    "SELECT email, name, platform_id FROM customers ORDER BY platform_id LIMIT 1 OFFSET 4321",
  );
  const searchSql = `SELECT id FROM customers c WHERE c.name ILIKE $1 OR c.email ILIKE $1 OR c.platform_id ILIKE $1 OR c.provider_customer_id ILIKE $1 LIMIT 25`;
  await explain("customer search (email fragment)", searchSql, [`%${probe!.email.split("@")[1]!.slice(0, 12)}%`]);
  await explain("customer search (platform id fragment)", searchSql, [`%${probe!.platform_id.slice(-6)}%`]);
  await explain(
    "usage (daily, one customer, 90 days)",
    `SELECT meter_id, day, quantity FROM usage_daily WHERE customer_id = $1 AND day >= current_date - 90 AND day < current_date + 1`,
    [customerId],
  );
  await explain(
    "usage (hourly, one customer, 7 days)",
    `SELECT meter_id, bucket_start, quantity FROM usage_hourly WHERE customer_id = $1 AND bucket_start >= now() - interval '7 days'`,
    [customerId],
  );
  await explain("customer activity", `SELECT id FROM audit_events WHERE customer_id = $1 ORDER BY id DESC LIMIT 50`, [customerId]);

  for (const extra of extraBenchmarks) {
    console.log(`\n${extra.title}`);
    const more = await extra.run({ db, pool, customerId, at, runs, explain });
    results.push(...more);
  }

  const sizes = await pool.query(
    `SELECT relname AS table, pg_total_relation_size(relid) AS bytes, n_live_tup AS rows FROM pg_stat_user_tables ORDER BY pg_total_relation_size(relid) DESC LIMIT 6`,
  );
  const report = {
    at: at.toISOString(),
    scale: { customers, days, meters: 8 },
    machine: { cpus: (await import("node:os")).cpus().length, node: process.version },
    measurements: results,
    queryPlans: scans,
    largestTables: sizes.rows,
  };
  await mkdir(path.join(root, "bench-results"), { recursive: true });
  await writeFile(path.join(root, "bench-results", "bench.json"), JSON.stringify(report, null, 2));
  console.log(`\nWrote bench-results/bench.json`);
  const failed = results.filter((r) => !r.ok).length + scans.filter((s) => s.enforced && s.seqScans.length > 0).length;
  console.log(failed ? `${failed} target(s) missed` : "All targets met");
  await db.$disconnect();
  await pool.end();
  await embedded?.stop();
  process.exit(failed ? 1 : 0);
}

main().catch(async (e) => {
  console.error(e);
  await embedded?.stop().catch(() => {});
  process.exit(1);
});
