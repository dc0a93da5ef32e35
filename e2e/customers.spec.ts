import { expect, test } from "@playwright/test";
import { signInViaUi } from "./support/auth";
import { e2eDb } from "./support/db";
import { createCustomer } from "../prisma/seed/factories";

test.describe("customers", () => {
  test("support finds a customer by an email fragment and opens Invoices and Activity", async ({ page }) => {
    const tag = `zq${Date.now().toString(36)}`;
    const customer = await createCustomer(e2eDb(), { name: `Quillfeather ${tag} Systems`, email: `ap@${tag}-quill.example` });
    await e2eDb().query(
      `INSERT INTO audit_events (actor_email, action, target_type, target_id, customer_id, after, prev_hash, hash)
       VALUES ('finance@demo.meterdesk.test', 'customer.note_added', 'customer', $1, $2::uuid, '{"note":"called about invoice"}', '', $3)`,
      [customer.id, customer.id, `placeholder-${tag}`],
    );
    await signInViaUi(page, "support");
    await page.getByRole("link", { name: "Customers" }).click();
    await page.keyboard.press("/");
    const search = page.getByRole("searchbox", { name: "Search customers" });
    await expect(search).toBeFocused();
    await search.fill(`${tag}-QUILL`); // a fragment, in the wrong case
    await search.press("Enter");
    await expect(page).toHaveURL(new RegExp(`q=${tag}-QUILL`));
    const table = page.getByRole("table");
    await expect(table.getByRole("row")).toHaveCount(2);
    await table.getByRole("link", { name: customer.name }).click();

    await expect(page.getByRole("heading", { name: customer.name })).toBeVisible();
    await expect(page.getByText(customer.platformId)).toBeVisible();
    const sections = page.getByRole("navigation", { name: "Customer sections" });
    await expect(sections.getByRole("link", { name: "Usage" })).toHaveAttribute("aria-current", "page");
    await sections.getByRole("link", { name: "Invoices" }).click();
    await expect(sections.getByRole("link", { name: "Invoices" })).toHaveAttribute("aria-current", "page");
    await expect(page.getByRole("heading", { name: "Upcoming invoice" })).toBeVisible();
    await sections.getByRole("link", { name: "Activity" }).click();
    await expect(page.getByRole("table")).toContainText("customer.note_added");
    await expect(page.getByRole("table")).toContainText("called about invoice");
  });

  test("a seeded customer's invoices show lines that add up to the total", async ({ page }) => {
    const { rows } = await e2eDb().query<{ customer_id: string; number: string }>(
      "SELECT customer_id, number FROM invoices ORDER BY period_start DESC, number LIMIT 1",
    );
    test.skip(rows.length === 0, "the seed wrote no invoices");
    await signInViaUi(page, "support");
    await page.goto(`/customers/${rows[0]!.customer_id}/invoices`);
    await expect(page.getByRole("table", { name: "Past invoices, newest first" })).toContainText(rows[0]!.number);
    await expect(page.getByRole("table", { name: `Lines of invoice ${rows[0]!.number}` })).toBeVisible();
  });

  test("filters, sort and page live in the URL", async ({ page }) => {
    await signInViaUi(page, "support");
    await page.goto("/customers?status=active&region=eu-central&sort=name&dir=desc&page=2");
    await expect(page.getByLabel("Status")).toHaveValue("active");
    await expect(page.getByLabel("Region")).toHaveValue("eu-central");
    await expect(page.getByRole("columnheader", { name: /Name/ })).toHaveAttribute("aria-sort", "descending");
    await expect(page.getByText(/Page 2 of/)).toBeVisible();
  });

  test("hostile search input gives an empty result, never an error", async ({ page }) => {
    await signInViaUi(page, "support");
    for (const q of ["%", "'", "'; DROP TABLE customers; --", "🦄🦄", "_", "\\", "x".repeat(10_000)]) {
      const res = await page.goto(`/customers?q=${encodeURIComponent(q)}`);
      expect(res?.status(), `search for ${q.slice(0, 20)}`).toBe(200);
      await expect(page.getByRole("heading", { name: "Customers" })).toBeVisible();
    }
    await page.goto(`/customers?q=${encodeURIComponent("%")}`);
    await expect(page.getByText("No customers match these filters")).toBeVisible();
  });

  test("an unknown customer id is a 404 page", async ({ page }) => {
    await signInViaUi(page, "support");
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      const res = await page.goto(`/customers/${id}/invoices`);
      expect(res?.status()).toBe(404);
      await expect(page.getByRole("heading", { name: /not found/i })).toBeVisible();
    }
  });
});
