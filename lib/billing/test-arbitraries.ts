// fast-check generators shared by the billing property tests (not part of the public API).
import fc from "fast-check";
import { BillingDecimal } from "./decimal";
import type { Price, Tier } from "./pricing";

/** A non-negative decimal string with up to `scale` fraction digits and at most `max` as integer part. */
export const decimalString = (max: bigint, scale = 4) =>
  fc
    .tuple(fc.bigInt({ min: 0n, max: max * 10n ** BigInt(scale) }), fc.integer({ min: 0, max: scale }))
    .map(([n, s]) => {
      return new BillingDecimal(n.toString()).div(new BillingDecimal(10).pow(s)).toString();
    });

export const unitPrice = decimalString(100n, 6);

/** Sorted, distinct upper bounds; the last tier unbounded. */
export const tiers = (prices: fc.Arbitrary<string> = unitPrice): fc.Arbitrary<Tier[]> =>
  fc
    .uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 0, maxLength: 4 })
    .chain((bounds) => {
      const sorted = [...bounds].sort((a, b) => a - b);
      const n = sorted.length + 1;
      return fc
        .tuple(fc.array(prices, { minLength: n, maxLength: n }), fc.array(fc.option(decimalString(50n, 2), { nil: undefined }), { minLength: n, maxLength: n }))
        .map(([ps, fees]) =>
          ps.map((p, i): Tier => {
            const t: Tier = { upTo: i < sorted.length ? String(sorted[i]) : null, unitPrice: p };
            const fee = fees[i];
            return fee === undefined ? t : { ...t, flatFee: fee };
          }),
        );
    });

export const price: fc.Arbitrary<Price> = fc.oneof(
  unitPrice.map((p): Price => ({ model: "per_unit", unitPrice: p })),
  tiers().map((t): Price => ({ model: "graduated", tiers: t })),
  tiers().map((t): Price => ({ model: "volume", tiers: t })),
  fc
    .tuple(decimalString(1000n, 2).filter((s) => !new BillingDecimal(s).isZero()), decimalString(100n, 2))
    .map(([size, p]): Price => ({ model: "package", packageSize: size, packagePrice: p })),
);

export const quantity = decimalString(10n ** 9n, 4);
