"use server";

import { revalidatePath } from "next/cache";
import { actionClient } from "@/lib/server/action-client";
import { db } from "@/lib/server/db";
import { issueCredit } from "@/lib/server/services/issue-credit";
import { decideCreditRequest } from "@/lib/server/services/decide-credit-request";
import { voidCredit } from "@/lib/server/services/void-credit";
import { retryCreditSync } from "@/lib/server/services/retry-credit-sync";
import { updateCreditLimits } from "@/lib/server/services/credit-limits";
import { decideCreditRequestSchema, issueCreditSchema, retryCreditSyncSchema, updateCreditLimitsSchema, voidCreditSchema } from "./credits.schema";

function revalidateCustomer(customerId: string | null | undefined) {
  if (customerId) revalidatePath(`/customers/${customerId}`, "layout");
  revalidatePath("/credits");
  revalidatePath("/");
}

export const issueCreditAction = actionClient
  .metadata({ permission: "credits.issue", name: "issueCredit" })
  .inputSchema(issueCreditSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await issueCredit(db, ctx.actor, parsedInput);
    revalidateCustomer(result.customerId);
    return result;
  });

export const decideCreditRequestAction = actionClient
  .metadata({ permission: "credits.approve", name: "decideCreditRequest" })
  .inputSchema(decideCreditRequestSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await decideCreditRequest(db, ctx.actor, parsedInput);
    revalidateCustomer(result.customerId);
    return result;
  });

export const voidCreditAction = actionClient
  .metadata({ permission: "credits.void", name: "voidCredit" })
  .inputSchema(voidCreditSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await voidCredit(db, ctx.actor, parsedInput);
    revalidateCustomer(result.customerId);
    return result;
  });

export const retryCreditSyncAction = actionClient
  .metadata({ permission: "credits.issue", name: "retryCreditSync" })
  .inputSchema(retryCreditSyncSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await retryCreditSync(db, ctx.actor, parsedInput.operationId);
    revalidateCustomer(result.customerId);
    return result;
  });

export const updateCreditLimitsAction = actionClient
  .metadata({ permission: "admin.manage", name: "updateCreditLimits" })
  .inputSchema(updateCreditLimitsSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await updateCreditLimits(db, ctx.actor, {
      limits: parsedInput.limits.map((l) => ({ role: l.role, limit: l.limit === "" ? null : l.limit })),
      reason: parsedInput.reason,
    });
    revalidatePath("/settings");
    return result;
  });
