import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BillingDecimal } from "./decimal";
import type { CreditGrant } from "./credits";
import { previewInvoice, type PlanSegment } from "./invoice-preview";
import type { Plan, PlanMeter } from "./pricing";
import { planChangeProration } from "./proration";
import { decimalString, price as anyPrice, quantity } from "./test-arbitraries";

const d = (iso: string) => new Date(iso);
const nov = { start: d("2024-11-01T00:00:00Z"), end: d("2024-12-01T00:00:00Z") }; // 30 days
const at = nov.end;
const compute = (included: string, unitPrice: string): PlanMeter => ({
  meterKey: "compute_hours",
  displayName: "Compute",
  unit: "hours",
  includedQuantity: included,
  price: { model: "per_unit", unitPrice },
});
const bandwidth: PlanMeter = {
  meterKey: "bandwidth_gb",
  displayName: "Bandwidth",
  unit: "GB",
  includedQuantity: "0",
  price: { model: "graduated", tiers: [{ upTo: "1000", unitPrice: "0.09" }, { upTo: null, unitPrice: "0.07" }] },
};
const starter: Plan = { id: "starter", name: "Starter", currency: "USD", baseFee: "30", meters: [compute("100", "0.10")] };
const pro: Plan = { id: "pro", name: "Pro", currency: "USD", baseFee: "90", meters: [compute("1000", "0.05"), bandwidth] };
const grant = (id: string, remainingMinor: bigint, expiresAt: string | null): CreditGrant => ({
  id, remainingMinor, currency: "USD", expiresAt: expiresAt ? d(expiresAt) : null, createdAt: d("2024-10-01T00:00:00Z"),
});
const summary = (lines: { kind: string; description: string; amountMinor: bigint }[]) => lines.map((l) => [l.kind, l.description, l.amountMinor]);

