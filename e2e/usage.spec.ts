import { readFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { signInViaUi } from "./support/auth";
import { e2eDb } from "./support/db";
import { createCustomer } from "../prisma/seed/factories";

const DAY = 86_400_000;
const utcDay = (t: number) => new Date(t).toISOString().slice(0, 10);

test.describe("customer usage tab", () => {
  test("finance sees per-meter charts with allowance and projection, switches to 30 days and exports the CSV", async ({ page }) => {
    const customer = await createCustomer(e2eDb(), { planKey: "pro", usage: { days: 20 } });
    await signInViaUi(page, "finance");
    await page.goto(`/customers/${customer.id}`);
    await page.getByRole("navigation", { name: "Customer sections" }).getByRole("link", { name: "Usage" }).click();
    await expect(page).toHaveURL(new RegExp(`/customers/${customer.id}/usage$`));

    // Current period: one chart per meter with usage, each with its text summary.
    const charts = page.getByRole("figure");
    await expect(charts).toHaveCount(3);
    const compute = page.getByRole("figure", { name: /Compute — small instance/ });
    await expect(compute).toContainText("Used so far this period:");
    await expect(compute).toContainText("Included allowance: 1,500 hour per period.");
    await expect(compute).toContainText(/Projected at period end: [\d,.]+ hour \(10\.5 hour per day × [\d.]+ days left\), within the allowance\./);
    await expect(page.getByRole("figure", { name: /Bandwidth/ })).toBeVisible();
    await expect(page.getByRole("figure", { name: /Build minutes/ })).toBeVisible();
    await expect(page.getByText(/trailing 7-day average daily run rate/)).toBeVisible();
    await expect(page.getByTestId("usage-bucket")).toContainText("Daily buckets");
    const costTable = page.getByRole("table", { name: /Usage and cost to date by meter/ });
    await expect(costTable.getByRole("row", { name: /Compute — small instance/ })).toContainText("1,500");
    // The numbers behind a chart are one click away.
    await compute.getByText("Show data").click();
    await expect(compute.getByRole("table")).toBeVisible();

    // Last 30 days: the URL says so, the CSV link exports exactly that.
    await page.getByRole("link", { name: "Last 30 days" }).click();
    await expect(page).toHaveURL(/range=30d/);
    await expect(page.getByRole("link", { name: "Last 30 days" })).toHaveAttribute("aria-current", "page");
    await expect(page.getByRole("figure", { name: /Compute — small instance/ })).toContainText("Total in this range: 210 hour");

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: /Download CSV/ }).click()]);
    const csv = readFileSync((await download.path())!, "utf8").trim().split("\r\n");
    expect(csv[0]).toBe("meter_key,bucket_start_utc,quantity");
    const today = Math.floor(Date.now() / DAY) * DAY;
    const { rows } = await e2eDb().query<{ line: string }>(
      `SELECT concat_ws(',', m.key, to_char(d.day, 'YYYY-MM-DD') || 'T00:00:00Z', trim_scale(d.quantity)::text) AS line
         FROM usage_daily d JOIN meters m ON m.id = d.meter_id
        WHERE d.customer_id = $1 AND d.day >= $2::date AND d.day <= $3::date
        ORDER BY m.display_order, d.day`,
      [customer.id, utcDay(today - 29 * DAY), utcDay(today)],
    );
    expect(rows).toHaveLength(60); // 3 meters × 20 days, all inside the last 30
    expect(csv.slice(1)).toEqual(rows.map((r) => r.line));
  });

  test("a bad custom range shows a message next to the form and the current period instead", async ({ page }) => {
    const customer = await createCustomer(e2eDb(), { planKey: "pro", usage: { days: 5 } });
    await signInViaUi(page, "support");
    await page.goto(`/customers/${customer.id}/usage`);
    const today = Math.floor(Date.now() / DAY) * DAY;
    await page.getByLabel("From (UTC day, included)").fill(utcDay(today - 3 * DAY));
    await page.getByLabel("To (UTC day, included)").fill(utcDay(today - 10 * DAY));
    await page.getByRole("button", { name: "Show custom range" }).click();
    await expect(page).toHaveURL(/range=custom/);
    const message = page.getByRole("alert").filter({ hasText: "cannot be shown" });
    await expect(message).toContainText("The end date is before the start date.");
    await expect(page.getByLabel("To (UTC day, included)")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByText(/^Current billing period:/)).toBeVisible();
    await expect(page.getByRole("figure")).toHaveCount(3);

    for (const qs of ["range=custom&from=nonsense&to=2020-01-01", "range=custom&from=2020-01-01&to=2026-01-01", `range=custom&from=${utcDay(today + 3 * DAY)}&to=${utcDay(today + 4 * DAY)}`]) {
      const res = await page.goto(`/customers/${customer.id}/usage?${qs}`);
      expect(res?.status(), qs).toBe(200);
      await expect(page.getByRole("alert").filter({ hasText: "cannot be shown" }), qs).toBeVisible();
    }
    // The export refuses bad input rather than exporting something else.
    const res = await page.request.get(`/api/customers/${customer.id}/usage?range=custom&from=${utcDay(today)}&to=${utcDay(today - 2 * DAY)}`);
    expect(res.status()).toBe(400);
  });

  test("an empty range says so, and the export needs a session", async ({ page, playwright, baseURL }) => {
    const customer = await createCustomer(e2eDb(), { planKey: "pro" });
    await signInViaUi(page, "product");
    await page.goto(`/customers/${customer.id}/usage?range=90d`);
    await expect(page.getByText("No usage recorded in this range")).toBeVisible();
    const anonymous = await playwright.request.newContext({ baseURL });
    expect((await anonymous.get(`/api/customers/${customer.id}/usage?range=30d`)).status()).toBe(401);
    await anonymous.dispose();
  });
});
