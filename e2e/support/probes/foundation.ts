import { e2eDb } from "../db";
import type { ActionProbe, PathProbe } from "./types";

export const pages: PathProbe[] = [
  { path: "/", permission: "customers.view" },
  { path: "/customers", permission: "customers.view" },
  { path: "/audit", permission: "audit.view" },
  { path: "/settings", permission: "admin.manage" },
];

export const routes: PathProbe[] = [
  { path: "/api/audit/export", permission: "audit.view" },
  { path: "/api/metrics", permission: "admin.manage" },
];

export const actions: ActionProbe[] = [
  { name: "testProviderConnectionAction", permission: "admin.manage", args: async () => [{}] },
  {
    name: "updateStaffAccessAction",
    permission: "admin.manage",
    // Targets a throwaway account, with the role it already has: allowed calls change nothing.
    args: async () => {
      const { rows } = await e2eDb().query<{ id: string }>(
        `INSERT INTO staff_users (id, email, name, role) VALUES (gen_random_uuid(), 'probe-target@demo.meterdesk.test', 'Probe Target', 'product')
         ON CONFLICT (email) DO UPDATE SET role = 'product', active = true RETURNING id::text`,
      );
      return [{ staffId: rows[0]!.id, role: "product", active: true, reason: "authorisation probe" }];
    },
  },
];
