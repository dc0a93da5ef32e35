"use server";

import { revalidatePath } from "next/cache";
import { after } from "next/server";
import { actionClient } from "@/lib/server/action-client";
import { db } from "@/lib/server/db";
import { getBillingProvider } from "@/lib/providers";
import { holdInvoice, markInvoicesReviewed } from "@/lib/server/services/review-invoices";
import { requestPreviewRecompute, runPreviewRecomputeJob } from "@/lib/server/services/recompute-previews";
import { updateAnomalyThresholds } from "@/lib/server/services/anomaly-settings";
import { holdInvoiceSchema, markReviewedSchema, recomputePreviewsSchema, updateThresholdsSchema } from "./invoices.schema";

export const markInvoicesReviewedAction = actionClient
  .metadata({ permission: "invoices.review", name: "markInvoicesReviewed" })
  .inputSchema(markReviewedSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await markInvoicesReviewed(db, ctx.actor, parsedInput);
    revalidatePath("/invoices");
    return result;
  });

export const holdInvoiceAction = actionClient
  .metadata({ permission: "invoices.review", name: "holdInvoice" })
  .inputSchema(holdInvoiceSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await holdInvoice(db, ctx.actor, parsedInput);
    revalidatePath("/invoices");
    revalidatePath(`/customers/${parsedInput.customerId}`, "layout");
    return result;
  });

export const recomputePreviewsAction = actionClient
  .metadata({ permission: "invoices.review", name: "recomputePreviews" })
  .inputSchema(recomputePreviewsSchema)
  .action(async ({ ctx }) => {
    const result = await requestPreviewRecompute(db, ctx.actor);
    // Started after the response is sent, so the page never waits on it. A worker that claims
    // the job first wins; the claim makes a second start a no-op.
    if (result.created) after(() => runPreviewRecomputeJob(db, getBillingProvider(db), result.jobId).then(() => undefined));
    return result;
  });

export const updateAnomalyThresholdsAction = actionClient
  .metadata({ permission: "anomaly_settings.edit", name: "updateAnomalyThresholds" })
  .inputSchema(updateThresholdsSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await updateAnomalyThresholds(db, ctx.actor, parsedInput.values);
    revalidatePath("/invoices");
    return result;
  });
