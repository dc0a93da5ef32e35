import { formatMoney } from "@/lib/billing/money";

/**
 * Money, right-aligned by its container, in tabular figures, with its currency. Amounts arrive
 * as strings of minor units (BigInt does not cross to the client). Negative amounts carry a
 * minus sign as well as a colour, so colour is never the only signal.
 */
export function Money({ minor, currency, className = "" }: { minor: string | bigint; currency: string; className?: string }) {
  const amount = typeof minor === "bigint" ? minor : BigInt(minor);
  const negative = amount < 0n;
  return (
    <span className={`tabular whitespace-nowrap ${negative ? "text-red-700" : ""} ${className}`}>
      {formatMoney({ amountMinor: amount, currency })}
    </span>
  );
}
