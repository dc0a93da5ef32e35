"use server";

import { revalidatePath } from "next/cache";
import { actionClient } from "@/lib/server/action-client";
import { db } from "@/lib/server/db";
import { createApiToken, revokeApiToken } from "@/lib/server/services/api-tokens";
import { createApiTokenSchema, revokeApiTokenSchema } from "./tokens.schema";

export const createApiTokenAction = actionClient
  .metadata({ permission: "admin.manage", name: "createApiToken" })
  .inputSchema(createApiTokenSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await createApiToken(db, ctx.actor, parsedInput);
    revalidatePath("/settings");
    return result;
  });

export const revokeApiTokenAction = actionClient
  .metadata({ permission: "admin.manage", name: "revokeApiToken" })
  .inputSchema(revokeApiTokenSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await revokeApiToken(db, ctx.actor, parsedInput);
    revalidatePath("/settings");
    return result;
  });
