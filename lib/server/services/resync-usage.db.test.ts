import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { seedDatabase } from "@/prisma/seed/index";
import { createSandboxProvider, type SandboxProvider } from "@/lib/providers/sandbox";
import { seedSandboxState } from "@/lib/providers/sandbox/seed";
import { runOutboxOnce } from "../outbox/worker";
import { listDiscrepancies, customerDiscrepancies, parseReconRange } from "../queries/reconciliation";
import { resyncUsage } from "./resync-usage";
import type { Actor } from "../session";

let t: TestDatabase;
let provider: SandboxProvider;
let actor: Actor;
const now = new Date();
const range = () => parseReconRange({ from: new Date(now.getTime() - 9 * 86_400_000).toISOString().slice(0, 10) }, now).range;
let target: { id: string; pcid: string; meter: string; day: string; platform: string };

async function drain() {
  for (let i = 0; i < 10; i++) if ((await runOutboxOnce(t.db, provider, { batchSize: 100 })).claimed === 0) return;
}
const sandboxEvents = async () => Number((await t.pool.query("SELECT count(*) AS n FROM sandbox_usage_events")).rows[0].n);

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 30, days: 12 });
  await seedSandboxState(t.pool);
  provider = createSandboxProvider(t.db);
  const { rows: [staff] } = await t.pool.query("SELECT id::text, email, name, role FROM staff_users WHERE role = 'finance' LIMIT 1");
  actor = staff;
  // Plant: the provider lost most of one day of one customer's usage, two days ago.
  const { rows: [row] } = await t.pool.query(
    `SELECT c.id::text AS id, c.provider_customer_id AS pcid, m.key AS meter, to_char(d.day, 'YYYY-MM-DD') AS day, d.quantity::text AS platform
       FROM usage_daily d JOIN customers c ON c.id = d.customer_id JOIN meters m ON m.id = d.meter_id
      WHERE d.day = (now() AT TIME ZONE 'UTC')::date - 2 AND d.quantity > 10 AND c.provider_customer_id IS NOT NULL
        AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = c.id AND s.status = 'active')
      ORDER BY d.quantity DESC LIMIT 1`,
  );
  target = row;
  await t.pool.query(`UPDATE sandbox_usage_daily SET quantity = quantity / 4 WHERE provider_customer_id = $1 AND meter_key = $2 AND day = $3::date`, [target.pcid, target.meter, target.day]);
}, 180_000);
afterAll(async () => {
  await t.drop();
});

describe("reconciliation and re-sync", () => {
  it("finds the planted discrepancy with a money impact, and the seeded divergences", async () => {
    const list = await listDiscrepancies(t.db, provider, range());
    expect(list.comparable).toBe(true);
    const found = list.discrepancies.find((g) => g.customerId === target.id && g.meterKey === target.meter)!;
    expect(found).toBeTruthy();
    expect(found.days).toHaveLength(1);
    expect(found.days[0]).toMatchObject({ day: target.day });
    expect(Number(found.difference)).toBeCloseTo(Number(target.platform) * 0.75, 5);
    expect(found.impactMinor).not.toBeNull();
    const { rows } = await t.pool.query("SELECT value FROM settings WHERE key = 'demo.sandbox_divergence'");
    for (const div of rows[0].value as Array<{ customerId: string; meterKey: string; day: string }>) {
      if (div.day < range().from) continue;
      expect(list.discrepancies.some((g) => g.customerId === div.customerId && g.meterKey === div.meterKey && g.days.some((x) => x.day === div.day))).toBe(true);
    }
    // Sorted by the size of the money impact.
    const impacts = list.discrepancies.map((g) => (g.impactMinor === null ? -1n : BigInt(g.impactMinor) < 0n ? -BigInt(g.impactMinor) : BigInt(g.impactMinor)));
    expect([...impacts].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).toEqual(impacts);
  });

  it("re-sync clears it; a second re-sync (queued before or after the worker) changes nothing", async () => {
    const from = range().from, to = range().to;
    const first = await resyncUsage(t.db, actor, { customerId: target.id, from, to, requestId: crypto.randomUUID() }, { provider });
    expect(first.outcome).toBe("queued");
    expect(first.synthetic).toEqual([{ meterKey: target.meter, day: target.day, quantity: expect.any(String) }]);
    expect(first.auditId).not.toBeNull();
    // A second click before the worker ran queues the same deterministic event id.
    const early = await resyncUsage(t.db, actor, { customerId: target.id, from, to, requestId: crypto.randomUUID() }, { provider });
    expect(early.outcome).toBe("queued");
    const before = await sandboxEvents();
    await drain();
    expect(await sandboxEvents()).toBe(before + 1);
    const after = await customerDiscrepancies(t.db, provider, target.id, range());
    expect(after.discrepancies.filter((g) => g.meterKey === target.meter)).toEqual([]);
    const { rows } = await t.pool.query(`SELECT quantity::text AS q FROM sandbox_usage_daily WHERE provider_customer_id = $1 AND meter_key = $2 AND day = $3::date`, [target.pcid, target.meter, target.day]);
    expect(Number(rows[0].q)).toBeCloseTo(Number(target.platform), 6);

    const ops = Number((await t.pool.query("SELECT count(*) AS n FROM provider_operations")).rows[0].n);
    const again = await resyncUsage(t.db, actor, { customerId: target.id, from, to, requestId: crypto.randomUUID() }, { provider });
    expect(again.outcome).toBe("nothing_to_send");
    expect(Number((await t.pool.query("SELECT count(*) AS n FROM provider_operations")).rows[0].n)).toBe(ops);
    await drain();
    expect(await sandboxEvents()).toBe(before + 1);
  });

  it("replays the same request id instead of queueing again", async () => {
    await t.pool.query(`DELETE FROM sandbox_usage_daily WHERE provider_customer_id = $1 AND meter_key = $2 AND day = $3::date`, [target.pcid, target.meter, target.day]);
    const requestId = crypto.randomUUID();
    const a = await resyncUsage(t.db, actor, { customerId: target.id, from: range().from, to: range().to, requestId }, { provider });
    const b = await resyncUsage(t.db, actor, { customerId: target.id, from: range().from, to: range().to, requestId }, { provider });
    expect(a.outcome).toBe("queued");
    expect(b).toMatchObject({ outcome: "replayed", auditId: a.auditId });
  });
});
