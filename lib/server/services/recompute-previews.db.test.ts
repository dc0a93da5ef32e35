import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { seedDatabase } from "@/prisma/seed/index";
import { seedSandboxState, type SandboxSeedSummary } from "@/lib/providers/sandbox/seed";
import { createSandboxProvider } from "@/lib/providers/sandbox";
import { roundToMinorHalfEven } from "@/lib/billing";
import { BillingDecimal } from "@/lib/billing/decimal";
import { computeShadowPreview } from "../billing/customer-billing";
import { loadBillingPlans } from "../billing/catalog";
import type { AnomalyFlag } from "../billing/anomaly-check";
import { ensurePreviewsComputed, recomputePreviews, runPreviewRecomputeJob, PREVIEW_RECOMPUTE_KIND } from "./recompute-previews";

let t: TestDatabase;
let sandbox: SandboxSeedSummary;
let at: Date;

beforeAll(async () => {
  t = await createTestDatabase();
  const seeded = await seedDatabase(t.url, { customers: 60, days: 30 });
  at = new Date(seeded.now);
  sandbox = await seedSandboxState(t.pool, { now: at });
}, 180_000);
afterAll(async () => {
  await t.drop();
});

type SnapshotRow = { customer_id: string; flags: string[]; total_minor: string; shadow_preview: { totalMinor: string; anomalies: AnomalyFlag[] }; provider_preview: { totalMinor?: string; error?: string } };
const snapshots = async () =>
  (await t.pool.query<SnapshotRow>(`SELECT customer_id::text, flags, total_minor::text, shadow_preview, provider_preview FROM invoice_preview_snapshots`)).rows;

