import { expect, test } from "@playwright/test";
import { signInViaUi } from "./support/auth";
import { e2eDb } from "./support/db";

test("a demoted user loses rights on their next request", async ({ browser }) => {
  // finance2 signs in and can read the audit log.
  await e2eDb().query("UPDATE staff_users SET role = 'finance', active = true WHERE email = 'finance2@demo.meterdesk.test'");
  const financeContext = await browser.newContext();
  const financePage = await financeContext.newPage();
  await financePage.goto("/login");
  await financePage.getByLabel("Email").fill("finance2@demo.meterdesk.test");
  await financePage.getByLabel("Password").fill("meterdesk");
  await financePage.getByRole("button", { name: "Sign in", exact: true }).click();
  await financePage.waitForURL((u) => !u.pathname.startsWith("/login"));
  expect((await financePage.goto("/audit"))?.status()).toBe(200);

  // An admin demotes them to support in Settings.
  const adminContext = await browser.newContext();
  const adminPage = await adminContext.newPage();
  await signInViaUi(adminPage, "admin");
  await adminPage.goto("/settings");
  const form = adminPage.getByRole("form", { name: "Change access for finance2@demo.meterdesk.test" });
  await form.getByLabel("Role for finance2@demo.meterdesk.test").selectOption("support");
  await form.getByRole("button", { name: "Save access" }).click();
  await expect(form.getByText("Say why (at least 3 characters).")).toBeVisible(); // a reason is required
  expect((await financePage.goto("/audit"))?.status()).toBe(200); // nothing changed yet
  await form.getByLabel("Reason").fill("moved to the support team");
  await form.getByRole("button", { name: "Save access" }).click();
  await expect(form.getByRole("status")).toContainText("Saved (audit event #");

  // Same session cookie, no sign-out: the next request is refused.
  expect((await financePage.goto("/audit"))?.status()).toBe(403);
  const { rows } = await e2eDb().query("SELECT before, after FROM audit_events WHERE action = 'staff.access_changed' ORDER BY id DESC LIMIT 1");
  expect(rows[0].before.role).toBe("finance");
  expect(rows[0].after.role).toBe("support");
  await financeContext.close();
  await adminContext.close();
});
