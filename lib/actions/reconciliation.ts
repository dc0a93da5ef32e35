"use server";

import { revalidatePath } from "next/cache";
import { actionClient } from "@/lib/server/action-client";
import { db } from "@/lib/server/db";
import { resyncUsage } from "@/lib/server/services/resync-usage";
import { resyncUsageSchema } from "./reconciliation.schema";

export const resyncUsageAction = actionClient
  .metadata({ permission: "reconciliation.resync", name: "resyncUsage" })
  .inputSchema(resyncUsageSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await resyncUsage(db, ctx.actor, parsedInput);
    revalidatePath("/reconciliation");
    return result;
  });
