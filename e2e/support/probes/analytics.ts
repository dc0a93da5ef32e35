// Probes for issue 7: API tokens (settings), /plans, /reconciliation and the re-sync action.
import { e2eDb } from "../db";
import type { ActionProbe, PathProbe } from "./types";

export const pages: PathProbe[] = [
  { path: "/plans", permission: "customers.view" },
  { path: "/reconciliation", permission: "reconciliation.view" },
];

export const routes: PathProbe[] = [
  { path: "/plans/export?dataset=changes", permission: "customers.view" },
  { path: "/reconciliation/export", permission: "reconciliation.view" },
];

async function adminId(): Promise<string> {
  const { rows } = await e2eDb().query<{ id: string }>("SELECT id::text FROM staff_users WHERE role = 'admin' ORDER BY email LIMIT 1");
  return rows[0]!.id;
}

export const actions: ActionProbe[] = [
  {
    name: "createApiTokenAction",
    permission: "admin.manage",
    // An allowed call makes one more (unused) token with a unique name; then it is revoked below.
    args: async () => [{ name: `probe token ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`, scopes: ["usage:write"] }],
  },
  {
    name: "revokeApiTokenAction",
    permission: "admin.manage",
    // Targets a token that is already revoked: an allowed call changes nothing.
    args: async () => {
      const { rows } = await e2eDb().query<{ id: string }>(
        `INSERT INTO api_tokens (id, name, token_hash, prefix, scopes, created_by_id, revoked_at)
         VALUES (gen_random_uuid(), 'probe revoked', md5(random()::text) || md5(random()::text), 'mdk_probe000', '{usage:write}', $1::uuid, now())
         RETURNING id::text`,
        [await adminId()],
      );
      return [{ tokenId: rows[0]!.id }];
    },
  },
  {
    name: "resyncUsageAction",
    permission: "reconciliation.resync",
    // An unknown customer: allowed roles get NOT_FOUND, nothing is queued.
    args: async () => [{ customerId: "00000000-0000-4000-8000-000000000000", from: new Date().toISOString().slice(0, 8) + "01", to: new Date().toISOString().slice(0, 10), requestId: crypto.randomUUID() }],
  },
];
