import { expect, test } from "@playwright/test";
import { e2eDb } from "./support/db";

async function ssoSignIn(page: import("@playwright/test").Page, account: string) {
  await page.goto("/login");
  await page.getByRole("button", { name: "Sign in with Test SSO" }).click();
  // oidc-provider's development login and consent pages.
  await page.locator('input[name="login"]').fill(account);
  await page.locator('input[name="password"]').fill("any");
  await page.locator('button[type="submit"]').click();
  const consent = page.locator('button[type="submit"]', { hasText: /continue/i });
  if (await consent.isVisible({ timeout: 5_000 }).catch(() => false)) await consent.click();
}

test("single sign-on creates the staff account with the role its group maps to", async ({ page }) => {
  await ssoSignIn(page, "sso-finance");
  await page.waitForURL((u) => u.port === "3100" && !u.pathname.startsWith("/login"), { timeout: 20_000 });
  await expect(page.getByText("Ana Okafor")).toBeVisible();
  const { rows } = await e2eDb().query("SELECT role, auth_source FROM staff_users WHERE email = 'ana.finance@sso.example'");
  expect(rows[0]).toMatchObject({ role: "finance" });
  expect(rows[0].auth_source).toContain("localhost");
  expect((await page.goto("/audit"))?.status()).toBe(200);
});

test("single sign-on without a mapped group is refused", async ({ page }) => {
  await ssoSignIn(page, "sso-nobody");
  await page.waitForURL(/\/login/, { timeout: 20_000 });
  await expect(page.getByRole("alert").filter({ hasText: "not in a group" })).toBeVisible();
  const { rows } = await e2eDb().query("SELECT 1 FROM staff_users WHERE email = 'kim.nobody@sso.example'");
  expect(rows).toHaveLength(0);
});
