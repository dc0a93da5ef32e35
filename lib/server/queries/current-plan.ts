// "The plan in force now" for a customer aliased `c`: one lateral join shared by the customer
// list, the customer header and the review queue. No "server-only": the benchmark imports the
// review queue's queries outside Next.
import { Prisma } from "@/lib/generated/prisma/client";

/** Adds `cp.plan_key`, `cp.plan_name` and `cp.since` (NULL when there is no active subscription). */
export const currentPlanJoin = Prisma.sql`
  LEFT JOIN LATERAL (
    SELECT p.key AS plan_key, p.name AS plan_name, ph.starts_at AS since
      FROM subscriptions cps
      JOIN subscription_phases ph ON ph.subscription_id = cps.id
       AND ph.starts_at <= now() AND (ph.ends_at IS NULL OR ph.ends_at > now())
      JOIN plan_versions pv ON pv.id = ph.plan_version_id
      JOIN plans p ON p.id = pv.plan_id
     WHERE cps.customer_id = c.id AND cps.status = 'active'
     ORDER BY ph.starts_at DESC
     LIMIT 1
  ) cp ON true`;
