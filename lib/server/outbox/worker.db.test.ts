// The outbox worker against a real database and the sandbox provider: every injected fault still
// ends in exactly one effect, concurrent workers send each operation once, a crashed worker's
// lease is resumed without doubling, permanent failures stop and show, retryOperation requeues.
// The clock is injected; nothing sleeps for real.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createCustomer, type CreatedCustomer } from "@/prisma/seed/factories";
import { seedDatabase } from "@/prisma/seed/index";
import { createSandboxProvider, resetSandboxFaults, scriptSandboxFaults, type FaultOutcome } from "@/lib/providers/sandbox";
import type { BillingProvider } from "@/lib/providers/types";
import { createPrismaClient } from "@/lib/server/db/client";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { enqueueOperation, type OperationKind, type OperationPayloads } from "./enqueue";
import { registerOutboxHandler, unregisterOutboxHandler } from "./handlers";
import { outboxStats } from "./stats";
import { claimDueOperations, retryOperation, runOutboxOnce, type OutboxRunOptions } from "./worker";

let t: TestDatabase;
let customer: CreatedCustomer;
let clock: Date;
let sandbox: BillingProvider;
const MIN = 60_000;

const opts = (extra: OutboxRunOptions = {}): OutboxRunOptions => ({ now: () => clock, random: () => 0.5, leaseMs: MIN, ...extra });
const advance = (ms: number) => (clock = new Date(clock.getTime() + ms));
const count = async (sql: string, params: unknown[] = []) => Number((await t.pool.query<{ n: string }>(sql, params)).rows[0]!.n);
const opRow = async (id: string) =>
  (await t.pool.query<{ status: string; attempts: number; next_attempt_at: Date; last_error: string | null; provider_reference: string | null; idempotency_key: string; completed_at: Date | null }>(
    `SELECT status::text, attempts, next_attempt_at, last_error, provider_reference, idempotency_key, completed_at FROM provider_operations WHERE id = $1`, [id])).rows[0]!;
const grantsFor = (opId: string) => count(`SELECT count(*) n FROM sandbox_credit_grants WHERE metadata ->> 'meterdesk_operation_id' = $1`, [opId]);

async function enqueue<K extends OperationKind>(kind: K, payload: OperationPayloads[K], customerId = customer.id, subjectId = crypto.randomUUID()) {
  const op = await t.db.$transaction((tx) => enqueueOperation(tx, { kind, provider: "sandbox", customerId, subjectId, payload }));
  return op.id;
}
const enqueueGrant = (amountMinor = "1500", grantId: string = crypto.randomUUID()) =>
  enqueue("credit.grant", { grantId, amountMinor, currency: "USD", expiresAt: null, description: "Outage credit" });

/** Runs passes until nothing is due at the current clock. */
async function drain(provider: BillingProvider, o: OutboxRunOptions = opts()) {
  for (let i = 0; i < 50; i++) if ((await runOutboxOnce(t.db, provider, o)).claimed === 0) return;
}

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 2, days: 2 });
  customer = await createCustomer(t.pool, { planKey: "pro" });
  clock = new Date(Date.now() + 1_000);
  sandbox = createSandboxProvider(t.db, { now: () => clock, sleep: async () => {} });
}, 120_000);

afterAll(async () => {
  await t?.drop();
});

afterEach(async () => {
  resetSandboxFaults();
  // Each test starts with nothing due.
  advance(24 * 60 * MIN);
  await drain(sandbox, opts({ maxAttempts: 1 }));
});

