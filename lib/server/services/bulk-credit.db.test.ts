// Bulk incident credits: preview priced with lib/billing, maker-checker, and a run that resumes
// after a crash without doubling anything.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestDatabase } from "@/test/db";
import { createCustomer } from "@/prisma/seed/factories";
import { isAppError } from "@/lib/errors";
import { loadBillingPlans } from "../billing/catalog";
import { priceMeterUsage, roundToMinorHalfEven } from "@/lib/billing";
import type { Actor } from "../session";
import { previewBulkCredit, dayShare } from "./bulk-credit-preview";
import { prepareBulkCredit, type PrepareBulkCreditInput } from "./bulk-credit-prepare";
import { decideBulkCredit } from "./bulk-credit-decide";
import { runBulkCreditJob } from "./bulk-credit-run";
import { actorFor, creditTestDatabase } from "./credits.test-support";

let t: TestDatabase;
let lead: Actor, finance: Actor;
const region = "zz-incident-1";
const DAY = 86_400_000;
const today = Math.floor(Date.now() / DAY) * DAY;
const windowStart = new Date(today - 3 * DAY);
const windowEnd = new Date(today - 2 * DAY + 12 * 3_600_000); // 1.5 days

beforeAll(async () => {
  t = await creditTestDatabase();
  [lead, finance] = await Promise.all([actorFor(t, "support_lead"), actorFor(t, "finance")]);
  for (let i = 0; i < 4; i++) await createCustomer(t.pool, { region, name: `Incident Victim ${i}`, usage: { days: 6, meterKeys: ["compute_small_hours", "bandwidth_gb"], perDay: `${10 + i}.5` } });
  await createCustomer(t.pool, { region: "zz-elsewhere", usage: { days: 6 } });
}, 180_000);
afterAll(async () => {
  await t?.drop();
});

const form = (over: Partial<PrepareBulkCreditInput> = {}): PrepareBulkCreditInput => ({
  name: "eu-west compute outage", reason: "outage", note: "Compute unavailable", requestId: randomUUID(),
  windowStart: windowStart.toISOString(), windowEnd: windowEnd.toISOString(), meterKeys: ["compute_small_hours", "bandwidth_gb"], regions: [region],
  currency: "USD", rule: "percent_of_cost", percent: "25", cap: "", ...over,
});

