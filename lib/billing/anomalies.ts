import { BillingDecimal, toNonNegativeDecimal } from "./decimal";
import { formatMoney, type Money } from "./money";
import type { InvoiceLine } from "./invoice-preview";
import { defineRule } from "./anomaly-rule";

export { defineRule, type AnomalyFinding, type AnomalyRule } from "./anomaly-rule";

const ZERO = BigInt(0);
const dec = (v: bigint) => new BillingDecimal(v.toString());

/**
 * Fires when total > multiplier × last total (strictly) and total ≥ floor; the
 * floor keeps small accounts ($0.10 → $0.90) quiet. With no last invoice there
 * is no baseline and nothing fires; a last total of zero fires once past the floor.
 */
export const totalAboveLastInvoice = defineRule<
  { total: Money; lastTotal: Money | null },
  { multiplier: string; floorMinor: bigint },
  { ratio: string | null }
>({
  code: "total_above_last_invoice",
  title: "Total far above the last invoice",
  explain: (p) =>
    `Total is more than ${p.multiplier}× the last invoice and at least ${p.floorMinor} minor units.`,
  evaluate({ total, lastTotal }, p) {
    if (!lastTotal) return null;
    if (lastTotal.currency !== total.currency) throw new RangeError("currency mismatch");
    const k = toNonNegativeDecimal(p.multiplier, "multiplier");
    if (total.amountMinor < p.floorMinor) return null;
    if (!dec(total.amountMinor).gt(k.times(dec(lastTotal.amountMinor)))) return null;
    const ratio =
      lastTotal.amountMinor > ZERO
        ? dec(total.amountMinor).div(dec(lastTotal.amountMinor)).toDecimalPlaces(2).toString()
        : null;
    const times = ratio ? ` (${ratio}×)` : "";
    return { message: `${formatMoney(total)} vs ${formatMoney(lastTotal)} last invoice${times}.`, details: { ratio } };
  },
});

/** Credits (granted or applied in the period — the caller says which) above `ratio` × charges before credits. */
export const creditsAboveCharges = defineRule<
  { chargesMinor: bigint; creditsMinor: bigint; currency: string },
  { ratio: string },
  { excessMinor: bigint }
>({
  code: "credits_above_charges",
  title: "Credits above charges",
  explain: (p) => `Credits exceed ${p.ratio}× the charges before credits.`,
  evaluate({ chargesMinor, creditsMinor, currency }, p) {
    if (creditsMinor <= ZERO) return null;
    const limit = toNonNegativeDecimal(p.ratio, "ratio").times(dec(chargesMinor));
    if (!dec(creditsMinor).gt(limit)) return null;
    const m = (a: bigint) => formatMoney({ amountMinor: a, currency });
    return {
      message: `Credits ${m(creditsMinor)} against charges of ${m(chargesMinor)}.`,
      details: { excessMinor: creditsMinor - chargesMinor },
    };
  },
});

/** Charges before credits are zero although a meter used more than `minQuantity`: a pricing or plan-mapping bug. */
export const zeroInvoiceWithUsage = defineRule<
  { subtotalMinor: bigint; usageByMeter: Record<string, string> },
  { minQuantity: string },
  { meters: string[] }
>({
  code: "zero_invoice_with_usage",
  title: "Zero invoice with usage",
  explain: (p) => `Charges before credits are zero while a meter recorded more than ${p.minQuantity} units.`,
  evaluate({ subtotalMinor, usageByMeter }, p) {
    if (subtotalMinor !== ZERO) return null;
    const min = toNonNegativeDecimal(p.minQuantity, "minQuantity");
    const meters = Object.entries(usageByMeter)
      .filter(([k, q]) => toNonNegativeDecimal(q, k).gt(min))
      .map(([k]) => k)
      .sort();
    if (meters.length === 0) return null;
    return { message: `Nothing charged, but usage on ${meters.join(", ")}.`, details: { meters } };
  },
});

type LineSummary = { kind: string; description: string; amountMinor: bigint };

/** A line below zero whose kind is not expected to be negative (credits and unused-time proration are). */
export const negativeLine = defineRule<
  { lines: Pick<InvoiceLine, "kind" | "description" | "amountMinor">[] },
  { allowedKinds: string[] },
  { lines: LineSummary[] }
>({
  code: "negative_line",
  title: "Negative line",
  explain: (p) => `A line is below zero and is not of kind ${p.allowedKinds.join(" or ") || "(none)"}.`,
  evaluate({ lines }, p) {
    const bad = lines
      .filter((l) => l.amountMinor < ZERO && !p.allowedKinds.includes(l.kind))
      .map((l) => ({ kind: l.kind, description: l.description, amountMinor: l.amountMinor }));
    if (bad.length === 0) return null;
    const what = bad.map((l) => l.description).join("; ");
    return { message: `${bad.length} negative line(s): ${what}.`, details: { lines: bad } };
  },
});

export { missingUsageDays, usageSpike, shadowMismatch } from "./anomalies-usage";
