// Credits: every action refuses roles without its permission. Allowed calls are harmless:
// unknown ids (NOT_FOUND), input the service rejects after the permission check, or limits set
// to the values they already have.
import { randomUUID } from "node:crypto";
import { e2eDb } from "../db";
import type { ActionProbe, PathProbe } from "./types";

const unknownId = "00000000-0000-4000-8000-00000000c0de";

export const pages: PathProbe[] = [{ path: "/credits", permission: "customers.view" }];

export const actions: ActionProbe[] = [
  {
    name: "issueCreditAction",
    permission: "credits.issue",
    args: async () => [{ customerId: unknownId, amount: "1.00", currency: "USD", reason: "goodwill", note: "authorisation probe", requestId: randomUUID() }],
  },
  {
    name: "decideCreditRequestAction",
    permission: "credits.approve",
    args: async () => [{ creditRequestId: unknownId, decision: "approve", note: "authorisation probe", requestId: randomUUID() }],
  },
  {
    name: "voidCreditAction",
    permission: "credits.void",
    args: async () => [{ grantId: unknownId, reason: "authorisation probe", requestId: randomUUID() }],
  },
  { name: "retryCreditSyncAction", permission: "credits.issue", args: async () => [{ operationId: unknownId }] },
  {
    name: "updateCreditLimitsAction",
    permission: "admin.manage",
    args: async () => {
      const { rows } = await e2eDb().query<{ limit: string | null }>(`SELECT limit_amount::text AS "limit" FROM role_credit_limits WHERE role = 'product'`);
      const current = rows[0]?.limit ?? "0";
      return [{ limits: [{ role: "product", limit: current === null ? "" : current.replace(/\.?0+$/, "") || "0" }], reason: "authorisation probe" }];
    },
  },
  {
    name: "previewBulkCreditAction",
    permission: "bulk_credits.prepare",
    args: async () => [{ windowStart: "2026-01-01T00:00:00.000Z", windowEnd: "2026-01-01T01:00:00.000Z", meterKeys: [], regions: [], currency: "USD", rule: "flat", flatAmount: "1" }],
  },
  {
    name: "prepareBulkCreditAction",
    permission: "bulk_credits.prepare",
    args: async () => [{ name: "authorisation probe", reason: "outage", note: "probe", requestId: randomUUID(), windowStart: "2026-01-01T00:00:00.000Z", windowEnd: "2026-01-01T01:00:00.000Z", meterKeys: [], regions: [], currency: "USD", rule: "flat", flatAmount: "1" }],
  },
  {
    name: "decideBulkCreditAction",
    permission: "bulk_credits.approve",
    args: async () => [{ bulkCreditId: unknownId, decision: "reject", note: "authorisation probe", requestId: randomUUID() }],
  },
];
