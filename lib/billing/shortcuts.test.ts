// The shortcuts the pricing code takes for speed (a BillingDecimal passed through as is, plans
// validated once, tiers parsed once, a meter with no usage, a plan in force the whole period,
// nothing consumed before, rounding in one step, no credit grants) give exactly what the general
// arithmetic gives.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { applyCredits } from "./credits";
import { BillingDecimal, Decimal, toDecimal, toNonNegativeDecimal } from "./decimal";
import { previewInvoice } from "./invoice-preview";
import { roundToMinorHalfEven } from "./money";
import { priceMeterUsage, priceUsage, type Plan, type PlanMeter } from "./pricing";
import { prorateAmount } from "./proration";
import { decimalString, price as anyPrice, quantity } from "./test-arbitraries";

const D = (v: string) => new BillingDecimal(v);
const runs = { numRuns: 200 };
const nov = { start: new Date("2024-11-01T00:00:00Z"), end: new Date("2024-12-01T00:00:00Z") };

describe("decimal conversions", () => {
  it("a BillingDecimal comes back as is; other values are converted as before", () => {
    const x = D("12.5");
    expect(toDecimal(x)).toBe(x);
    expect(toNonNegativeDecimal(x)).toBe(x);
    expect(toDecimal(new Decimal("3.25")).toString()).toBe("3.25");
    expect(toDecimal(new Decimal("3.25")).constructor).toBe(BillingDecimal);
    expect(toNonNegativeDecimal(D("-0")).toString()).toBe("0");
    expect(() => toDecimal(D("NaN"))).toThrow(RangeError);
    expect(() => toDecimal(D("Infinity"))).toThrow(RangeError);
    expect(() => toNonNegativeDecimal(D("-1"))).toThrow(RangeError);
  });
});

describe("pricing shortcuts", () => {
  it("a meter with no usage gets no breakdown and nothing to pay, whatever came before", () => {
    fc.assert(
      fc.property(anyPrice, decimalString(10n ** 6n, 2), quantity, (price, included, before) => {
        const meter: PlanMeter = { meterKey: "m", displayName: "M", unit: "u", includedQuantity: included, price };
        const r = priceMeterUsage(meter, D("0"), { consumedBefore: D(before) });
        return r.breakdown.length === 0 && r.amount.isZero() && !r.amount.isNegative();
      }),
      runs,
    );
  });

  it("with nothing consumed before, the allowance and tiers are the general formula's", () => {
    fc.assert(
      fc.property(anyPrice, decimalString(10n ** 6n, 2), quantity, (price, included, q) => {
        const meter: PlanMeter = { meterKey: "m", displayName: "M", unit: "u", includedQuantity: included, price };
        const got = priceMeterUsage(meter, D(q));
        // The general formula, written out: free = min(0 + q, A) − min(0, A); billable after max(0 − A, 0).
        const a = D(included);
        const free = BillingDecimal.min(D("0").plus(q), a).minus(BillingDecimal.min(D("0"), a));
        const priced = priceUsage(price, D(q).minus(free), { tierOffset: BillingDecimal.max(D("0").minus(a), D("0")) });
        const expected = free.isZero() ? priced.breakdown : [{ label: `Included (${a} u)`, quantity: free, unitPrice: D("0"), amount: free.times(0) }, ...priced.breakdown];
        const str = (l: { label: string; quantity: Decimal; unitPrice: Decimal; amount: Decimal }) => [l.label, l.quantity.toString(), l.unitPrice.toString(), l.amount.toString()];
        expect(got.breakdown.map(str)).toEqual(expected.map(str));
        return got.amount.eq(priced.amount) && got.amount.toString() === priced.amount.toString();
      }),
      runs,
    );
  });

  it("an amount is the breakdown's sum, to the printed digit", () => {
    fc.assert(
      fc.property(anyPrice, quantity, quantity, (price, q, off) => {
        const r = priceUsage(price, D(q), { tierOffset: D(off) });
        return r.amount.toString() === r.breakdown.reduce((s, l) => s.plus(l.amount), D("0")).toString();
      }),
      runs,
    );
  });

  it("rounding to minor units in one step equals rounding to an integer, then printing it", () => {
    const signed = fc.tuple(fc.boolean(), decimalString(10n ** 9n, 6)).map(([neg, v]) => (neg ? `-${v}` : v));
    fc.assert(
      fc.property(signed, fc.constantFrom("USD", "JPY"), (v, currency) => {
        const scaled = D(v).times(new BillingDecimal(10).pow(currency === "JPY" ? 0 : 2));
        return roundToMinorHalfEven(v, currency) === BigInt(scaled.toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toFixed(0));
      }),
      { numRuns: 500 },
    );
    expect(roundToMinorHalfEven("0.125", "USD")).toBe(12n);
    expect(roundToMinorHalfEven("-0.125", "USD")).toBe(-12n);
    expect(roundToMinorHalfEven("-0.004", "USD")).toBe(0n);
  });

  it("no credit grants: nothing applied, the same result shape", () => {
    expect(applyCredits(1234n, [], nov.end, { currency: "USD" })).toEqual({
      currency: "USD", appliedMinor: 0n, totalAfterMinor: 1234n, applications: [], balances: [], skipped: [],
    });
    expect(applyCredits(-5n, [], nov.end)).toEqual({ currency: null, appliedMinor: 0n, totalAfterMinor: -5n, applications: [], balances: [], skipped: [] });
  });
});