describe("recompute previews over a seeded database with the sandbox provider", () => {
  it("stores one snapshot per subscribed customer and flags exactly the diverging customers as shadow mismatch", async () => {
    expect(sandbox.divergences.length).toBeGreaterThanOrEqual(2);
    const provider = createSandboxProvider(t.db, { now: () => at });
    const progress: Array<[number, number]> = [];
    const result = await recomputePreviews(t.db, provider, at, { batchSize: 17, onProgress: (d, n) => void progress.push([d, n]) });

    const { rows: subs } = await t.pool.query("SELECT count(DISTINCT customer_id)::int AS n FROM subscriptions WHERE status = 'active'");
    const rows = await snapshots();
    expect(rows).toHaveLength(subs[0].n);
    expect(result.customers).toBe(subs[0].n);
    expect(result.providerErrors).toBe(0);
    expect(progress[0]).toEqual([0, subs[0].n]);
    expect(progress.at(-1)).toEqual([subs[0].n, subs[0].n]);
    expect(progress.length).toBe(Math.ceil(subs[0].n / 17) + 1);

    const diverging = new Set(sandbox.divergences.map((d) => d.customerId));
    const mismatched = new Set(rows.filter((r) => r.flags.includes("shadow_mismatch")).map((r) => r.customer_id));
    expect([...mismatched].sort()).toEqual([...diverging].sort());
    for (const r of rows) {
      if (diverging.has(r.customer_id)) {
        const flag = r.shadow_preview.anomalies.find((f) => f.code === "shadow_mismatch")!;
        expect(flag.message).toMatch(/^Provider /);
        expect((flag.details as { deltas: unknown[] }).deltas.length).toBeGreaterThan(0);
      } else {
        // Agreement to the cent: the provider's total is Meterdesk's total.
        expect(r.provider_preview.totalMinor, r.customer_id).toBe(r.shadow_preview.totalMinor);
      }
      // The stored codes and the stored explanations are the same list.
      expect(r.shadow_preview.anomalies.map((f) => f.code)).toEqual(r.flags);
      for (const f of r.shadow_preview.anomalies) expect(f.explain.length).toBeGreaterThan(10);
    }
  });

  it("the Invoices tab reads Meterdesk's lines back whole, stored once when they equal the provider's", async () => {
    const { createReviewQueueQueries } = await import("../queries/review-queue-core");
    const queue = createReviewQueueQueries(t.db);
    const rows = await snapshots();
    const diverging = new Set(sandbox.divergences.map((d) => d.customerId));
    const agreeing = rows.find((r) => !diverging.has(r.customer_id) && !("error" in r.provider_preview))!;
    const mismatched = rows.find((r) => r.flags.includes("shadow_mismatch"))!;
    for (const r of [agreeing, mismatched]) {
      const flags = (await queue.getCustomerPreviewFlags(r.customer_id))!;
      const shadow = (await computeShadowPreview(t.db, r.customer_id, at))!;
      // Meterdesk's lines as computed, whichever way they were stored.
      expect(flags.shadow.lines.map((l) => [l.kind, l.meterKey ?? null, l.amountMinor])).toEqual(
        shadow.preview.lines.map((l) => [l.kind, l.meterKey ?? null, l.amountMinor.toString()]),
      );
    }
    const stored = async (id: string) =>
      (await t.pool.query<{ has_lines: boolean }>(`SELECT shadow_preview::jsonb ? 'lines' AS has_lines FROM invoice_preview_snapshots WHERE customer_id = $1::uuid`, [id])).rows[0]!.has_lines;
    expect(await stored(agreeing.customer_id)).toBe(false);
    expect(await stored(mismatched.customer_id)).toBe(true);
  });

  it("upserts on (customer, period): a second run replaces, never duplicates", async () => {
    const before = (await snapshots()).length;
    await recomputePreviews(t.db, createSandboxProvider(t.db, { now: () => at }), at);
    expect((await snapshots()).length).toBe(before);
  });

  it("detects one usage event the provider dropped, with the right amount", async () => {
    const diverging = new Set(sandbox.divergences.map((d) => d.customerId));
    const plans = await loadBillingPlans(t.db);
    // A customer billed per unit for small compute beyond the allowance, with no credit applied
    // and no minimum commitment that would absorb a difference.
    const { rows: candidates } = await t.pool.query<{ id: string }>(
      `SELECT DISTINCT s.customer_id::text AS id FROM subscriptions s WHERE s.status = 'active' ORDER BY 1`,
    );
    let chosen: { id: string; meterKey: string; unitPrice: string; usageAmount: bigint; currency: string; totalMinor: bigint } | null = null;
    for (const c of candidates) {
      if (diverging.has(c.id)) continue;
      const shadow = await computeShadowPreview(t.db, c.id, at);
      if (!shadow || shadow.preview.creditsAppliedMinor !== 0n || shadow.billing.phases.length !== 1) continue;
      const plan = plans.get(shadow.billing.phases[0]!.planVersionId)!;
      if (plan.minimumCommitment) continue;
      const line = shadow.preview.lines.find((l) => l.kind === "usage" && l.meterKey === "compute_small_hours" && l.amountMinor > 1000n);
      const price = plan.meters.find((m) => m.meterKey === "compute_small_hours")?.price;
      if (!line || price?.model !== "per_unit") continue;
      chosen = { id: c.id, meterKey: "compute_small_hours", unitPrice: price.unitPrice, usageAmount: line.amountMinor, currency: shadow.billing.currency, totalMinor: shadow.preview.totalMinor };
      break;
    }
    expect(chosen, "a per-unit customer to test with").not.toBeNull();
    const c = chosen!;
    // The provider never received one event of 40 hours on a day with at least that much usage.
    const dropped = "40";
    const updated = await t.pool.query(
      `UPDATE sandbox_usage_daily SET quantity = quantity - $2::numeric
        WHERE (provider_customer_id, meter_key, day) = (
          SELECT d.provider_customer_id, d.meter_key, d.day FROM sandbox_usage_daily d JOIN customers cu ON cu.provider_customer_id = d.provider_customer_id
           WHERE cu.id = $1::uuid AND d.meter_key = $3 AND d.quantity >= $2::numeric AND d.day >= $4::date ORDER BY d.day LIMIT 1)`,
      [c.id, dropped, c.meterKey, (await computeShadowPreview(t.db, c.id, at))!.billing.period.start.toISOString().slice(0, 10)],
    );
    expect(updated.rowCount).toBe(1);

    await recomputePreviews(t.db, createSandboxProvider(t.db, { now: () => at }), at);
    const row = (await snapshots()).find((r) => r.customer_id === c.id)!;
    expect(row.flags).toContain("shadow_mismatch");
    const flag = row.shadow_preview.anomalies.find((f) => f.code === "shadow_mismatch")!;
    const deltas = (flag.details as { deltas: Array<{ key: string; deltaMinor: string }> }).deltas;
    // The usage line is priced once: rounding of (usage − 40 h) × price vs usage × price.
    const perUnit = new BillingDecimal(c.unitPrice);
    const expectedDelta = -roundToMinorHalfEven(perUnit.times(dropped), c.currency);
    const usageDelta = BigInt(deltas.find((d) => d.key === `usage:${c.meterKey}`)!.deltaMinor);
    // 40 h × price, to within the one rounding of each line (±1 minor unit).
    expect(usageDelta <= expectedDelta + 1n && usageDelta >= expectedDelta - 1n, `${usageDelta} vs ${expectedDelta}`).toBe(true);
    expect(BigInt(deltas.find((d) => d.key === "total")!.deltaMinor)).toBe(usageDelta);
    expect(BigInt(row.total_minor)).toBe(c.totalMinor + usageDelta);
    expect(flag.message).toContain(`Provider `);
  });
});

