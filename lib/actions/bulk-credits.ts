"use server";

import { revalidatePath } from "next/cache";
import { after } from "next/server";
import { actionClient } from "@/lib/server/action-client";
import { db } from "@/lib/server/db";
import { previewBulkCredit } from "@/lib/server/services/bulk-credit-preview";
import { bulkParamsFromForm, prepareBulkCredit } from "@/lib/server/services/bulk-credit-prepare";
import { decideBulkCredit } from "@/lib/server/services/bulk-credit-decide";
import { runBulkCreditJob } from "@/lib/server/services/bulk-credit-run";
import { bulkCreditFormSchema, decideBulkCreditSchema, prepareBulkCreditSchema } from "./credits.schema";

/** Read-only: the preview table (every affected customer, their usage, cost and credit). */
export const previewBulkCreditAction = actionClient
  .metadata({ permission: "bulk_credits.prepare", name: "previewBulkCredit" })
  .inputSchema(bulkCreditFormSchema)
  .action(async ({ parsedInput }) => {
    const preview = await previewBulkCredit(db, bulkParamsFromForm(parsedInput));
    return {
      currency: parsedInput.currency,
      totalMinor: preview.totalMinor.toString(),
      costTotalMinor: preview.costTotalMinor.toString(),
      rows: preview.rows.map((r) => ({ ...r, costMinor: r.costMinor.toString(), amountMinor: r.amountMinor.toString() })),
    };
  });

export const prepareBulkCreditAction = actionClient
  .metadata({ permission: "bulk_credits.prepare", name: "prepareBulkCredit" })
  .inputSchema(prepareBulkCreditSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await prepareBulkCredit(db, ctx.actor, parsedInput);
    revalidatePath("/credits");
    return result;
  });

export const decideBulkCreditAction = actionClient
  .metadata({ permission: "bulk_credits.approve", name: "decideBulkCredit" })
  .inputSchema(decideBulkCreditSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await decideBulkCredit(db, ctx.actor, parsedInput);
    // The job row is the queue entry; it is also started here, after the response, so progress
    // shows at once. A second runner (the worker) cannot double anything: items are claimed
    // one by one under a row lock and a grant per item is unique.
    if (result.jobId) {
      const jobId = result.jobId;
      after(() => runBulkCreditJob(db, jobId).then(() => undefined, (e) => console.error("[bulk credit job]", e)));
    }
    revalidatePath("/credits");
    return result;
  });
