// The sandbox provider against a real database: idempotency (replay, conflict, 50 concurrent
// copies), credits, plan changes, usage ingest and injected faults.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createCustomer, type CreatedCustomer } from "@/prisma/seed/factories";
import { seedDatabase } from "@/prisma/seed/index";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { ProviderError, type CustomerRef } from "../types";
import { createSandboxProvider, resetSandboxFaults, scriptSandboxFaults, setSandboxFaults, type SandboxProvider } from "./index";

let t: TestDatabase;
let sandbox: SandboxProvider;
let customer: CreatedCustomer;
let ref: CustomerRef;
const slept: number[] = [];

const count = async (sql: string, params: unknown[] = []) => Number((await t.pool.query<{ n: string }>(sql, params)).rows[0]!.n);
const grantReq = (key: string, amountMinor = BigInt(2500)) => ({
  idempotencyKey: key,
  customer: ref,
  amountMinor,
  currency: "USD",
  expiresAt: null,
  description: "Goodwill credit",
  metadata: { meterdesk_operation_id: `op-${key}`, meterdesk_grant_id: `grant-${key}` },
});

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 2, days: 3 });
  customer = await createCustomer(t.pool, { planKey: "pro", usage: { days: 5 } });
  ref = { customerId: customer.id, providerCustomerId: customer.providerCustomerId };
  sandbox = createSandboxProvider(t.db, { sleep: async (ms) => void slept.push(ms) });
}, 120_000);

afterAll(async () => {
  await t?.drop();
});

afterEach(() => resetSandboxFaults());

describe("idempotency", () => {
  it("replays the same key and body, and posts once", async () => {
    const first = await sandbox.grantCredit(grantReq("k-replay"));
    const second = await sandbox.grantCredit(grantReq("k-replay"));
    expect(first.replayed).toBe(false);
    expect(second).toEqual({ providerGrantId: first.providerGrantId, replayed: true });
    expect(await count(`SELECT count(*) n FROM sandbox_credit_grants WHERE metadata ->> 'meterdesk_operation_id' = 'op-k-replay'`)).toBe(1);
  });

  it("answers conflict for the same key with another body or another operation", async () => {
    await sandbox.grantCredit(grantReq("k-conflict"));
    const other = await sandbox.grantCredit(grantReq("k-conflict", BigInt(9999))).catch((e) => e);
    expect(other).toBeInstanceOf(ProviderError);
    expect(other.kind).toBe("conflict");
    expect(other.details.status).toBe(409);
    const wrongOp = await sandbox
      .voidCredit({ idempotencyKey: "k-conflict", customer: ref, providerGrantId: "sbx_cg_x", amountMinor: BigInt(1), currency: "USD", reason: "x" })
      .catch((e) => e);
    expect(wrongOp.kind).toBe("conflict");
    expect(await count(`SELECT count(*) n FROM sandbox_credit_grants WHERE metadata ->> 'meterdesk_operation_id' = 'op-k-conflict'`)).toBe(1);
  });

  it("makes one grant from 50 concurrent identical requests", async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => sandbox.grantCredit(grantReq("k-concurrent"))));
    expect(new Set(results.map((r) => r.providerGrantId)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await count(`SELECT count(*) n FROM sandbox_credit_grants WHERE metadata ->> 'meterdesk_operation_id' = 'op-k-concurrent'`)).toBe(1);
  });

  it("keeps no key when the request fails, so a corrected retry is not a conflict", async () => {
    const missing = { customerId: customer.id, providerCustomerId: "sbx_cus_nobody" };
    const err = await sandbox.grantCredit({ ...grantReq("k-missing"), customer: missing }).catch((e) => e);
    expect(err.kind).toBe("not_found");
    expect(await count(`SELECT count(*) n FROM sandbox_idempotency WHERE key = 'k-missing'`)).toBe(0);
    expect((await sandbox.grantCredit(grantReq("k-missing"))).replayed).toBe(false);
  });

  it("refuses a non-positive amount as permanent", async () => {
    const err = await sandbox.grantCredit(grantReq("k-zero", BigInt(0))).catch((e) => e);
    expect(err.kind).toBe("permanent");
  });
});

