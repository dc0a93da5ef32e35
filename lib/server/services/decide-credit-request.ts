import "server-only";
// Maker-checker: a second person approves or rejects a pending credit request. Never one's own
// (checked here, and by the credit_requests_not_self_decided CHECK whatever the code does), only
// up to the approver's limit, and exactly one decision stands: the status moves with a
// conditional UPDATE … WHERE status = 'pending', and a zero row count means someone was first.
import { formatMoney } from "@/lib/billing";
import { assertCan } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import type { Actor } from "../session";
import { createCreditGrant } from "./create-credit-grant";
import { withinRoleLimit } from "./credit-limits";

export type DecideCreditRequestInput = {
  creditRequestId: string;
  decision: "approve" | "reject";
  note: string;
  /** The deciding form's own id, recorded on the audit event. */
  requestId: string;
};

export type DecideCreditRequestResult = {
  decision: "approved" | "rejected";
  creditRequestId: string;
  customerId: string;
  grantId: string | null;
  auditId: string;
  amountLabel: string;
};

export async function decideCreditRequest(db: Db, actor: Actor, input: DecideCreditRequestInput, now = new Date()): Promise<DecideCreditRequestResult> {
  assertCan(actor, "credits.approve");
  const request = await db.creditRequest.findUnique({
    where: { id: input.creditRequestId },
    include: { customer: { select: { id: true, name: true, provider: true } } },
  });
  if (!request) throw new AppError("NOT_FOUND", "That credit request does not exist.");
  if (request.requestedById === actor.id) throw new AppError("SELF_APPROVAL");
  if (request.status !== "pending") throw new AppError("CONFLICT", `This request was already ${request.status}.`);
  const amountLabel = formatMoney({ amountMinor: request.amountMinor, currency: request.currency });
  if (input.decision === "approve" && !(await withinRoleLimit(db, actor.role, request.amountMinor, request.currency))) {
    throw new AppError("LIMIT_EXCEEDED", `${amountLabel} is above your approval limit; ask someone with a higher limit.`);
  }
  if (input.decision === "approve" && request.expiresAt && request.expiresAt <= now) {
    throw new AppError("CONFLICT", "This request's expiry date has passed: reject it and ask for a new one.");
  }
  const note = input.note.trim();
  const status = input.decision === "approve" ? "approved" : "rejected";

  return db.$transaction(async (tx) => {
    const moved = await tx.creditRequest.updateMany({
      where: { id: request.id, status: "pending" },
      data: { status, decidedById: actor.id, decidedAt: now, decisionNote: note },
    });
    if (moved.count !== 1) throw new AppError("CONFLICT", "Someone else decided this request first.");
    let grantId: string | null = null;
    if (status === "approved") {
      const grant = await createCreditGrant(tx, actor, {
        customer: request.customer,
        currency: request.currency,
        amountMinor: request.amountMinor,
        reason: request.reason,
        note: request.note,
        ticketRef: request.ticketRef,
        expiresAt: request.expiresAt,
        issuedById: request.requestedById,
        approvedById: actor.id,
        requestId: request.requestId,
      }, { auditRequestId: input.requestId, auditReason: `Approved request: ${note}` });
      if (!grant.created) throw new AppError("CONFLICT", "A credit for this request already exists.");
      grantId = grant.grantId;
      await tx.creditRequest.update({ where: { id: request.id }, data: { grantId } });
    }
    const audit = await recordAudit(tx, actor, {
      action: `credit_request.${status}`,
      targetType: "credit_request",
      targetId: request.id,
      customerId: request.customerId,
      before: { status: "pending", amount: amountLabel, requestedById: request.requestedById },
      after: { status, grantId, decidedById: actor.id },
      reason: note,
      requestId: input.requestId,
    });
    return { decision: status, creditRequestId: request.id, customerId: request.customerId, grantId, auditId: audit.id.toString(), amountLabel };
  }, { maxWait: 15_000, timeout: 30_000 });
}
