import { describe, expect, it } from "vitest";
import { BillingDecimal } from "./decimal";
import { roundToMinorHalfEven } from "./money";
import { priceMeterUsage, priceUsage, validatePlan, validatePrice, type Plan, type PlanMeter, type Price } from "./pricing";

const D = (v: string) => new BillingDecimal(v);
/** Price then round once, as an invoice line does: minor units of USD. */
const usd = (p: Price, q: string, tierOffset = "0") => roundToMinorHalfEven(priceUsage(p, D(q), { tierOffset: D(tierOffset) }).amount, "USD");
const exact = (p: Price, q: string, tierOffset = "0") => priceUsage(p, D(q), { tierOffset: D(tierOffset) }).amount.toString();

describe("per_unit", () => {
  const p: Price = { model: "per_unit", unitPrice: "0.0001" };
  it.each([
    ["0", "0", 0n],
    ["1", "0.0001", 0n],
    ["0.0001", "0.00000001", 0n],
    ["50", "0.005", 0n], // half a cent → even (0)
    ["150", "0.015", 2n], // 1.5 cents → even (2)
    ["1000000000000", "100000000", 10000000000n], // 10^12 units, exact
  ])("%s units → %s (%s minor)", (q, amount, minor) => {
    expect(exact(p, q)).toBe(amount);
    expect(usd(p, q)).toBe(minor);
  });
  it("rounds halves to even: 0.125 → 0.12, 0.135 → 0.14", () => {
    expect(usd({ model: "per_unit", unitPrice: "0.025" }, "5")).toBe(12n);
    expect(usd({ model: "per_unit", unitPrice: "0.027" }, "5")).toBe(14n);
  });
  it("zero-decimal JPY: ¥0.5 per request, 3 requests = ¥1.5 → ¥2; 5 → ¥2.5 → ¥2", () => {
    const jpy: Price = { model: "per_unit", unitPrice: "0.5" };
    expect(roundToMinorHalfEven(priceUsage(jpy, D("3")).amount, "JPY")).toBe(2n);
    expect(roundToMinorHalfEven(priceUsage(jpy, D("5")).amount, "JPY")).toBe(2n);
    expect(roundToMinorHalfEven(priceUsage(jpy, D("7")).amount, "JPY")).toBe(4n);
  });
  it("has no breakdown for zero usage", () => {
    expect(priceUsage(p, D("0")).breakdown).toEqual([]);
  });
});

describe("graduated", () => {
  const p: Price = {
    model: "graduated",
    tiers: [
      { upTo: "1000", unitPrice: "0" },
      { upTo: "10000", unitPrice: "0.01" },
      { upTo: null, unitPrice: "0.005" },
    ],
  };
  it.each([
    ["0", "0", 0n],
    ["1000", "0", 0n], // upper bound inclusive: the 1000th unit is still free
    ["1000.0001", "0.000001", 0n],
    ["1001", "0.01", 1n],
    ["10000", "90", 9000n],
    ["10001", "90.005", 9000n], // 9000.5 cents → even
    ["10003", "90.015", 9002n], // 9001.5 cents → even
    ["1000000000000", "5000000040", 500000004000n], // 90 + (10^12 − 10^4) × 0.005
  ])("%s units → %s", (q, amount, minor) => {
    expect(exact(p, q)).toBe(amount);
    expect(usd(p, q)).toBe(minor);
  });

  it("breaks down per tier", () => {
    const b = priceUsage(p, D("12000")).breakdown.map((l) => [l.label, l.quantity.toString(), l.amount.toString()]);
    expect(b).toEqual([
      ["Tier 1 (0 – 1000)", "1000", "0"],
      ["Tier 2 (1000 – 10000)", "9000", "90"],
      ["Tier 3 (over 10000)", "2000", "10"],
    ]);
  });

  const withFees: Price = {
    model: "graduated",
    tiers: [
      { upTo: "100", unitPrice: "1", flatFee: "10" },
      { upTo: null, unitPrice: "0.5", flatFee: "5" },
    ],
  };
  it.each([
    ["0", "0"], // no usage, no flat fee
    ["1", "11"],
    ["100", "110"],
    ["100.5", "115.25"],
    ["200", "165"],
  ])("flat fees: %s units → %s", (q, amount) => {
    expect(exact(withFees, q)).toBe(amount);
  });

  it("carries tiers across a split with tierOffset (hand example)", () => {
    expect(exact(p, "1000", "500")).toBe("5"); // units 501–1500: 500 free, 500 at 0.01
    expect(exact(withFees, "100", "50")).toBe("80"); // 50 × 1 + tier 2 flat 5 + 50 × 0.5
    expect(D(exact(withFees, "50")).plus(exact(withFees, "100", "50")).toString()).toBe(exact(withFees, "150"));
  });
});

