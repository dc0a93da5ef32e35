import "server-only";
import { z } from "zod";
import { createSafeActionClient } from "next-safe-action";
import { permissions } from "@/lib/auth/permissions";
import { isAppError, newErrorRef } from "@/lib/errors";
import { requirePermission } from "./session";

export type ActionError = { code: string; message: string; fieldErrors?: Record<string, string>; ref?: string };

/**
 * Every server action is built from this client and declares the permission it needs as
 * metadata; the middleware below enforces it for every call, including direct calls that
 * skip the UI. Expected failures (AppError) reach the user with their message; anything
 * else is logged with a reference id.
 */
export const actionClient = createSafeActionClient({
  defineMetadataSchema: () => z.object({ permission: z.enum(permissions), name: z.string() }),
  handleServerError(error): ActionError {
    if (isAppError(error)) return { code: error.code, message: error.message, fieldErrors: error.fieldErrors };
    const ref = newErrorRef();
    console.error(`[action error ref=${ref}]`, error);
    return { code: "INTERNAL", message: `Something went wrong (ref ${ref}).`, ref };
  },
}).use(async ({ next, metadata }) => {
  const actor = await requirePermission(metadata.permission);
  return next({ ctx: { actor } });
});
