// Applies scheduled plan changes whose time has come: ends the phase in force at the change's
// effective instant, opens the new plan's phase there, marks the change applied and records
// the audit event (actor: system) — one transaction per change, claimed with SKIP LOCKED so
// several workers (and page reads) can run it at once without applying anything twice.
// The provider already has the change (sent as "plan.change" when it was scheduled), so no
// provider operation is written here.
// Called by the outbox worker on its periodic tick, and by the Plan tab before it reads, so a
// due change is never shown as pending. No "server-only": the worker runs it outside Next.
import type { Db } from "../db/client";
import { recordAudit } from "../audit";

export type ApplyDuePlanChangesResult = { applied: number; changeIds: string[] };

export async function applyDuePlanChanges(
  db: Db,
  now: Date = new Date(),
  opts: { customerId?: string; limit?: number } = {},
): Promise<ApplyDuePlanChangesResult> {
  const customerId = opts.customerId ?? null;
  const due = await db.$queryRaw<Array<{ id: string }>>`
    SELECT c.id::text AS id FROM subscription_changes c JOIN subscriptions s ON s.id = c.subscription_id
     WHERE c.status = 'scheduled' AND c.effective_at <= ${now}
       AND (${customerId}::uuid IS NULL OR s.customer_id = ${customerId}::uuid)
     ORDER BY c.effective_at, c.id LIMIT ${opts.limit ?? 500}`;
  const changeIds: string[] = [];
  for (const { id } of due) {
    const applied = await db.$transaction(async (tx) => {
      const [change] = await tx.$queryRaw<Array<{ id: string; subscription_id: string; customer_id: string; to_plan_version_id: string; from_plan_version_id: string; effective_at: Date; request_id: string | null }>>`
        SELECT c.id::text AS id, c.subscription_id::text AS subscription_id, s.customer_id::text AS customer_id,
               c.to_plan_version_id::text AS to_plan_version_id, c.from_plan_version_id::text AS from_plan_version_id,
               c.effective_at, c.request_id
          FROM subscription_changes c JOIN subscriptions s ON s.id = c.subscription_id
         WHERE c.id = ${id}::uuid AND c.status = 'scheduled' AND c.effective_at <= ${now}
           FOR UPDATE OF c SKIP LOCKED`;
      if (!change) return false; // applied, canceled or claimed by someone else meanwhile
      await tx.$queryRaw`SELECT id FROM subscriptions WHERE id = ${change.subscription_id}::uuid FOR UPDATE`;
      const [current] = await tx.$queryRaw<Array<{ id: string; plan_version_id: string; starts_at: Date; ends_at: Date | null }>>`
        SELECT id::text AS id, plan_version_id::text AS plan_version_id, starts_at, ends_at FROM subscription_phases
         WHERE subscription_id = ${change.subscription_id}::uuid AND starts_at <= ${change.effective_at}
           AND (ends_at IS NULL OR ends_at > ${change.effective_at})
         ORDER BY starts_at DESC LIMIT 1`;
      // The provider's own scheduler (the sandbox shares these tables) may have applied it already.
      const alreadyInForce = current?.plan_version_id === change.to_plan_version_id;
      if (!alreadyInForce) {
        if (current && current.starts_at.getTime() === change.effective_at.getTime()) {
          await tx.subscriptionPhase.update({ where: { id: current.id }, data: { planVersionId: change.to_plan_version_id } });
        } else {
          if (current) await tx.subscriptionPhase.update({ where: { id: current.id }, data: { endsAt: change.effective_at } });
          await tx.subscriptionPhase.create({
            data: { subscriptionId: change.subscription_id, planVersionId: change.to_plan_version_id, startsAt: change.effective_at, endsAt: current?.ends_at ?? null },
          });
        }
      }
      await tx.subscriptionChange.update({ where: { id: change.id }, data: { status: "applied", appliedAt: now } });
      await recordAudit(tx, null, {
        action: "plan.change_applied",
        targetType: "subscription_change",
        targetId: change.id,
        customerId: change.customer_id,
        before: { planVersionId: current?.plan_version_id ?? change.from_plan_version_id, status: "scheduled" },
        after: { planVersionId: change.to_plan_version_id, status: "applied", effectiveAt: change.effective_at.toISOString(), alreadyInForce },
        reason: "Scheduled plan change reached its effective time",
        requestId: change.request_id,
      });
      return true;
    });
    if (applied) changeIds.push(id);
  }
  return { applied: changeIds.length, changeIds };
}
