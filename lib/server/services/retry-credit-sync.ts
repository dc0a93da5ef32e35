import "server-only";
// "Retry" on a failed credit sync: the same operation (same idempotency key, so a provider that
// did apply it answers with a replay, never a second credit) goes back to the worker's queue.
import { AppError } from "@/lib/errors";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import { retryOperation } from "../outbox/worker";
import type { Actor } from "../session";
import { assertCan } from "@/lib/auth/permissions";

export async function retryCreditSync(db: Db, actor: Actor, operationId: string) {
  assertCan(actor, "credits.issue");
  const op = await db.providerOperation.findUnique({ where: { id: operationId } });
  if (!op || !op.kind.startsWith("credit.")) throw new AppError("NOT_FOUND", "That provider operation does not exist.");
  if (op.status !== "failed") throw new AppError("CONFLICT", op.status === "succeeded" ? "This operation already succeeded." : "This operation is already queued.");
  return db.$transaction(async (tx) => {
    if (!(await retryOperation(tx, op.id))) throw new AppError("CONFLICT", "Someone retried this operation already.");
    const audit = await recordAudit(tx, actor, {
      action: "provider_operation.retried",
      targetType: "provider_operation",
      targetId: op.id,
      customerId: op.customerId,
      before: { status: "failed", lastError: op.lastError, attempts: op.attempts },
      after: { status: "pending", kind: op.kind, idempotencyKey: op.idempotencyKey },
    });
    return { operationId: op.id, customerId: op.customerId, auditId: audit.id.toString() };
  });
}
