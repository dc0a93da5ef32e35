// Outbox health figures for /settings, the admin home and /api/metrics. Plain numbers: no money.
// No "server-only": the worker logs them too.
import type { Db } from "../db/client";

export type OutboxStats = {
  /** Operations not yet done (pending + in flight). */
  depth: number;
  inFlight: number;
  /** Age of the oldest operation not yet done, in ms (null when there is none). */
  oldestPendingAgeMs: number | null;
  failed: number;
  failuresByKind: Record<string, number>;
};

export async function outboxStats(db: Db, now: Date = new Date()): Promise<OutboxStats> {
  const [open] = await db.$queryRaw<Array<{ depth: bigint; in_flight: bigint; oldest: Date | null }>>`
    SELECT count(*)::bigint AS depth, count(*) FILTER (WHERE status = 'in_flight')::bigint AS in_flight, min(created_at) AS oldest
      FROM provider_operations WHERE status IN ('pending', 'in_flight')`;
  const failures = await db.$queryRaw<Array<{ kind: string; n: bigint }>>`
    SELECT kind, count(*)::bigint AS n FROM provider_operations WHERE status = 'failed' GROUP BY kind ORDER BY kind`;
  const failuresByKind = Object.fromEntries(failures.map((f) => [f.kind, Number(f.n)]));
  return {
    depth: Number(open?.depth ?? 0),
    inFlight: Number(open?.in_flight ?? 0),
    oldestPendingAgeMs: open?.oldest ? Math.max(0, now.getTime() - open.oldest.getTime()) : null,
    failed: failures.reduce((s, f) => s + Number(f.n), 0),
    failuresByKind,
  };
}
