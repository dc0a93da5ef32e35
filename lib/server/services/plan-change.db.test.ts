// Plan changes against a real PostgreSQL: preview → confirm (immediate and scheduled), apply due,
// cancel, refusals with nothing written, double submit, stale previews and authorisation.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { seedDatabase } from "@/prisma/seed/index";
import { createCustomer, type CreatedCustomer } from "@/prisma/seed/factories";
import { billingPeriodContaining, planChangeProration } from "@/lib/billing";
import { isAppError, type AppError } from "@/lib/errors";
import { toUpcomingInvoiceDto } from "@/components/invoices/types";
import { loadBillingPlans } from "../billing/catalog";
import { computeShadowPreview } from "../billing/customer-billing";
import { previewPlanChange, type PlanChangeInput } from "./preview-plan-change";
import { changePlan } from "./change-plan";
import { cancelPlanChange } from "./cancel-plan-change";
import { applyDuePlanChanges } from "./apply-due-plan-changes";
import { createSandboxProvider } from "@/lib/providers/sandbox";
import { runOutboxOnce } from "../outbox/worker";

const NOW = new Date("2026-03-15T12:00:00.000Z");
const ANCHOR = new Date("2026-01-10T00:00:00.000Z"); // periods [Mar 10, Apr 10)
const PERIOD = billingPeriodContaining(ANCHOR, NOW);

let t: TestDatabase;
type StaffActor = { id: string; email: string; role: "support" | "support_lead" | "finance" | "finance_admin" | "product" | "admin" };
let finance: StaffActor;
let support: StaffActor;
let plans: Record<string, string>; // key → plan id

const q = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => (await t.pool.query(sql, params)).rows as T[];
const n = async (sql: string, params: unknown[] = []) => Number((await q<{ n: string }>(`SELECT count(*)::text AS n FROM (${sql}) x`, params))[0]!.n);

async function counts(customerId: string) {
  return {
    changes: await n(`SELECT 1 FROM subscription_changes c JOIN subscriptions s ON s.id = c.subscription_id WHERE s.customer_id = $1`, [customerId]),
    phases: await n(`SELECT 1 FROM subscription_phases p JOIN subscriptions s ON s.id = p.subscription_id WHERE s.customer_id = $1`, [customerId]),
    audit: await n(`SELECT 1 FROM audit_events WHERE customer_id = $1`, [customerId]),
    operations: await n(`SELECT 1 FROM provider_operations WHERE customer_id = $1`, [customerId]),
  };
}

/** A fresh Pro customer anchored on the 10th, with usage over the allowance and a credit. */
async function freshCustomer(opts: { planKey?: string } = {}): Promise<CreatedCustomer> {
  const c = await createCustomer(t.pool, { planKey: opts.planKey ?? "pro", startedAt: ANCHOR });
  await t.pool.query(
    `INSERT INTO usage_daily (customer_id, meter_id, day, quantity)
     SELECT $1, m.id, d::date, CASE m.key WHEN 'compute_small_hours' THEN 400 WHEN 'bandwidth_gb' THEN 350.5 ELSE 1200 END
       FROM meters m, generate_series('2026-03-10'::date, '2026-03-15'::date, interval '1 day') d
      WHERE m.key IN ('compute_small_hours', 'bandwidth_gb', 'build_minutes')`,
    [c.id],
  );
  const grant = randomUUID();
  await t.pool.query(
    `INSERT INTO credit_grants (id, customer_id, currency, amount_minor, reason, note, request_id, created_at)
     VALUES ($1, $2, 'USD', 2500, 'goodwill', 'test credit', $3, '2026-03-11T00:00:00Z')`,
    [grant, c.id, randomUUID()],
  );
  await t.pool.query(
    `INSERT INTO credit_ledger_entries (customer_id, grant_id, kind, currency, amount_minor, created_at) VALUES ($1, $2, 'grant', 'USD', 2500, '2026-03-11T00:00:00Z')`,
    [c.id, grant],
  );
  return c;
}

