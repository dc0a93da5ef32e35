import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { seedDatabase } from "@/prisma/seed/index";
import { createSandboxProvider } from "./index";

let t: TestDatabase;
const at = new Date();

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 60, days: 25 });
}, 120_000);
afterAll(async () => {
  await t.drop();
});

const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));

describe("sandbox batch upcoming invoices", () => {
  it("equal the one-customer previews for every customer, diverging ones included", async () => {
    const provider = createSandboxProvider(t.db, { now: () => at });
    const { rows } = await t.pool.query<{ id: string; pcid: string }>(
      `SELECT c.id::text, c.provider_customer_id AS pcid FROM customers c JOIN subscriptions s ON s.customer_id = c.id AND s.status = 'active'`,
    );
    const refs = rows.map((r) => ({ customerId: r.id, providerCustomerId: r.pcid }));
    const batch = await provider.getUpcomingInvoices!(refs, at);
    expect(batch.size).toBe(refs.length);
    const { rows: [div] } = await t.pool.query("SELECT value FROM settings WHERE key = 'demo.sandbox_divergence'");
    expect((div.value as unknown[]).length).toBeGreaterThan(0);
    let credited = 0;
    for (const ref of refs) {
      const one = await provider.getUpcomingInvoice(ref, at);
      const many = batch.get(ref.providerCustomerId)!;
      expect(plain({ ...many, asOf: null }), ref.customerId).toEqual(plain({ ...one, asOf: null }));
      if (one.creditsAppliedMinor > 0n) credited += 1;
    }
    expect(credited).toBeGreaterThan(0); // the comparison covered the sandbox's credits too
  });
});
