import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { signInViaUi } from "./support/auth";
import { count, e2eDb } from "./support/db";
import { callServerAction } from "./support/server-actions";
import { createCustomer } from "../prisma/seed/factories";

const planId = async (key: string) => (await e2eDb().query<{ id: string }>("SELECT id::text FROM plans WHERE key = $1", [key])).rows[0]!.id;
const changesOf = (customerId: string) =>
  `SELECT c.id, c.status FROM subscription_changes c JOIN subscriptions s ON s.id = c.subscription_id WHERE s.customer_id = '${customerId}'`;

test.describe("plan changes", () => {
  test("finance changes a plan now: preview, confirm, then the header, history and Activity show it", async ({ page }) => {
    const tag = `pl${Date.now().toString(36)}`;
    const customer = await createCustomer(e2eDb(), { name: `Plover ${tag} Labs`, planKey: "pro" });
    await signInViaUi(page, "finance");
    await page.goto(`/customers/${customer.id}/plan`);
    const header = page.getByRole("region", { name: customer.name });
    await expect(header.getByText("Pro", { exact: true })).toBeVisible();
    await expect(page.getByText(/Billing periods are half-open/)).toBeVisible();

    const form = page.getByRole("form", { name: "Change plan" });
    await form.getByLabel("New plan").selectOption(await planId("team"));
    await expect(form.getByLabel("Now (prorated)")).toBeChecked();
    await form.getByRole("button", { name: "Preview change" }).click();

    const proration = page.getByRole("table", { name: /^Proration on the invoice for/ });
    await expect(proration).toContainText("Unused time on Pro");
    await expect(proration).toContainText("Remaining time on Team");
    await expect(page.getByRole("table", { name: "Upcoming invoice for this period, today and with the change" })).toContainText("Difference");
    expect(await count(changesOf(customer.id))).toBe(0); // a preview writes nothing

    await page.getByRole("button", { name: /^Confirm: change to Team \(−\$[\d,.]+ \/ \+\$[\d,.]+\)$/ }).click();
    const status = page.getByRole("status").filter({ hasText: "Changed" });
    await expect(status).toContainText(new RegExp(`Changed ${customer.name} from Pro to Team, effective now; proration −\\$[\\d,.]+ / \\+\\$[\\d,.]+`));
    const auditLink = status.getByRole("link", { name: /View the audit event #\d+/ });
    const auditNumber = (await auditLink.textContent())!.match(/#(\d+)/)![1]!;
    await expect(auditLink).toHaveAttribute("href", `/audit?event=${auditNumber}`);
    const audited = await e2eDb().query("SELECT action, customer_id::text AS customer FROM audit_events WHERE id = $1", [auditNumber]);
    expect(audited.rows).toEqual([{ action: "plan.changed", customer: customer.id }]);

    await expect(header.getByText("Team", { exact: true })).toBeVisible();
    const history = page.getByRole("table", { name: "Plan changes, latest effective date first" });
    await expect(history).toContainText("Pro → Team");
    await expect(history).toContainText("applied");
    await expect(history).toContainText("finance@demo.meterdesk.test");
    const rows = (await e2eDb().query<{ status: string }>(changesOf(customer.id))).rows;
    expect(rows.map((r) => r.status)).toEqual(["applied"]);
    expect(await count(`SELECT 1 FROM provider_operations WHERE customer_id = $1 AND kind = 'plan.change'`, [customer.id])).toBe(1);

    // The provider's upcoming invoice carries the proration.
    const tabs = page.getByRole("navigation", { name: "Customer sections" });
    await tabs.getByRole("link", { name: "Invoices" }).click();
    const upcoming = page.getByRole("table", { name: "Upcoming invoice, line by line" });
    await expect(upcoming).toContainText("Unused time on Pro");
    await expect(upcoming).toContainText("Total");

    await tabs.getByRole("link", { name: "Activity" }).click();
    await expect(page.getByRole("table")).toContainText("plan.changed");
  });

  test("finance schedules a change at period end, then cancels it", async ({ page }) => {
    const customer = await createCustomer(e2eDb(), { planKey: "pro" });
    await signInViaUi(page, "finance");
    await page.goto(`/customers/${customer.id}/plan`);
    const form = page.getByRole("form", { name: "Change plan" });
    await form.getByLabel("New plan").selectOption(await planId("business"));
    await form.getByLabel(/^At period end/).check();
    await form.getByRole("button", { name: "Preview change" }).click();
    await expect(page.getByText(/This period’s upcoming invoice is unchanged/)).toBeVisible();
    await page.getByRole("button", { name: "Confirm: schedule to Business" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Scheduled" })).toContainText(`Scheduled ${customer.name} to change from Pro to Business on`);
    expect((await e2eDb().query<{ status: string }>(changesOf(customer.id))).rows.map((r) => r.status)).toEqual(["scheduled"]);

    await page.getByRole("button", { name: /^Cancel the change from Pro to Business on \d{4}-\d{2}-\d{2}$/ }).click();
    await page.getByRole("button", { name: "Yes, cancel the change" }).click();
    const done = page.getByRole("status").filter({ hasText: "Canceled the change" });
    await expect(done).toContainText(`Canceled the change of ${customer.name} from Pro to Business`);
    await expect(done.getByRole("link", { name: /View the audit event #\d+/ })).toBeVisible();
    await expect(page.getByText("No change is scheduled.")).toBeVisible();
    expect((await e2eDb().query<{ status: string }>(changesOf(customer.id))).rows.map((r) => r.status)).toEqual(["canceled"]);
  });

  test("support sees the plan read-only, and a direct call to the action is refused", async ({ page }) => {
    const customer = await createCustomer(e2eDb(), { planKey: "pro" });
    await signInViaUi(page, "support");
    await page.goto(`/customers/${customer.id}/plan`);
    await expect(page.getByRole("heading", { name: "Current subscription" })).toBeVisible();
    await expect(page.getByText(/Your role can see this customer’s plan but not change it/)).toBeVisible();
    await expect(page.getByRole("form", { name: "Change plan" })).toHaveCount(0);

    const team = await planId("team");
    for (const [name, args] of [
      ["previewPlanChangeAction", { customerId: customer.id, toPlanId: team, timing: "immediate" }],
      ["changePlanAction", { customerId: customer.id, toPlanId: team, timing: "immediate", effectiveAt: new Date().toISOString(), token: "forged-token-0123456789", requestId: randomUUID() }],
    ] as const) {
      const { body } = await callServerAction(page.request, name, [args]);
      expect(body, name).toContain("FORBIDDEN");
    }
    expect(await count(changesOf(customer.id))).toBe(0);
  });
});
