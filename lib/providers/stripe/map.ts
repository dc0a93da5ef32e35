// Stripe → Meterdesk shapes, in one place. Stripe amounts are integers in the currency's minor
// unit already (cents, yen); they become bigint without any rounding. Quantities come as
// `quantity_decimal` (the SDK's Decimal, printed exactly) or an integer `quantity`.
import type Stripe from "stripe";
import { utcDayKey } from "@/lib/billing";
import type { ProviderInvoicePreview, ProviderLine, ProviderUsageDay } from "../types";
import { minorNumberToMinor, quantityFromNumber } from "../contract/edge";

export type StripeCatalog = {
  /** Meterdesk plan version id → Stripe price id of the plan's base fee. */
  plans: Record<string, string>;
  /** Meterdesk meter key → Stripe meter (id for summaries, event name for meter events) and its metered price. */
  meters: Record<string, { meterId: string; eventName: string; priceId?: string }>;
};

function lineKind(li: Stripe.InvoiceLineItem, meterKey: string | undefined): ProviderLine["kind"] {
  if (li.parent?.subscription_item_details?.proration || li.parent?.invoice_item_details?.proration) return "proration";
  if (meterKey) return "usage";
  return "base";
}

export function toPreview(inv: Stripe.Invoice, catalog: StripeCatalog, asOf: Date): ProviderInvoicePreview {
  const currency = inv.currency.toUpperCase();
  const meterByPrice = new Map<string, string>();
  for (const [key, m] of Object.entries(catalog.meters)) if (m.priceId) meterByPrice.set(m.priceId, key);
  let start: number | null = null;
  let end: number | null = null;
  const lines: ProviderLine[] = inv.lines.data.map((li) => {
    const price = li.pricing?.price_details?.price;
    const priceId = typeof price === "string" ? price : price?.id;
    const meterKey = priceId ? meterByPrice.get(priceId) : undefined;
    if (start === null || li.period.start < start) start = li.period.start;
    if (end === null || li.period.end > end) end = li.period.end;
    const quantity = li.quantity_decimal != null ? li.quantity_decimal.toString() : li.quantity != null ? quantityFromNumber(li.quantity) : undefined;
    return {
      kind: lineKind(li, meterKey),
      description: li.description ?? "",
      ...(meterKey ? { meterKey } : {}),
      ...(quantity !== undefined ? { quantity } : {}),
      amountMinor: minorNumberToMinor(li.amount),
    };
  });
  // Billing credits (credit grants) are applied before tax and reported here; discounts are not credits.
  const credits = (inv.total_pretax_credit_amounts ?? [])
    .filter((c) => c.type === "credit_balance_transaction")
    .reduce((sum, c) => sum + minorNumberToMinor(c.amount), BigInt(0));
  return {
    currency,
    periodStart: new Date((start ?? inv.period_start) * 1000),
    periodEnd: new Date((end ?? inv.period_end) * 1000),
    lines,
    subtotalMinor: minorNumberToMinor(inv.subtotal),
    creditsAppliedMinor: credits,
    totalMinor: minorNumberToMinor(inv.total),
    asOf,
  };
}

export function toUsageDays(perMeter: Array<{ meterKey: string; summaries: Stripe.Billing.MeterEventSummary[] }>): ProviderUsageDay[] {
  const out: ProviderUsageDay[] = [];
  for (const { meterKey, summaries } of perMeter) {
    for (const s of summaries) out.push({ meterKey, day: utcDayKey(new Date(s.start_time * 1000)), quantity: quantityFromNumber(s.aggregated_value) });
  }
  return out.sort((a, b) => (a.day === b.day ? a.meterKey.localeCompare(b.meterKey) : a.day.localeCompare(b.day)));
}
