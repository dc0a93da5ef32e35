// The one place the seed touches the billing library (its public API, lib/billing/index.ts).
import {
  monthlyPeriodStart,
  planChangeProration,
  previewInvoice,
  type CreditGrant,
  type InvoicePreview,
  type Period,
  type Plan,
  type PlanMeter,
  type PlanSegment,
  type Price,
} from "../../lib/billing";
import { METERS } from "./catalog";
import type { CatalogVersion, PriceDef } from "./catalog";

export type { InvoicePreview, Period, CreditGrant };

const minorToMajor = (minor: number) => (minor / 100).toFixed(2); // USD and EUR both have 2 minor digits

function toPrice(p: PriceDef): Price {
  switch (p.model) {
    case "per_unit": return { model: "per_unit", unitPrice: p.unitPrice };
    case "package": return { model: "package", packageSize: p.packageSize, packagePrice: p.packagePrice };
    default: return { model: p.model, tiers: p.tiers.map((t) => ({ upTo: t.upTo, unitPrice: t.unitPrice })) };
  }
}

const planCache = new WeakMap<CatalogVersion, Plan>();

/** The billing library's view of a catalog version (cached). */
export function toBillingPlan(v: CatalogVersion): Plan {
  const hit = planCache.get(v);
  if (hit) return hit;
  const meters: PlanMeter[] = v.prices.map((pr) => {
    const m = METERS.find((x) => x.key === pr.meterKey)!;
    return { meterKey: m.key, displayName: m.name, unit: m.unit, includedQuantity: pr.included, price: toPrice(pr.price) };
  });
  const plan: Plan = {
    id: v.id,
    name: v.planName,
    currency: v.currency,
    baseFee: minorToMajor(v.baseFeeMinor),
    meters,
    ...(v.minimumMinor !== null ? { minimumCommitment: minorToMajor(v.minimumMinor) } : {}),
  };
  planCache.set(v, plan);
  return plan;
}

export type SeedSegment = { version: CatalogVersion; from: Date; to: Date; usageByMeter: Record<string, string> };

/** Prices one past period: base fee, proration, usage by the plan in force, minimum, credits at `at`. */
export function priceInvoice(input: {
  currency: string;
  period: Period;
  segments: SeedSegment[];
  credits: CreditGrant[];
  at: Date;
}): InvoicePreview {
  return previewInvoice({
    customerCurrency: input.currency,
    period: input.period,
    segments: input.segments.map((s): PlanSegment => ({ plan: toBillingPlan(s.version), from: s.from, to: s.to, usageByMeter: s.usageByMeter })),
    credits: input.credits,
    at: input.at,
  });
}

/** The proration lines an immediate change shows before confirming (JSON-safe). */
export function changePreview(period: Period, changeAt: Date, from: CatalogVersion, to: CatalogVersion) {
  const p = planChangeProration({ period, changeAt, oldPlan: toBillingPlan(from), newPlan: toBillingPlan(to) });
  return {
    currency: p.currency,
    netMinor: p.netMinor.toString(),
    lines: p.lines.map((l) => ({ description: l.description, fraction: l.fraction, amountMinor: l.amountMinor.toString() })),
  };
}

/** Start of the k-th monthly period from `anchor` (day 31 → last day of shorter months). */
export function periodStart(anchor: Date, k: number): Date {
  return monthlyPeriodStart(anchor, k);
}
