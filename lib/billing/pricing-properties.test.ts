import { describe, it } from "vitest";
import fc from "fast-check";
import { BillingDecimal } from "./decimal";
import { priceMeterUsage, priceUsage, type PlanMeter, type Price } from "./pricing";
import { decimalString, price as anyPrice, quantity, tiers, unitPrice } from "./test-arbitraries";

const D = (v: string) => new BillingDecimal(v);

describe("pricing properties", () => {
  const runs = { numRuns: 200 };
  it("amount is the sum of the breakdown", () => {
    fc.assert(
      fc.property(anyPrice, quantity, quantity, (p, q, off) => {
        const r = priceUsage(p, D(q), { tierOffset: D(off) });
        return r.breakdown.reduce((s, l) => s.plus(l.amount), D("0")).eq(r.amount);
      }),
      runs,
    );
  });

  it("pricing a period in pieces with tierOffset carried equals pricing it whole (every model)", () => {
    fc.assert(
      fc.property(anyPrice, fc.array(quantity, { minLength: 1, maxLength: 5 }), (p, pieces) => {
        let offset = D("0");
        let sum = D("0");
        for (const q of pieces) {
          sum = sum.plus(priceUsage(p, D(q), { tierOffset: offset }).amount);
          offset = offset.plus(q);
        }
        return sum.eq(priceUsage(p, offset).amount);
      }),
      runs,
    );
  });

  it("a split of metered usage (allowance + tiers) equals the whole", () => {
    fc.assert(
      fc.property(anyPrice, decimalString(10n ** 6n, 2), quantity, quantity, (p, included, a, b) => {
        const meter: PlanMeter = { meterKey: "m", displayName: "M", unit: "u", includedQuantity: included, price: p };
        const whole = priceMeterUsage(meter, D(a).plus(b)).amount;
        const split = priceMeterUsage(meter, D(a)).amount.plus(priceMeterUsage(meter, D(b), { consumedBefore: D(a) }).amount);
        return whole.eq(split);
      }),
      runs,
    );
  });

  it("per-unit, graduated and package prices never fall as usage grows", () => {
    const monotoneModels = anyPrice.filter((p) => p.model !== "volume");
    fc.assert(
      fc.property(monotoneModels, quantity, quantity, (p, a, b) => {
        const [lo, hi] = D(a).lte(b) ? [a, b] : [b, a];
        return priceUsage(p, D(lo)).amount.lte(priceUsage(p, D(hi)).amount);
      }),
      runs,
    );
  });

  it("volume pricing never falls as usage grows when tier prices and flat fees do not fall", () => {
    const nonDecreasing = tiers(unitPrice).map((ts) => {
      // Make unit prices and flat fees non-decreasing along the tiers (running maximum).
      let price = D("0");
      let fee = D("0");
      return ts.map((t) => {
        price = BillingDecimal.max(price, t.unitPrice);
        fee = BillingDecimal.max(fee, t.flatFee ?? "0");
        return { ...t, unitPrice: price.toString(), flatFee: fee.toString() };
      });
    });
    fc.assert(
      fc.property(nonDecreasing, quantity, quantity, (ts, a, b) => {
        const p: Price = { model: "volume", tiers: ts };
        const [lo, hi] = D(a).lte(b) ? [a, b] : [b, a];
        return priceUsage(p, D(lo)).amount.lte(priceUsage(p, D(hi)).amount);
      }),
      runs,
    );
  });
});
