import { BillingDecimal, Decimal, toDecimal, type DecimalValue } from "./decimal";

/**
 * Money is an integer count of the currency's minor unit (cents, pence, yen)
 * plus the currency code. Never a float: 0.1 + 0.2 !== 0.3 is not a rounding
 * rule a finance team can sign off.
 */
export type Money = { amountMinor: bigint; currency: string };

export type CurrencyInfo = {
  code: string;
  /** Digits after the decimal point of the minor unit (ISO 4217 "exponent"). */
  minorUnit: number;
};

// Extensible on purpose: add a row (or call registerCurrency) for a new market.
// The minor unit is ours, not Intl's, so formatting and rounding always agree.
const CURRENCIES = new Map<string, CurrencyInfo>([
  ["USD", { code: "USD", minorUnit: 2 }],
  ["EUR", { code: "EUR", minorUnit: 2 }],
  ["GBP", { code: "GBP", minorUnit: 2 }],
  ["JPY", { code: "JPY", minorUnit: 0 }],
]);

export function registerCurrency(info: CurrencyInfo): void {
  if (!/^[A-Z]{3}$/.test(info.code)) throw new RangeError(`Invalid currency code: ${info.code}`);
  if (!Number.isInteger(info.minorUnit) || info.minorUnit < 0 || info.minorUnit > 4) {
    throw new RangeError(`Invalid minor unit for ${info.code}: ${info.minorUnit}`);
  }
  CURRENCIES.set(info.code, { ...info });
}

export function isSupportedCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}

export function currencyInfo(code: string): CurrencyInfo {
  const info = CURRENCIES.get(code);
  if (!info) throw new RangeError(`Unsupported currency: ${code}`);
  return info;
}

export function money(amountMinor: bigint | number, currency: string): Money {
  currencyInfo(currency);
  if (typeof amountMinor === "number" && !Number.isSafeInteger(amountMinor)) {
    throw new RangeError(`Minor amount must be a safe integer, got ${amountMinor}`);
  }
  return { amountMinor: BigInt(amountMinor), currency };
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) {
    throw new RangeError(`Currency mismatch: ${a.currency} vs ${b.currency}`);
  }
}

export function add(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return { amountMinor: a.amountMinor + b.amountMinor, currency: a.currency };
}

export function subtract(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return { amountMinor: a.amountMinor - b.amountMinor, currency: a.currency };
}

export function negate(a: Money): Money {
  return { amountMinor: -a.amountMinor, currency: a.currency };
}

export function isZero(a: Money): boolean {
  return a.amountMinor === BigInt(0);
}

export function compare(a: Money, b: Money): -1 | 0 | 1 {
  sameCurrency(a, b);
  return a.amountMinor < b.amountMinor ? -1 : a.amountMinor > b.amountMinor ? 1 : 0;
}

/** Sum of a list; the currency is required so that an empty list has one. */
export function sumMoney(items: readonly Money[], currency: string): Money {
  let total = money(0, currency);
  for (const item of items) total = add(total, item);
  return total;
}

/** "1234.50", "-0.05", "1200" (JPY). Exact: built from the bigint digits. */
export function toMajorString(m: Money): string {
  const digits = currencyInfo(m.currency).minorUnit;
  const negative = m.amountMinor < BigInt(0);
  const abs = (negative ? -m.amountMinor : m.amountMinor).toString().padStart(digits + 1, "0");
  const body = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  return negative ? `-${body}` : body;
}

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * "$1,234.50", "-€80.00", "¥1,200". Intl.NumberFormat formats decimal strings
 * exactly (Node ≥ 20, all evergreen browsers), so the value never passes
 * through a float. Locale defaults to en-US so server and client render alike.
 */
