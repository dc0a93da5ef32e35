import { expect, test } from "@playwright/test";
import { signInViaUi } from "./support/auth";
import { e2eDb } from "./support/db";
import { createCustomer } from "../prisma/seed/factories";

test("an API call with a token from settings is counted once when sent twice; a revoked token is refused", async ({ page, request }) => {
  const customer = await createCustomer(e2eDb(), { name: `Ingest E2E ${Date.now().toString(36)}` });
  const name = `pipeline ${Date.now().toString(36)}`;
  await signInViaUi(page, "admin");
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "Create an API token" });
  await form.getByLabel("Token name").fill(name);
  await form.getByRole("button", { name: "Create token" }).click();
  const secret = page.getByLabel("New API token");
  await expect(secret).toHaveValue(/^mdk_/);
  const token = await secret.inputValue();

  const event = { id: `evt-${Date.now()}`, customer: customer.platformId, meter: "build_minutes", timestamp: new Date(Date.now() - 60_000).toISOString(), quantity: "42.5" };
  const send = () => request.post("/api/v1/usage", { headers: { authorization: `Bearer ${token}` }, data: { events: [event] } });
  const first = await send();
  expect(first.status()).toBe(200);
  expect(await first.json()).toMatchObject({ accepted: 1, duplicates: 0, rejected: 0 });
  const second = await send();
  expect(await second.json()).toMatchObject({ accepted: 0, duplicates: 1, events: [{ status: "duplicate", reason: "already received" }] });

  // Stored once; the roll-up job (asked for by the route, and run by the worker every second)
  // brings it into the daily rollup once.
  const stored = () =>
    e2eDb()
      .query<{ events: string; daily: string }>(
        `SELECT (SELECT count(*) FROM usage_events WHERE customer_id = $1::uuid)::text AS events,
                (SELECT coalesce(sum(quantity), 0) FROM usage_daily WHERE customer_id = $1::uuid)::text AS daily`,
        [customer.id],
      )
      .then((r) => r.rows[0]);
  await expect.poll(stored, { timeout: 10_000 }).toEqual({ events: "1", daily: "42.500000" });

  // The list shows it was used; revoking it shuts the API at once.
  await page.reload();
  const row = page.getByRole("row", { name: new RegExp(name) });
  await expect(row).not.toContainText("never");
  await row.getByRole("button", { name: `Revoke token ${name}` }).click();
  await page.getByRole("button", { name: `Confirm revoke token ${name}` }).click();
  await expect(page.getByText(/Revoked \(audit event #\d+\)/)).toBeVisible();
  const refused = await request.post("/api/v1/usage", { headers: { authorization: `Bearer ${token}` }, data: { events: [{ ...event, id: `${event.id}-2` }] } });
  expect(refused.status()).toBe(401);
  expect((await e2eDb().query("SELECT 1 FROM usage_events WHERE idempotency_key = $1", [`${event.id}-2`])).rowCount).toBe(0);
});
