// Every service that changes something refuses a role without the permission before it touches
// the database, whoever calls it. The database here throws on any use, so a refusal that came
// later (or not at all) fails the test.
import { describe, expect, it } from "vitest";
import { isAppError } from "@/lib/errors";
import { can, roles, type Permission, type Role } from "@/lib/auth/permissions";
import type { Db } from "../db/client";
import { createApiToken, revokeApiToken } from "./api-tokens";
import { prepareBulkCredit } from "./bulk-credit-prepare";
import { decideBulkCredit } from "./bulk-credit-decide";
import { updateCreditLimits } from "./credit-limits";
import { resyncUsage } from "./resync-usage";
import { retryCreditSync } from "./retry-credit-sync";
import { updateStaffAccess } from "./change-staff-role";
import { requestPreviewRecompute } from "./recompute-previews";
import { issueCredit } from "./issue-credit";
import { voidCredit } from "./void-credit";
import { decideCreditRequest } from "./decide-credit-request";

const untouchable = new Proxy({}, {
  get(_t, prop) {
    if (prop === "then") return undefined;
    throw new Error(`the database was used (${String(prop)}) before the permission check`);
  },
}) as Db;

const id = "00000000-0000-4000-8000-000000000001";
const calls: Array<{ name: string; permission: Permission; call: (actor: { id: string; email: string; name: string; role: Role }) => Promise<unknown> }> = [
  { name: "createApiToken", permission: "admin.manage", call: (a) => createApiToken(untouchable, a, { name: "x", scopes: ["usage:write"] }) },
  { name: "revokeApiToken", permission: "admin.manage", call: (a) => revokeApiToken(untouchable, a, { tokenId: id }) },
  { name: "updateCreditLimits", permission: "admin.manage", call: (a) => updateCreditLimits(untouchable, a, { limits: [], reason: "x" }) },
  { name: "updateStaffAccess", permission: "admin.manage", call: (a) => updateStaffAccess(a, { staffId: id, role: "admin", active: true, reason: "x" }) },
  { name: "prepareBulkCredit", permission: "bulk_credits.prepare", call: (a) => prepareBulkCredit(untouchable, a, {} as never) },
  { name: "decideBulkCredit", permission: "bulk_credits.approve", call: (a) => decideBulkCredit(untouchable, a, { bulkCreditId: id, decision: "approve", note: "x", requestId: id }) },
  { name: "issueCredit", permission: "credits.issue", call: (a) => issueCredit(untouchable, a, {} as never) },
  { name: "decideCreditRequest", permission: "credits.approve", call: (a) => decideCreditRequest(untouchable, a, { creditRequestId: id, decision: "approve", note: "x", requestId: id }) },
  { name: "voidCredit", permission: "credits.void", call: (a) => voidCredit(untouchable, a, { grantId: id, reason: "x", requestId: id }) },
  { name: "retryCreditSync", permission: "credits.issue", call: (a) => retryCreditSync(untouchable, a, id) },
  { name: "resyncUsage", permission: "reconciliation.resync", call: (a) => resyncUsage(untouchable, a, {} as never) },
  { name: "requestPreviewRecompute", permission: "invoices.review", call: (a) => requestPreviewRecompute(untouchable, a) },
];

describe("services check the permission table themselves", () => {
  for (const { name, permission, call } of calls) {
    const refused = roles.filter((r) => !can(r, permission));
    it(`${name} refuses ${refused.join(", ")} before any database access`, async () => {
      expect(refused.length).toBeGreaterThan(0);
      for (const role of refused) {
        const error = await call({ id, email: `${role}@example.test`, name: role, role }).then(() => null, (e: unknown) => e);
        expect(isAppError(error) && error.code, `${name} as ${role}`).toBe("FORBIDDEN");
      }
    });
  }
});
