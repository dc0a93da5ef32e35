import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { seedDatabase } from "@/prisma/seed/index";
import { computeAllPreviews } from "./batch-previews";
import { computeShadowPreview } from "./customer-billing";

let t: TestDatabase;
const at = new Date();

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 80, days: 40 });
}, 120_000);
afterAll(async () => {
  await t.drop();
});

const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));

describe("computeAllPreviews", () => {
  it("gives every customer exactly the preview the one-customer computation gives", async () => {
    const all = await computeAllPreviews(t.db, at);
    const { rows } = await t.pool.query("SELECT count(DISTINCT customer_id)::int AS n FROM subscriptions WHERE status = 'active'");
    expect(all).toHaveLength(rows[0].n);
    let withUsage = 0;
    for (const batch of all) {
      const single = await computeShadowPreview(t.db, batch.customerId, at);
      expect(single, batch.customerId).not.toBeNull();
      expect(plain(batch.preview.lines), batch.customerId).toEqual(plain(single!.preview.lines));
      expect(batch.preview.totalMinor).toBe(single!.preview.totalMinor);
      if (batch.preview.lines.some((l) => l.kind === "usage" && l.amountMinor > 0n)) withUsage += 1;
    }
    expect(withUsage).toBeGreaterThan(5); // the comparison exercised real usage pricing
  });

  it("splits usage by the plan in force when a customer changed plan inside the period", async () => {
    // Give one customer with usage a mid-period change to another plan version.
    const { rows: [c] } = await t.pool.query<{ customer_id: string; subscription_id: string; phase_id: string; plan_version_id: string }>(
      `SELECT s.customer_id::text, s.id::text AS subscription_id, ph.id::text AS phase_id, ph.plan_version_id::text
         FROM subscriptions s JOIN subscription_phases ph ON ph.subscription_id = s.id AND ph.ends_at IS NULL
        WHERE s.status = 'active' AND EXISTS (SELECT 1 FROM usage_daily d WHERE d.customer_id = s.customer_id AND d.day >= current_date - 3)
        ORDER BY s.customer_id LIMIT 1`,
    );
    const { rows: [other] } = await t.pool.query<{ id: string }>(
      `SELECT v.id::text FROM plan_versions v JOIN plan_versions cur ON cur.id = $1::uuid
        WHERE v.currency = cur.currency AND v.id <> cur.id ORDER BY v.base_fee_minor DESC LIMIT 1`,
      [c!.plan_version_id],
    );
    const single = await computeShadowPreview(t.db, c!.customer_id, at);
    const changeAt = new Date(Math.max(single!.billing.period.start.getTime() + 86_400_000, at.getTime() - 2 * 86_400_000));
    await t.pool.query("UPDATE subscription_phases SET ends_at = $2 WHERE id = $1::uuid", [c!.phase_id, changeAt]);
    await t.pool.query("INSERT INTO subscription_phases (id, subscription_id, plan_version_id, starts_at) VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3)", [c!.subscription_id, other!.id, changeAt]);

    const [batch] = await computeAllPreviews(t.db, at, { customerIds: [c!.customer_id] });
    const after = await computeShadowPreview(t.db, c!.customer_id, at);
    expect(after!.preview.lines.some((l) => l.kind === "proration")).toBe(true);
    expect(plain(batch!.preview.lines)).toEqual(plain(after!.preview.lines));
  });

  it("can be limited to some customers", async () => {
    const { rows } = await t.pool.query<{ id: string }>("SELECT customer_id::text AS id FROM subscriptions WHERE status = 'active' LIMIT 3");
    const some = await computeAllPreviews(t.db, at, { customerIds: rows.map((r) => r.id) });
    expect(some.map((p) => p.customerId).sort()).toEqual(rows.map((r) => r.id).sort());
  });
});
