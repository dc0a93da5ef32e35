import { expect, type APIRequestContext, type Page } from "@playwright/test";
import type { Role } from "../../lib/auth/permissions";

export const demoEmail = (role: Role) => `${role}@demo.meterdesk.test`;
export const DEMO_PASSWORD = "meterdesk";

/** Signs in through the sign-in page, as a person would. */
export async function signInViaUi(page: Page, role: Role) {
  await page.goto("/login");
  await page.getByRole("button", { name: `Sign in as ${role}`, exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

/** Signs in through next-auth's endpoints directly (fast; for probes that skip the UI). */
export async function signInViaApi(request: APIRequestContext, email: string, password = DEMO_PASSWORD) {
  const csrf = await request.get("/api/auth/csrf");
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await request.post("/api/auth/callback/credentials", {
    form: { csrfToken, email, password, json: "true", callbackUrl: "/" },
    maxRedirects: 0,
  });
  expect([200, 302]).toContain(res.status());
  const session = await (await request.get("/api/auth/session")).json();
  expect(session?.user?.email, `signed in as ${email}`).toBe(email);
}
