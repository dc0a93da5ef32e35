"use server";

import { revalidatePath } from "next/cache";
import { actionClient } from "@/lib/server/action-client";
import { updateStaffAccess } from "@/lib/server/services/change-staff-role";
import { updateStaffAccessSchema } from "./staff.schema";

export const updateStaffAccessAction = actionClient
  .metadata({ permission: "admin.manage", name: "updateStaffAccess" })
  .inputSchema(updateStaffAccessSchema)
  .action(async ({ parsedInput, ctx }) => {
    const result = await updateStaffAccess(ctx.actor, parsedInput);
    revalidatePath("/settings");
    return result;
  });
