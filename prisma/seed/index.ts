// Deterministic demo data: seedDatabase(url, { customers, days, now?, seed? }).
// Same seed + now ⇒ identical rows (ids included). Loads with pg bulk inserts over three
// connections, each one transaction: usage_daily and usage_hourly (no foreign keys) on their own
// so PostgreSQL works on them in parallel, everything else on the main one. The usage lanes commit
// first, then the main transaction with the `demo.seeded` marker; if anything fails, uncommitted
// lanes roll back and committed usage rows are deleted, so a failed seed leaves no data.
// Expects a migrated, empty database.
import pg from "pg";
import { seedSandboxState } from "../../lib/providers/sandbox/seed";
import { BulkLoader } from "./bulk";
import { buildCatalog } from "./catalog";
import { generateCredits } from "./credits";
import { generateCustomer, loadCustomer, newUniques } from "./customers";
import { insertAudit } from "./audit";
import { simulateBilling, type AuditRow } from "./invoices";
import { createRng } from "./prng";
import { buildStaff, loadReference } from "./reference";
import { TABLES } from "./tables";
import { generateUsage, rangeStartDay, type UsageContext } from "./usage";

export const SEEDED_MARKER = "demo.seeded";
export const DEFAULT_SEED = 20261126;

export type SeedOptions = {
  customers: number;
  days: number;
  now?: Date;
  seed?: number;
  log?: (msg: string) => void;
  /** Also give the built-in sandbox provider its own copy of usage and credits (default true). */
  sandbox?: boolean;
};
export type SeedSummary = {
  customers: number; days: number; seed: number; now: string; ms: number;
  rows: Record<string, number>;
};

/** The current time truncated to the UTC hour: the default `now`. */
export function defaultNow(): Date {
  return new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
}

/** Whether the database has been seeded (marker present) and how many customers it holds. */
export async function seedStatus(client: pg.ClientBase): Promise<{ seeded: boolean; customers: number; hasUsage: boolean }> {
  const marker = await client.query(`SELECT 1 FROM "settings" WHERE "key" = $1`, [SEEDED_MARKER]);
  const customers = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM "customers"`);
  const usage = await client.query(`SELECT 1 FROM "usage_daily" UNION ALL SELECT 1 FROM "usage_hourly" LIMIT 1`);
  return { seeded: (marker.rowCount ?? 0) > 0, customers: Number(customers.rows[0]!.n), hasUsage: (usage.rowCount ?? 0) > 0 };
}

export async function seedDatabase(url: string, opts: SeedOptions): Promise<SeedSummary> {
  const started = Date.now();
  const seed = opts.seed ?? DEFAULT_SEED;
  const now = opts.now ?? defaultNow();
  const log = opts.log ?? (() => {});
  if (!(opts.customers >= 1 && opts.days >= 1)) throw new RangeError("customers and days must be at least 1");
  const lanes = [0, 1, 2].map(() => new pg.Client({ connectionString: url }));
  const client = lanes[0]!;
  const committed = new Set<number>();
  await Promise.all(lanes.map((c) => c.connect()));
  try {
    const status = await seedStatus(client);
    if (status.seeded || status.customers > 0 || status.hasUsage) {
      throw new Error(`database already has data (seeded: ${status.seeded}, customers: ${status.customers}, usage: ${status.hasUsage}); reset it first`);
    }
    for (const c of lanes) {
      await c.query("BEGIN");
      await c.query("SET LOCAL synchronous_commit = off");
    }
    const bulk = new BulkLoader(lanes, TABLES);
    const staff = buildStaff(seed);
    const catalog = buildCatalog(createRng(seed, "catalog"));
    await loadReference(bulk, staff, catalog, now, createRng(seed, "reference"));

    const rangeStart = rangeStartDay(now, opts.days);
    const ctx: UsageContext = { seed, now, days: opts.days, catalog };
    const uniques = newUniques();
    const profiles = [];
    for (let i = 0; i < opts.customers; i++) {
      const p = generateCustomer(seed, i, now, rangeStart, catalog, staff, uniques);
      profiles.push(p);
      await loadCustomer(bulk, p);
    }
    log(`generated ${profiles.length} customers`);
    const counter = { grants: 0, requests: 0, invoices: 0 };
    const audit: AuditRow[] = [];
    for (const p of profiles) {
      const usage = await generateUsage(bulk, p, ctx);
      const { grants, requests } = generateCredits(seed, p, staff, now, rangeStart, counter);
      await simulateBilling(bulk, p, usage, ctx, rangeStart, grants, requests, counter, audit);
      for (const c of p.changes) {
        audit.push({
          at: c.createdAt, actorId: c.requestedBy.id, actorEmail: c.requestedBy.email, actorRole: c.requestedBy.role,
          action: c.status === "applied" && c.timing === "immediate" ? "plan.changed" : "plan.change_scheduled",
          targetType: "subscription", targetId: p.subscriptionId, customerId: p.id,
          after: { from: c.from.planKey, to: c.to.planKey, timing: c.timing, effectiveAt: c.effectiveAt.toISOString() }, reason: null,
        });
      }
      if ((p.index + 1) % 1000 === 0) log(`usage and invoices: ${p.index + 1}/${profiles.length} customers (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    await bulk.flushAll();
    const auditCount = await insertAudit(client, audit);
    const rows = Object.fromEntries([...bulk.counts.entries()].sort()) as Record<string, number>;
    rows.audit_events = auditCount;
    await client.query(`INSERT INTO "settings" ("key", "value", "updated_at") VALUES ($1, $2::jsonb, $3)`, [
      SEEDED_MARKER, JSON.stringify({ customers: opts.customers, days: opts.days, seededAt: now.toISOString(), seed }), now.toISOString(),
    ]);
    for (const i of [1, 2, 0]) {
      await lanes[i]!.query("COMMIT");
      committed.add(i);
    }
    if (opts.sandbox !== false) {
      // The sandbox provider's own state, with a few deliberate divergences (shadow billing and
      // reconciliation find them on first start).
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      try {
        const sandbox = await seedSandboxState(pool, { seed, now });
        log(`sandbox provider: ${sandbox.usageRows} usage rows, ${sandbox.creditGrants} grants, ${sandbox.divergences.length} divergences`);
      } finally {
        await pool.end();
      }
    }
    log("analyzing");
    await client.query("ANALYZE");
    const summary = { customers: opts.customers, days: opts.days, seed, now: now.toISOString(), ms: Date.now() - started, rows };
    log(`seeded in ${(summary.ms / 1000).toFixed(1)} s`);
    return summary;
  } catch (error) {
    await Promise.all(lanes.map((c, i) => (committed.has(i) ? null : c.query("ROLLBACK").catch(() => {}))));
    if (!committed.has(0) && committed.size > 0) {
      await client.query(`DELETE FROM "usage_daily"; DELETE FROM "usage_hourly"`).catch(() => {});
    }
    throw error;
  } finally {
    await Promise.all(lanes.map((c) => c.end().catch(() => {})));
  }
}

