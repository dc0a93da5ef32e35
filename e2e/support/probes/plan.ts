// Plan changes: every action needs plans.change. Allowed calls are harmless: the preview writes
// nothing, the confirm carries a token no preview issued (refused as out of date), and the cancel
// names a change that does not exist.
import { randomUUID } from "node:crypto";
import { e2eDb } from "../db";
import type { ActionProbe } from "./types";

async function target() {
  const { rows } = await e2eDb().query<{ customer_id: string; plan_id: string }>(
    `SELECT c.id::text AS customer_id, (SELECT id::text FROM plans WHERE key = 'team') AS plan_id
       FROM customers c JOIN subscriptions s ON s.customer_id = c.id AND s.status = 'active'
      WHERE c.currency = 'USD' ORDER BY c.created_at LIMIT 1`,
  );
  return { customerId: rows[0]!.customer_id, toPlanId: rows[0]!.plan_id };
}

export const actions: ActionProbe[] = [
  {
    name: "previewPlanChangeAction",
    permission: "plans.change",
    args: async () => [{ ...(await target()), timing: "period_end" }],
  },
  {
    name: "changePlanAction",
    permission: "plans.change",
    args: async () => [
      { ...(await target()), timing: "immediate", effectiveAt: new Date().toISOString(), token: "probe-token-that-no-preview-issued", requestId: randomUUID() },
    ],
  },
  {
    name: "cancelPlanChangeAction",
    permission: "plans.change",
    args: async () => [{ changeId: randomUUID() }],
  },
];