describe("runOutboxOnce", () => {
  it("sends a credit grant, records the provider's id on the operation and the grant, and runs feature hooks in the same transaction", async () => {
    const grantId = crypto.randomUUID();
    await t.pool.query(
      `INSERT INTO credit_grants (id, customer_id, currency, amount_minor, reason, note, request_id) VALUES ($1, $2, 'USD', 1500, 'outage', 'Outage credit', $3)`,
      [grantId, customer.id, `req-${grantId}`]);
    const seen: string[] = [];
    registerOutboxHandler("credit.grant", {
      async onSuccess(tx, op, result) {
        const [row] = await tx.$queryRaw<Array<{ status: string }>>`SELECT status::text FROM provider_operations WHERE id = ${op.id}::uuid`;
        seen.push(`${row!.status}:${result.reference}`);
      },
    });
    try {
      const id = await enqueueGrant("1500", grantId);
      expect(await runOutboxOnce(t.db, sandbox, opts())).toMatchObject({ claimed: 1, succeeded: 1 });
      const op = await opRow(id);
      expect(op.status).toBe("succeeded");
      expect(op.provider_reference).toMatch(/^sbx_cg_/);
      expect(op.completed_at?.getTime()).toBe(clock.getTime());
      const grant = (await t.pool.query<{ provider_grant_id: string }>(`SELECT provider_grant_id FROM credit_grants WHERE id = $1`, [grantId])).rows[0]!;
      expect(grant.provider_grant_id).toBe(op.provider_reference);
      const sbx = (await t.pool.query<{ metadata: Record<string, string>; amount_minor: string }>(`SELECT metadata, amount_minor::text FROM sandbox_credit_grants WHERE id = $1`, [op.provider_reference])).rows[0]!;
      expect(sbx).toEqual({ metadata: { meterdesk_operation_id: id, meterdesk_grant_id: grantId }, amount_minor: "1500" });
      expect(seen).toEqual([`succeeded:${op.provider_reference}`]);
    } finally {
      unregisterOutboxHandler("credit.grant");
    }
  });

  const faults: Array<[FaultOutcome, string]> = [
    ["error", "transient 500"],
    ["rate_limit", "transient 429"],
    ["timeout", "unknown_outcome"],
    ["lost_response", "unknown_outcome"],
  ];
  for (const [fault, recorded] of faults) {
    it(`ends with exactly one sandbox grant after a ${fault}`, async () => {
      const id = await enqueueGrant();
      scriptSandboxFaults([fault], { retryAfterMs: 30_000, latencyMs: 5_000 });
      expect(await runOutboxOnce(t.db, sandbox, opts())).toMatchObject({ claimed: 1, retrying: 1 });
      const first = await opRow(id);
      expect(first).toMatchObject({ status: "pending", attempts: 1 });
      expect(first.last_error).toContain(recorded);
      expect(await grantsFor(id)).toBe(fault === "timeout" || fault === "lost_response" ? 1 : 0);
      // Backoff: full jitter (0.5 × 1 s for attempt 1), or the 429's Retry-After.
      const wait = first.next_attempt_at.getTime() - clock.getTime();
      expect(wait).toBe(fault === "rate_limit" ? 30_000 : 500);
      advance(wait - 1);
      expect((await runOutboxOnce(t.db, sandbox, opts())).claimed).toBe(0);
      advance(1);
      expect(await runOutboxOnce(t.db, sandbox, opts())).toMatchObject({ claimed: 1, succeeded: 1 });
      const done = await opRow(id);
      expect(done).toMatchObject({ status: "succeeded", attempts: 2, last_error: null });
      expect(await grantsFor(id)).toBe(1);
      // Same key throughout: one idempotency record, the one the operation carries.
      expect(await count(`SELECT count(*) n FROM sandbox_idempotency WHERE key = $1`, [done.idempotency_key])).toBe(1);
    });
  }

  it("sends each of 100 operations once with two workers running concurrently", async () => {
    const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => enqueueGrant(String(100 + i))));
    const calls = new Map<string, number>();
    const counting: BillingProvider = {
      ...sandbox,
      grantCredit: async (req) => {
        calls.set(req.idempotencyKey, (calls.get(req.idempotencyKey) ?? 0) + 1);
        return sandbox.grantCredit(req);
      },
    };
    const second = createPrismaClient(t.url);
    try {
      const worker = async (db: typeof t.db) => {
        let claimed = 0;
        for (;;) {
          const r = await runOutboxOnce(db, counting, opts({ batchSize: 7, concurrency: 3 }));
          if (r.claimed === 0) return claimed;
          claimed += r.claimed;
        }
      };
      const [a, b] = await Promise.all([worker(t.db), worker(second)]);
      expect(a + b).toBe(100);
    } finally {
      await second.$disconnect();
    }
    expect(calls.size).toBe(100);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(await count(`SELECT count(*) n FROM provider_operations WHERE id = ANY($1::uuid[]) AND status = 'succeeded'`, [ids])).toBe(100);
    expect(await count(`SELECT count(DISTINCT metadata ->> 'meterdesk_operation_id') n FROM sandbox_credit_grants WHERE metadata ->> 'meterdesk_operation_id' = ANY($1)`, [ids])).toBe(100);
    expect(await count(`SELECT count(*) n FROM sandbox_credit_grants WHERE metadata ->> 'meterdesk_operation_id' = ANY($1)`, [ids])).toBe(100);
  });

  it("resumes the operations of a worker killed mid-batch once their lease expires, without doubling", async () => {
    const ids = await Promise.all([1, 2, 3, 4].map(() => enqueueGrant()));
    // The "killed" worker claimed all four and posted two before dying.
    const claimed = await claimDueOperations(t.db, "sandbox", { now: clock, limit: 10, leaseMs: MIN });
    expect(claimed.map((o) => o.id).sort()).toEqual([...ids].sort());
    const posted = new Map<string, string>();
    for (const op of claimed.slice(0, 2)) {
      const p = op.payload as OperationPayloads["credit.grant"];
      const r = await sandbox.grantCredit({
        idempotencyKey: op.idempotencyKey, customer: { customerId: customer.id, providerCustomerId: customer.providerCustomerId },
        amountMinor: BigInt(p.amountMinor), currency: p.currency, expiresAt: null, description: p.description,
        metadata: { meterdesk_operation_id: op.id, meterdesk_grant_id: p.grantId },
      });
      posted.set(op.id, r.providerGrantId);
    }
    // Within the lease nobody else touches them.
    advance(MIN - 1);
    expect((await runOutboxOnce(t.db, sandbox, opts())).claimed).toBe(0);
    advance(1);
    expect(await runOutboxOnce(t.db, sandbox, opts())).toMatchObject({ claimed: 4, succeeded: 4 });
    for (const id of ids) {
      const op = await opRow(id);
      expect(op).toMatchObject({ status: "succeeded", attempts: 2 });
      expect(await grantsFor(id)).toBe(1);
      if (posted.has(id)) expect(op.provider_reference).toBe(posted.get(id));
    }
  });

  it("drops a late result from a worker whose lease was taken over (fenced by attempts)", async () => {
    const id = await enqueueGrant();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let first = true;
    const slow: BillingProvider = {
      ...sandbox,
      grantCredit: async (req) => {
        const r = await sandbox.grantCredit(req);
        if (first) {
          first = false;
          await gate; // posted, but the answer arrives after the lease has expired
        }
        return r;
      },
    };
    const a = runOutboxOnce(t.db, slow, opts());
    while (first) await new Promise((r) => setTimeout(r, 5));
    advance(MIN);
    expect(await runOutboxOnce(t.db, slow, opts())).toMatchObject({ claimed: 1, succeeded: 1 });
    release();
    expect(await a).toMatchObject({ claimed: 1, superseded: 1, succeeded: 0 });
    expect(await opRow(id)).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(await grantsFor(id)).toBe(1);
  });

  it("marks a permanent failure failed at once, visibly, and runs feature failure hooks", async () => {
    const failures: string[] = [];
    registerOutboxHandler("credit.void", { async onFailure(_tx, op, error) { failures.push(`${op.id}:${(error as Error).message}`); } });
    try {
      const id = await enqueue("credit.void", { grantId: crypto.randomUUID(), providerGrantId: "sbx_cg_missing", amountMinor: "100", currency: "USD", reason: "test" });
      expect(await runOutboxOnce(t.db, sandbox, opts())).toMatchObject({ claimed: 1, failed: 1 });
      const op = await opRow(id);
      expect(op).toMatchObject({ status: "failed", attempts: 1 });
      expect(op.last_error).toMatch(/^not_found 404: sandbox: credit grant sbx_cg_missing/);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toContain(id);
      const stats = await outboxStats(t.db, clock);
      expect(stats.failuresByKind["credit.void"]).toBeGreaterThanOrEqual(1);
      advance(60 * MIN);
      expect((await runOutboxOnce(t.db, sandbox, opts())).claimed).toBe(0);
    } finally {
      unregisterOutboxHandler("credit.void");
    }
  });

  it("gives up after maxAttempts, and retryOperation requeues with the same key", async () => {
    const id = await enqueueGrant();
    const key = (await opRow(id)).idempotency_key;
    scriptSandboxFaults(["error", "error", "error"]);
    for (let i = 0; i < 3; i++) {
      await runOutboxOnce(t.db, sandbox, opts({ maxAttempts: 3 }));
      advance(10 * MIN);
    }
    const failed = await opRow(id);
    expect(failed).toMatchObject({ status: "failed", attempts: 3 });
    expect(failed.last_error).toContain("gave up after 3 attempts");
    expect(await grantsFor(id)).toBe(0);
    expect(await retryOperation(t.db, id, { now: clock })).toBe(true);
    expect(await opRow(id)).toMatchObject({ status: "pending", attempts: 0, idempotency_key: key });
    expect(await runOutboxOnce(t.db, sandbox, opts({ maxAttempts: 3 }))).toMatchObject({ succeeded: 1 });
    expect(await grantsFor(id)).toBe(1);
    expect(await retryOperation(t.db, id, { now: clock })).toBe(false);
  });

  it("sends plan changes, waits to cancel one until it has reached the provider, and forwards usage events", async () => {
    const c = await createCustomer(t.pool, { planKey: "pro" });
    const starter = (await t.pool.query<{ id: string }>(`SELECT v.id FROM plan_versions v JOIN plans p ON p.id = v.plan_id WHERE p.key = 'starter' AND v.currency = 'USD'`)).rows[0]!.id;
    const changeId = crypto.randomUUID();
    const effectiveAt = new Date(clock.getTime() + 5 * 86_400_000).toISOString();
    const cancelId = await enqueue("plan.change_cancel", { changeId, providerChangeId: null }, c.id, changeId);
    // The cancel is claimed first, while the change has not reached the provider: it waits.
    const changeOp = await enqueue("plan.change", { changeId, fromPlanVersionId: c.planVersionId, toPlanVersionId: starter, timing: "on_date", effectiveAt }, c.id, changeId);
    await runOutboxOnce(t.db, sandbox, opts({ batchSize: 1, concurrency: 1 }));
    expect((await opRow(cancelId)).status).toBe("pending");
    await drain(sandbox);
    advance(10 * MIN);
    await drain(sandbox);
    const change = await opRow(changeOp);
    expect(change.status).toBe("succeeded");
    expect((await opRow(cancelId)).status).toBe("succeeded");
    const sbx = (await t.pool.query<{ status: string }>(`SELECT status FROM sandbox_plan_changes WHERE id = $1`, [change.provider_reference])).rows[0]!;
    expect(sbx.status).toBe("canceled");

    const meter = (await t.pool.query<{ id: string }>(`SELECT id FROM meters WHERE key = 'build_minutes'`)).rows[0]!.id;
    const events = await t.pool.query<{ id: string }>(
      `INSERT INTO usage_events (idempotency_key, customer_id, meter_id, occurred_at, quantity)
       VALUES ('evt-1', $1, $2, '2026-02-01T10:00:00Z', 12.5), ('evt-2', $1, $2, '2026-02-01T11:00:00Z', 7.5) RETURNING id::text`, [c.id, meter]);
    const eventIds = events.rows.map((r) => r.id);
    const first = await enqueue("usage.forward", { eventIds }, c.id);
    const again = await enqueue("usage.forward", { eventIds }, c.id);
    await drain(sandbox);
    expect((await opRow(first)).status).toBe("succeeded");
    expect((await opRow(again)).status).toBe("succeeded");
    const daily = await t.pool.query<{ quantity: string }>(
      `SELECT quantity::text FROM sandbox_usage_daily WHERE provider_customer_id = $1 AND meter_key = 'build_minutes' AND day = '2026-02-01'`, [c.providerCustomerId]);
    expect(daily.rows).toEqual([{ quantity: "20.000000" }]);
  });
});

describe("outboxStats", () => {
  it("reports depth, the oldest pending operation's age and failures by kind", async () => {
    const before = await outboxStats(t.db, clock);
    expect(before.depth).toBe(0);
    expect(before.oldestPendingAgeMs).toBeNull();
    await enqueueGrant();
    await enqueueGrant();
    const stats = await outboxStats(t.db, clock);
    expect(stats.depth).toBe(2);
    expect(stats.oldestPendingAgeMs).toBeGreaterThan(0);
    expect(stats.failed).toBe(Object.values(stats.failuresByKind).reduce((a, b) => a + b, 0));
  });
});
