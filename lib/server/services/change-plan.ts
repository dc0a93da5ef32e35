import "server-only";
import { formatMoney } from "@/lib/billing";
import { AppError } from "@/lib/errors";
import { Prisma } from "@/lib/generated/prisma/client";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import { enqueueOperation } from "../outbox/enqueue";
import type { Actor } from "../session";
import {
  OUT_OF_DATE,
  assertCanChangePlans,
  computePlanChange,
  tokensEqual,
  type PlanChangeInput,
  type PlanChangePreview,
} from "./preview-plan-change";

export type ChangePlanInput = PlanChangeInput & {
  /** The instant the preview fixed (ISO); for "now" it is applied as is. */
  effectiveAt: string;
  token: string;
  /** Client-generated id of the confirming form: a double submit makes one change. */
  requestId: string;
};

export type ChangePlanResult = {
  changeId: string;
  customerId: string;
  status: "applied" | "scheduled";
  /** True when this request id had already made the change (nothing new was written). */
  replayed: boolean;
  message: string;
  auditEventId: string | null;
  auditHref: string;
  activityHref: string;
};

/** Stored in subscription_changes.preview: exactly what was shown and applied. */
type StoredPreview = Omit<PlanChangePreview, "token"> & { message: string };

const signed = (minor: bigint, currency: string) =>
  `${minor < BigInt(0) ? "−" : "+"}${formatMoney({ amountMinor: minor < BigInt(0) ? -minor : minor, currency })}`;

/** "Changed Acme Corp from Pro to Team, effective now; proration −$12.34 / +$45.67". */
export function planChangeMessage(p: Omit<PlanChangePreview, "token">): string {
  const day = p.effectiveAt.slice(0, 10);
  const head =
    p.timing === "immediate"
      ? `Changed ${p.customerName} from ${p.from.planName} to ${p.to.planName}, effective now`
      : `Scheduled ${p.customerName} to change from ${p.from.planName} to ${p.to.planName} on ${day} 00:00 UTC${p.timing === "period_end" ? " (period end)" : ""}`;
  const lines = p.prorationLines.map((l) => signed(BigInt(l.amountMinor), p.currency));
  return `${head}; ${lines.length ? `proration ${lines.join(" / ")}` : "no proration"}`;
}

const auditAction = (status: "applied" | "scheduled") => (status === "applied" ? "plan.changed" : "plan.change_scheduled");

async function replay(db: Db, requestId: string, customerId: string): Promise<ChangePlanResult | null> {
  const change = await db.subscriptionChange.findUnique({ where: { requestId }, include: { subscription: true } });
  if (!change) return null;
  if (change.subscription.customerId !== customerId) throw new AppError("CONFLICT", "This form was already used for another customer; reload and try again.");
  const status = change.status === "scheduled" ? "scheduled" : "applied";
  const event = await db.auditEvent.findFirst({ where: { requestId, targetId: change.id }, orderBy: { id: "asc" }, select: { id: true, action: true } });
  return {
    changeId: change.id,
    customerId,
    status,
    replayed: true,
    message: (change.preview as StoredPreview | null)?.message ?? "This change was already made.",
    auditEventId: event?.id.toString() ?? null,
    auditHref: event ? `/audit?event=${event.id}` : `/audit?customer=${customerId}&action=${auditAction(status)}`,
    activityHref: `/customers/${customerId}/activity`,
  };
}

/**
 * Confirm: recomputes the preview for the same inputs (and, for "now", the same instant) and
 * applies it only if it is what was shown (same token); otherwise nothing is written and the
 * caller is asked to preview again. One transaction writes the change row (with its preview),
 * for an immediate change the phase hand-over, the audit event and the "plan.change" outbox
 * operation. Scheduled changes are applied later by applyDuePlanChanges.
 */
