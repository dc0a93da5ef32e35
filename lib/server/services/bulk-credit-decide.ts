import "server-only";
// Bulk incident credits, step 3: a second person (bulk_credits.approve, never the preparer —
// also a CHECK in the database) approves or rejects. Approval queues a "bulk_credit" job; the
// grants are made by runBulkCreditJob, item by item, with progress on the job row.
import { formatMoney } from "@/lib/billing";
import { assertCan } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { withinRoleLimit } from "./credit-limits";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import type { Actor } from "../session";

export const BULK_CREDIT_JOB = "bulk_credit";

export async function decideBulkCredit(db: Db, actor: Actor, input: { bulkCreditId: string; decision: "approve" | "reject"; note: string; requestId: string }, now = new Date()) {
  assertCan(actor, "bulk_credits.approve");
  const bulk = await db.bulkCredit.findUnique({ where: { id: input.bulkCreditId }, include: { _count: { select: { items: true } } } });
  if (!bulk) throw new AppError("NOT_FOUND", "That bulk credit does not exist.");
  if (bulk.preparedById === actor.id) throw new AppError("SELF_APPROVAL");
  if (bulk.status !== "pending_approval") throw new AppError("CONFLICT", `This bulk credit is already ${bulk.status.replace("_", " ")}.`);
  // Limits apply to the batch total: an approver may not release more than they could grant.
  if (input.decision === "approve" && !(await withinRoleLimit(db, actor.role, bulk.totalMinor, bulk.currency))) {
    throw new AppError("LIMIT_EXCEEDED", `${formatMoney({ amountMinor: bulk.totalMinor, currency: bulk.currency })} in total is above your approval limit; ask someone with a higher limit.`);
  }
  const status = input.decision === "approve" ? "approved" : "rejected";
  return db.$transaction(async (tx) => {
    const moved = await tx.bulkCredit.updateMany({
      where: { id: bulk.id, status: "pending_approval" },
      data: { status, decidedById: actor.id, decidedAt: now, decisionNote: input.note.trim() },
    });
    if (moved.count !== 1) throw new AppError("CONFLICT", "Someone else decided this bulk credit first.");
    const job = status === "approved"
      ? await tx.job.create({ data: { kind: BULK_CREDIT_JOB, payload: { bulkCreditId: bulk.id }, progressTotal: bulk._count.items, createdById: actor.id } })
      : null;
    const audit = await recordAudit(tx, actor, {
      action: `bulk_credit.${status}`,
      targetType: "bulk_credit",
      targetId: bulk.id,
      before: { status: bulk.status },
      after: { status, jobId: job?.id ?? null, customers: bulk._count.items, total: formatMoney({ amountMinor: bulk.totalMinor, currency: bulk.currency }) },
      reason: input.note,
      requestId: input.requestId,
    });
    return { bulkCreditId: bulk.id, decision: status, jobId: job?.id ?? null, auditId: audit.id.toString() };
  });
}
