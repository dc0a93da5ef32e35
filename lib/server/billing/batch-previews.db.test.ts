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

  it("can be limited to some customers", async () => {
    const { rows } = await t.pool.query<{ id: string }>("SELECT customer_id::text AS id FROM subscriptions WHERE status = 'active' LIMIT 3");
    const some = await computeAllPreviews(t.db, at, { customerIds: rows.map((r) => r.id) });
    expect(some.map((p) => p.customerId).sort()).toEqual(rows.map((r) => r.id).sort());
  });
});