async function expectRefused(promise: Promise<unknown>, code: AppError["code"], field?: string): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isAppError(error), `expected an AppError, got ${String(error)}`).toBe(true);
  const e = error as AppError;
  expect(e.code).toBe(code);
  if (field) expect(e.fieldErrors?.[field]).toBeTruthy();
  return e;
}

const shadowDto = async (customerId: string, at: Date) => {
  const shadow = await computeShadowPreview(t.db, customerId, at);
  const p = shadow!.preview;
  return toUpcomingInvoiceDto({ ...p, periodStart: p.period.start, periodEnd: p.period.end, asOf: at });
};

async function phasesOf(customerId: string) {
  return q<{ plan_version_id: string; starts_at: Date; ends_at: Date | null }>(
    `SELECT p.plan_version_id::text, p.starts_at, p.ends_at FROM subscription_phases p JOIN subscriptions s ON s.id = p.subscription_id
      WHERE s.customer_id = $1 ORDER BY p.starts_at`,
    [customerId],
  );
}

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 3, days: 3, now: NOW });
  const staff = await q<StaffActor>(`SELECT id::text, email, role::text AS role FROM staff_users WHERE email IN ('finance@demo.meterdesk.test', 'support@demo.meterdesk.test')`);
  finance = staff.find((s) => s.role === "finance")!;
  support = staff.find((s) => s.role === "support")!;
  plans = Object.fromEntries((await q<{ key: string; id: string }>(`SELECT key, id::text FROM plans`)).map((r) => [r.key, r.id]));
}, 180_000);

afterAll(async () => {
  await t?.drop();
});