describe("credits", () => {
  it("finds a grant by its metadata and applies it to the upcoming invoice until voided", async () => {
    const c = await createCustomer(t.pool, { planKey: "pro" });
    const ref = { customerId: c.id, providerCustomerId: c.providerCustomerId };
    const before = await sandbox.getUpcomingInvoice(ref);
    expect(before.creditsAppliedMinor).toBe(BigInt(0));
    const { providerGrantId } = await sandbox.grantCredit({ ...grantReq("k-apply", BigInt(1_000)), customer: ref });
    expect(await sandbox.findCreditByReference(ref, { key: "meterdesk_operation_id", value: "op-k-apply" })).toEqual({ providerGrantId });
    expect(await sandbox.findCreditByReference(ref, { key: "meterdesk_operation_id", value: "op-none" })).toBeNull();
    const after = await sandbox.getUpcomingInvoice(ref);
    expect(after.subtotalMinor).toBe(before.subtotalMinor);
    expect(after.creditsAppliedMinor).toBe(BigInt(1_000));
    expect(after.totalMinor).toBe(before.totalMinor - BigInt(1_000));
    expect(after.lines.at(-1)).toMatchObject({ kind: "credit", amountMinor: BigInt(-1_000) });

    // Void every grant of this customer: nothing is applied any more.
    const grants = await t.pool.query<{ id: string }>(`SELECT id FROM sandbox_credit_grants WHERE provider_customer_id = $1`, [ref.providerCustomerId]);
    for (const g of grants.rows) {
      const r = await sandbox.voidCredit({ idempotencyKey: `void-${g.id}`, customer: ref, providerGrantId: g.id, amountMinor: BigInt(1), currency: "USD", reason: "test" });
      expect(r.replayed).toBe(false);
    }
    const voided = await sandbox.getUpcomingInvoice(ref);
    expect(voided.creditsAppliedMinor).toBe(BigInt(0));
    expect(voided.totalMinor).toBe(voided.subtotalMinor);
    const missing = await sandbox
      .voidCredit({ idempotencyKey: "void-missing", customer: ref, providerGrantId: "sbx_cg_missing", amountMinor: BigInt(1), currency: "USD", reason: "x" })
      .catch((e) => e);
    expect(missing.kind).toBe("not_found");
  });
});

