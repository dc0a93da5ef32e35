import { Decimal } from "decimal.js";

/**
 * The Decimal constructor used by every calculation in lib/billing.
 *
 * decimal.js rounds every multiplication and division to `precision`
 * significant digits (default 20). 10^12 units × a 10-decimal unit price
 * already needs more than 20 digits, and a silently rounded intermediate
 * would be a second rounding before the one per invoice line. 80 digits
 * keeps every product exact and every quotient (proration fractions)
 * far below a minor unit, so `roundToMinorHalfEven` stays the only rounding
 * that matters.
 */
export const BillingDecimal = Decimal.clone({
  precision: 80,
  rounding: Decimal.ROUND_HALF_EVEN,
  // Exponent notation in toString() would leak "1e+21" into UI strings.
  toExpNeg: -100,
  toExpPos: 100,
});

export type DecimalValue = Decimal | string | bigint;

export const ZERO: Decimal = new BillingDecimal(0);

/** A finite, non-exponent decimal string: "12", "-0.5", "1000.0001". */
const DECIMAL_RE = /^-?\d+(\.\d+)?$/;

/**
 * Turns a stored decimal string (plan prices, usage quantities) or a Decimal
 * from elsewhere into a BillingDecimal. Rejects floats on purpose: a JS number
 * has already lost the value we want to bill. Rejects NaN/Infinity/"1e5" so
 * that catalogue typos fail loudly instead of pricing at Infinity.
 */
export function toDecimal(value: DecimalValue, what = "value"): Decimal {
  // Already one of ours: Decimals are immutable, so the value itself is the copy.
  if (isBillingDecimal(value)) {
    if (!(value as Decimal).isFinite()) throw new RangeError(`${what} is not a finite Decimal`);
    return value as Decimal;
  }
  if (typeof value === "bigint") return new BillingDecimal(value.toString());
  if (typeof value === "string") {
    if (!DECIMAL_RE.test(value)) {
      throw new RangeError(`${what} is not a plain decimal string: ${JSON.stringify(value)}`);
    }
    return new BillingDecimal(value);
  }
  if (!Decimal.isDecimal(value) || !value.isFinite()) {
    throw new RangeError(`${what} is not a finite Decimal`);
  }
  return new BillingDecimal(value);
}

/** As `toDecimal`, and the value must be ≥ 0 (prices, quantities, allowances). */
export function toNonNegativeDecimal(value: DecimalValue, what = "value"): Decimal {
  const d = toDecimal(value, what);
  if (d.isNegative() && !d.isZero()) throw new RangeError(`${what} must not be negative: ${d.toString()}`);
  // Normalise -0 so that toString() never prints "-0".
  return d.isZero() ? ZERO : d;
}

const catalogValues = new Map<string, Decimal>();

/**
 * As `toNonNegativeDecimal`, for catalogue values (prices, tier bounds, allowances, fees): the
 * same few strings come back for every customer on a plan, so each is parsed once. Keyed by the
 * text itself, so nothing can go stale; bounded, so odd inputs cannot grow it for ever.
 */
export function catalogDecimal(value: DecimalValue, what = "value"): Decimal {
  if (typeof value !== "string") return toNonNegativeDecimal(value, what);
  let d = catalogValues.get(value);
  if (d === undefined) {
    d = toNonNegativeDecimal(value, what);
    if (catalogValues.size >= 10_000) catalogValues.clear();
    catalogValues.set(value, d);
  }
  return d;
}

/**
 * Made by BillingDecimal (directly or as the result of arithmetic on one). decimal.js sets
 * `constructor` on every instance, and all clones share one prototype, so `instanceof` cannot
 * tell a BillingDecimal from a Decimal with another precision.
 */
function isBillingDecimal(value: DecimalValue): boolean {
  return typeof value === "object" && value !== null && (value as { constructor?: unknown }).constructor === BillingDecimal;
}

export { Decimal };

/** A numeric column's text without trailing fraction zeros: "10.500000" → "10.5", "3.000" → "3". */
export function trimDecimalText(value: string): string {
  return value.includes(".") ? value.replace(/0+$/, "").replace(/\.$/, "") : value;
}