export async function changePlan(db: Db, actor: Pick<Actor, "id" | "email" | "role">, input: ChangePlanInput, opts: { now?: Date } = {}): Promise<ChangePlanResult> {
  assertCanChangePlans(actor);
  const now = opts.now ?? new Date();
  const earlier = await replay(db, input.requestId, input.customerId);
  if (earlier) return earlier;

  const fixed = new Date(input.effectiveAt);
  if (Number.isNaN(fixed.getTime())) throw new AppError("CONFLICT", OUT_OF_DATE);
  const computed = await computePlanChange(db, actor, input, { now, fixedEffectiveAt: input.timing === "immediate" ? fixed : undefined });
  const { preview } = computed;
  if (!tokensEqual(preview.token, input.token) || preview.effectiveAt !== fixed.toISOString()) throw new AppError("CONFLICT", OUT_OF_DATE);

  const status = input.timing === "immediate" ? "applied" : "scheduled";
  const { token: _token, ...shown } = preview;
  const stored: StoredPreview = { ...shown, message: planChangeMessage(shown) };
  const effectiveAt = computed.effectiveAt;
  try {
    return await db.$transaction(async (tx) => {
      // One change at a time per subscription: concurrent confirms queue here and re-check.
      await tx.$queryRaw`SELECT id FROM subscriptions WHERE id = ${computed.subscriptionId}::uuid FOR UPDATE`;
      if (await tx.subscriptionChange.findUnique({ where: { requestId: input.requestId }, select: { id: true } })) {
        throw new DuplicateRequest();
      }
      const open = await tx.subscriptionPhase.findFirst({ where: { subscriptionId: computed.subscriptionId, endsAt: null }, orderBy: { startsAt: "desc" } });
      const pending = await tx.subscriptionChange.count({ where: { subscriptionId: computed.subscriptionId, status: "scheduled" } });
      if (!open || open.id !== computed.openPhaseId || pending > 0) throw new AppError("CONFLICT", OUT_OF_DATE);

      const change = await tx.subscriptionChange.create({
        data: {
          subscriptionId: computed.subscriptionId,
          fromPlanVersionId: preview.from.planVersionId,
          toPlanVersionId: preview.to.planVersionId,
          timing: input.timing,
          effectiveAt,
          status,
          preview: stored as unknown as Prisma.InputJsonValue,
          requestedById: actor.id,
          requestId: input.requestId,
          appliedAt: status === "applied" ? now : null,
        },
      });
      if (status === "applied") {
        await tx.subscriptionPhase.update({ where: { id: open.id }, data: { endsAt: effectiveAt } });
        await tx.subscriptionPhase.create({ data: { subscriptionId: computed.subscriptionId, planVersionId: preview.to.planVersionId, startsAt: effectiveAt } });
      }
      const operation = await enqueueOperation(tx, {
        kind: "plan.change",
        provider: computed.customer.provider,
        customerId: computed.customer.id,
        subjectId: change.id,
        payload: {
          changeId: change.id,
          fromPlanVersionId: preview.from.planVersionId,
          toPlanVersionId: preview.to.planVersionId,
          timing: input.timing,
          effectiveAt: effectiveAt.toISOString(),
        },
      });
      const event = await recordAudit(tx, actor, {
        action: auditAction(status),
        targetType: "subscription_change",
        targetId: change.id,
        customerId: computed.customer.id,
        before: { plan: preview.from.planName, planVersionId: preview.from.planVersionId },
        after: {
          plan: preview.to.planName,
          planVersionId: preview.to.planVersionId,
          timing: input.timing,
          effectiveAt: effectiveAt.toISOString(),
          prorationLines: preview.prorationLines,
          prorationNetMinor: preview.prorationNetMinor,
          currency: preview.currency,
          operationId: operation.id,
        },
        requestId: input.requestId,
      });
      return {
        changeId: change.id,
        customerId: computed.customer.id,
        status,
        replayed: false,
        message: stored.message,
        auditEventId: event.id.toString(),
        auditHref: `/audit?event=${event.id}`,
        activityHref: `/customers/${computed.customer.id}/activity`,
      } satisfies ChangePlanResult;
    });
  } catch (error) {
    const duplicate =
      error instanceof DuplicateRequest ||
      (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002");
    if (duplicate) {
      const again = await replay(db, input.requestId, input.customerId);
      if (again) return again;
    }
    throw error;
  }
}

class DuplicateRequest extends Error {}
