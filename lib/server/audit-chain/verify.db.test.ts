import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { recordAudit } from "@/lib/server/audit";
import { verifyAuditChain } from "./verify";

let t: TestDatabase;
const actor = { id: "00000000-0000-4000-8000-000000000001", email: "lead@example.test", role: "support_lead" as const };

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

async function record(n: number) {
  for (let i = 0; i < n; i++) {
    await t.db.$transaction((tx) =>
      recordAudit(tx, actor, { action: "test.event", targetType: "thing", targetId: `t-${i}`, after: { amountMinor: 1234n, i }, reason: "because" }),
    );
  }
}

describe("audit chain", () => {
  it("links each event to the previous one and verifies", async () => {
    await record(5);
    const result = await verifyAuditChain(t.pool);
    expect(result).toMatchObject({ ok: true, events: 5 });
    const { rows } = await t.pool.query("SELECT id, prev_hash, hash FROM audit_events ORDER BY id");
    expect(rows[0].prev_hash).toBe("");
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
  });

  it("stays a single chain under concurrent writers", async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.db.$transaction((tx) => recordAudit(tx, actor, { action: "test.concurrent", targetType: "thing", targetId: String(i) })),
      ),
    );
    expect(await verifyAuditChain(t.pool)).toMatchObject({ ok: true, events: 25 });
  });

  it("refuses UPDATE, DELETE and TRUNCATE", async () => {
    await expect(t.pool.query("UPDATE audit_events SET reason = 'edited'")).rejects.toThrow(/append-only/);
    await expect(t.pool.query("DELETE FROM audit_events")).rejects.toThrow(/append-only/);
    await expect(t.pool.query("TRUNCATE audit_events")).rejects.toThrow(/append-only/);
  });

  it("catches a row edited with the triggers disabled", async () => {
    const { rows } = await t.pool.query<{ id: string }>("SELECT id::text FROM audit_events ORDER BY id LIMIT 1 OFFSET 2");
    const victim = rows[0]!.id;
    const client = await t.pool.connect();
    try {
      await client.query("ALTER TABLE audit_events DISABLE TRIGGER USER");
      await client.query("UPDATE audit_events SET after = '{\"amountMinor\":\"999999\"}' WHERE id = $1", [victim]);
      await client.query("ALTER TABLE audit_events ENABLE TRIGGER USER");
    } finally {
      client.release();
    }
    expect(await verifyAuditChain(t.pool)).toMatchObject({ ok: false, brokenId: victim, problem: "content changed" });
  });

  it("catches a deleted row as a broken link", async () => {
    const t2 = await createTestDatabase();
    try {
      for (let i = 0; i < 4; i++) await t2.db.$transaction((tx) => recordAudit(tx, actor, { action: "x", targetType: "y" }));
      const client = await t2.pool.connect();
      const { rows } = await client.query<{ id: string }>("SELECT id::text FROM audit_events ORDER BY id");
      await client.query("ALTER TABLE audit_events DISABLE TRIGGER USER");
      await client.query("DELETE FROM audit_events WHERE id = $1", [rows[1]!.id]);
      await client.query("ALTER TABLE audit_events ENABLE TRIGGER USER");
      client.release();
      expect(await verifyAuditChain(t2.pool)).toMatchObject({ ok: false, brokenId: rows[2]!.id, problem: "chain broken" });
    } finally {
      await t2.drop();
    }
  });
});
