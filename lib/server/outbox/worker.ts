// The outbox worker: claims due provider_operations rows (FOR UPDATE SKIP LOCKED, so any number
// of workers can run), sends each through its handler with the operation's own idempotency key,
// and records the outcome. Exactly-once comes from the key, not from the worker: a retry after a
// timeout, a lost response or a crashed worker replays the same key and the provider answers
// with the first result. This is the only retry layer; adapters keep their SDK's retries off.
// No "server-only": scripts/worker.ts runs it outside Next.
import type { BillingProvider } from "@/lib/providers/types";
import { isProviderError } from "@/lib/providers/types";
import type { Db } from "../db/client";
import { handlerFor, isOperationKind, type OutboxOperation, type SendResult, type Tx } from "./handlers";

export type OutboxRunOptions = {
  /** The clock (tests inject one). */
  now?: () => Date;
  /** Operations claimed per run (default 25). */
  batchSize?: number;
  /** How long a claim is exclusive; after it a crashed worker's operation is claimed again (default 60 s). */
  leaseMs?: number;
  /** Attempts before an operation is marked failed (default 8). */
  maxAttempts?: number;
  /** Exponential backoff with full jitter: base and cap (default 1 s, 5 min). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /** Operations sent at once within a batch (default 4). */
  concurrency?: number;
  log?: (message: string) => void;
};

export type OutboxRunResult = { claimed: number; succeeded: number; retrying: number; failed: number; superseded: number };

export const DEFAULT_MAX_ATTEMPTS = 8;

/** Full jitter: a uniform delay in [0, min(cap, base·2^(attempt−1))), at least the provider's Retry-After. */
export function backoffDelayMs(attempt: number, opts: { baseDelayMs?: number; maxDelayMs?: number; random?: () => number; retryAfterMs?: number } = {}): number {
  const base = opts.baseDelayMs ?? 1_000;
  const cap = opts.maxDelayMs ?? 300_000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  const delay = Math.floor((opts.random ?? Math.random)() * ceiling);
  return Math.max(delay, opts.retryAfterMs ?? 0);
}

type ClaimedRow = {
  id: string; provider: string; kind: string; idempotency_key: string; customer_id: string | null;
  subject_id: string | null; payload: unknown; attempts: number;
};

/** Claims up to `limit` due operations for `provider` and leases them (status in_flight, attempts + 1). */
export async function claimDueOperations(db: Db, provider: string, opts: { now: Date; limit: number; leaseMs: number }): Promise<OutboxOperation[]> {
  const lease = new Date(opts.now.getTime() + opts.leaseMs);
  const rows = await db.$queryRaw<ClaimedRow[]>`
    WITH due AS (
      SELECT id FROM provider_operations
       WHERE provider::text = ${provider} AND next_attempt_at <= ${opts.now}
         AND (status = 'pending' OR (status = 'in_flight' AND (locked_until IS NULL OR locked_until <= ${opts.now})))
       ORDER BY next_attempt_at, created_at
       LIMIT ${opts.limit}
       FOR UPDATE SKIP LOCKED
    )
    UPDATE provider_operations o
       SET status = 'in_flight', locked_until = ${lease}, attempts = o.attempts + 1, updated_at = ${opts.now}
      FROM due WHERE o.id = due.id
    RETURNING o.id::text AS id, o.provider::text AS provider, o.kind, o.idempotency_key, o.customer_id::text AS customer_id,
              o.subject_id, o.payload, o.attempts`;
  return rows.map((r) => ({
    id: r.id,
    provider: r.provider as OutboxOperation["provider"],
    kind: r.kind as OutboxOperation["kind"],
    idempotencyKey: r.idempotency_key,
    customerId: r.customer_id,
    subjectId: r.subject_id,
    payload: r.payload as OutboxOperation["payload"],
    attempts: r.attempts,
  }));
}

