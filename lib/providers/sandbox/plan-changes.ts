// Plan changes at the sandbox. The sandbox keeps its own usage and credits, but it shares the
// catalog (plans, plan_versions, prices) and the subscription tables (subscriptions,
// subscription_phases) with Meterdesk: they are the sandbox's view of the subscription too.
// Because Meterdesk's own plan-change code may already have written the same phase, applying a
// change is a no-op when the phase in force at the effective instant is already the target plan.
import { randomBytes } from "node:crypto";
import type { Db } from "@/lib/server/db/client";
import { ProviderError, type ProviderKind } from "../types";
import type { Tx } from "./idempotency";

export const sandboxId = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

export async function activeSubscriptionFor(tx: Tx | Db, providerCustomerId: string, customerProvider: ProviderKind = "sandbox") {
  const [row] = await tx.$queryRaw<Array<{ id: string; customer_id: string; currency: string }>>`
    SELECT s.id::text AS id, c.id::text AS customer_id, c.currency
      FROM customers c JOIN subscriptions s ON s.customer_id = c.id AND s.status = 'active'
     WHERE c.provider_customer_id = ${providerCustomerId} AND c.provider::text = ${customerProvider}
     ORDER BY s.started_at DESC LIMIT 1`;
  return row ?? null;
}

/** Ends the phase in force at `at` and starts `toPlanVersionId` there (idempotent on the shared tables). */
export async function applyPhaseChange(tx: Tx, subscriptionId: string, toPlanVersionId: string, at: Date): Promise<void> {
  // Serialise changes to one subscription.
  await tx.$queryRaw`SELECT id FROM subscriptions WHERE id = ${subscriptionId}::uuid FOR UPDATE`;
  const [current] = await tx.$queryRaw<Array<{ id: string; plan_version_id: string; starts_at: Date; ends_at: Date | null }>>`
    SELECT id::text, plan_version_id::text, starts_at, ends_at FROM subscription_phases
     WHERE subscription_id = ${subscriptionId}::uuid AND starts_at <= ${at} AND (ends_at IS NULL OR ends_at > ${at})
     ORDER BY starts_at DESC LIMIT 1`;
  if (current?.plan_version_id === toPlanVersionId) return;
  if (current && current.starts_at.getTime() === at.getTime()) {
    // A phase starting at this very instant: replace its plan rather than leave an empty phase.
    await tx.$executeRaw`UPDATE subscription_phases SET plan_version_id = ${toPlanVersionId}::uuid WHERE id = ${current.id}::uuid`;
    return;
  }
  if (current) await tx.$executeRaw`UPDATE subscription_phases SET ends_at = ${at} WHERE id = ${current.id}::uuid`;
  await tx.$executeRaw`
    INSERT INTO subscription_phases (id, subscription_id, plan_version_id, starts_at, ends_at)
    VALUES (gen_random_uuid(), ${subscriptionId}::uuid, ${toPlanVersionId}::uuid, ${at}, ${current?.ends_at ?? null})`;
}

export async function checkTargetPlan(tx: Tx, toPlanVersionId: string, currency: string): Promise<void> {
  const [version] = await tx.$queryRaw<Array<{ currency: string }>>`
    SELECT currency FROM plan_versions WHERE id = ${toPlanVersionId}::uuid`;
  if (!version) throw new ProviderError("not_found", `sandbox: plan version ${toPlanVersionId} does not exist`, { status: 404, provider: "sandbox" });
  if (version.currency !== currency) {
    throw new ProviderError("permanent", `sandbox: plan version is in ${version.currency}, the customer in ${currency}`, { status: 400, provider: "sandbox" });
  }
}

/**
 * Applies every scheduled sandbox plan change due at `now` (period_end and on_date changes), the
 * way a provider's scheduler would. Safe to run from several processes: rows are claimed with
 * SKIP LOCKED. Returns how many were applied.
 */
export async function applyDueSandboxChanges(db: Db, now: Date = new Date(), customerProvider: ProviderKind = "sandbox"): Promise<number> {
  let applied = 0;
  for (;;) {
    const done = await db.$transaction(async (tx) => {
      const [change] = await tx.$queryRaw<Array<{ id: string; provider_customer_id: string; to_plan_version_id: string; effective_at: Date }>>`
        SELECT id, provider_customer_id, to_plan_version_id::text, effective_at FROM sandbox_plan_changes
         WHERE status = 'scheduled' AND effective_at <= ${now}
         ORDER BY effective_at, id LIMIT 1 FOR UPDATE SKIP LOCKED`;
      if (!change) return false;
      const sub = await activeSubscriptionFor(tx, change.provider_customer_id, customerProvider);
      if (sub) await applyPhaseChange(tx, sub.id, change.to_plan_version_id, change.effective_at);
      // No active subscription any more (churned): the change lapses, as it would at a provider.
      await tx.$executeRaw`UPDATE sandbox_plan_changes SET status = ${sub ? "applied" : "canceled"} WHERE id = ${change.id}`;
      return true;
    });
    if (!done) return applied;
    applied++;
  }
}