describe("bulk credits", () => {
  it("previews every affected customer, priced per unit without allowances, pro rata to the window", async () => {
    const preview = await previewBulkCredit(t.db, { windowStart, windowEnd, meterKeys: ["compute_small_hours", "bandwidth_gb"], regions: [region], currency: "USD", rule: "percent_of_cost", percent: "25", capMinor: null });
    expect(preview.rows).toHaveLength(4);
    const plans = await loadBillingPlans(t.db);
    const pro = [...plans.values()].find((p) => p.planKey === "pro" && p.currency === "USD")!;
    const row = preview.rows.find((r) => r.customerName === "Incident Victim 0")!;
    // 1.5 days × 10.5 per day on each meter.
    expect(row.usage).toEqual(expect.arrayContaining([{ meterKey: "compute_small_hours", quantity: "15.75" }, { meterKey: "bandwidth_gb", quantity: "15.75" }]));
    const exact = ["compute_small_hours", "bandwidth_gb"].reduce((s, k) => s.plus(priceMeterUsage(pro.meters.find((m) => m.meterKey === k)!, "15.75", { includedQuantity: "0" }).amount), priceMeterUsage(pro.meters[0]!, "0").amount);
    expect(row.costMinor).toBe(roundToMinorHalfEven(exact, "USD"));
    expect(row.amountMinor).toBe(roundToMinorHalfEven(exact.times("0.25"), "USD"));
    expect(preview.totalMinor).toBe(preview.rows.reduce((s, r) => s + r.amountMinor, 0n));
    expect(dayShare(new Date(today - 2 * DAY), windowStart, windowEnd).toFixed()).toBe("0.5");
  });

  it("a flat amount is capped", async () => {
    const preview = await previewBulkCredit(t.db, { windowStart, windowEnd, meterKeys: ["bandwidth_gb"], regions: [region], currency: "USD", rule: "flat", flatMinor: 5000n, capMinor: 2000n });
    expect(preview.rows.every((r) => r.amountMinor === 2000n)).toBe(true);
  });

  it("rejects a bad window and nothing is written", async () => {
    const r = await prepareBulkCredit(t.db, lead, form({ windowEnd: windowStart.toISOString() })).catch((e: unknown) => e);
    expect(isAppError(r) && r.fieldErrors?.windowEnd).toBeTruthy();
    expect(await t.db.bulkCredit.count()).toBe(0);
  });

  it("the preparer cannot approve (service and database); a crashed run resumes without doubling", async () => {
    const prepared = await prepareBulkCredit(t.db, lead, form());
    expect(prepared.items).toBe(4);
    const self = await decideBulkCredit(t.db, { ...lead, role: "finance" }, { bulkCreditId: prepared.bulkCreditId, decision: "approve", note: "self", requestId: randomUUID() }).catch((e: unknown) => e);
    expect(isAppError(self) && self.code).toBe("SELF_APPROVAL");
    await expect(t.pool.query("UPDATE bulk_credits SET decided_by_id = prepared_by_id WHERE id = $1", [prepared.bulkCreditId])).rejects.toThrow(/bulk_credits_not_self_decided/);

    const decided = await decideBulkCredit(t.db, finance, { bulkCreditId: prepared.bulkCreditId, decision: "approve", note: "confirmed by the incident report", requestId: randomUUID() });
    expect(decided.jobId).toBeTruthy();
    const jobId = decided.jobId!;
    await expect(runBulkCreditJob(t.db, jobId, { beforeItem: (i) => { if (i === 2) throw new Error("simulated crash"); } })).rejects.toThrow("simulated crash");
    expect(await t.db.creditGrant.count({ where: { bulkCreditItemId: { not: null } } })).toBe(2);
    // While the crashed run's lock holds, nobody else takes the job.
    expect((await runBulkCreditJob(t.db, jobId)).status).toBe("not_runnable");
    const later = () => new Date(Date.now() + 11 * 60_000);
    const resumed = await runBulkCreditJob(t.db, jobId, { now: later });
    expect(resumed).toMatchObject({ status: "succeeded", done: 4, failed: 0, total: 4 });
    // A second full run (a restarted worker) finds nothing left to do.
    await t.db.job.update({ where: { id: jobId }, data: { status: "queued" } });
    await runBulkCreditJob(t.db, jobId);
    const grants = await t.pool.query<{ n: number; ledger: number; ops: number; total: string }>(
      `SELECT count(DISTINCT g.id)::int AS n,
              (SELECT count(*)::int FROM credit_ledger_entries l JOIN credit_grants g2 ON g2.id = l.grant_id WHERE g2.bulk_credit_item_id IS NOT NULL) AS ledger,
              (SELECT count(*)::int FROM provider_operations o JOIN credit_grants g3 ON g3.id::text = o.subject_id WHERE g3.bulk_credit_item_id IS NOT NULL) AS ops,
              sum(g.amount_minor)::text AS total
         FROM credit_grants g WHERE g.bulk_credit_item_id IS NOT NULL`);
    const bulk = await t.db.bulkCredit.findUniqueOrThrow({ where: { id: prepared.bulkCreditId } });
    expect(grants.rows[0]).toEqual({ n: 4, ledger: 4, ops: 4, total: bulk.totalMinor.toString() });
    expect(bulk.status).toBe("completed");
    const job = await t.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect({ done: job.progressDone, failed: job.progressFailed, total: job.progressTotal }).toEqual({ done: 4, failed: 0, total: 4 });
    const requestIds = (await t.db.creditGrant.findMany({ where: { bulkCreditItemId: { not: null } }, select: { requestId: true, customerId: true } }));
    for (const g of requestIds) expect(g.requestId).toBe(`bulk:${bulk.id}:${g.customerId}`);
  });
  it("the batch total must be within the approver's limit", async () => {
    // A flat $5,000 to each of the four customers: $20,000 in total, above finance's $10,000.
    const prepared = await prepareBulkCredit(t.db, lead, form({ rule: "flat", flatAmount: "5000" }));
    const jobsBefore = await t.db.job.count();
    const refused = await decideBulkCredit(t.db, finance, { bulkCreditId: prepared.bulkCreditId, decision: "approve", note: "too large for me", requestId: randomUUID() }).catch((e: unknown) => e);
    expect(isAppError(refused) && refused.code).toBe("LIMIT_EXCEEDED");
    expect((await t.db.bulkCredit.findUniqueOrThrow({ where: { id: prepared.bulkCreditId } })).status).toBe("pending_approval");
    expect(await t.db.job.count()).toBe(jobsBefore);
    const rejected = await decideBulkCredit(t.db, finance, { bulkCreditId: prepared.bulkCreditId, decision: "reject", note: "too large; split it", requestId: randomUUID() });
    expect(rejected.decision).toBe("rejected");
  });
});
