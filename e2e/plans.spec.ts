import { expect, test } from "@playwright/test";
import { signInViaUi } from "./support/auth";
import { e2eDb } from "./support/db";
import { createCustomer } from "../prisma/seed/factories";

const DAY = 86_400_000;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

test("product answers: how many moved from Pro to Team in the range, and who is over allowance", async ({ page }) => {
  const db = e2eDb();
  const tag = Date.now().toString(36);
  // Someone who moved from Pro to Team five days ago, and a Pro customer far over the seat allowance.
  const mover = await createCustomer(db, { name: `Mover ${tag}`, planKey: "pro" });
  const { rows: [team] } = await db.query<{ id: string }>(`SELECT v.id::text FROM plan_versions v JOIN plans p ON p.id = v.plan_id WHERE p.key = 'team' AND v.currency = 'USD' ORDER BY v.version DESC LIMIT 1`);
  const at = new Date(Date.now() - 5 * DAY).toISOString();
  await db.query(`UPDATE subscription_phases SET ends_at = $2 WHERE subscription_id = $1`, [mover.subscriptionId, at]);
  await db.query(`INSERT INTO subscription_phases (id, subscription_id, plan_version_id, starts_at) VALUES (gen_random_uuid(), $1, $2, $3)`, [mover.subscriptionId, team!.id, at]);
  await db.query(
    `INSERT INTO subscription_changes (id, subscription_id, from_plan_version_id, to_plan_version_id, timing, effective_at, status, applied_at)
     VALUES (gen_random_uuid(), $1, $2, $3, 'immediate', $4, 'applied', $4)`,
    [mover.subscriptionId, mover.planVersionId, team!.id, at],
  );
  const heavy = await createCustomer(db, { name: `Seat Hoarder ${tag}`, planKey: "pro", startedAt: new Date(Math.floor(Date.now() / DAY) * DAY - 3 * DAY), usage: { days: 2, meterKeys: ["seats"], perDay: "900" } });

  const from = day(Date.now() - 30 * DAY);
  const to = day(Date.now());
  const { rows: [expected] } = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM subscription_changes sc
       JOIN plan_versions fv ON fv.id = sc.from_plan_version_id JOIN plans fp ON fp.id = fv.plan_id
       JOIN plan_versions tv ON tv.id = sc.to_plan_version_id JOIN plans tp ON tp.id = tv.plan_id
      WHERE sc.status = 'applied' AND fp.key = 'pro' AND tp.key = 'team' AND sc.effective_at >= $1::date AND sc.effective_at < $2::date + 1`,
    [from, to],
  );

  await signInViaUi(page, "product");
  await page.getByRole("link", { name: "Plans" }).click();
  await expect(page.getByRole("heading", { name: "Plans", level: 1 })).toBeVisible();
  const range = page.getByRole("form", { name: "Adoption range" });
  await range.getByLabel("From (UTC day)").fill(from);
  await range.getByLabel("To (UTC day, included)").fill(to);
  await range.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(new RegExp(`from=${from}.*to=${to}`));

  const pairs = page.getByRole("table", { name: "Plan changes by pair" });
  // Rows read "From To Direction Changes": the Pro → Team one, not Team → Pro.
  const proToTeam = pairs.getByRole("row", { name: /^Pro Team / });
  await expect(proToTeam.getByRole("cell").last()).toHaveText(expected!.n);
  expect(Number(expected!.n)).toBeGreaterThanOrEqual(1);
  await expect(proToTeam).toContainText("upgrade");

  const over = page.getByRole("table", { name: "Customers over their allowance, most over first" });
  await expect(over.getByRole("row", { name: new RegExp(heavy.name) })).toContainText("Seats");
  await expect(over.getByRole("link", { name: heavy.name })).toHaveAttribute("href", `/customers/${heavy.id}/usage`);

  // Each chart has its numbers in a table and a CSV of the same.
  await expect(page.getByRole("table", { name: "Active subscribers by plan at the end of each period" })).toBeVisible();
  const csv = await page.request.get(`/plans/export?dataset=changes&from=${from}&to=${to}`);
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain(`Pro,Team,upgrade,${expected!.n}`);
});
