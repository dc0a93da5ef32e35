import { z } from "zod";

export const planChangeTimings = ["immediate", "period_end", "on_date"] as const;

export const previewPlanChangeSchema = z
  .object({
    customerId: z.uuid({ message: "Unknown customer." }),
    toPlanId: z.uuid({ message: "Choose a plan." }),
    timing: z.enum(planChangeTimings, { message: "Choose when the change takes effect." }),
    /** YYYY-MM-DD (UTC day) for "on_date"; ignored otherwise. */
    date: z.string().trim().max(10).optional().nullable(),
  })
  .superRefine((v, ctx) => {
    if (v.timing === "on_date" && !/^\d{4}-\d{2}-\d{2}$/.test(v.date ?? "")) {
      ctx.addIssue({ code: "custom", path: ["date"], message: "Choose the date the change takes effect." });
    }
  });
export type PreviewPlanChangeInput = z.infer<typeof previewPlanChangeSchema>;

export const changePlanSchema = z
  .object({
    customerId: z.uuid({ message: "Unknown customer." }),
    toPlanId: z.uuid({ message: "Choose a plan." }),
    timing: z.enum(planChangeTimings, { message: "Choose when the change takes effect." }),
    date: z.string().trim().max(10).optional().nullable(),
    effectiveAt: z.iso.datetime({ message: "Preview the change first." }),
    token: z.string().min(10, "Preview the change first.").max(200),
    requestId: z.uuid({ message: "Reload the page and try again." }),
  })
  .superRefine((v, ctx) => {
    if (v.timing === "on_date" && !/^\d{4}-\d{2}-\d{2}$/.test(v.date ?? "")) {
      ctx.addIssue({ code: "custom", path: ["date"], message: "Choose the date the change takes effect." });
    }
  });
export type ChangePlanInput = z.infer<typeof changePlanSchema>;

export const cancelPlanChangeSchema = z.object({
  changeId: z.uuid({ message: "Unknown plan change." }),
});
export type CancelPlanChangeInput = z.infer<typeof cancelPlanChangeSchema>;
