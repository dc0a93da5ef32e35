// The console on each provider's real adapter, against a local fake of its API whose state is the
// demo data (test/fakes/demo). Runs once per provider project (playwright.config.ts): the same
// screens — the upcoming invoice, a credit reaching the provider, the review queue, provider
// health and a reconciliation drill-down — work on Orb, Metronome and Stripe as on the sandbox.
import { expect, test } from "@playwright/test";
import pg from "pg";
import { signInViaUi } from "./support/auth";

type ProviderProject = { provider: string; providerLabel: string; databaseUrl: string };
type Divergence = { customerId: string; day: string };

let pool: pg.Pool | null = null;
function project(): ProviderProject {
  return test.info().project.metadata as ProviderProject;
}
function db(): pg.Pool {
  pool ??= new pg.Pool({ connectionString: project().databaseUrl, max: 2 });
  return pool;
}
test.afterAll(async () => {
  await pool?.end();
  pool = null;
});

/** An active US-dollar demo customer billed by this project's provider. */
async function billedCustomer(): Promise<{ id: string; name: string }> {
  const { rows } = await db().query<{ id: string; name: string }>(
    `SELECT c.id::text, c.name FROM customers c
      WHERE c.provider = $1::"ProviderKind" AND c.status = 'active' AND c.currency = 'USD'
        AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = c.id AND s.status = 'active')
      ORDER BY c.name LIMIT 1`,
    [project().provider],
  );
  expect(rows, `a demo customer is linked to ${project().provider}`).toHaveLength(1);
  return rows[0]!;
}

test("support sees the upcoming invoice as the provider computes it and issues a credit that reaches it", async ({ page }) => {
  const { provider, providerLabel } = project();
  const customer = await billedCustomer();
  await signInViaUi(page, "support");

  await page.goto(`/customers/${customer.id}/invoices`);
  await expect(page.getByText(`As the billing provider (${providerLabel}) computes it`)).toBeVisible({ timeout: 20_000 });
  const upcoming = page.getByRole("table", { name: "Upcoming invoice, line by line" });
  await expect(upcoming).toBeVisible();
  expect(await upcoming.locator("tbody > tr").count(), "the upcoming invoice has lines").toBeGreaterThan(0);

  // A small credit, within support's limit: issued at once, then sent by the outbox worker
  // through the adapter to the fake.
  const note = `Goodwill for a slow reply ${Date.now().toString(36)}`;
  await page.getByRole("navigation", { name: "Customer sections" }).getByRole("link", { name: "Credits" }).click();
  await page.getByLabel("Amount (USD)").fill("4.25");
  await page.getByLabel("Note", { exact: true }).fill(note);
  await page.getByRole("button", { name: "Review credit" }).click();
  await expect(page.getByText(`Credit $4.25 to ${customer.name}; balance becomes`)).toBeVisible();
  await page.getByRole("button", { name: "Confirm credit" }).click();
  await expect(page.getByText("Credit issued — pending provider sync")).toBeVisible();

  const grant = page.getByRole("table", { name: "Credit grants, newest first" }).getByRole("row").filter({ hasText: note });
  await expect(grant).toContainText("$4.25");
  await expect(async () => {
    await page.reload();
    await expect(grant).toContainText("Synced", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  const { rows } = await db().query<{ provider: string; status: string; provider_grant_id: string | null }>(
    `SELECT o.provider::text, o.status::text, g.provider_grant_id FROM credit_grants g
       JOIN provider_operations o ON o.customer_id = g.customer_id AND o.kind = 'credit.grant'
      WHERE g.customer_id = $1::uuid AND g.note = $2 ORDER BY o.created_at DESC LIMIT 1`,
    [customer.id, note],
  );
  expect(rows[0]).toMatchObject({ provider, status: "succeeded" });
  await expect(grant).toContainText(rows[0]!.provider_grant_id!);
});

test("finance sees the review queue and a customer's reconciliation days", async ({ page }) => {
  const { rows } = await db().query<{ value: Divergence[] }>("SELECT value FROM settings WHERE key = 'demo.sandbox_divergence'");
  const div = rows[0]?.value?.[0];
  expect(div, "the seed planted a divergence").toBeDefined();
  const { rows: [c] } = await db().query<{ name: string; platform_id: string }>("SELECT name, platform_id FROM customers WHERE id = $1::uuid", [div!.customerId]);
  await signInViaUi(page, "finance");

  await page.goto("/invoices");
  await expect(page.getByRole("heading", { name: "Invoices", level: 1 })).toBeVisible();
  const queue = page.getByRole("table", { name: /Upcoming invoices to review/ });
  await expect(queue.getByRole("row").nth(1)).toBeVisible();

  // The adapters cannot list usage for all customers: finance finds the customer and compares.
  const today = new Date().toISOString().slice(0, 10);
  await page.goto(`/reconciliation?from=${div!.day}&to=${today}`);
  await expect(page.getByText("This provider cannot list usage for all customers at once")).toBeVisible();
  await page.getByLabel("Customer (name, email or id)").fill(c!.platform_id);
  await page.getByRole("button", { name: "Find" }).click();
  await page.getByRole("list", { name: "Matching customers" }).getByRole("link", { name: c!.name }).click();
  await expect(page).toHaveURL(new RegExp(`customer=${div!.customerId}`));
  await expect(page.getByRole("heading", { name: `Reconciliation: ${c!.name}` })).toBeVisible();
  const days = page.getByRole("table", { name: `Days where the provider differs from Meterdesk for ${c!.name}` });
  await expect(days.getByRole("row", { name: new RegExp(div!.day) })).toBeVisible();
});

test("admin sees the provider healthy and tests the connection", async ({ page }) => {
  const { provider, providerLabel } = project();
  await signInViaUi(page, "admin");
  await page.goto("/settings");
  const health = page.getByRole("region", { name: "Provider and billing health" });
  await expect(health).toContainText(`Active provider: ${providerLabel} — reachable`);
  await health.getByRole("button", { name: "Test connection" }).click();
  await expect(health.getByRole("status")).toHaveText(new RegExp(`^Connected to ${provider} in \\d+ ms\\.$`));
});
