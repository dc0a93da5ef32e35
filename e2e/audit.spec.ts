import { expect, test } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { signInViaUi } from "./support/auth";
import { count } from "./support/db";

test.describe("audit log", () => {
  test("finance searches the log, sees the chain verified, and exports exactly the filtered rows", async ({ page }) => {
    await signInViaUi(page, "finance");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Chain verified" })).toBeVisible();
    await page.getByLabel("Action").fill("auth.sign_in");
    await page.getByLabel("Actor email").fill("finance@demo");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/action=auth\.sign_in/);
    const table = page.getByRole("table", { name: "Audit events, newest first" });
    await expect(table).toContainText("finance@demo.meterdesk.test");

    const expected = await count("SELECT 1 FROM audit_events WHERE action ILIKE '%auth.sign_in%' AND actor_email ILIKE '%finance@demo%'");
    const downloadPromise = page.waitForEvent("download");
    await page.getByRole("link", { name: "Export CSV" }).click();
    const download = await downloadPromise;
    const csv = await readFile((await download.path())!, "utf8");
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toContain("actor_email");
    expect(lines.length - 1).toBe(expected);
    for (const line of lines.slice(1)) expect(line).toContain("auth.sign_in");
  });
});