function describeError(error: unknown): string {
  if (isProviderError(error)) {
    const status = error.details.status ? ` ${error.details.status}` : "";
    return `${error.kind}${status}: ${error.message}`.slice(0, 2000);
  }
  return `error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 2000);
}

/** Permanent and not-found errors stop at once; everything else (transient, unknown outcome, conflict, bugs) retries. */
function isTerminal(error: unknown): boolean {
  return isProviderError(error) && (error.kind === "permanent" || error.kind === "not_found");
}

// The (id, attempts) pair fences a claim: if the lease expired and another worker re-claimed the
// operation, attempts moved on and this worker's late result is dropped (the other one's replay
// of the same key records the same effect).
async function markSucceeded(db: Db, op: OutboxOperation, result: SendResult, now: Date): Promise<boolean> {
  return db.$transaction(async (tx: Tx) => {
    const updated = await tx.$executeRaw`
      UPDATE provider_operations
         SET status = 'succeeded', provider_reference = ${result.reference}, completed_at = ${now}, locked_until = NULL,
             last_error = NULL, updated_at = ${now}
       WHERE id = ${op.id}::uuid AND status = 'in_flight' AND attempts = ${op.attempts}`;
    if (updated !== 1) return false;
    await handlerFor(op.kind).onSuccess(tx, op, result);
    return true;
  });
}

async function markFailedOrRetry(db: Db, op: OutboxOperation, error: unknown, now: Date, opts: OutboxRunOptions): Promise<"failed" | "retrying" | "superseded"> {
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const terminal = isTerminal(error) || op.attempts >= maxAttempts;
  const message = describeError(error) + (terminal && !isTerminal(error) ? ` (gave up after ${op.attempts} attempts)` : "");
  return db.$transaction(async (tx: Tx) => {
    if (terminal) {
      const updated = await tx.$executeRaw`
        UPDATE provider_operations SET status = 'failed', last_error = ${message}, locked_until = NULL, updated_at = ${now}
         WHERE id = ${op.id}::uuid AND status = 'in_flight' AND attempts = ${op.attempts}`;
      if (updated !== 1) return "superseded";
      await handlerFor(op.kind).onFailure(tx, op, error);
      return "failed";
    }
    const retryAfterMs = isProviderError(error) ? error.details.retryAfterMs : undefined;
    const next = new Date(now.getTime() + backoffDelayMs(op.attempts, { ...opts, retryAfterMs }));
    const updated = await tx.$executeRaw`
      UPDATE provider_operations SET status = 'pending', next_attempt_at = ${next}, last_error = ${message}, locked_until = NULL, updated_at = ${now}
       WHERE id = ${op.id}::uuid AND status = 'in_flight' AND attempts = ${op.attempts}`;
    return updated === 1 ? "retrying" : "superseded";
  });
}

async function processOne(db: Db, provider: BillingProvider, op: OutboxOperation, opts: OutboxRunOptions, now: () => Date) {
  if (!isOperationKind(op.kind)) {
    // Written by newer code than this worker knows: stop and show it rather than guess.
    await db.$executeRaw`
      UPDATE provider_operations SET status = 'failed', last_error = ${`permanent: unknown operation kind ${op.kind}`}, locked_until = NULL, updated_at = ${now()}
       WHERE id = ${op.id}::uuid AND status = 'in_flight' AND attempts = ${op.attempts}`;
    return "failed" as const;
  }
  let result: SendResult;
  try {
    result = await handlerFor(op.kind).send(op, provider, db);
  } catch (error) {
    opts.log?.(`[outbox] ${op.kind} ${op.id} attempt ${op.attempts}: ${describeError(error)}`);
    return markFailedOrRetry(db, op, error, now(), opts);
  }
  return (await markSucceeded(db, op, result, now())) ? ("succeeded" as const) : ("superseded" as const);
}

/** One pass: claim a batch of due operations and send them. */
export async function runOutboxOnce(db: Db, provider: BillingProvider, opts: OutboxRunOptions = {}): Promise<OutboxRunResult> {
  const now = opts.now ?? (() => new Date());
  const ops = await claimDueOperations(db, provider.kind, { now: now(), limit: opts.batchSize ?? 25, leaseMs: opts.leaseMs ?? 60_000 });
  const result: OutboxRunResult = { claimed: ops.length, succeeded: 0, retrying: 0, failed: 0, superseded: 0 };
  let next = 0;
  const lanes = Array.from({ length: Math.min(opts.concurrency ?? 4, ops.length) }, async () => {
    while (next < ops.length) {
      const op = ops[next++]!;
      const outcome = await processOne(db, provider, op, opts, now);
      result[outcome]++;
    }
  });
  await Promise.all(lanes);
  return result;
}

export type OutboxWorkerOptions = OutboxRunOptions & { intervalMs?: number; signal?: AbortSignal; onRun?: (result: OutboxRunResult) => void };
export type OutboxWorkerHandle = { stop(): Promise<void>; done: Promise<void> };

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Runs the outbox until `signal` aborts (or stop() is called): a full batch is followed at once by
 * the next, otherwise it waits `intervalMs` (default 1 s). A failing pass is logged and retried.
 */
export function startOutboxWorker(db: Db, provider: BillingProvider, opts: OutboxWorkerOptions = {}): OutboxWorkerHandle {
  const controller = new AbortController();
  if (opts.signal) {
    if (opts.signal.aborted) controller.abort();
    else opts.signal.addEventListener("abort", () => controller.abort(), { once: true });
  }
  const signal = controller.signal;
  const batchSize = opts.batchSize ?? 25;
  const log = opts.log ?? ((m: string) => console.error(m));
  const done = (async () => {
    while (!signal.aborted) {
      let full = false;
      try {
        const result = await runOutboxOnce(db, provider, { ...opts, batchSize, log });
        opts.onRun?.(result);
        full = result.claimed >= batchSize;
      } catch (error) {
        log(`[outbox] pass failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!full) await pause(opts.intervalMs ?? 1_000, signal);
    }
  })();
  return {
    done,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/**
 * Requeues a failed operation with the same idempotency key (so if an earlier attempt did post,
 * the provider replays it). Pass a transaction client to record an audit event atomically.
 * Returns false when the operation does not exist or has not failed.
 */
export async function retryOperation(db: Db | Tx, id: string, opts: { now?: Date } = {}): Promise<boolean> {
  const now = opts.now ?? new Date();
  const updated = await db.$executeRaw`
    UPDATE provider_operations SET status = 'pending', attempts = 0, next_attempt_at = ${now}, locked_until = NULL, updated_at = ${now}
     WHERE id = ${id}::uuid AND status = 'failed'`;
  return updated === 1;
}