describe("immediate plan change", () => {
  it("previews the proration and the new upcoming invoice, and confirming applies exactly that", async () => {
    const c = await freshCustomer();
    const input: PlanChangeInput = { customerId: c.id, toPlanId: plans.team!, timing: "immediate" };
    const preview = await previewPlanChange(t.db, finance, input, { now: NOW });

    // Proration: the same function the invoice uses, by hand here.
    const catalog = await loadBillingPlans(t.db);
    const teamVersion = (await q<{ id: string }>(`SELECT v.id::text FROM plan_versions v WHERE v.plan_id = $1 AND currency = 'USD'`, [plans.team]))[0]!.id;
    const expected = planChangeProration({ period: PERIOD, changeAt: NOW, oldPlan: catalog.get(c.planVersionId)!, newPlan: catalog.get(teamVersion)! });
    expect(preview.prorationLines.map((l) => BigInt(l.amountMinor))).toEqual(expected.lines.map((l) => l.amountMinor));
    expect(preview.prorationLines).toHaveLength(2);
    expect(BigInt(preview.prorationLines[0]!.amountMinor)).toBeLessThan(0n); // Pro's unused time credited
    expect(BigInt(preview.prorationLines[1]!.amountMinor)).toBeGreaterThan(0n); // Team's remaining time charged
    expect(preview.effectiveAt).toBe(NOW.toISOString());
    expect(preview.affectsCurrentPeriod).toBe(true);
    expect(BigInt(preview.differenceMinor)).toBe(BigInt(preview.newInvoice.totalMinor) - BigInt(preview.currentInvoice.totalMinor));
    expect(preview.newInvoice.lines.filter((l) => l.kind === "proration").map((l) => l.amountMinor)).toEqual(preview.prorationLines.map((l) => l.amountMinor));
    expect(preview.currentInvoice).toEqual(await shadowDto(c.id, NOW));

    const before = await counts(c.id);
    const later = new Date(NOW.getTime() + 2 * 60_000);
    const requestId = randomUUID();
    const result = await changePlan(t.db, finance, { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId }, { now: later });
    expect(result.status).toBe("applied");
    expect(result.message).toMatch(/^Changed .+ from Pro to Team, effective now; proration −\$[\d,.]+ \/ \+\$[\d,.]+$/);
    expect(result.auditEventId).toMatch(/^\d+$/);
    expect(await counts(c.id)).toEqual({ changes: before.changes + 1, phases: before.phases + 1, audit: before.audit + 1, operations: before.operations + 1 });

    // Phases: Pro up to the previewed instant, Team from it.
    const phases = await phasesOf(c.id);
    expect(phases.map((p) => [p.plan_version_id, p.starts_at.toISOString(), p.ends_at?.toISOString() ?? null])).toEqual([
      [c.planVersionId, ANCHOR.toISOString(), NOW.toISOString()],
      [teamVersion, NOW.toISOString(), null],
    ]);
    expect(preview.phasesAfter.map((p) => [p.planVersionId, p.endsAt])).toEqual([[c.planVersionId, NOW.toISOString()], [teamVersion, null]]);

    // Applied equals previewed: the invoice Meterdesk now computes is the one shown before confirming.
    const applied = await shadowDto(c.id, NOW);
    expect(applied).toEqual(preview.newInvoice);
    const row = (await q<{ status: string; preview: { newInvoice: unknown; prorationLines: unknown }; request_id: string; requested_by_id: string }>(
      `SELECT c.status::text, c.preview, c.request_id, c.requested_by_id::text FROM subscription_changes c WHERE c.id = $1`, [result.changeId]))[0]!;
    expect(row).toMatchObject({ status: "applied", request_id: requestId, requested_by_id: finance.id });
    expect(row.preview.prorationLines).toEqual(preview.prorationLines);
    expect(row.preview.newInvoice).toEqual(await shadowDto(c.id, later));

    const [op] = await q<{ kind: string; idempotency_key: string; id: string; payload: { timing: string; effectiveAt: string }; status: string }>(
      `SELECT kind, idempotency_key, id::text, payload, status::text FROM provider_operations WHERE subject_id = $1`, [result.changeId]);
    expect(op).toMatchObject({ kind: "plan.change", status: "pending", payload: { timing: "immediate", effectiveAt: NOW.toISOString() } });
    expect(op!.idempotency_key).toBe(`plan.change:${op!.id}`);
    const [event] = await q<{ action: string; actor_email: string; request_id: string }>(`SELECT action, actor_email, request_id FROM audit_events WHERE id = $1`, [result.auditEventId]);
    expect(event).toEqual({ action: "plan.changed", actor_email: finance.email, request_id: requestId });
  });

  it("a double submit (same request id, even concurrently) makes one change", async () => {
    const c = await freshCustomer();
    const input: PlanChangeInput = { customerId: c.id, toPlanId: plans.starter!, timing: "immediate" };
    const preview = await previewPlanChange(t.db, finance, input, { now: NOW });
    const before = await counts(c.id);
    const confirm = { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId: randomUUID() };
    const [a, b] = await Promise.all([changePlan(t.db, finance, confirm, { now: NOW }), changePlan(t.db, finance, confirm, { now: NOW })]);
    const again = await changePlan(t.db, finance, confirm, { now: NOW });
    expect(new Set([a.changeId, b.changeId, again.changeId]).size).toBe(1);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
    expect(again.replayed).toBe(true);
    expect(again.message).toBe(a.message);
    expect(await counts(c.id)).toEqual({ changes: before.changes + 1, phases: before.phases + 1, audit: before.audit + 1, operations: before.operations + 1 });
  });

  it("refuses a stale or tampered preview and writes nothing", async () => {
    const c = await freshCustomer();
    const input: PlanChangeInput = { customerId: c.id, toPlanId: plans.team!, timing: "immediate" };
    const preview = await previewPlanChange(t.db, finance, input, { now: NOW });
    const before = await counts(c.id);
    const confirm = { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId: randomUUID() };
    // Backdating the instant (to charge less) breaks the token.
    const e1 = await expectRefused(changePlan(t.db, finance, { ...confirm, effectiveAt: PERIOD.start.toISOString() }, { now: NOW }), "CONFLICT");
    expect(e1.message).toBe("The preview is out of date; preview again.");
    // Another plan than previewed.
    await expectRefused(changePlan(t.db, finance, { ...confirm, toPlanId: plans.business! }, { now: NOW }), "CONFLICT");
    // Someone else's preview token.
    const lead = { ...finance, id: randomUUID(), role: "support_lead" as const };
    await expectRefused(changePlan(t.db, lead, confirm, { now: NOW }), "CONFLICT");
    // Confirmed too long after the preview.
    await expectRefused(changePlan(t.db, finance, confirm, { now: new Date(NOW.getTime() + 31 * 60_000) }), "CONFLICT");
    // The subscription changed since the preview (another change applied first).
    const other = await previewPlanChange(t.db, finance, { ...input, toPlanId: plans.business! }, { now: NOW });
    await changePlan(t.db, finance, { ...input, toPlanId: plans.business!, effectiveAt: other.effectiveAt, token: other.token, requestId: randomUUID() }, { now: NOW });
    const mid = await counts(c.id);
    expect(mid.changes).toBe(before.changes + 1);
    await expectRefused(changePlan(t.db, finance, confirm, { now: new Date(NOW.getTime() + 60_000) }), "CONFLICT");
    expect(await counts(c.id)).toEqual(mid);
  });
});

