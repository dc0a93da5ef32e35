// Orb → Meterdesk shapes, in one place. Orb sends invoice amounts as decimal strings in major
// units ("12.345"): each becomes minor units through lib/billing's one rounding function
// (half-even), once per line. Quantities arrive as JSON numbers and become decimal strings
// without arithmetic (see jsonNumberToDecimal for the precision guard).
import type { InvoiceFetchUpcomingResponse } from "orb-billing/resources/invoices";
import type { SubscriptionUsage } from "orb-billing/resources/subscriptions";
import { utcDayKey } from "@/lib/billing";
import { ProviderError, type ProviderInvoicePreview, type ProviderLine, type ProviderUsageDay } from "../types";
import { majorDecimalToMinor, quantityFromNumber } from "../contract/edge";

export type OrbCatalog = {
  /** Meterdesk plan version id → Orb plan id. */
  plans: Record<string, string>;
  /** Meterdesk meter key → Orb event name (default: the meter key) and billable metric id. */
  meters?: Record<string, { eventName?: string; metricId?: string }>;
};

function meterKeyForMetric(catalog: OrbCatalog, metricId: string | undefined, metricName: string | undefined): string | undefined {
  for (const [key, m] of Object.entries(catalog.meters ?? {})) if (metricId && m.metricId === metricId) return key;
  return metricName;
}

export function toPreview(inv: InvoiceFetchUpcomingResponse, catalog: OrbCatalog, asOf: Date): ProviderInvoicePreview {
  const currency = inv.currency;
  const lines: ProviderLine[] = [];
  let subtotal = BigInt(0);
  let credits = BigInt(0);
  let start: Date | null = null;
  let end: Date | null = null;
  for (const li of inv.line_items) {
    // adjusted_subtotal: after discounts and minimums, before prepaid credits (those are counted apart).
    const amountMinor = majorDecimalToMinor(li.adjusted_subtotal ?? li.subtotal, currency);
    credits += majorDecimalToMinor(li.credits_applied ?? "0", currency);
    subtotal += amountMinor;
    const isUsage = li.price?.price_type === "usage_price";
    const meterKey = isUsage ? meterKeyForMetric(catalog, li.price?.billable_metric?.id, li.name) : undefined;
    lines.push({
      // A fixed fee is never below zero on its own: a negative fixed-price line is Orb's credit
      // for unused time after a plan change, which Meterdesk calls proration.
      kind: isUsage ? "usage" : amountMinor < BigInt(0) ? "proration" : "base",
      description: li.name,
      ...(meterKey ? { meterKey } : {}),
      quantity: quantityFromNumber(li.quantity),
      amountMinor,
    });
    const s = new Date(li.start_date);
    const e = new Date(li.end_date);
    if (!start || s < start) start = s;
    if (!end || e > end) end = e;
  }
  const target = new Date(inv.target_date);
  if (Number.isNaN(target.getTime())) throw new ProviderError("permanent", "orb: upcoming invoice has no target date", { provider: "orb" });
  return {
    currency,
    periodStart: start ?? target,
    periodEnd: end ?? target,
    lines,
    subtotalMinor: subtotal,
    creditsAppliedMinor: credits,
    totalMinor: majorDecimalToMinor(inv.total, currency),
    asOf,
  };
}

export function toUsageDays(usage: SubscriptionUsage, catalog: OrbCatalog): ProviderUsageDay[] {
  const out: ProviderUsageDay[] = [];
  for (const series of usage.data) {
    const meterKey = meterKeyForMetric(catalog, series.billable_metric.id, series.billable_metric.name);
    if (!meterKey) continue;
    for (const u of series.usage) out.push({ meterKey, day: utcDayKey(new Date(u.timeframe_start)), quantity: quantityFromNumber(u.quantity) });
  }
  return out.sort((a, b) => (a.day === b.day ? a.meterKey.localeCompare(b.meterKey) : a.day.localeCompare(b.day)));
}
