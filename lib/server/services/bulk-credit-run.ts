// Bulk incident credits, step 4: make the grants. Each item in its own transaction (grant +
// ledger + outbox + audit, request id "bulk:<bulk id>:<customer id>", bulk_credit_item_id
// unique), skipping items that already have a grant, so a crash or a restart resumes where it
// stopped and never doubles a credit. Progress (done / failed / total) is kept on the job row.
// No "server-only": the worker runs it.
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import { createCreditGrant } from "./create-credit-grant";

export type RunBulkCreditOptions = {
  /** Test hook: called before each item is processed; throwing simulates a crash. */
  beforeItem?: (index: number) => void | Promise<void>;
  /** The clock, for lock expiry (tests resume a "crashed" run by moving it past the lock). */
  now?: () => Date;
};

const LOCK_MS = 10 * 60_000;

export async function runBulkCreditJob(db: Db, jobId: string, opts: RunBulkCreditOptions = {}) {
  const clock = opts.now ?? (() => new Date());
  const lockUntil = () => new Date(clock().getTime() + LOCK_MS);
  // Claimed when queued, or when a previous run stopped (failed, or crashed and its lock ran out).
  const claimed = await db.job.updateMany({
    where: {
      id: jobId,
      kind: "bulk_credit",
      OR: [{ status: "queued" }, { status: { in: ["running", "failed"] }, OR: [{ lockedUntil: null }, { lockedUntil: { lt: clock() } }] }],
    },
    data: { status: "running", startedAt: clock(), lockedUntil: lockUntil(), error: null },
  });
  if (claimed.count !== 1) return { status: "not_runnable" as const };
  const job = await db.job.findUniqueOrThrow({ where: { id: jobId } });
  const bulkCreditId = (job.payload as { bulkCreditId?: string }).bulkCreditId;
  const bulk = bulkCreditId ? await db.bulkCredit.findUnique({ where: { id: bulkCreditId } }) : null;
  if (!bulk || !bulk.decidedById || !["approved", "running"].includes(bulk.status)) {
    await db.job.update({ where: { id: jobId }, data: { status: "failed", error: "The bulk credit is missing or not approved.", finishedAt: new Date() } });
    return { status: "failed" as const };
  }
  const approver = await db.staffUser.findUniqueOrThrow({ where: { id: bulk.decidedById } });
  const actor = { id: approver.id, email: approver.email, role: approver.role };
  await db.bulkCredit.update({ where: { id: bulk.id }, data: { status: "running" } });
  const items = await db.bulkCreditItem.findMany({ where: { bulkCreditId: bulk.id }, orderBy: { id: "asc" } });
  const customers = new Map((await db.customer.findMany({ where: { id: { in: items.map((i) => i.customerId) } }, select: { id: true, name: true, provider: true, currency: true } })).map((c) => [c.id, c]));

  let done = items.filter((i) => i.grantId !== null || i.amountMinor <= 0n).length;
  let failed = 0;
  await db.job.update({ where: { id: jobId }, data: { progressTotal: items.length, progressDone: done, progressFailed: 0 } });
  for (const [index, item] of items.entries()) {
    if (item.grantId !== null || item.amountMinor <= 0n) continue;
    await opts.beforeItem?.(index);
    try {
      const customer = customers.get(item.customerId);
      if (!customer) throw new Error(`customer ${item.customerId} not found`);
      await db.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<Array<{ grant_id: string | null }>>`SELECT grant_id::text FROM bulk_credit_items WHERE id = ${item.id}::uuid FOR UPDATE`;
        if (locked[0]?.grant_id) return;
        const grant = await createCreditGrant(tx, actor, {
          customer,
          currency: bulk.currency,
          amountMinor: item.amountMinor,
          reason: bulk.reason,
          note: `${bulk.name}: ${bulk.note}`,
          ticketRef: null,
          expiresAt: null,
          issuedById: bulk.preparedById,
          approvedById: bulk.decidedById,
          requestId: `bulk:${bulk.id}:${item.customerId}`,
          bulkCreditItemId: item.id,
        }, { auditReason: `Bulk credit "${bulk.name}"` });
        await tx.bulkCreditItem.update({ where: { id: item.id }, data: { grantId: grant.grantId } });
      }, { maxWait: 15_000, timeout: 30_000 });
      done++;
      await db.job.update({ where: { id: jobId }, data: { progressDone: done, lockedUntil: lockUntil() } });
    } catch (error) {
      failed++;
      console.error(`[bulk credit ${bulk.id}] item ${item.id} failed:`, error);
      await db.job.update({ where: { id: jobId }, data: { progressFailed: failed } });
    }
  }
  const finishedAt = new Date();
  await db.$transaction(async (tx) => {
    await tx.job.update({
      where: { id: jobId },
      data: failed === 0
        ? { status: "succeeded", finishedAt, lockedUntil: null, result: { done, failed, total: items.length } }
        : { status: "failed", finishedAt, lockedUntil: null, error: `${failed} of ${items.length} credits failed; run the job again to retry them.`, result: { done, failed, total: items.length } },
    });
    if (failed === 0) await tx.bulkCredit.update({ where: { id: bulk.id }, data: { status: "completed" } });
    await recordAudit(tx, actor, {
      action: failed === 0 ? "bulk_credit.completed" : "bulk_credit.partially_failed",
      targetType: "bulk_credit",
      targetId: bulk.id,
      after: { jobId, done, failed, total: items.length },
    });
  });
  return { status: failed === 0 ? ("succeeded" as const) : ("failed" as const), done, failed, total: items.length };
}