describe("bad input is refused with field errors and nothing written", () => {
  it.each([
    ["the current plan", () => ({ toPlanId: plans.pro! }), "INVALID_INPUT", "toPlanId"],
    ["an archived plan", () => ({ toPlanId: plans.legacy_hobby! }), "INVALID_INPUT", "toPlanId"],
    ["an unknown plan", () => ({ toPlanId: randomUUID() }), "INVALID_INPUT", "toPlanId"],
    ["a date in the past", () => ({ toPlanId: plans.team!, timing: "on_date" as const, date: "2026-03-01" }), "INVALID_INPUT", "date"],
    ["today (already begun)", () => ({ toPlanId: plans.team!, timing: "on_date" as const, date: "2026-03-15" }), "INVALID_INPUT", "date"],
    ["a date more than a year ahead", () => ({ toPlanId: plans.team!, timing: "on_date" as const, date: "2027-04-01" }), "INVALID_INPUT", "date"],
    ["no date", () => ({ toPlanId: plans.team!, timing: "on_date" as const, date: null }), "INVALID_INPUT", "date"],
  ] as const)("%s", async (_name, patch, code, field) => {
    const c = await freshCustomer();
    const before = await counts(c.id);
    const input: PlanChangeInput = { customerId: c.id, timing: "immediate", ...patch() };
    await expectRefused(previewPlanChange(t.db, finance, input, { now: NOW }), code, field);
    await expectRefused(changePlan(t.db, finance, { ...input, effectiveAt: NOW.toISOString(), token: "x".repeat(43), requestId: randomUUID() }, { now: NOW }), code, field);
    expect(await counts(c.id)).toEqual(before);
  });

  it("an unknown customer", async () => {
    const total = await n(`SELECT 1 FROM subscription_changes`);
    await expectRefused(previewPlanChange(t.db, finance, { customerId: randomUUID(), toPlanId: plans.team!, timing: "immediate" }, { now: NOW }), "NOT_FOUND");
    await expectRefused(previewPlanChange(t.db, finance, { customerId: "not-a-uuid", toPlanId: plans.team!, timing: "immediate" }, { now: NOW }), "NOT_FOUND");
    expect(await n(`SELECT 1 FROM subscription_changes`)).toBe(total);
  });

  it("a customer without an active subscription", async () => {
    const c = await freshCustomer();
    await t.pool.query(`UPDATE subscriptions SET status = 'canceled', ended_at = $2 WHERE customer_id = $1`, [c.id, NOW]);
    const before = await counts(c.id);
    const e = await expectRefused(previewPlanChange(t.db, finance, { customerId: c.id, toPlanId: plans.team!, timing: "immediate" }, { now: NOW }), "INVALID_INPUT", "toPlanId");
    expect(e.message).toMatch(/no active subscription/);
    expect(await counts(c.id)).toEqual(before);
  });

  it("a plan with no price in the customer's currency", async () => {
    const c = await createCustomer(t.pool, { planKey: "pro", currency: "EUR", startedAt: ANCHOR });
    await expectRefused(previewPlanChange(t.db, finance, { customerId: c.id, toPlanId: plans.business!, timing: "immediate" }, { now: NOW }), "INVALID_INPUT", "toPlanId");
  });
});