describe("previewInvoice — hand-computed", () => {
  it("one plan for the whole period: base, usage by meter, credits soonest-expiring first", () => {
    const p = previewInvoice({
      customerCurrency: "USD",
      period: nov,
      segments: [{ plan: pro, from: nov.start, to: nov.end, usageByMeter: { compute_hours: "1250.5", bandwidth_gb: "1500" } }],
      credits: [grant("forever", 1000n, null), grant("soon", 2000n, "2024-12-15T00:00:00Z")],
      at,
    });
    expect(summary(p.lines)).toEqual([
      ["base", "Pro base fee", 9000n],
      ["usage", "Compute", 1252n], // 250.5 × 0.05 = 12.525 → 12.52 (half even)
      ["usage", "Bandwidth", 12500n], // 1000 × 0.09 + 500 × 0.07
      ["credit", "Credit applied (grant soon)", -2000n],
      ["credit", "Credit applied (grant forever)", -1000n],
    ]);
    expect(p.subtotalMinor).toBe(22752n);
    expect(p.creditsAppliedMinor).toBe(3000n);
    expect(p.totalMinor).toBe(19752n);
    expect(p.lines[1]!.breakdown!.map((b) => b.label)).toEqual(["Included (1000 hours)", "Per unit"]);
    expect(p.lines[2]!.quantity).toBe("1500");
  });

  it("upgrade on Nov 21: base of the old plan, proration lines, allowance pooled by time, tiers carried", () => {
    const changeAt = d("2024-11-21T00:00:00Z");
    const segments: PlanSegment[] = [
      { plan: starter, from: nov.start, to: changeAt, usageByMeter: { compute_hours: "300" } },
      { plan: pro, from: changeAt, to: nov.end, usageByMeter: { compute_hours: "500", bandwidth_gb: "10" } },
    ];
    const p = previewInvoice({ customerCurrency: "USD", period: nov, segments, credits: [], at });
    // Pooled compute allowance: 100 × 20/30 + 1000 × 10/30 = 400. Starter's 300 hours are all included;
    // Pro's 500 use the last 100 included hours, 400 are billed at Pro's 0.05.
    expect(summary(p.lines)).toEqual([
      ["base", "Starter base fee", 3000n],
      ["proration", "Unused time on Starter (Nov 21 – Nov 30)", -1000n],
      ["proration", "Remaining time on Pro (Nov 21 – Nov 30)", 3000n],
      ["usage", "Compute — Starter (Nov 1 – Nov 20)", 0n],
      ["usage", "Compute — Pro (Nov 21 – Nov 30)", 2000n],
      ["usage", "Bandwidth — Pro (Nov 21 – Nov 30)", 90n],
    ]);
    expect(p.totalMinor).toBe(7090n);
    // The change preview shown before confirming is exactly what the invoice contains.
    const change = planChangeProration({ period: nov, changeAt, oldPlan: starter, newPlan: pro });
    expect(p.lines.filter((l) => l.kind === "proration").map((l) => l.amountMinor)).toEqual(change.lines.map((l) => l.amountMinor));
  });

  it("allowance choice: not collected twice by switching back and forth", () => {
    const t1 = d("2024-11-11T00:00:00Z");
    const t2 = d("2024-11-21T00:00:00Z");
    const free: Plan = { id: "free", name: "Free", currency: "USD", baseFee: "0", meters: [compute("0", "0.10")] };
    const p = previewInvoice({
      customerCurrency: "USD",
      period: nov,
      segments: [
        { plan: pro, from: nov.start, to: t1, usageByMeter: { compute_hours: "0" } },
        { plan: free, from: t1, to: t2, usageByMeter: { compute_hours: "0" } },
        { plan: pro, from: t2, to: nov.end, usageByMeter: { compute_hours: "1000" } },
      ],
      credits: [],
      at,
    });
    // Pro for 20 of 30 days → 666.67 hours included in total, not 1000 + 1000.
    const usage = p.lines.filter((l) => l.meterKey === "compute_hours").map((l) => l.amountMinor);
    expect(usage).toEqual([0n, 0n, 1667n]); // 333.33… × 0.05 = 16.666… → 16.67
  });

  it("subscription starting mid-period and cancellation before its end are prorated", () => {
    const started = previewInvoice({ customerCurrency: "USD", period: nov, segments: [{ plan: starter, from: d("2024-11-11T00:00:00Z"), to: nov.end, usageByMeter: {} }], credits: [], at });
    expect(summary(started.lines.filter((l) => l.kind === "base"))).toEqual([["base", "Starter base fee (Nov 11 – Nov 30)", 2000n]]);
    const cancelled = previewInvoice({ customerCurrency: "USD", period: nov, segments: [{ plan: starter, from: nov.start, to: d("2024-11-16T00:00:00Z"), usageByMeter: {} }], credits: [], at });
    expect(cancelled.lines.filter((l) => l.kind !== "usage").map((l) => l.amountMinor)).toEqual([3000n, -1500n]);
    expect(cancelled.totalMinor).toBe(1500n);
  });

  it("tops up to the minimum commitment before credits; credits then apply to the topped-up total", () => {
    const committed: Plan = { ...starter, id: "committed", name: "Committed", baseFee: "0", minimumCommitment: "500" };
    const p = previewInvoice({ customerCurrency: "USD", period: nov, segments: [{ plan: committed, from: nov.start, to: nov.end, usageByMeter: { compute_hours: "1100" } }], credits: [grant("g", 10000n, null)], at });
    expect(summary(p.lines)).toEqual([
      ["usage", "Compute", 10000n],
      ["minimum", "Minimum commitment top-up (minimum $500.00)", 40000n],
      ["credit", "Credit applied (grant g)", -10000n],
    ]);
    expect([p.subtotalMinor, p.totalMinor]).toEqual([50000n, 40000n]);
    const above = previewInvoice({ customerCurrency: "USD", period: nov, segments: [{ plan: committed, from: nov.start, to: nov.end, usageByMeter: { compute_hours: "6100" } }], credits: [], at });
    expect(above.lines.some((l) => l.kind === "minimum")).toBe(false); // exactly at the minimum: no line
  });

  it("JPY: zero-decimal lines", () => {
    const yen: Plan = { id: "jp", name: "JP", currency: "JPY", baseFee: "1000", meters: [compute("0", "2.5")] };
    const p = previewInvoice({ customerCurrency: "JPY", period: nov, segments: [{ plan: yen, from: nov.start, to: nov.end, usageByMeter: { compute_hours: "3" } }], credits: [], at });
    expect(p.lines.map((l) => l.amountMinor)).toEqual([1000n, 8n]); // 7.5 → 8 (even)
  });

  it("surfaces usage the plan does not price, and rejects bad input", () => {
    const p = previewInvoice({ customerCurrency: "USD", period: nov, segments: [{ plan: starter, from: nov.start, to: nov.end, usageByMeter: { gpu_hours: "5", disk_gb: "0" } }], credits: [], at });
    expect(p.unpricedUsage).toEqual([{ planId: "starter", meterKey: "gpu_hours", quantity: "5" }]);
    const seg = { plan: starter, from: nov.start, to: nov.end, usageByMeter: {} };
    const base = { customerCurrency: "USD", period: nov, credits: [], at };
    expect(() => previewInvoice({ ...base, segments: [] })).toThrow();
    expect(() => previewInvoice({ ...base, customerCurrency: "EUR", segments: [seg] })).toThrow(/EUR/);
    expect(() => previewInvoice({ ...base, segments: [{ ...seg, usageByMeter: { compute_hours: "-1" } }] })).toThrow(/negative/);
    expect(() => previewInvoice({ ...base, segments: [{ ...seg, to: d("2024-12-02T00:00:00Z") }] })).toThrow(/outside/);
    expect(() => previewInvoice({ ...base, segments: [{ ...seg, to: d("2024-11-10T00:00:00Z") }, { ...seg, from: d("2024-11-11T00:00:00Z") }] })).toThrow(/does not start/);
  });
});