describe("the preview_recompute job", () => {
  it("is claimed once, records progress and its result", async () => {
    const job = await t.db.job.create({ data: { kind: PREVIEW_RECOMPUTE_KIND, payload: { at: at.toISOString() } } });
    const provider = createSandboxProvider(t.db, { now: () => at });
    const [a, b] = await Promise.all([runPreviewRecomputeJob(t.db, provider, job.id), runPreviewRecomputeJob(t.db, provider, job.id)]);
    expect([a.status, b.status].sort()).toEqual(["not_runnable", "succeeded"]);
    const done = await t.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(done.status).toBe("succeeded");
    expect(done.progressTotal).toBeGreaterThan(0);
    expect(done.progressDone).toBe(done.progressTotal);
    expect(done.finishedAt).not.toBeNull();
  });

  it("ensurePreviewsComputed runs once on an empty queue and not again", async () => {
    await t.pool.query("DELETE FROM invoice_preview_snapshots");
    const provider = createSandboxProvider(t.db, { now: () => at });
    const first = await ensurePreviewsComputed(t.db, provider);
    expect(first?.status).toBe("succeeded");
    expect((await snapshots()).length).toBeGreaterThan(0);
    expect(await ensurePreviewsComputed(t.db, provider)).toBeNull();
  });

  it("ensurePreviewsComputed runs again when the console now runs on another provider", async () => {
    const sandbox = createSandboxProvider(t.db, { now: () => at });
    await ensurePreviewsComputed(t.db, sandbox);
    expect(await ensurePreviewsComputed(t.db, sandbox)).toBeNull();
    // The same answers under another provider's name: only the name is what the launcher compares.
    const elsewhere = { ...sandbox, kind: "orb" as const };
    const again = await ensurePreviewsComputed(t.db, elsewhere);
    expect(again?.status).toBe("succeeded");
    const { rows } = await t.pool.query<{ payload: { reason: string }; provider: string }>(
      `SELECT payload, result ->> 'provider' AS provider FROM jobs WHERE kind = $1 ORDER BY finished_at DESC LIMIT 1`,
      [PREVIEW_RECOMPUTE_KIND],
    );
    expect(rows[0]).toMatchObject({ payload: { reason: "provider changed from sandbox to orb" }, provider: "orb" });
    expect(await ensurePreviewsComputed(t.db, elsewhere)).toBeNull();
  });
});
