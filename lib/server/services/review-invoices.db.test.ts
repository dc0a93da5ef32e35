import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { seedDatabase } from "@/prisma/seed/index";
import { createSandboxProvider } from "@/lib/providers/sandbox";
import type { Actor } from "../session";
import { recomputePreviews } from "./recompute-previews";
import { holdInvoice, markInvoicesReviewed } from "./review-invoices";
import { updateAnomalyThresholds } from "./anomaly-settings";

let t: TestDatabase;
let staff: Record<string, Actor>;
let customers: string[];
let queue: typeof import("../queries/review-queue");

const count = async (sql: string) => Number((await t.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM (${sql}) q`)).rows[0]!.n);

beforeAll(async () => {
  t = await createTestDatabase();
  const seeded = await seedDatabase(t.url, { customers: 30, days: 20 });
  const at = new Date(seeded.now);
  await recomputePreviews(t.db, createSandboxProvider(t.db, { now: () => at }), at);
  const rows = await t.db.staffUser.findMany();
  staff = Object.fromEntries(rows.map((s) => [s.email.split("@")[0]!, { id: s.id, email: s.email, name: s.name, role: s.role }]));
  customers = (await t.pool.query<{ id: string }>("SELECT customer_id::text AS id FROM invoice_preview_snapshots ORDER BY customer_id")).rows.map((r) => r.id);
  // The queue's reads use the app's client, configured from DATABASE_URL.
  process.env.DATABASE_URL = t.url;
  queue = await import("../queries/review-queue");
}, 180_000);
afterAll(async () => {
  await t.drop();
});

describe("reviewing invoices", () => {
  it("support cannot mark reviewed or hold: refused, nothing written", async () => {
    const audits = await count("SELECT 1 FROM audit_events");
    await expect(markInvoicesReviewed(t.db, staff.support!, { customerIds: [customers[0]!] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(holdInvoice(t.db, staff.support_lead!, { customerId: customers[0]!, note: "looks odd" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await count("SELECT 1 FROM invoice_reviews")).toBe(0);
    expect(await count("SELECT 1 FROM audit_events")).toBe(audits);
  });

  it("finance marks a selection reviewed, each with its audit event", async () => {
    const result = await markInvoicesReviewed(t.db, staff.finance!, { customerIds: customers.slice(0, 3) });
    expect(result.auditIds).toHaveLength(3);
    expect(await count("SELECT 1 FROM invoice_reviews WHERE status = 'reviewed'")).toBe(3);
    const { rows } = await t.pool.query("SELECT action, customer_id::text, actor_email FROM audit_events WHERE id = ANY($1::bigint[])", [result.auditIds]);
    expect(rows.every((r) => r.action === "invoice.reviewed" && r.actor_email === staff.finance!.email)).toBe(true);
  });

  it("a hold needs a note: without one nothing is written", async () => {
    const audits = await count("SELECT 1 FROM audit_events");
    await expect(holdInvoice(t.db, staff.finance!, { customerId: customers[3]!, note: "  " })).rejects.toMatchObject({ code: "INVALID_INPUT", fieldErrors: { note: expect.any(String) } });
    expect(await count("SELECT 1 FROM invoice_reviews WHERE status = 'held'")).toBe(0);
    expect(await count("SELECT 1 FROM audit_events")).toBe(audits);
    const held = await holdInvoice(t.db, staff.finance_admin!, { customerId: customers[0]!, note: "Waiting for the customer's PO" });
    expect(held.status).toBe("held");
    const review = await t.db.invoiceReview.findFirstOrThrow({ where: { customerId: customers[0]! } });
    expect(review).toMatchObject({ status: "held", note: "Waiting for the customer's PO", reviewerId: staff.finance_admin!.id });
  });

  it("an unknown customer is refused as not found, nothing written", async () => {
    const before = await count("SELECT 1 FROM invoice_reviews");
    await expect(markInvoicesReviewed(t.db, staff.finance!, { customerIds: ["00000000-0000-4000-8000-000000000000"] })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await count("SELECT 1 FROM invoice_reviews")).toBe(before);
  });
});

describe("the queue query", () => {
  it("filters by status and flag, sorts, pages, and counts", async () => {
    const base = queue.reviewQueueQuerySchema.parse({});
    const all = await queue.getReviewQueue({ ...base, pageSize: 100 });
    expect(all.total).toBe(customers.length);
    const held = await queue.getReviewQueue({ ...base, status: "held" });
    expect(held.rows.map((r) => [r.customerId, r.note, r.reviewer])).toEqual([[customers[0], "Waiting for the customer's PO", staff.finance_admin!.name]]);
    const reviewed = await queue.getReviewQueue({ ...base, status: "reviewed" });
    expect(reviewed.total).toBe(2);
    const byTotal = await queue.getReviewQueue({ ...base, sort: "total", dir: "asc", pageSize: 100 });
    const totals = byTotal.rows.map((r) => BigInt(r.totalMinor));
    expect(totals).toEqual([...totals].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const page2 = await queue.getReviewQueue({ ...base, sort: "total", dir: "asc", pageSize: 25, page: 2 });
    expect(page2.rows.map((r) => r.customerId)).toEqual(byTotal.rows.slice(25, 50).map((r) => r.customerId));
    const flagged = await count("SELECT 1 FROM invoice_preview_snapshots WHERE 'shadow_mismatch' = ANY(flags)");
    expect((await queue.getReviewQueue({ ...base, flag: "shadow_mismatch" })).total).toBe(flagged);
    const min = await queue.getReviewQueue({ ...base, min: "100", pageSize: 100 });
    expect(min.rows.every((r) => BigInt(r.totalMinor) >= 10_000n)).toBe(true);
    expect(min.total).toBe(await count("SELECT 1 FROM invoice_preview_snapshots WHERE total_minor >= 10000"));
    expect(await queue.exportReviewQueue({ ...base, min: "100" })).toHaveLength(min.total);
  });

  it("marks a snapshot stale when usage or credits arrive after it was computed", async () => {
    const base = queue.reviewQueueQuerySchema.parse({ pageSize: "100" });
    expect((await queue.getReviewQueue(base)).rows.some((r) => r.stale)).toBe(false);
    const target = customers[5]!;
    await t.pool.query("UPDATE invoice_preview_snapshots SET computed_at = computed_at - interval '1 day' WHERE customer_id = $1::uuid", [target]);
    await t.pool.query(
      `INSERT INTO usage_events (idempotency_key, customer_id, meter_id, occurred_at, quantity, received_at)
       SELECT 'stale-test-1', $1::uuid, id, now(), 1, now() FROM meters LIMIT 1`,
      [target],
    );
    const rows = (await queue.getReviewQueue(base)).rows;
    expect(rows.filter((r) => r.stale).map((r) => r.customerId)).toEqual([target]);
  });

  it("marks a snapshot stale when an event received before it was computed was not yet rolled up into what it read", async () => {
    const base = queue.reviewQueueQuerySchema.parse({ pageSize: "100" });
    const target = customers[7]!;
    const before = (await queue.getReviewQueue(base)).rows.find((r) => r.customerId === target)!;
    expect(before.stale).toBe(false);
    // An ingest whose request came in before the snapshot's instant but committed after the
    // recompute read the rollups: its received_at is older, its transaction is above the watermark.
    await t.pool.query(
      `INSERT INTO usage_events (idempotency_key, customer_id, meter_id, occurred_at, quantity, received_at)
       SELECT 'stale-test-2', $1::uuid, id, $2::timestamptz, 1, $2::timestamptz FROM meters LIMIT 1`,
      [target, new Date(new Date(before.computedAt).getTime() - 60_000)],
    );
    const after = (await queue.getReviewQueue(base)).rows.find((r) => r.customerId === target)!;
    expect(after.stale).toBe(true);
  });
});

describe("anomaly thresholds", () => {
  it("only finance admins edit them; invalid input writes nothing; a change is audited", async () => {
    await expect(updateAnomalyThresholds(t.db, staff.finance!, { "anomaly.usage_spike.multiplier": "6" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const audits = await count("SELECT 1 FROM audit_events");
    await expect(
      updateAnomalyThresholds(t.db, staff.finance_admin!, { "anomaly.usage_spike.multiplier": "6", "anomaly.missing_days.min_coverage": "2" }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT", fieldErrors: { "anomaly.missing_days.min_coverage": "Must be at most 1." } });
    expect(await count("SELECT 1 FROM audit_events")).toBe(audits);
    expect((await t.db.setting.findUniqueOrThrow({ where: { key: "anomaly.usage_spike.multiplier" } })).value).toBe(5);

    const ok = await updateAnomalyThresholds(t.db, staff.finance_admin!, { "anomaly.usage_spike.multiplier": "6.5", "anomaly.total_above_last.multiplier": "2" });
    expect(ok.changed).toEqual(["anomaly.usage_spike.multiplier"]);
    expect((await t.db.setting.findUniqueOrThrow({ where: { key: "anomaly.usage_spike.multiplier" } })).value).toBe("6.5");
    const audit = await t.db.auditEvent.findUniqueOrThrow({ where: { id: BigInt(ok.auditId!) } });
    expect(audit).toMatchObject({ action: "anomaly_thresholds.updated", before: { "anomaly.usage_spike.multiplier": "5" }, after: { "anomaly.usage_spike.multiplier": "6.5" } });
  });
});
