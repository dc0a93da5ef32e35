// Metronome → Meterdesk shapes, in one place. Metronome sends amounts as JSON numbers in the
// credit type's unit, which for fiat credit types is the minor unit ("USD (cents)"). A number is
// converted through its shortest decimal text (never by arithmetic) and rounded half-even if a
// rate left a fraction of a cent. Precision caveat: a JSON number carries about 15–17 significant
// digits, so an amount above ~10^15 minor units (or a fraction past that) may already have been
// rounded by Metronome's serializer or JSON.parse; jsonNumberToDecimal refuses > 15 digits rather
// than guess.
import type { Invoice } from "@metronome/sdk/resources/v1/customers/invoices";
import type { UsageListResponse } from "@metronome/sdk/resources/v1/usage";
import { utcDayKey } from "@/lib/billing";
import { ProviderError, type ProviderInvoicePreview, type ProviderLine, type ProviderUsageDay } from "../types";
import { minorNumberToMinor, quantityFromNumber } from "../contract/edge";

/** Metronome's well-known id of the "USD (cents)" fiat credit type. */
export const USD_CENTS_CREDIT_TYPE = "2714e483-4ff1-48e4-9e25-ac732e8f24f2";

export type MetronomeCatalog = {
  /** Meterdesk plan version id → Metronome product id of the plan's subscription (base fee). */
  plans: Record<string, string>;
  /** Meterdesk meter key → Metronome ingest event type, billable metric and usage product. */
  meters: Record<string, { eventType: string; billableMetricId: string; productId?: string }>;
  /** The product credits are issued under (Metronome requires one). */
  creditProductId: string;
  /** Currency → fiat credit type id (amounts in that currency's minor unit). Default: USD cents. */
  creditTypes?: Record<string, string>;
};

export function creditTypeFor(catalog: MetronomeCatalog, currency: string): string {
  const id = (catalog.creditTypes ?? { USD: USD_CENTS_CREDIT_TYPE })[currency];
  if (!id) throw new ProviderError("permanent", `metronome: no credit type is configured for ${currency}`, { provider: "metronome" });
  return id;
}

function currencyFor(catalog: MetronomeCatalog, creditTypeId: string): string {
  for (const [currency, id] of Object.entries(catalog.creditTypes ?? { USD: USD_CENTS_CREDIT_TYPE })) if (id === creditTypeId) return currency;
  throw new ProviderError("permanent", `metronome: credit type ${creditTypeId} is not a configured currency`, { provider: "metronome" });
}

function isCreditLine(li: Invoice.LineItem): boolean {
  return Boolean(li.applied_commit_or_credit) || /credit|commit/i.test(li.type);
}

export function toPreview(inv: Invoice, catalog: MetronomeCatalog, asOf: Date): ProviderInvoicePreview {
  const currency = currencyFor(catalog, inv.credit_type.id);
  const meterByProduct = new Map<string, string>();
  for (const [key, m] of Object.entries(catalog.meters)) if (m.productId) meterByProduct.set(m.productId, key);
  const lines: ProviderLine[] = [];
  let subtotal = BigInt(0);
  let credits = BigInt(0);
  for (const li of inv.line_items) {
    const amountMinor = minorNumberToMinor(li.total, "line total");
    if (isCreditLine(li)) {
      credits += -amountMinor;
      continue;
    }
    const meterKey = li.product_id ? meterByProduct.get(li.product_id) : undefined;
    const subscription = Boolean(li.subscription_custom_fields) || /subscription/i.test(li.type);
    lines.push({
      kind: meterKey ? "usage" : subscription ? (li.is_prorated ? "proration" : "base") : /minimum/i.test(li.type) ? "minimum" : "adjustment",
      description: li.name,
      ...(meterKey ? { meterKey } : {}),
      ...(li.quantity !== undefined ? { quantity: quantityFromNumber(li.quantity) } : {}),
      amountMinor,
    });
    subtotal += amountMinor;
  }
  const start = inv.start_timestamp ? new Date(inv.start_timestamp) : asOf;
  const end = inv.end_timestamp ? new Date(inv.end_timestamp) : asOf;
  return { currency, periodStart: start, periodEnd: end, lines, subtotalMinor: subtotal, creditsAppliedMinor: credits, totalMinor: minorNumberToMinor(inv.total, "total"), asOf };
}

export function toUsageDays(rows: UsageListResponse[], catalog: MetronomeCatalog): ProviderUsageDay[] {
  const byMetric = new Map<string, string>();
  for (const [key, m] of Object.entries(catalog.meters)) byMetric.set(m.billableMetricId, key);
  const out: ProviderUsageDay[] = [];
  for (const r of rows) {
    const meterKey = byMetric.get(r.billable_metric_id);
    if (!meterKey || r.value === null) continue;
    out.push({ meterKey, day: utcDayKey(new Date(r.start_timestamp)), quantity: quantityFromNumber(r.value) });
  }
  return out.sort((a, b) => (a.day === b.day ? a.meterKey.localeCompare(b.meterKey) : a.day.localeCompare(b.day)));
}
