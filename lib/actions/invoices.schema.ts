import { z } from "zod";

export const markReviewedSchema = z.object({
  customerIds: z.array(z.uuid({ message: "Unknown customer." })).min(1, "Select at least one invoice.").max(500, "Select at most 500 invoices at once."),
});
export type MarkReviewedInput = z.infer<typeof markReviewedSchema>;

export const holdInvoiceSchema = z.object({
  customerId: z.uuid({ message: "Unknown customer." }),
  note: z.string().trim().min(3, "Say why the invoice is held (at least 3 characters).").max(1000, "Keep the note under 1,000 characters."),
});
export type HoldInvoiceInput = z.infer<typeof holdInvoiceSchema>;

export const recomputePreviewsSchema = z.object({});

/** Threshold values keyed by settings key, as typed (validated per key by the service). */
export const updateThresholdsSchema = z.object({
  values: z.record(z.string().regex(/^anomaly\.[a-z_.]+$/).max(100), z.string().max(200)),
});
export type UpdateThresholdsInput = z.infer<typeof updateThresholdsSchema>;
