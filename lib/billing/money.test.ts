import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BillingDecimal } from "./decimal";
import {
  add,
  compare,
  formatMoney,
  isZero,
  minorToDecimal,
  money,
  negate,
  parseMoneyInput,
  registerCurrency,
  roundToMinorHalfEven,
  subtract,
  sumMoney,
  toMajorString,
} from "./money";

describe("roundToMinorHalfEven (the one rounding rule)", () => {
  it.each([
    ["0.125", "USD", 12n], // tie → even (2)
    ["0.135", "USD", 14n], // tie → even (4)
    ["0.145", "USD", 14n],
    ["0.1250000001", "USD", 13n], // not a tie: above half
    ["0.1249999999", "USD", 12n],
    ["-0.125", "USD", -12n], // symmetric for credits
    ["-0.135", "USD", -14n],
    ["0.005", "USD", 0n],
    ["0.015", "USD", 2n],
    ["1234.5", "EUR", 123450n],
    ["0", "GBP", 0n],
    ["0.5", "JPY", 0n],
    ["1.5", "JPY", 2n],
    ["2.5", "JPY", 2n],
    ["1199.5", "JPY", 1200n],
    ["100000000000000000000.125", "USD", 10000000000000000000012n], // beyond float and 20-digit precision
  ])("%s %s → %s minor", (value, cur, expected) => {
    expect(roundToMinorHalfEven(value, cur)).toBe(expected);
  });

  it("accepts Decimals from the default decimal.js constructor and rejects floats-as-strings with exponents", () => {
    expect(roundToMinorHalfEven(new BillingDecimal("2.675"), "USD")).toBe(268n); // 2.675 as a float is 2.67499…
    expect(() => roundToMinorHalfEven("1e3", "USD")).toThrow();
    expect(() => roundToMinorHalfEven("NaN", "USD")).toThrow();
  });

  it("never moves more than half a minor unit", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.integer({ min: 0, max: 6 }), (n, scale) => {
        const d = new BillingDecimal(n.toString()).div(new BillingDecimal(10).pow(scale));
        const r = roundToMinorHalfEven(d, "USD");
        const err = new BillingDecimal(r.toString()).minus(d.times(100)).abs();
        return err.lte("0.5");
      }),
      { numRuns: 200 },
    );
  });
});

describe("Money arithmetic", () => {
  const usd = (n: bigint) => money(n, "USD");
  it("adds, subtracts, negates, compares", () => {
    expect(add(usd(150n), usd(25n))).toEqual(usd(175n));
    expect(subtract(usd(150n), usd(200n))).toEqual(usd(-50n));
    expect(negate(usd(5n))).toEqual(usd(-5n));
    expect(isZero(usd(0n))).toBe(true);
    expect(compare(usd(1n), usd(2n))).toBe(-1);
    expect(compare(usd(2n), usd(2n))).toBe(0);
    expect(compare(usd(3n), usd(2n))).toBe(1);
  });
  it("refuses to mix currencies", () => {
    expect(() => add(usd(1n), money(1n, "EUR"))).toThrow(/Currency mismatch/);
    expect(() => sumMoney([usd(1n), money(1n, "EUR")], "USD")).toThrow(/Currency mismatch/);
  });
  it("sums a list, empty included", () => {
    expect(sumMoney([], "JPY")).toEqual(money(0n, "JPY"));
    expect(sumMoney([usd(1n), usd(2n), usd(-4n)], "USD")).toEqual(usd(-1n));
  });
  it("rejects unknown currencies and unsafe numbers", () => {
    expect(() => money(1n, "XXX")).toThrow(/Unsupported currency/);
    expect(() => money(0.5, "USD")).toThrow();
    expect(() => money(2 ** 60, "USD")).toThrow();
  });
  it("can be extended with a currency", () => {
    registerCurrency({ code: "KWD", minorUnit: 3 });
    expect(toMajorString(money(1234n, "KWD"))).toBe("1.234");
    expect(roundToMinorHalfEven("0.0005", "KWD")).toBe(0n);
  });
});

describe("toMajorString / formatMoney / minorToDecimal", () => {
  it.each([
    [123450n, "USD", "1234.50", "$1,234.50"],
    [-8000n, "EUR", "-80.00", "-€80.00"],
    [5n, "GBP", "0.05", "£0.05"],
    [-5n, "USD", "-0.05", "-$0.05"],
    [0n, "USD", "0.00", "$0.00"],
    [1200n, "JPY", "1200", "¥1,200"],
    [-1n, "JPY", "-1", "-¥1"],
    [123456789012345678901234n, "USD", "1234567890123456789012.34", "$1,234,567,890,123,456,789,012.34"],
  ])("%s %s", (minor, cur, major, formatted) => {
    expect(toMajorString(money(minor, cur))).toBe(major);
    expect(formatMoney(money(minor, cur))).toBe(formatted);
    expect(minorToDecimal(minor, cur).toString()).toBe(new BillingDecimal(major).toString());
  });
  it("formats for another locale", () => {
    expect(formatMoney(money(123450n, "EUR"), "de-DE")).toBe("1.234,50\u00a0€");
  });
});

describe("parseMoneyInput", () => {
  it.each([
    ["0", "USD", 0n],
    ["250", "USD", 25000n],
    ["250.5", "USD", 25050n],
    ["0.05", "USD", 5n],
    ["007.10", "EUR", 710n],
    ["1200", "JPY", 1200n],
    ["999999999999999.99", "USD", 99999999999999999n], // 15 integer digits: the maximum
  ])("%s %s → %s", (input, cur, expected) => {
    expect(parseMoneyInput(input, cur)).toEqual({ ok: true, amountMinor: expected });
  });

  it.each([
    ["", "USD", "empty"],
    ["   ", "USD", "empty"],
    [" 5", "USD", "whitespace"],
    ["5 ", "USD", "whitespace"],
    ["1 000", "USD", "whitespace"],
    ["+5", "USD", "sign"],
    ["-5", "USD", "negative"],
    ["1e309", "USD", "exponent"],
    ["1E3", "USD", "exponent"],
    ["1.5e2", "USD", "exponent"],
    ["NaN", "USD", "not_a_number"],
    ["Infinity", "USD", "not_a_number"],
    ["abc", "USD", "not_a_number"],
    ["1,000", "USD", "not_a_number"],
    [".5", "USD", "not_a_number"],
    ["5.", "USD", "not_a_number"],
    ["0x10", "USD", "not_a_number"],
    ["１２", "USD", "not_a_number"], // full-width digits
    ["12.345", "USD", "too_many_fraction_digits"],
    ["12.340", "USD", "too_many_fraction_digits"],
    ["1200.5", "JPY", "too_many_fraction_digits"],
    ["1000000000000000", "USD", "too_many_integer_digits"], // 16 digits
    ["123456789012345678901234567890", "USD", "too_many_integer_digits"],
    ["5", "XXX", "unsupported_currency"],
  ])("%j %s → %s", (input, cur, reason) => {
    const r = parseMoneyInput(input, cur);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.message.length).toBeGreaterThan(0);
    }
  });

  it("round-trips every amount it formats", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n - 1n }), fc.constantFrom("USD", "EUR", "JPY"), (minor, cur) => {
        const r = parseMoneyInput(toMajorString(money(minor, cur)), cur);
        return r.ok && r.amountMinor === minor;
      }),
      { numRuns: 200 },
    );
  });
});