describe("preview shortcuts", () => {
  const meterArb = fc.record({ price: anyPrice, included: decimalString(10n ** 5n, 2) });
  const planArb = fc.record({
    baseFee: decimalString(10n ** 4n, 2),
    minimum: fc.option(decimalString(10n ** 5n, 2), { nil: undefined }),
    meters: fc.array(meterArb, { minLength: 1, maxLength: 4 }),
  });

  it("a plan in force the whole period: full base fee, full allowance and minimum, as the prorating functions give them", () => {
    fc.assert(
      fc.property(planArb, fc.array(fc.option(quantity, { nil: undefined }), { minLength: 4, maxLength: 4 }), (p, usage) => {
        const meters: PlanMeter[] = p.meters.map((m, i) => ({ meterKey: `m${i}`, displayName: `M${i}`, unit: "u", includedQuantity: m.included, price: m.price }));
        const plan: Plan = { id: "p", name: "P", currency: "USD", baseFee: p.baseFee, meters, ...(p.minimum ? { minimumCommitment: p.minimum } : {}) };
        const usageByMeter: Record<string, string> = {};
        meters.forEach((m, i) => {
          if (usage[i] !== undefined) usageByMeter[m.meterKey] = usage[i]!;
        });
        const preview = previewInvoice({ customerCurrency: "USD", period: nov, segments: [{ plan, from: nov.start, to: nov.end, usageByMeter }], credits: [], at: nov.end });
        const base = roundToMinorHalfEven(prorateAmount(plan.baseFee, nov, nov.start, nov.end), "USD");
        expect(preview.lines.find((l) => l.kind === "base")?.amountMinor ?? 0n).toBe(base);
        for (const m of meters) {
          const line = preview.lines.find((l) => l.kind === "usage" && l.meterKey === m.meterKey)!;
          const priced = priceMeterUsage(m, D(usageByMeter[m.meterKey] ?? "0"), { includedQuantity: prorateAmount(m.includedQuantity, nov, nov.start, nov.end) });
          expect(line.amountMinor).toBe(roundToMinorHalfEven(priced.amount, "USD"));
          expect(line.breakdown).toEqual(priced.breakdown.map((b) => ({ label: b.label, quantity: b.quantity.toString(), unitPrice: b.unitPrice.toString(), amount: b.amount.toString() })));
          expect(line.quantity).toBe(D(usageByMeter[m.meterKey] ?? "0").toString());
        }
        if (plan.minimumCommitment) {
          const minimum = roundToMinorHalfEven(prorateAmount(plan.minimumCommitment, nov, nov.start, nov.end), "USD");
          const charges = preview.lines.filter((l) => l.kind !== "minimum").reduce((s, l) => s + l.amountMinor, 0n);
          expect(preview.subtotalMinor).toBe(charges < minimum ? minimum : charges);
        }
      }),
      runs,
    );
  });

  it("a plan is validated on every preview until it passes (an invalid plan still fails every time)", () => {
    const bad: Plan = { id: "bad", name: "Bad", currency: "USD", baseFee: "1e3", meters: [] };
    const input = { customerCurrency: "USD", period: nov, segments: [{ plan: bad, from: nov.start, to: nov.end, usageByMeter: {} }], credits: [], at: nov.end };
    expect(() => previewInvoice(input)).toThrow(RangeError);
    expect(() => previewInvoice(input)).toThrow(RangeError);
  });

  it("parsed tiers are reused, and tiers that fail to parse fail on every call", () => {
    const tiers = [{ upTo: "10", unitPrice: "1" }, { upTo: null, unitPrice: "0.5" }];
    const price = { model: "graduated" as const, tiers };
    expect(priceUsage(price, D("15")).amount.toString()).toBe("12.5");
    expect(priceUsage(price, D("15")).amount.toString()).toBe("12.5");
    const broken = { model: "volume" as const, tiers: [{ upTo: null, unitPrice: "1" }, { upTo: null, unitPrice: "2" }] };
    expect(() => priceUsage(broken, D("1"))).toThrow(RangeError);
    expect(() => priceUsage(broken, D("1"))).toThrow(RangeError);
  });
});
