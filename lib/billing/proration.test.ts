import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { planChangeProration, prorateFraction } from "./proration";
import type { Plan } from "./pricing";

const d = (iso: string) => new Date(iso);
const nov = { start: d("2024-11-01T00:00:00Z"), end: d("2024-12-01T00:00:00Z") }; // 30 days
/** Minor units → major decimal string, without floats. */
const cents = (v: bigint) => `${v / 100n}.${(v % 100n).toString().padStart(2, "0")}`;
const plan = (id: string, baseFee: string, currency = "USD"): Plan => ({ id, name: id, currency, baseFee, meters: [] });

describe("prorateFraction (by elapsed seconds of the half-open period)", () => {
  it.each([
    ["2024-11-01T00:00:00Z", "2024-12-01T00:00:00Z", "1"],
    ["2024-11-16T00:00:00Z", "2024-12-01T00:00:00Z", "0.5"],
    ["2024-11-01T00:00:00Z", "2024-11-01T18:00:00Z", "0.025"], // 18 h of 720 h
    ["2024-10-01T00:00:00Z", "2024-11-04T00:00:00Z", "0.1"], // clipped to the period
    ["2024-12-01T00:00:00Z", "2024-12-05T00:00:00Z", "0"], // starts at the (excluded) end
    ["2024-11-10T00:00:00Z", "2024-11-10T00:00:00Z", "0"],
  ])("[%s, %s) → %s", (from, to, expected) => {
    expect(prorateFraction(nov, d(from), d(to)).toString()).toBe(expected);
  });
  it("rejects a reversed range", () => {
    expect(() => prorateFraction(nov, d("2024-11-10T00:00:00Z"), d("2024-11-09T00:00:00Z"))).toThrow();
  });
});

describe("planChangeProration", () => {
  it("credits the unused old fee and charges the new fee for the rest (hand example)", () => {
    // Upgrade $30 → $90 at Nov 21: 10 of 30 days left.
    const r = planChangeProration({ period: nov, changeAt: d("2024-11-21T00:00:00Z"), oldPlan: plan("Starter", "30"), newPlan: plan("Pro", "90") });
    expect(r.lines.map((l) => [l.description, l.amountMinor])).toEqual([
      ["Unused time on Starter (Nov 21 – Nov 30)", -1000n],
      ["Remaining time on Pro (Nov 21 – Nov 30)", 3000n],
    ]);
    expect(r.netMinor).toBe(2000n);
  });

  it("rounds each line once, half to even", () => {
    // $0.25 fee, half the period left: 0.125 → 0.12 each way.
    const r = planChangeProration({ period: nov, changeAt: d("2024-11-16T00:00:00Z"), oldPlan: plan("A", "0.25"), newPlan: plan("B", "0.27") });
    expect(r.lines.map((l) => l.amountMinor)).toEqual([-12n, 14n]); // 0.125 → 0.12, 0.135 → 0.14
  });

  it("sees exact half-cent ties even when the fraction does not terminate (1/6 of the period)", () => {
    const changeAt = d("2024-11-26T00:00:00Z"); // 5 of 30 days left
    const r = planChangeProration({ period: nov, changeAt, oldPlan: plan("A", "0.03"), newPlan: plan("B", "0.09") });
    expect(r.lines.map((l) => l.amountMinor)).toEqual([2n]); // 0.005 → 0.00 (omitted), 0.015 → 0.02
  });

  it("downgrade nets negative; a free plan gives no zero line", () => {
    const r = planChangeProration({ period: nov, changeAt: d("2024-11-16T00:00:00Z"), oldPlan: plan("Pro", "90"), newPlan: plan("Free", "0") });
    expect(r.lines.map((l) => l.amountMinor)).toEqual([-4500n]);
  });

  it("JPY has no minor unit: ¥1,000 with a third left → ¥333", () => {
    const r = planChangeProration({ period: nov, changeAt: d("2024-11-21T00:00:00Z"), oldPlan: plan("A", "1000", "JPY"), newPlan: plan("B", "0", "JPY") });
    expect(r.netMinor).toBe(-333n);
  });

  it("a change at period start swaps whole fees", () => {
    const r = planChangeProration({ period: nov, changeAt: nov.start, oldPlan: plan("A", "10"), newPlan: plan("B", "20") });
    expect(r.lines.map((l) => l.amountMinor)).toEqual([-1000n, 2000n]);
  });

  it("rejects a change outside [start, end) and across currencies", () => {
    const args = { period: nov, oldPlan: plan("A", "1"), newPlan: plan("B", "2") };
    expect(() => planChangeProration({ ...args, changeAt: nov.end })).toThrow(/inside the period/);
    expect(() => planChangeProration({ ...args, changeAt: d("2024-10-31T23:59:59Z") })).toThrow();
    expect(() => planChangeProration({ ...args, changeAt: nov.start, newPlan: plan("B", "2", "EUR") })).toThrow(/currencies/);
  });

  it("property: an immediate change to the same plan (or an equal fee) produces no lines", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 * 86400 * 1000 - 1 }),
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        (offsetMs, feeCents) => {
          const p = plan("Pro", cents(feeCents));
          const r = planChangeProration({ period: nov, changeAt: new Date(nov.start.getTime() + offsetMs), oldPlan: p, newPlan: { ...p } });
          return r.lines.length === 0 && r.netMinor === 0n;
        },
      ),
      { numRuns: 200 },
    );
  });

  it("property: credit never exceeds the old fee and the charge never exceeds the new fee", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 * 86400 * 1000 - 1 }), fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 0n, max: 10n ** 9n }), (offsetMs, a, b) => {
        const r = planChangeProration({ period: nov, changeAt: new Date(nov.start.getTime() + offsetMs), oldPlan: plan("A", cents(a)), newPlan: plan("B", cents(b)) });
        return r.lines.every((l) => (l.amountMinor < 0n ? -l.amountMinor <= a : l.amountMinor <= b));
      }),
      { numRuns: 200 },
    );
  });
});