describe("plan changes", () => {
  it("applies an immediate change to the subscription phases, once", async () => {
    const c = await createCustomer(t.pool, { planKey: "starter" });
    const cref = { customerId: c.id, providerCustomerId: c.providerCustomerId };
    const team = (await t.pool.query<{ id: string }>(`SELECT v.id FROM plan_versions v JOIN plans p ON p.id = v.plan_id WHERE p.key = 'team' AND v.currency = 'USD'`)).rows[0]!.id;
    const at = new Date(Date.now() - 60_000);
    const req = { idempotencyKey: "pc-immediate", customer: cref, fromPlanVersionId: c.planVersionId, toPlanVersionId: team, timing: "immediate" as const, effectiveAt: at };
    const first = await sandbox.applyPlanChange(req);
    const again = await sandbox.applyPlanChange(req);
    expect(again).toEqual({ providerChangeId: first.providerChangeId, replayed: true });
    const phases = await t.pool.query<{ plan_version_id: string; starts_at: Date; ends_at: Date | null }>(
      `SELECT plan_version_id::text, starts_at, ends_at FROM subscription_phases WHERE subscription_id = $1 ORDER BY starts_at`, [c.subscriptionId]);
    expect(phases.rows.map((p) => p.plan_version_id)).toEqual([c.planVersionId, team]);
    expect(phases.rows[0]!.ends_at?.getTime()).toBe(at.getTime());
    expect(phases.rows[1]!.ends_at).toBeNull();
    // Another key for the same change (e.g. Meterdesk already wrote the phase): no second phase.
    await sandbox.applyPlanChange({ ...req, idempotencyKey: "pc-immediate-2" });
    expect(await count(`SELECT count(*) n FROM subscription_phases WHERE subscription_id = $1`, [c.subscriptionId])).toBe(2);
  });

  it("schedules period-end changes, shows them in the preview, applies them when due, and cancels", async () => {
    const c = await createCustomer(t.pool, { planKey: "pro" });
    const cref = { customerId: c.id, providerCustomerId: c.providerCustomerId };
    const starter = (await t.pool.query<{ id: string }>(`SELECT v.id FROM plan_versions v JOIN plans p ON p.id = v.plan_id WHERE p.key = 'starter' AND v.currency = 'USD'`)).rows[0]!.id;
    const preview = await sandbox.getUpcomingInvoice(cref);
    const mid = new Date((preview.periodStart.getTime() + preview.periodEnd.getTime()) / 2);
    const now = new Date(Math.min(Date.now(), mid.getTime() - 1000));
    const effectiveAt = new Date(Math.max(mid.getTime(), Date.now() + 3_600_000));
    const { providerChangeId } = await sandbox.applyPlanChange({
      idempotencyKey: "pc-scheduled", customer: cref, fromPlanVersionId: c.planVersionId, toPlanVersionId: starter, timing: "on_date", effectiveAt,
    });
    const status = async () => (await t.pool.query<{ status: string }>(`SELECT status FROM sandbox_plan_changes WHERE id = $1`, [providerChangeId])).rows[0]!.status;
    expect(await status()).toBe("scheduled");
    if (effectiveAt < preview.periodEnd) {
      const withChange = await sandbox.getUpcomingInvoice(cref, now);
      expect(withChange.lines.some((l) => l.kind === "proration")).toBe(true);
    }
    expect(await sandbox.applyDueChanges(new Date(effectiveAt.getTime() - 1))).toBe(0);
    expect(await sandbox.applyDueChanges(effectiveAt)).toBe(1);
    expect(await status()).toBe("applied");
    const open = await t.pool.query<{ plan_version_id: string }>(`SELECT plan_version_id::text FROM subscription_phases WHERE subscription_id = $1 AND ends_at IS NULL`, [c.subscriptionId]);
    expect(open.rows.map((r) => r.plan_version_id)).toEqual([starter]);
    const applied = await sandbox.cancelPlanChange({ idempotencyKey: "pc-cancel-late", customer: cref, providerChangeId }).catch((e) => e);
    expect(applied.kind).toBe("permanent");

    const second = await sandbox.applyPlanChange({
      idempotencyKey: "pc-scheduled-2", customer: cref, fromPlanVersionId: starter, toPlanVersionId: c.planVersionId, timing: "period_end", effectiveAt: new Date(effectiveAt.getTime() + 86_400_000),
    });
    expect(await sandbox.cancelPlanChange({ idempotencyKey: "pc-cancel", customer: cref, providerChangeId: second.providerChangeId })).toEqual({ replayed: false });
    expect(await sandbox.cancelPlanChange({ idempotencyKey: "pc-cancel", customer: cref, providerChangeId: second.providerChangeId })).toEqual({ replayed: true });
    expect(await sandbox.applyDueChanges(new Date(effectiveAt.getTime() + 2 * 86_400_000))).toBe(0);
  });
});

