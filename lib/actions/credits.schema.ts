import { z } from "zod";
import { roles } from "@/lib/auth/permissions";

export const creditReasons = ["outage", "goodwill", "billing_error", "promotion", "migration"] as const;
export const creditReasonLabels: Record<(typeof creditReasons)[number], string> = {
  outage: "Outage",
  goodwill: "Goodwill",
  billing_error: "Billing error",
  promotion: "Promotion",
  migration: "Migration",
};

const requestId = z.uuid({ message: "Reload the page and try again (missing form id)." });

// The amount stays a string here: it is parsed exactly, in the customer's currency, by the
// service (parseMoneyInput), never through Number().
export const issueCreditSchema = z.object({
  customerId: z.uuid({ message: "This customer does not exist." }),
  amount: z.string().max(100, "That amount is too large."),
  currency: z.string().regex(/^[A-Z]{3}$/, "Choose a currency."),
  reason: z.enum(creditReasons, { message: "Choose a reason." }),
  note: z.string().trim().min(1, "Say why this credit is issued.").max(2_000, "Keep the note under 2,000 characters."),
  expiresOn: z.union([z.literal(""), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Enter a date like 2027-01-31.")]).optional(),
  ticketRef: z.string().trim().max(100, "Keep the ticket reference under 100 characters.").optional(),
  requestId,
});
export type IssueCreditActionInput = z.infer<typeof issueCreditSchema>;

export const decideCreditRequestSchema = z.object({
  creditRequestId: z.uuid({ message: "Unknown request." }),
  decision: z.enum(["approve", "reject"]),
  note: z.string().trim().min(3, "Add a note (at least 3 characters).").max(2_000, "Keep the note under 2,000 characters."),
  requestId,
});

export const voidCreditSchema = z.object({
  grantId: z.uuid({ message: "Unknown credit." }),
  reason: z.string().trim().min(3, "Say why (at least 3 characters).").max(2_000, "Keep the reason under 2,000 characters."),
  requestId,
});

export const retryCreditSyncSchema = z.object({ operationId: z.uuid({ message: "Unknown operation." }) });

const limitValue = z.union([z.literal(""), z.string().regex(/^\d{1,12}(\.\d{1,4})?$/, "Enter an amount like 1000 or 250.50, or leave empty for no limit.")]);

export const updateCreditLimitsSchema = z.object({
  limits: z.array(z.object({ role: z.enum(roles), limit: limitValue })).min(1).max(roles.length),
  reason: z.string().trim().min(3, "Say why (at least 3 characters).").max(500, "Keep the reason under 500 characters."),
});

export const bulkCreditFormSchema = z.object({
  windowStart: z.string().min(1, "Enter when the incident started.").max(40),
  windowEnd: z.string().min(1, "Enter when the incident ended.").max(40),
  meterKeys: z.array(z.string().max(100)).max(50),
  regions: z.array(z.string().max(50)).max(50),
  currency: z.string().regex(/^[A-Z]{3}$/, "Choose a currency."),
  rule: z.enum(["percent_of_cost", "flat"]),
  percent: z.string().max(20).optional(),
  flatAmount: z.string().max(100).optional(),
  cap: z.string().max(100).optional(),
});

export const prepareBulkCreditSchema = bulkCreditFormSchema.extend({
  name: z.string().trim().min(3, "Name the incident (at least 3 characters).").max(200, "Keep the name under 200 characters."),
  reason: z.enum(creditReasons, { message: "Choose a reason." }),
  note: z.string().trim().min(1, "Describe the incident.").max(2_000, "Keep the note under 2,000 characters."),
  requestId,
});

export const decideBulkCreditSchema = z.object({
  bulkCreditId: z.uuid({ message: "Unknown bulk credit." }),
  decision: z.enum(["approve", "reject"]),
  note: z.string().trim().min(3, "Add a note (at least 3 characters).").max(2_000, "Keep the note under 2,000 characters."),
  requestId,
});
