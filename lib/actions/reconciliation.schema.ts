import { z } from "zod";

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Use a date like 2026-11-01.");

export const resyncUsageSchema = z.object({
  customerId: z.uuid({ message: "Unknown customer." }),
  from: day,
  to: day,
  requestId: z.uuid({ message: "Reload the page and try again." }),
});
export type ResyncUsageInput = z.infer<typeof resyncUsageSchema>;
