// The usage roll-up job: folds stored usage events into usage_hourly and usage_daily.
//
// Ingest (ingest-usage.ts) only stores events; this job adds them to the rollups. It must never
// lose an event nor count one twice, with ingests committing in any order while it runs:
// - every event carries the id of the transaction that stored it (usage_events.ingest_xid);
// - usage_rollup_state.rolled_up_below is the watermark: events of transactions below it are in
//   the rollups, none at or above it are;
// - a run takes the transactions in [watermark, horizon), where the horizon is the oldest
//   transaction still running (pg_snapshot_xmin). Every transaction below the horizon has ended,
//   so its events are all visible now and no event can ever appear below it later;
// - the rollup upserts and the watermark move in one transaction, and runs are serialised by an
//   advisory lock, so a run that fails changes nothing and two runs never take the same range.
// A long transaction elsewhere holds the horizon back: the rollups wait for it, nothing is lost.
// No "server-only" or next/*: the worker, the ingest route's after() and scripts call it.
import type { Db } from "../db/client";

/** Events per run at most (a run is one transaction); a backlog takes several runs. */
export const ROLL_UP_MAX_EVENTS = 50_000;

export type RollUpResult = {
  /** Events folded into the rollups by this run. */
  events: number;
  /** Another run held the lock: nothing was done. */
  busy: boolean;
  /** More finished events wait (the run stopped at maxEvents). */
  more: boolean;
  /** The watermark after the run (null when busy). */
  rolledUpBelow: bigint | null;
};

export async function rollUpUsage(db: Db, opts: { maxEvents?: number } = {}): Promise<RollUpResult> {
  const maxEvents = opts.maxEvents ?? ROLL_UP_MAX_EVENTS;
  return db.$transaction(
    async (tx) => {
      const [lock] = await tx.$queryRaw<Array<{ ok: boolean }>>`SELECT pg_try_advisory_xact_lock(hashtext('usage_rollup')) AS ok`;
      if (!lock?.ok) return { events: 0, busy: true, more: false, rolledUpBelow: null };
      // This statement's snapshot gives the horizon; the statements below take newer snapshots,
      // which see every transaction below it as committed or aborted.
      const [state] = await tx.$queryRaw<Array<{ below: string; horizon: string }>>`
        SELECT s.rolled_up_below::text AS below, pg_snapshot_xmin(pg_current_snapshot())::text AS horizon
          FROM usage_rollup_state s WHERE s.id = 1`;
      if (!state) throw new Error("usage_rollup_state has no row: apply the migrations (npm run db:migrate)");
      if (BigInt(state.horizon) <= BigInt(state.below)) return { events: 0, busy: false, more: false, rolledUpBelow: BigInt(state.below) };
      // Bound the run: stop before the transaction holding the maxEvents-th pending event (a
      // transaction's events always go together). One transaction larger than the bound goes whole.
      const [cut] = await tx.$queryRaw<Array<{ xid: string }>>`
        SELECT ingest_xid::text AS xid FROM usage_events
         WHERE ingest_xid >= ${state.below}::xid8 AND ingest_xid < ${state.horizon}::xid8
         ORDER BY ingest_xid OFFSET ${maxEvents} LIMIT 1`;
      const upTo = cut && BigInt(cut.xid) > BigInt(state.below) ? cut.xid : state.horizon;
      const [done] = await tx.$queryRaw<Array<{ events: bigint }>>`
        WITH ev AS MATERIALIZED (
          SELECT customer_id, meter_id, occurred_at, quantity FROM usage_events
           WHERE ingest_xid >= ${state.below}::xid8 AND ingest_xid < ${upTo}::xid8
        ), hourly AS (
          INSERT INTO usage_hourly (customer_id, meter_id, bucket_start, quantity)
          SELECT customer_id, meter_id, date_trunc('hour', occurred_at, 'UTC'), sum(quantity) FROM ev GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
          ON CONFLICT (customer_id, meter_id, bucket_start) DO UPDATE SET quantity = usage_hourly.quantity + EXCLUDED.quantity
        ), daily AS (
          INSERT INTO usage_daily (customer_id, meter_id, day, quantity)
          SELECT customer_id, meter_id, (occurred_at AT TIME ZONE 'UTC')::date, sum(quantity) FROM ev GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
          ON CONFLICT (customer_id, meter_id, day) DO UPDATE SET quantity = usage_daily.quantity + EXCLUDED.quantity
        ), moved AS (
          UPDATE usage_rollup_state SET rolled_up_below = ${upTo}::xid8, updated_at = now() WHERE id = 1
        )
        -- Data-modifying WITH parts always run to completion, read or not.
        SELECT count(*) AS events FROM ev`;
      return { events: Number(done?.events ?? 0), busy: false, more: upTo !== state.horizon, rolledUpBelow: BigInt(upTo) };
    },
    { timeout: 120_000, maxWait: 10_000 },
  );
}

/** Runs until no finished event is left (or another run holds the lock). */
export async function rollUpAllUsage(db: Db, opts: { maxEvents?: number } = {}): Promise<number> {
  let total = 0;
  for (;;) {
    const r = await rollUpUsage(db, opts);
    total += r.events;
    if (!r.more) return total;
  }
}

/**
 * Rolls up until every event stored by a transaction that had started before this call is in the
 * rollups (later ones may be too). Waits while another run holds the lock or a transaction still
 * running holds the horizon back; throws after `timeoutMs`. For readers that must see all usage
 * stored so far: the preview recompute, scripts, tests.
 */
export async function rollUpThrough(db: Db, opts: { timeoutMs?: number; maxEvents?: number } = {}): Promise<number> {
  const [mark] = await db.$queryRaw<Array<{ target: string }>>`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS target`;
  const target = BigInt(mark!.target);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let total = 0;
  for (;;) {
    const r = await rollUpUsage(db, opts);
    total += r.events;
    if (r.rolledUpBelow !== null && r.rolledUpBelow >= target) return total;
    if (r.more) continue;
    if (Date.now() > deadline) {
      throw new Error(`usage roll-up did not catch up within ${opts.timeoutMs ?? 30_000} ms: a transaction still running holds it back`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What waits to be rolled up, for health and metrics: events of any transaction at or above the watermark. */
export async function usageRollupBacklog(db: Db): Promise<{ events: number; oldestReceivedAt: Date | null }> {
  const [row] = await db.$queryRaw<Array<{ events: bigint; oldest: Date | null }>>`
    SELECT count(*)::bigint AS events, min(e.received_at) AS oldest
      FROM usage_events e, usage_rollup_state s WHERE s.id = 1 AND e.ingest_xid >= s.rolled_up_below`;
  return { events: Number(row?.events ?? 0), oldestReceivedAt: row?.oldest ?? null };
}