describe("volume", () => {
  const p: Price = {
    model: "volume",
    tiers: [
      { upTo: "1000", unitPrice: "0.02" },
      { upTo: "10000", unitPrice: "0.015" },
      { upTo: null, unitPrice: "0.01" },
    ],
  };
  it.each([
    ["0", "0"],
    ["1", "0.02"],
    ["1000", "20"], // inclusive upper bound: still tier 1
    ["1000.0001", "15.0000015"], // every unit now at tier 2
    ["10000", "150"],
    ["10001", "100.01"],
    ["1000000000000", "10000000000"],
    ["0.0001", "0.000002"],
  ])("%s units → %s", (q, amount) => {
    expect(exact(p, q)).toBe(amount);
  });

  it("has a cliff when tier prices fall: more usage can cost less (documented, not a bug)", () => {
    expect(D(exact(p, "1001")).lt(exact(p, "1000"))).toBe(true);
    const split = priceUsage(p, D("200"), { tierOffset: D("900") });
    expect(split.amount.toString()).toBe("-1.5"); // 1100 × 0.015 − 900 × 0.02
    expect(split.breakdown.some((l) => l.label.startsWith("Less already billed"))).toBe(true);
  });

  it("adds the reached tier's flat fee once", () => {
    const f: Price = { model: "volume", tiers: [{ upTo: "10", unitPrice: "0", flatFee: "49" }, { upTo: null, unitPrice: "3", flatFee: "49" }] };
    expect(exact(f, "0")).toBe("0");
    expect(exact(f, "10")).toBe("49");
    expect(exact(f, "11")).toBe("82");
  });
});

describe("package", () => {
  const p: Price = { model: "package", packageSize: "100", packagePrice: "5" };
  it.each([
    ["0", "0"],
    ["0.0001", "5"], // a started package is a whole package
    ["1", "5"],
    ["100", "5"],
    ["100.0001", "10"],
    ["250", "15"],
    ["1000000000000", "50000000000"],
  ])("%s units → %s", (q, amount) => {
    expect(exact(p, q)).toBe(amount);
  });
  it("charges a package once across a split", () => {
    expect(exact(p, "50")).toBe("5");
    expect(exact(p, "50", "50")).toBe("0");
    expect(exact(p, "51", "50")).toBe("5");
  });
});

describe("included quantity (allowance)", () => {
  const meter: PlanMeter = {
    meterKey: "requests",
    displayName: "Requests",
    unit: "requests",
    includedQuantity: "1000",
    price: { model: "graduated", tiers: [{ upTo: "500", unitPrice: "0.02" }, { upTo: null, unitPrice: "0.01" }] },
  };
  it("makes the first N units free, before the first tier", () => {
    expect(priceMeterUsage(meter, D("1000")).amount.toString()).toBe("0");
    expect(priceMeterUsage(meter, D("1500")).amount.toString()).toBe("10"); // 500 billable, all in tier 1
    expect(priceMeterUsage(meter, D("2000")).amount.toString()).toBe("15");
    expect(priceMeterUsage(meter, D("1500")).breakdown[0]).toMatchObject({ label: "Included (1000 requests)" });
  });
  it("carries over a split with consumedBefore, and can be overridden (prorated)", () => {
    expect(priceMeterUsage(meter, D("400"), { consumedBefore: D("800") }).amount.toString()).toBe("4");
    expect(priceMeterUsage(meter, D("1000"), { includedQuantity: D("250") }).amount.toString()).toBe("12.5");
  });
});

describe("validation", () => {
  it("rejects bad catalogues loudly", () => {
    expect(() => validatePrice({ model: "per_unit", unitPrice: "-1" })).toThrow(/negative/);
    expect(() => validatePrice({ model: "per_unit", unitPrice: "1e3" })).toThrow(/plain decimal/);
    expect(() => validatePrice({ model: "per_unit", unitPrice: "NaN" })).toThrow();
    expect(() => validatePrice({ model: "graduated", tiers: [] })).toThrow();
    expect(() => validatePrice({ model: "volume", tiers: [{ upTo: "10", unitPrice: "1" }] })).toThrow(/unbounded/);
    expect(() =>
      validatePrice({ model: "graduated", tiers: [{ upTo: "10", unitPrice: "1" }, { upTo: "5", unitPrice: "1" }, { upTo: null, unitPrice: "1" }] }),
    ).toThrow(/exceed/);
    expect(() => validatePrice({ model: "graduated", tiers: [{ upTo: null, unitPrice: "1" }, { upTo: null, unitPrice: "1" }] })).toThrow();
    expect(() => validatePrice({ model: "package", packageSize: "0", packagePrice: "1" })).toThrow(/positive/);
    const plan: Plan = { id: "p", name: "P", currency: "USD", baseFee: "10", meters: [] };
    expect(() => validatePlan({ ...plan, baseFee: "ten" })).toThrow();
    const m: PlanMeter = { meterKey: "a", displayName: "A", unit: "u", includedQuantity: "0", price: { model: "per_unit", unitPrice: "1" } };
    expect(() => validatePlan({ ...plan, meters: [m, m] })).toThrow(/duplicate/);
    expect(() => priceUsage({ model: "per_unit", unitPrice: "1" }, D("-1"))).toThrow(/negative/);
  });
});