describe("authorisation", () => {
  it("refuses a support actor at every service, writing nothing", async () => {
    const c = await freshCustomer();
    const input: PlanChangeInput = { customerId: c.id, toPlanId: plans.team!, timing: "period_end" };
    const preview = await previewPlanChange(t.db, finance, input, { now: NOW });
    const scheduled = await changePlan(t.db, finance, { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId: randomUUID() }, { now: NOW });
    const before = await counts(c.id);
    await expectRefused(previewPlanChange(t.db, support, input, { now: NOW }), "FORBIDDEN");
    await expectRefused(changePlan(t.db, support, { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId: randomUUID() }, { now: NOW }), "FORBIDDEN");
    await expectRefused(cancelPlanChange(t.db, support, { changeId: scheduled.changeId }, { now: NOW }), "FORBIDDEN");
    expect(await counts(c.id)).toEqual(before);
  });
});

describe("scheduled changes", () => {
  it("on a date inside the period: scheduled, folded into the upcoming invoice, and applied when due exactly as previewed", async () => {
    const c = await freshCustomer();
    const input: PlanChangeInput = { customerId: c.id, toPlanId: plans.team!, timing: "on_date", date: "2026-03-20" };
    const effective = new Date("2026-03-20T00:00:00.000Z");
    const preview = await previewPlanChange(t.db, finance, input, { now: NOW });
    expect(preview.effectiveAt).toBe(effective.toISOString());
    expect(preview.prorationLines).toHaveLength(2);
    expect(preview.affectsCurrentPeriod).toBe(true);
    const phasesBefore = await phasesOf(c.id);

    const result = await changePlan(t.db, finance, { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId: randomUUID() }, { now: NOW });
    expect(result.status).toBe("scheduled");
    expect(result.message).toMatch(/^Scheduled .+ to change from Pro to Team on 2026-03-20 00:00 UTC; proration −\$/);
    expect(await phasesOf(c.id)).toEqual(phasesBefore); // nothing applied yet
    // The shadow preview already folds the scheduled change in: it is what was previewed.
    expect(await shadowDto(c.id, NOW)).toEqual(preview.newInvoice);

    // Not due yet: nothing happens.
    expect(await applyDuePlanChanges(t.db, new Date(effective.getTime() - 1), { customerId: c.id })).toEqual({ applied: 0, changeIds: [] });
    const auditBefore = (await counts(c.id)).audit;
    const due = await applyDuePlanChanges(t.db, new Date(effective.getTime() + 1000));
    expect(due.changeIds).toContain(result.changeId);
    expect((await applyDuePlanChanges(t.db, new Date(effective.getTime() + 2000), { customerId: c.id })).applied).toBe(0); // once only

    const phases = await phasesOf(c.id);
    expect(phases.map((p) => [p.plan_version_id, p.starts_at.toISOString(), p.ends_at?.toISOString() ?? null])).toEqual(
      preview.phasesAfter.map((p, i) => [p.planVersionId, i === 0 ? ANCHOR.toISOString() : p.startsAt, p.endsAt]),
    );
    expect(await shadowDto(c.id, NOW)).toEqual(preview.newInvoice);
    const [row] = await q<{ status: string; applied_at: Date }>(`SELECT status::text, applied_at FROM subscription_changes WHERE id = $1`, [result.changeId]);
    expect(row!.status).toBe("applied");
    expect((await counts(c.id)).audit).toBe(auditBefore + 1);
    const [event] = await q<{ action: string; actor_email: string }>(`SELECT action, actor_email FROM audit_events WHERE target_id = $1 ORDER BY id DESC LIMIT 1`, [result.changeId]);
    expect(event).toEqual({ action: "plan.change_applied", actor_email: "system" });
  });

  it("at period end: no proration, this period unchanged; a second change is refused while it is scheduled; cancel", async () => {
    const c = await freshCustomer();
    const input: PlanChangeInput = { customerId: c.id, toPlanId: plans.business!, timing: "period_end" };
    const preview = await previewPlanChange(t.db, finance, input, { now: NOW });
    expect(preview.effectiveAt).toBe(PERIOD.end.toISOString());
    expect(preview.prorationLines).toEqual([]);
    expect(preview.affectsCurrentPeriod).toBe(false);
    expect(preview.differenceMinor).toBe("0");
    const result = await changePlan(t.db, finance, { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId: randomUUID() }, { now: NOW });
    expect(result.status).toBe("scheduled");

    await expectRefused(previewPlanChange(t.db, finance, { ...input, toPlanId: plans.team!, timing: "immediate" }, { now: NOW }), "INVALID_INPUT", "timing");

    const before = await counts(c.id);
    const canceled = await cancelPlanChange(t.db, finance, { changeId: result.changeId }, { now: NOW });
    // Not sent yet: the cancel waits for the change's operation (the handler resolves the provider id).
    expect(canceled.providerCancelQueued).toBe(true);
    expect(await counts(c.id)).toEqual({ ...before, audit: before.audit + 1, operations: before.operations + 1 });
    const [cancelOp] = await q<{ payload: unknown }>(`SELECT payload FROM provider_operations WHERE subject_id = $1 AND kind = 'plan.change_cancel'`, [result.changeId]);
    expect(cancelOp!.payload).toEqual({ changeId: result.changeId, providerChangeId: null });
    const [row] = await q<{ status: string; canceled_at: Date }>(`SELECT status::text, canceled_at FROM subscription_changes WHERE id = $1`, [result.changeId]);
    expect(row!.status).toBe("canceled");
    await expectRefused(cancelPlanChange(t.db, finance, { changeId: result.changeId }, { now: NOW }), "CONFLICT");
    // A canceled change is never applied.
    expect((await applyDuePlanChanges(t.db, new Date(PERIOD.end.getTime() + 1000), { customerId: c.id })).applied).toBe(0);
  });

  it("cancelling a change the provider already has queues plan.change_cancel with its id", async () => {
    const c = await freshCustomer();
    const input: PlanChangeInput = { customerId: c.id, toPlanId: plans.team!, timing: "period_end" };
    const preview = await previewPlanChange(t.db, finance, input, { now: NOW });
    const result = await changePlan(t.db, finance, { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId: randomUUID() }, { now: NOW });
    await t.pool.query(`UPDATE provider_operations SET status = 'succeeded', provider_reference = 'sbx_pc_123' WHERE subject_id = $1`, [result.changeId]);
    const canceled = await cancelPlanChange(t.db, finance, { changeId: result.changeId }, { now: NOW });
    expect(canceled.providerCancelQueued).toBe(true);
    const [op] = await q<{ kind: string; payload: unknown }>(`SELECT kind, payload FROM provider_operations WHERE subject_id = $1 AND kind = 'plan.change_cancel'`, [result.changeId]);
    expect(op).toEqual({ kind: "plan.change_cancel", payload: { changeId: result.changeId, providerChangeId: "sbx_pc_123" } });
  });

  it("a change already in force (applied by the provider's scheduler on the shared tables) is just marked applied", async () => {
    const c = await freshCustomer();
    const input: PlanChangeInput = { customerId: c.id, toPlanId: plans.team!, timing: "on_date", date: "2026-03-25" };
    const preview = await previewPlanChange(t.db, finance, input, { now: NOW });
    const result = await changePlan(t.db, finance, { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId: randomUUID() }, { now: NOW });
    const at = new Date(preview.effectiveAt);
    await t.pool.query(`UPDATE subscription_phases SET ends_at = $2 WHERE subscription_id = $1 AND ends_at IS NULL`, [c.subscriptionId, at]);
    await t.pool.query(`INSERT INTO subscription_phases (id, subscription_id, plan_version_id, starts_at) VALUES (gen_random_uuid(), $1, $2, $3)`, [c.subscriptionId, preview.to.planVersionId, at]);
    const phases = await phasesOf(c.id);
    expect((await applyDuePlanChanges(t.db, new Date(at.getTime() + 1), { customerId: c.id })).changeIds).toEqual([result.changeId]);
    expect(await phasesOf(c.id)).toEqual(phases);
  });
});

