// Authorisation probes: for every role, call each protected page, route and server action
// directly — not through the UI, which may simply hide a button — and check the server's
// answer against the permission table.
import { expect, test, request as playwrightRequest } from "@playwright/test";
import { can, roles, type Role } from "../lib/auth/permissions";
import { demoEmail, signInViaApi } from "./support/auth";
import { callServerAction, listServerActions } from "./support/server-actions";
import { actionProbes, pageProbes as pages, routeProbes as routes } from "./support/probes";

test("every server action in the build has a probe", async () => {
  const probed = new Set(actionProbes.map((p) => p.name));
  for (const name of listServerActions().keys()) expect(probed, `probe for ${name}`).toContain(name);
});

test("signed-out callers are refused everywhere", async ({ baseURL }) => {
  const api = await playwrightRequest.newContext({ baseURL });
  for (const p of pages) {
    const res = await api.get(p.path, { maxRedirects: 0 });
    expect([302, 303, 307], `${p.path} redirects to sign-in`).toContain(res.status());
  }
  for (const r of routes) expect((await api.get(r.path)).status(), r.path).toBe(401);
  for (const probe of actionProbes) {
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
    for (const probe of actionProbes) {
      const { body } = await callServerAction(api, probe.name, await probe.args());
      if (can(role as Role, probe.permission)) expect(body, `${role} ${probe.name}`).not.toContain("FORBIDDEN");
      else expect(body, `${role} ${probe.name}`).toContain("FORBIDDEN");
    }
    await api.dispose();
  });
}
