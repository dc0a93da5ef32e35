import { expect, test } from "@playwright/test";
import { signInViaUi } from "./support/auth";
import { count, e2eDb } from "./support/db";
import { callServerAction } from "./support/server-actions";
import { createCustomer } from "../prisma/seed/factories";

test.describe("credits", () => {
  test("support issues a small credit: confirmed with the exact amount, pending sync, then synced", async ({ page }) => {
    const customer = await createCustomer(e2eDb(), { name: `Brightwater ${Date.now().toString(36)} Labs` });
    await signInViaUi(page, "support");
    await page.goto(`/customers/${customer.id}/credits`);
    await expect(page.getByText("No credits yet — issue one")).toBeVisible();
    await page.getByLabel("Amount (USD)").fill("25.50");
    await page.getByLabel("Note", { exact: true }).fill("Goodwill after a slow support response");
    await page.getByRole("button", { name: "Review credit" }).click();
    await expect(page.getByText(`Credit $25.50 to ${customer.name}; balance becomes $25.50.`)).toBeVisible();
    // A double click on confirm makes one credit (the form's request id is unique).
    await page.getByRole("button", { name: "Confirm credit" }).dblclick();
    await expect(page.getByText("Credit issued — pending provider sync")).toBeVisible();
    await expect(page.getByRole("link", { name: /See audit event #\d+/ })).toHaveAttribute("href", `/customers/${customer.id}/activity`);
    expect(await count("SELECT 1 FROM credit_grants WHERE customer_id = $1", [customer.id])).toBe(1);
    expect(await count("SELECT 1 FROM provider_operations WHERE customer_id = $1 AND kind = 'credit.grant'", [customer.id])).toBe(1);

    const grants = page.getByRole("table", { name: "Credit grants, newest first" });
    await expect(grants).toContainText("$25.50");
    // Pending until the provider confirms; the worker (in-process in the e2e server) sends it.
    await expect(async () => {
      await page.reload();
      await expect(grants).toContainText("Synced", { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    const { rows } = await e2eDb().query<{ provider_grant_id: string }>("SELECT provider_grant_id FROM credit_grants WHERE customer_id = $1", [customer.id]);
    await expect(grants).toContainText(rows[0]!.provider_grant_id);
  });

  test("above the limit waits; support cannot approve, finance approves", async ({ page, browser }) => {
    const customer = await createCustomer(e2eDb(), { name: `Copperline ${Date.now().toString(36)} Media` });
    await signInViaUi(page, "support");
    await page.goto(`/customers/${customer.id}/credits`);
    await page.getByLabel("Amount (USD)").fill("150");
    await page.getByLabel("Note", { exact: true }).fill("Outage compensation, ticket escalated");
    await page.getByRole("button", { name: "Review credit" }).click();
    await expect(page.getByText("This is above your limit of $100.00")).toBeVisible();
    await page.getByRole("button", { name: "Send for approval" }).click();
    await expect(page.getByText("Sent for approval: $150.00 waits for a second person.")).toBeVisible();
    const { rows } = await e2eDb().query<{ id: string }>("SELECT id::text FROM credit_requests WHERE customer_id = $1 AND status = 'pending'", [customer.id]);
    expect(rows).toHaveLength(1);
    expect(await count("SELECT 1 FROM credit_grants WHERE customer_id = $1", [customer.id])).toBe(0);
    await expect(page.getByRole("table", { name: "Credit requests for this customer waiting for approval" })).toContainText("$150.00");

    // Support calling the approve action directly (no button is shown to them) is refused.
    const direct = await callServerAction(page.request, "decideCreditRequestAction", [{ creditRequestId: rows[0]!.id, decision: "approve", note: "approving my own", requestId: crypto.randomUUID() }]);
    expect(direct.body).toContain("FORBIDDEN");
    expect(await count("SELECT 1 FROM credit_requests WHERE id = $1 AND status = 'pending'", [rows[0]!.id])).toBe(1);

    const financeContext = await browser.newContext();
    const finance = await financeContext.newPage();
    await signInViaUi(finance, "finance");
    await finance.goto("/credits?min=150&max=150");
    const decide = finance.getByRole("form", { name: `Decide: $150.00 to ${customer.name}` });
    await decide.getByLabel("Decision note").fill("Outage confirmed by the incident report");
    await decide.getByRole("button", { name: `Approve $150.00 to ${customer.name}` }).click();
    await decide.getByRole("button", { name: "Confirm approval" }).click();
    await expect(finance.getByText("Approved — $150.00 credited, pending provider sync.")).toBeVisible();
    const grant = await e2eDb().query<{ issued: string; approved: string }>(
      `SELECT i.email AS issued, a.email AS approved FROM credit_grants g JOIN staff_users i ON i.id = g.issued_by_id JOIN staff_users a ON a.id = g.approved_by_id WHERE g.customer_id = $1`, [customer.id]);
    expect(grant.rows).toEqual([{ issued: "support@demo.meterdesk.test", approved: "finance@demo.meterdesk.test" }]);
    await financeContext.close();

    await page.reload();
    await expect(page.getByRole("table", { name: "Credit grants, newest first" })).toContainText("$150.00");
  });
});
