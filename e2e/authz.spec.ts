// Authorisation probes: for every role, call each protected page, route and server action
// directly — not through the UI, which may simply hide a button — and check the server's
// answer against the permission table.
import { expect, test, request as playwrightRequest } from "@playwright/test";
import { can, roles, type Permission, type Role } from "../lib/auth/permissions";
import { demoEmail, signInViaApi } from "./support/auth";
import { callServerAction, listServerActions } from "./support/server-actions";
import { e2eDb } from "./support/db";

const pages: Array<{ path: string; permission: Permission }> = [
  { path: "/", permission: "customers.view" },
  { path: "/customers", permission: "customers.view" },
  { path: "/audit", permission: "audit.view" },
  { path: "/settings", permission: "admin.manage" },
];

const routes: Array<{ path: string; permission: Permission }> = [{ path: "/api/audit/export", permission: "audit.view" }];

/** Each server action with its permission and a harmless but valid-looking call. */
async function actionProbes(): Promise<Array<{ name: string; permission: Permission; args: () => Promise<unknown[]> }>> {
  return [
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
}

test("every server action in the build has a probe", async () => {
  const probed = new Set((await actionProbes()).map((p) => p.name));
  for (const name of listServerActions().keys()) expect(probed, `probe for ${name}`).toContain(name);
});

test("signed-out callers are refused everywhere", async ({ baseURL }) => {
  const api = await playwrightRequest.newContext({ baseURL });
  for (const p of pages) {
    const res = await api.get(p.path, { maxRedirects: 0 });
    expect([302, 303, 307], `${p.path} redirects to sign-in`).toContain(res.status());
  }
  for (const r of routes) expect((await api.get(r.path)).status(), r.path).toBe(401);
  for (const probe of await actionProbes()) {
    const { body } = await callServerAction(api, probe.name, await probe.args());
    expect(body, probe.name).toContain("UNAUTHENTICATED");
  }
  await api.dispose();
});

for (const role of roles) {
  test(`probes as ${role}`, async ({ baseURL }) => {
    const api = await playwrightRequest.newContext({ baseURL });
    await signInViaApi(api, demoEmail(role));
    for (const p of pages) {
      const res = await api.get(p.path, { maxRedirects: 0 });
      expect(res.status(), `${role} GET ${p.path}`).toBe(can(role, p.permission) ? 200 : 403);
    }
    for (const r of routes) {
      const res = await api.get(r.path);
      expect(res.status(), `${role} GET ${r.path}`).toBe(can(role, r.permission) ? 200 : 403);
    }
    for (const probe of await actionProbes()) {
      const { body } = await callServerAction(api, probe.name, await probe.args());
      if (can(role as Role, probe.permission)) expect(body, `${role} ${probe.name}`).not.toContain("FORBIDDEN");
      else expect(body, `${role} ${probe.name}`).toContain("FORBIDDEN");
    }
    await api.dispose();
  });
}