describe("previewInvoice — properties", () => {
  const meter = (key: string) =>
    fc.record({ meterKey: fc.constant(key), displayName: fc.constant(key), unit: fc.constant("u"), includedQuantity: decimalString(10n ** 6n, 2), price: anyPrice });
  const plan = (id: string) =>
    fc.record(
      {
        id: fc.constant(id),
        name: fc.constant(id),
        currency: fc.constant("USD"),
        baseFee: decimalString(1000n, 2),
        meters: fc.tuple(meter("a"), meter("b")).chain(([a, b]) => fc.subarray([a, b])),
        minimumCommitment: decimalString(5000n, 2),
      },
      { requiredKeys: ["id", "name", "currency", "baseFee", "meters"] },
    ) as fc.Arbitrary<Plan>;
  const usage = fc.record({ a: quantity, b: quantity }, { requiredKeys: [] });
  const instant = fc.integer({ min: 1, max: 30 * 86400 * 1000 - 1 }).map((ms) => new Date(nov.start.getTime() + ms));
  const grants = fc.array(
    fc.record({
      id: fc.uuid(),
      remainingMinor: fc.bigInt({ min: 0n, max: 10n ** 7n }),
      currency: fc.constant("USD"),
      expiresAt: fc.option(fc.constantFrom(d("2024-11-15T00:00:00Z"), d("2025-01-01T00:00:00Z")), { nil: null }),
      createdAt: fc.constant(d("2024-10-01T00:00:00Z")),
    }),
    { maxLength: 4 },
  );
  const runs = { numRuns: 200 };

  it("total = sum of lines; subtotal = sum of charges; credits never take it below zero nor exceed the grants", () => {
    fc.assert(
      fc.property(plan("p1"), plan("p2"), usage, usage, instant, grants, (p1, p2, u1, u2, changeAt, gs) => {
        const p = previewInvoice({
          customerCurrency: "USD",
          period: nov,
          segments: [
            { plan: p1, from: nov.start, to: changeAt, usageByMeter: u1 },
            { plan: p2, from: changeAt, to: nov.end, usageByMeter: u2 },
          ],
          credits: gs,
          at,
        });
        const sum = (ls: typeof p.lines) => ls.reduce((s, l) => s + l.amountMinor, 0n);
        const usable = gs.filter((g) => g.expiresAt === null || g.expiresAt > at).reduce((s, g) => s + g.remainingMinor, 0n);
        return (
          sum(p.lines) === p.totalMinor &&
          sum(p.lines.filter((l) => l.kind !== "credit")) === p.subtotalMinor &&
          p.subtotalMinor >= 0n &&
          p.totalMinor >= 0n &&
          p.creditsAppliedMinor <= usable &&
          p.totalMinor === p.subtotalMinor - p.creditsAppliedMinor
        );
      }),
      runs,
    );
  });

  it("an immediate change to the same plan changes nothing", () => {
    fc.assert(
      fc.property(plan("p"), usage, usage, instant, grants, (p, u1, u2, changeAt, gs) => {
        const whole: Record<string, string> = {};
        for (const k of new Set([...Object.keys(u1), ...Object.keys(u2)])) {
          whole[k] = new BillingDecimal((u1 as Record<string, string>)[k] ?? "0").plus((u2 as Record<string, string>)[k] ?? "0").toString();
        }
        const base = { customerCurrency: "USD", period: nov, credits: gs, at };
        const once = previewInvoice({ ...base, segments: [{ plan: p, from: nov.start, to: nov.end, usageByMeter: whole }] });
        const changed = previewInvoice({
          ...base,
          segments: [
            { plan: p, from: nov.start, to: changeAt, usageByMeter: u1 },
            { plan: { ...p }, from: changeAt, to: nov.end, usageByMeter: u2 },
          ],
        });
        expect(changed).toEqual(once);
      }),
      runs,
    );
  });
});
