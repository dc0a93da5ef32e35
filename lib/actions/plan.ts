"use server";

import { revalidatePath } from "next/cache";
import { actionClient } from "@/lib/server/action-client";
import { db } from "@/lib/server/db";
import { previewPlanChange } from "@/lib/server/services/preview-plan-change";
import { changePlan } from "@/lib/server/services/change-plan";
import { cancelPlanChange } from "@/lib/server/services/cancel-plan-change";
import { cancelPlanChangeSchema, changePlanSchema, previewPlanChangeSchema } from "./plan.schema";

export const previewPlanChangeAction = actionClient
  .metadata({ permission: "plans.change", name: "previewPlanChange" })
  .inputSchema(previewPlanChangeSchema)
  .action(async ({ parsedInput, ctx }) => previewPlanChange(db, ctx.actor, parsedInput));

export const changePlanAction = actionClient
  .metadata({ permission: "plans.change", name: "changePlan" })
  .inputSchema(changePlanSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await changePlan(db, ctx.actor, parsedInput);
    revalidatePath(`/customers/${result.customerId}`, "layout");
    return result;
  });

export const cancelPlanChangeAction = actionClient
  .metadata({ permission: "plans.change", name: "cancelPlanChange" })
  .inputSchema(cancelPlanChangeSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await cancelPlanChange(db, ctx.actor, parsedInput);
    revalidatePath(`/customers/${result.customerId}`, "layout");
    return result;
  });
