import { expect, test } from "@playwright/test";
import { signInViaUi } from "./support/auth";
import { e2eDb } from "./support/db";

type Divergence = { customerId: string; meterKey: string; day: string; kind: string; platformQuantity: string; sandboxQuantity: string | null };

test("finance re-syncs a seeded divergence and it clears", async ({ page }) => {
  test.setTimeout(120_000);
  const db = e2eDb();
  const { rows } = await db.query<{ value: Divergence[] }>("SELECT value FROM settings WHERE key = 'demo.sandbox_divergence'");
  // A divergence Meterdesk can repair by sending usage: the provider is missing some or all of a day.
  const div = (rows[0]?.value ?? []).find((d) => d.sandboxQuantity === null || Number(d.sandboxQuantity) < Number(d.platformQuantity));
  test.skip(!div, "the seed planted no repairable divergence");
  const { rows: [c] } = await db.query<{ name: string }>("SELECT name FROM customers WHERE id = $1::uuid", [div!.customerId]);
  const today = new Date().toISOString().slice(0, 10);

  await signInViaUi(page, "finance");
  await page.goto(`/reconciliation?from=${div!.day}&to=${today}`);
  const list = page.getByRole("table", { name: "Discrepancies, largest money impact first" });
  await list.getByRole("link", { name: new RegExp(`Days for ${c!.name}`) }).first().click();
  await expect(page.getByRole("heading", { name: `Reconciliation: ${c!.name}` })).toBeVisible();
  const days = page.getByRole("table", { name: `Days where the provider differs from Meterdesk for ${c!.name}` });
  await expect(days.getByRole("row", { name: new RegExp(div!.day) })).toBeVisible();

  await page.getByRole("button", { name: `Re-sync usage for ${c!.name}` }).click();
  const confirm = page.getByRole("group", { name: "Confirm re-sync" });
  await expect(confirm).toContainText(div!.day);
  await expect(confirm).toContainText(/Effect: the provider’s usage charges .* (rise|fall) by [$€]/);
  await confirm.getByRole("button", { name: "Confirm re-sync" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Re-sync queued" })).toBeVisible();
  await expect(page.getByRole("link", { name: /Audit event #\d+/ })).toHaveAttribute("href", `/customers/${div!.customerId}/activity`);

  // The worker sends it; the page follows progress and the day disappears once the provider matches.
  await expect(page.getByText(/confirmed by the provider/)).toBeVisible({ timeout: 60_000 });
  await page.reload();
  await expect(page.getByText("Meterdesk and the provider agree on every day in this range")).toBeVisible();
  const { rows: audit } = await db.query("SELECT 1 FROM audit_events WHERE action = 'usage.resync_requested' AND customer_id = $1::uuid", [div!.customerId]);
  expect(audit.length).toBe(1);
});

test("support can look but not re-sync", async ({ page }) => {
  await signInViaUi(page, "support");
  await page.goto("/reconciliation");
  await expect(page.getByRole("heading", { name: "Reconciliation", level: 1 })).toBeVisible();
  await expect(page.getByRole("button", { name: /Re-sync/ })).toHaveCount(0);
});
