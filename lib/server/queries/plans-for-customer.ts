import "server-only";
import { billingPeriodContaining, formatPeriodLabel } from "@/lib/billing";
import { db } from "../db";

export type PlanOptionDto = { planId: string; key: string; name: string; tier: number; version: number; baseFeeMinor: string; isCurrent: boolean };

export type PlanChangeRowDto = {
  id: string;
  status: "scheduled" | "applied" | "canceled";
  timing: "immediate" | "period_end" | "on_date";
  fromPlan: string;
  toPlan: string;
  effectiveAt: string;
  createdAt: string;
  appliedAt: string | null;
  canceledAt: string | null;
  /** "Name (email)"; null for changes made by the system or the seed. */
  requestedBy: string | null;
  currency: string;
  prorationNetMinor: string | null;
  /** The latest provider operation for this change ("plan.change" or "plan.change_cancel"). */
  sync: { kind: string; status: string; lastError: string | null } | null;
};

export type CustomerPlanDto = {
  customer: { id: string; name: string; currency: string };
  subscription: {
    id: string;
    billingAnchor: string;
    startedAt: string;
    current: { planId: string; planName: string; version: number; planVersionId: string; since: string; baseFeeMinor: string } | null;
    period: { start: string; end: string; label: string };
  } | null;
  changes: PlanChangeRowDto[];
  /** Active plans with a version in the customer's currency (latest version of each). */
  options: PlanOptionDto[];
};

export async function getCustomerPlan(customerId: string, now = new Date()): Promise<CustomerPlanDto | null> {
  const customer = await db.customer.findUnique({ where: { id: customerId }, select: { id: true, name: true, currency: true } });
  if (!customer) return null;
  const sub = await db.subscription.findFirst({ where: { customerId, status: "active" }, orderBy: { startedAt: "desc" } });
  const phase = sub
    ? await db.subscriptionPhase.findFirst({
        where: { subscriptionId: sub.id, startsAt: { lte: now }, OR: [{ endsAt: null }, { endsAt: { gt: now } }] },
        orderBy: { startsAt: "desc" },
        include: { planVersion: { include: { plan: true } } },
      })
    : null;

  const changes = sub
    ? await db.$queryRaw<Array<Omit<PlanChangeRowDto, "effectiveAt" | "createdAt" | "appliedAt" | "canceledAt" | "sync"> & {
        effectiveAt: Date; createdAt: Date; appliedAt: Date | null; canceledAt: Date | null;
        syncKind: string | null; syncStatus: string | null; syncError: string | null;
      }>>`
        SELECT c.id::text AS id, c.status::text AS status, c.timing::text AS timing, fp.name AS "fromPlan", tp.name AS "toPlan",
               c.effective_at AS "effectiveAt", c.created_at AS "createdAt", c.applied_at AS "appliedAt", c.canceled_at AS "canceledAt",
               CASE WHEN u.id IS NULL THEN NULL ELSE u.name || ' (' || u.email || ')' END AS "requestedBy",
               tv.currency AS currency, c.preview->>'prorationNetMinor' AS "prorationNetMinor",
               op.kind AS "syncKind", op.status::text AS "syncStatus", op.last_error AS "syncError"
          FROM subscription_changes c
          JOIN plan_versions fv ON fv.id = c.from_plan_version_id JOIN plans fp ON fp.id = fv.plan_id
          JOIN plan_versions tv ON tv.id = c.to_plan_version_id JOIN plans tp ON tp.id = tv.plan_id
          LEFT JOIN staff_users u ON u.id = c.requested_by_id
          LEFT JOIN LATERAL (
            SELECT o.kind, o.status, o.last_error FROM provider_operations o
             WHERE o.subject_id = c.id::text AND o.kind IN ('plan.change', 'plan.change_cancel')
             ORDER BY o.created_at DESC LIMIT 1
          ) op ON true
         WHERE c.subscription_id = ${sub.id}::uuid
         ORDER BY c.effective_at DESC, c.created_at DESC
         LIMIT 100`
    : [];

  const plans = await db.plan.findMany({
    where: { status: "active" },
    orderBy: [{ tier: "asc" }, { name: "asc" }],
    include: { versions: { where: { currency: customer.currency }, orderBy: { version: "desc" }, take: 1 } },
  });
  const period = sub ? billingPeriodContaining(sub.billingAnchor, now) : null;
  return {
    customer,
    subscription:
      sub && period
        ? {
            id: sub.id,
            billingAnchor: sub.billingAnchor.toISOString(),
            startedAt: sub.startedAt.toISOString(),
            current: phase
              ? {
                  planId: phase.planVersion.planId,
                  planName: phase.planVersion.plan.name,
                  version: phase.planVersion.version,
                  planVersionId: phase.planVersionId,
                  since: phase.startsAt.toISOString(),
                  baseFeeMinor: phase.planVersion.baseFeeMinor.toString(),
                }
              : null,
            period: { start: period.start.toISOString(), end: period.end.toISOString(), label: formatPeriodLabel(period) },
          }
        : null,
    changes: changes.map((c) => ({
      id: c.id,
      status: c.status,
      timing: c.timing,
      fromPlan: c.fromPlan,
      toPlan: c.toPlan,
      effectiveAt: c.effectiveAt.toISOString(),
      createdAt: c.createdAt.toISOString(),
      appliedAt: c.appliedAt?.toISOString() ?? null,
      canceledAt: c.canceledAt?.toISOString() ?? null,
      requestedBy: c.requestedBy,
      currency: c.currency,
      prorationNetMinor: c.prorationNetMinor,
      sync: c.syncKind ? { kind: c.syncKind, status: c.syncStatus ?? "pending", lastError: c.syncError } : null,
    })),
    options: plans
      .filter((p) => p.versions.length > 0)
      .map((p) => ({
        planId: p.id,
        key: p.key,
        name: p.name,
        tier: p.tier,
        version: p.versions[0]!.version,
        baseFeeMinor: p.versions[0]!.baseFeeMinor.toString(),
        isCurrent: phase?.planVersion.planId === p.id,
      })),
  };
}