export function formatMoney(m: Money, locale = "en-US"): string {
  const digits = currencyInfo(m.currency).minorUnit;
  // A formatter is costly to build and the same few (locale, currency) pairs come back all the time.
  const key = `${locale}|${m.currency}|${digits}`;
  let nf = formatters.get(key);
  if (nf === undefined) {
    nf = new Intl.NumberFormat(locale, {
      style: "currency",
      currency: m.currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    if (formatters.size >= 100) formatters.clear();
    formatters.set(key, nf);
  }
  // TS only types format(string) with lib es2023.intl; the runtime has it.
  return (nf.format as unknown as (value: string) => string)(toMajorString(m));
}

export function minorToDecimal(amountMinor: bigint, currency: string): Decimal {
  const digits = currencyInfo(currency).minorUnit;
  return new BillingDecimal(amountMinor.toString()).div(new BillingDecimal(10).pow(digits));
}

/** 10^digits for the minor units registerCurrency allows (0–4). */
const MINOR_SCALE: readonly Decimal[] = [0, 1, 2, 3, 4].map((d) => new BillingDecimal(10).pow(d));

/**
 * THE rounding function: the only place a decimal amount (major units, e.g.
 * 12.345 USD) becomes an integer of minor units. It is called once per invoice
 * line, on the line's exact total, never on unit prices or partial sums.
 *
 * Rule: round half to even ("banker's rounding", IEEE 754 default,
 * decimal.js ROUND_HALF_EVEN). 0.125 → 0.12, 0.135 → 0.14, -0.125 → -0.12.
 * Half-up would bias every tie upwards, which over thousands of lines
 * systematically overcharges; half-even is unbiased and symmetric for
 * negatives, so a credit and the charge it reverses round to the same size.
 */
export function roundToMinorHalfEven(value: DecimalValue, currency: string): bigint {
  const digits = currencyInfo(currency).minorUnit;
  const scaled = toDecimal(value, "amount").times(MINOR_SCALE[digits] ?? new BillingDecimal(10).pow(digits));
  // toFixed rounds exactly as toDecimalPlaces does (a "-0" it may print is 0n all the same).
  return BigInt(scaled.toFixed(0, Decimal.ROUND_HALF_EVEN));
}

export type ParseMoneyError =
  | "empty"
  | "whitespace"
  | "sign"
  | "negative"
  | "exponent"
  | "not_a_number"
  | "too_many_fraction_digits"
  | "too_many_integer_digits"
  | "unsupported_currency";

export type ParseMoneyResult =
  | { ok: true; amountMinor: bigint }
  | { ok: false; reason: ParseMoneyError; message: string };

/** Field-level messages for forms; keyed by reason so nobody parses strings. */
export const PARSE_MONEY_MESSAGES: Record<ParseMoneyError, string> = {
  empty: "Enter an amount.",
  whitespace: "Remove the spaces from the amount.",
  sign: "Enter the amount without a + sign.",
  negative: "Enter a positive amount.",
  exponent: "Enter the amount as plain digits (no exponent).",
  not_a_number: "Enter a number, like 250 or 250.00.",
  too_many_fraction_digits: "Too many decimal places for this currency.",
  too_many_integer_digits: "That amount is too large.",
  unsupported_currency: "This currency is not supported.",
};

/** 15 integer digits: trillions, far beyond any credit, still exact everywhere. */
export const MAX_INTEGER_DIGITS = 15;

/**
 * Strict parser for a user-entered amount in major units ("250", "250.5",
 * "0.05"). Strict because a typo in a credit form must not become money:
 * no spaces, no thousands separators, no sign, no exponent, no more decimals
 * than the currency has ("12.345" USD and "1200.5" JPY are errors, and so is
 * "12.340" — we do not guess which digit was the typo). "0" parses to 0;
 * whether zero is allowed is the caller's rule.
 */
export function parseMoneyInput(input: string, currency: string): ParseMoneyResult {
  const fail = (reason: ParseMoneyError): ParseMoneyResult => ({
    ok: false,
    reason,
    message: PARSE_MONEY_MESSAGES[reason],
  });
  if (!isSupportedCurrency(currency)) return fail("unsupported_currency");
  if (input.length === 0) return fail("empty");
  if (/\s/.test(input)) return fail(input.trim().length === 0 ? "empty" : "whitespace");
  if (input.startsWith("+")) return fail("sign");
  if (input.startsWith("-")) return fail("negative");
  if (/^\d*\.?\d*[eE]/.test(input)) return fail("exponent");
  const match = /^(\d+)(?:\.(\d+))?$/.exec(input);
  if (!match) return fail("not_a_number");
  const intPart = match[1] ?? "";
  const fracPart = match[2] ?? "";
  const digits = currencyInfo(currency).minorUnit;
  if (fracPart.length > digits) return fail("too_many_fraction_digits");
  if (intPart.replace(/^0+(?=\d)/, "").length > MAX_INTEGER_DIGITS) {
    return fail("too_many_integer_digits");
  }
  return { ok: true, amountMinor: BigInt(intPart + fracPart.padEnd(digits, "0")) };
}