describe("through the outbox and the sandbox provider", () => {
  // The worker's clock is the real one (operations are due from when they were written); the
  // change itself happens at NOW, in the past.
  const workerNow = () => new Date(Date.now() + 1_000);
  const sandbox = () => createSandboxProvider(t.db, { now: workerNow, sleep: async () => {} });
  const opsOf = (changeId: string) =>
    q<{ kind: string; status: string; provider_reference: string | null; last_error: string | null }>(
      `SELECT kind, status::text, provider_reference, last_error FROM provider_operations WHERE subject_id = $1 ORDER BY created_at`, [changeId]);

  it("an immediate change reaches the provider once, and the provider's upcoming invoice equals the preview", async () => {
    const c = await createCustomer(t.pool, { planKey: "pro", startedAt: ANCHOR });
    // The same usage in Meterdesk's rollups and in the sandbox's own copy, and no credits: the two agree to the cent.
    await t.pool.query(
      `INSERT INTO usage_daily (customer_id, meter_id, day, quantity)
       SELECT $1, m.id, d::date, 310.25 FROM meters m, generate_series('2026-03-10'::date, '2026-03-15'::date, interval '1 day') d
        WHERE m.key IN ('compute_small_hours', 'bandwidth_gb')`, [c.id]);
    await t.pool.query(
      `INSERT INTO sandbox_usage_daily (provider_customer_id, meter_key, day, quantity)
       SELECT $1, m.key, d::date, 310.25 FROM meters m, generate_series('2026-03-10'::date, '2026-03-15'::date, interval '1 day') d
        WHERE m.key IN ('compute_small_hours', 'bandwidth_gb')`, [c.providerCustomerId]);
    const input: PlanChangeInput = { customerId: c.id, toPlanId: plans.team!, timing: "immediate" };
    const preview = await previewPlanChange(t.db, finance, input, { now: NOW });
    const result = await changePlan(t.db, finance, { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId: randomUUID() }, { now: NOW });
    const phases = await phasesOf(c.id);

    const provider = sandbox();
    for (let i = 0; i < 5; i++) await runOutboxOnce(t.db, provider, { now: workerNow, concurrency: 1 });
    const [op] = await opsOf(result.changeId);
    expect(op).toMatchObject({ kind: "plan.change", status: "succeeded" });
    expect(op!.provider_reference).toMatch(/^sbx_pc_/);
    expect(await n(`SELECT 1 FROM sandbox_plan_changes WHERE provider_customer_id = $1`, [c.providerCustomerId])).toBe(1);
    expect(await phasesOf(c.id)).toEqual(phases); // the provider found the change already in force

    const upcoming = await provider.getUpcomingInvoice({ customerId: c.id, providerCustomerId: c.providerCustomerId }, NOW);
    const dto = toUpcomingInvoiceDto({ ...upcoming, asOf: NOW });
    expect(dto).toEqual(preview.newInvoice);
  });

  it("a scheduled change canceled after it was sent is canceled at the provider too", async () => {
    const c = await freshCustomer();
    const input: PlanChangeInput = { customerId: c.id, toPlanId: plans.team!, timing: "on_date", date: "2027-01-05" };
    const preview = await previewPlanChange(t.db, finance, input, { now: NOW });
    const result = await changePlan(t.db, finance, { ...input, effectiveAt: preview.effectiveAt, token: preview.token, requestId: randomUUID() }, { now: NOW });
    const provider = sandbox();
    await runOutboxOnce(t.db, provider, { now: workerNow, concurrency: 1 });
    const [sent] = await q<{ status: string }>(`SELECT status FROM sandbox_plan_changes WHERE provider_customer_id = $1`, [c.providerCustomerId]);
    expect(sent!.status).toBe("scheduled");

    const canceled = await cancelPlanChange(t.db, finance, { changeId: result.changeId }, { now: NOW });
    expect(canceled.providerCancelQueued).toBe(true);
    for (let i = 0; i < 5; i++) await runOutboxOnce(t.db, provider, { now: workerNow, concurrency: 1 });
    expect((await opsOf(result.changeId)).map((o) => [o.kind, o.status])).toEqual([["plan.change", "succeeded"], ["plan.change_cancel", "succeeded"]]);
    const [after] = await q<{ status: string }>(`SELECT status FROM sandbox_plan_changes WHERE provider_customer_id = $1`, [c.providerCustomerId]);
    expect(after!.status).toBe("canceled");
  });
});
