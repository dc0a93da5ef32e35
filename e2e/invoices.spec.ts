import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { signInViaUi } from "./support/auth";
import { count, e2eDb } from "./support/db";

const latestFlagged = `
  SELECT customer_id::text AS customer_id FROM (
    SELECT DISTINCT ON (customer_id) customer_id, flags FROM invoice_preview_snapshots ORDER BY customer_id, period_start DESC
  ) s WHERE $1 = ANY(flags)`;

test.describe("invoice review queue", () => {
  test("finance recomputes, filters to shadow mismatches, opens one, holds it with a note and exports the CSV", async ({ page }) => {
    test.setTimeout(180_000);
    await signInViaUi(page, "finance");
    await page.getByRole("link", { name: "Invoices", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Invoices", level: 1 })).toBeVisible();

    // Recompute runs in the background; the page shows its progress and refreshes when done.
    await page.getByRole("button", { name: "Recompute previews" }).click();
    await expect
      .poll(async () => (await e2eDb().query("SELECT status::text FROM jobs WHERE kind = 'preview_recompute' ORDER BY created_at DESC LIMIT 1")).rows[0]?.status, { timeout: 120_000 })
      .toBe("succeeded");
    await expect(page.getByRole("button", { name: "Recompute previews" })).toBeEnabled({ timeout: 15_000 });

    const expected = (await e2eDb().query<{ customer_id: string }>(latestFlagged, ["shadow_mismatch"])).rows.map((r) => r.customer_id).sort();
    expect(expected.length, "the seeded sandbox divergences show as shadow mismatches").toBeGreaterThan(0);

    await page.getByLabel("Flag", { exact: true }).selectOption("shadow_mismatch");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect(page).toHaveURL(/flag=shadow_mismatch/);
    const table = page.getByRole("table", { name: /Upcoming invoices to review/ });
    await expect(table.getByRole("row")).toHaveCount(expected.length + 1);

    // Drill down: the customer's Invoices tab explains the flag with the differing lines.
    const row = table.getByRole("row").nth(1);
    const link = row.getByRole("link").first();
    const name = (await link.textContent())!.trim();
    await link.click();
    await expect(page).toHaveURL(/\/customers\/[0-9a-f-]+\/invoices/);
    const customerId = page.url().match(/customers\/([0-9a-f-]+)\/invoices/)![1]!;
    expect(expected).toContain(customerId);
    await expect(page.getByRole("heading", { name: /Review flags for/ })).toBeVisible();
    await expect(page.getByText("Provider preview differs from Meterdesk's")).toBeVisible();
    await expect(page.getByRole("table", { name: "Lines where the provider's preview differs from Meterdesk's" })).toContainText("Total");
    await page.goBack();

    // Hold it: a too-short note is refused next to the field and nothing is written.
    await page.getByRole("button", { name: `Hold the invoice of ${name}` }).click();
    const note = page.getByLabel(`Why hold the invoice of ${name}? (required)`);
    await note.fill("ok");
    await page.getByRole("button", { name: "Hold invoice" }).click();
    await expect(page.getByText("Say why the invoice is held (at least 3 characters).")).toBeVisible();
    expect(await count("SELECT 1 FROM invoice_reviews WHERE customer_id = $1::uuid", [customerId])).toBe(0);
    await note.fill("Provider is missing usage; waiting for the re-sync");
    await note.press("Enter");
    await expect(page.getByText(`Held the invoice of ${name}.`)).toBeVisible();
    const auditLink = page.getByRole("link", { name: /Audit event #\d+/ });
    const auditNumber = (await auditLink.textContent())!.match(/#(\d+)/)![1]!;
    await expect(auditLink).toHaveAttribute("href", `/audit?event=${auditNumber}`);
    expect((await e2eDb().query("SELECT action FROM audit_events WHERE id = $1", [auditNumber])).rows).toEqual([{ action: "invoice.held" }]);
    const { rows: reviews } = await e2eDb().query("SELECT status::text, note FROM invoice_reviews WHERE customer_id = $1::uuid", [customerId]);
    expect(reviews).toEqual([{ status: "held", note: "Provider is missing usage; waiting for the re-sync" }]);
    expect(await count("SELECT 1 FROM audit_events WHERE action = 'invoice.held' AND customer_id = $1::uuid", [customerId])).toBe(1);

    // Export: exactly the filtered rows.
    await page.reload();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Export CSV" }).click()]);
    const text = await readFile((await download.path())!, "utf8");
    const lines = text.trim().split("\r\n");
    expect(lines[0]).toMatch(/^customer_id,customer,plan,currency,/);
    expect(lines.slice(1).map((l) => l.split(",")[0]).sort()).toEqual(expected);
    const heldLine = lines.find((l) => l.startsWith(customerId))!;
    expect(heldLine).toMatch(/,([a-z_]+;)*shadow_mismatch(;[a-z_]+)*,held,/);
    expect(heldLine).toContain(",held,");
  });

  test("support sees the queue but cannot review", async ({ page }) => {
    await signInViaUi(page, "support");
    await page.goto("/invoices");
    await expect(page.getByRole("heading", { name: "Invoices", level: 1 })).toBeVisible();
    await expect(page.getByRole("button", { name: "Recompute previews" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: /^Mark \d+ reviewed$/ })).toHaveCount(0);
  });
});
