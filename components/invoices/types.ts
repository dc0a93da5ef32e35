// Plain, serialisable shapes of an upcoming invoice for the UI: amounts are strings of minor
// units (bigint does not cross to client components), instants ISO strings. Filled from a
// provider's preview or from Meterdesk's own computation (lib/billing's InvoicePreview).

export type UpcomingInvoiceBreakdownDto = { label: string; quantity: string; unitPrice: string; amount: string };

export type UpcomingInvoiceLineDto = {
  kind: "base" | "usage" | "proration" | "minimum" | "credit" | "adjustment";
  description: string;
  meterKey: string | null;
  quantity: string | null;
  amountMinor: string;
  breakdown: UpcomingInvoiceBreakdownDto[];
};

export type UpcomingInvoiceDto = {
  currency: string;
  periodStart: string;
  periodEnd: string;
  lines: UpcomingInvoiceLineDto[];
  subtotalMinor: string;
  creditsAppliedMinor: string;
  totalMinor: string;
  /** When it was computed. */
  asOf: string;
};

type LineLike = {
  kind: UpcomingInvoiceLineDto["kind"];
  description: string;
  meterKey?: string;
  quantity?: string;
  amountMinor: bigint;
  breakdown?: UpcomingInvoiceBreakdownDto[];
};

/** From a provider preview (ProviderInvoicePreview) or lib/billing's InvoicePreview. */
export function toUpcomingInvoiceDto(input: {
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  lines: readonly LineLike[];
  subtotalMinor: bigint;
  creditsAppliedMinor: bigint;
  totalMinor: bigint;
  asOf: Date;
}): UpcomingInvoiceDto {
  return {
    currency: input.currency,
    periodStart: input.periodStart.toISOString(),
    periodEnd: input.periodEnd.toISOString(),
    lines: input.lines.map((l) => ({
      kind: l.kind,
      description: l.description,
      meterKey: l.meterKey ?? null,
      quantity: l.quantity ?? null,
      amountMinor: l.amountMinor.toString(),
      breakdown: (l.breakdown ?? []).map((b) => ({ label: b.label, quantity: b.quantity, unitPrice: b.unitPrice, amount: b.amount })),
    })),
    subtotalMinor: input.subtotalMinor.toString(),
    creditsAppliedMinor: input.creditsAppliedMinor.toString(),
    totalMinor: input.totalMinor.toString(),
    asOf: input.asOf.toISOString(),
  };
}
