import { expect, test } from "@playwright/test";
import { signInViaUi } from "./support/auth";

test.describe("sign-in", () => {
  test("lists a one-click demo account for every role", async ({ page }) => {
    await page.goto("/login");
    for (const role of ["support", "support_lead", "finance", "finance_admin", "product", "admin"]) {
      await expect(page.getByRole("button", { name: `Sign in as ${role}`, exact: true })).toBeVisible();
    }
  });

  test("a wrong password is refused with a message", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Email").fill("support@demo.meterdesk.test");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByRole("alert").filter({ hasText: "do not match" })).toBeVisible();
    await expect(page).toHaveURL(/\/login/);
  });

  test("support sees only what support may use, and signs out", async ({ page }) => {
    await signInViaUi(page, "support");
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link", { name: "Customers" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Audit" })).toHaveCount(0);
    await expect(nav.getByRole("link", { name: "Settings" })).toHaveCount(0);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login/);
    await page.goto("/customers");
    await expect(page).toHaveURL(/\/login/);
  });

  test("admin sees Audit and Settings", async ({ page }) => {
    await signInViaUi(page, "admin");
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(nav.getByRole("link", { name: "Audit" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Settings" })).toBeVisible();
  });

  test("a page the role may not use answers 403", async ({ page }) => {
    await signInViaUi(page, "support");
    const res = await page.goto("/audit");
    expect(res?.status()).toBe(403);
    await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  });
});
