import "server-only";
import { AppError } from "@/lib/errors";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import { enqueueOperation } from "../outbox/enqueue";
import type { Actor } from "../session";
import { assertCanChangePlans } from "./preview-plan-change";

export type CancelPlanChangeResult = {
  changeId: string;
  customerId: string;
  message: string;
  auditEventId: string;
  auditHref: string;
  /** Whether a "plan.change_cancel" operation was queued (the change had been queued for the provider). */
  providerCancelQueued: boolean;
};

/**
 * Cancels a scheduled change: marks it canceled (so applyDuePlanChanges never applies it), records
 * the audit event and queues a "plan.change_cancel" operation through the provider, all in one
 * transaction. Only scheduled changes whose time has not come can be canceled.
 */
export async function cancelPlanChange(db: Db, actor: Pick<Actor, "id" | "email" | "role">, input: { changeId: string; reason?: string | null }, opts: { now?: Date } = {}): Promise<CancelPlanChangeResult> {
  assertCanChangePlans(actor);
  const now = opts.now ?? new Date();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.changeId)) throw new AppError("NOT_FOUND", "That plan change does not exist.");
  return db.$transaction(async (tx) => {
    const [change] = await tx.$queryRaw<Array<{ id: string; status: string; effective_at: Date; customer_id: string; provider: "sandbox" | "orb" | "metronome" | "stripe"; customer_name: string; from_name: string; to_name: string }>>`
      SELECT c.id::text AS id, c.status::text AS status, c.effective_at, s.customer_id::text AS customer_id, cu.provider::text AS provider,
             cu.name AS customer_name, fp.name AS from_name, tp.name AS to_name
        FROM subscription_changes c
        JOIN subscriptions s ON s.id = c.subscription_id
        JOIN customers cu ON cu.id = s.customer_id
        JOIN plan_versions fv ON fv.id = c.from_plan_version_id JOIN plans fp ON fp.id = fv.plan_id
        JOIN plan_versions tv ON tv.id = c.to_plan_version_id JOIN plans tp ON tp.id = tv.plan_id
       WHERE c.id = ${input.changeId}::uuid
         FOR UPDATE OF c`;
    if (!change) throw new AppError("NOT_FOUND", "That plan change does not exist.");
    if (change.status !== "scheduled") throw new AppError("CONFLICT", `This change is already ${change.status}; reload to see it.`);
    if (change.effective_at <= now) throw new AppError("CONFLICT", "This change has already taken effect; reload to see it.");

    await tx.subscriptionChange.update({ where: { id: change.id }, data: { status: "canceled", canceledAt: now } });
    // The provider may have the change (sent, being sent, or an unknown outcome): queue its cancel.
    // With no provider id yet, the cancel's handler waits for the change's operation and cancels
    // what it reached, or finds it never reached the provider and does nothing.
    const [sent] = await tx.$queryRaw<Array<{ status: string; provider_reference: string | null }>>`
      SELECT status::text AS status, provider_reference FROM provider_operations
       WHERE subject_id = ${change.id} AND kind = 'plan.change'
       ORDER BY created_at DESC LIMIT 1`;
    const operation = sent
      ? await enqueueOperation(tx, {
          kind: "plan.change_cancel",
          provider: change.provider,
          customerId: change.customer_id,
          subjectId: change.id,
          payload: { changeId: change.id, providerChangeId: sent.status === "succeeded" ? sent.provider_reference : null },
        })
      : null;
    const event = await recordAudit(tx, actor, {
      action: "plan.change_canceled",
      targetType: "subscription_change",
      targetId: change.id,
      customerId: change.customer_id,
      before: { status: "scheduled", from: change.from_name, to: change.to_name, effectiveAt: change.effective_at.toISOString() },
      after: { status: "canceled", operationId: operation?.id ?? null },
      reason: input.reason ?? null,
    });
    return {
      changeId: change.id,
      customerId: change.customer_id,
      message: `Canceled the change of ${change.customer_name} from ${change.from_name} to ${change.to_name} on ${change.effective_at.toISOString().slice(0, 10)}`,
      auditEventId: event.id.toString(),
      auditHref: `/audit?event=${event.id}`,
      providerCancelQueued: operation !== null,
    };
  });
}