describe("usage", () => {
  it("accepts each event once and adds it to the sandbox's daily usage", async () => {
    const day = new Date(Date.UTC(2026, 0, 10, 12));
    const ev = (k: string, q: string, at = day) => ({ idempotencyKey: k, customer: ref, meterKey: "bandwidth_gb", timestamp: at, quantity: q });
    expect(await sandbox.ingestUsage([ev("u1", "1.5"), ev("u2", "2.25"), ev("u2", "2.25")])).toEqual({ accepted: 2, duplicates: 1 });
    expect(await sandbox.ingestUsage([ev("u1", "1.5"), ev("u3", "0.25", new Date(Date.UTC(2026, 0, 11, 1)))])).toEqual({ accepted: 1, duplicates: 1 });
    const usage = await sandbox.getUsage(ref, { start: new Date(Date.UTC(2026, 0, 10)), end: new Date(Date.UTC(2026, 0, 12)) });
    expect(usage).toEqual([
      { meterKey: "bandwidth_gb", day: "2026-01-10", quantity: "3.750000" },
      { meterKey: "bandwidth_gb", day: "2026-01-11", quantity: "0.250000" },
    ]);
    await expect(sandbox.ingestUsage([ev("u4", "-1")])).rejects.toMatchObject({ kind: "permanent" });
  });
});

describe("faults", () => {
  it("fails before applying on 500 and 429 (with Retry-After)", async () => {
    scriptSandboxFaults(["error", "rate_limit"], { retryAfterMs: 7_000 });
    const e500 = await sandbox.grantCredit(grantReq("f-1")).catch((e) => e);
    expect(e500).toMatchObject({ kind: "transient", details: { status: 500 } });
    const e429 = await sandbox.grantCredit(grantReq("f-1")).catch((e) => e);
    expect(e429).toMatchObject({ kind: "transient", details: { status: 429, retryAfterMs: 7_000 } });
    expect(await count(`SELECT count(*) n FROM sandbox_idempotency WHERE key = 'f-1'`)).toBe(0);
    expect((await sandbox.grantCredit(grantReq("f-1"))).replayed).toBe(false);
  });

  it("applies, then answers unknown outcome on timeout and lost response; the same key replays", async () => {
    slept.length = 0;
    scriptSandboxFaults(["timeout", "lost_response"], { latencyMs: 250 });
    await expect(sandbox.grantCredit(grantReq("f-2"))).rejects.toMatchObject({ kind: "unknown_outcome" });
    expect(slept).toContain(250);
    expect(await count(`SELECT count(*) n FROM sandbox_credit_grants WHERE metadata ->> 'meterdesk_operation_id' = 'op-f-2'`)).toBe(1);
    await expect(sandbox.grantCredit(grantReq("f-2"))).rejects.toMatchObject({ kind: "unknown_outcome" });
    expect((await sandbox.grantCredit(grantReq("f-2"))).replayed).toBe(true);
    expect(await count(`SELECT count(*) n FROM sandbox_credit_grants WHERE metadata ->> 'meterdesk_operation_id' = 'op-f-2'`)).toBe(1);
  });

  it("draws rates from a seeded PRNG reproducibly, and reads the settings row when not overridden", async () => {
    const draw = async () => {
      setSandboxFaults({ errorRate: 0.5 }, { seed: 7 });
      const out: string[] = [];
      for (let i = 0; i < 8; i++) out.push(await sandbox.ingestUsage([{ idempotencyKey: `p-${i}-${Math.random()}`, customer: ref, meterKey: "seats", timestamp: new Date(), quantity: "0" }]).then(() => "ok", (e) => e.kind));
      return out;
    };
    const a = await draw();
    expect(a).toEqual(await draw());
    expect(a).toContain("transient");
    expect(a).toContain("ok");
    resetSandboxFaults();
    await t.pool.query(`INSERT INTO sandbox_fault_settings (id, error_rate) VALUES (1, 1)`);
    await expect(sandbox.grantCredit(grantReq("f-db"))).rejects.toMatchObject({ kind: "transient" });
    await t.pool.query(`DELETE FROM sandbox_fault_settings`);
    expect((await sandbox.grantCredit(grantReq("f-db"))).replayed).toBe(false);
  });
});
