import "server-only";
import { NextResponse } from "next/server";
import type { Permission } from "@/lib/auth/permissions";
import { AppError, httpStatusFor, isAppError, newErrorRef } from "@/lib/errors";
import { requirePermission, type Actor } from "./session";

type Handler<C> = (req: Request, ctx: C & { actor: Actor }) => Promise<Response>;

/** Route handlers check the same permission table as pages and actions. */
export function withPermission<C extends object>(permission: Permission, handler: Handler<C>) {
  return async (req: Request, ctx: C): Promise<Response> => {
    try {
      const actor = await requirePermission(permission);
      return await handler(req, { ...ctx, actor });
    } catch (error) {
      return errorResponse(error);
    }
  };
}

export function errorResponse(error: unknown): Response {
  if (isAppError(error)) {
    return NextResponse.json({ error: { code: error.code, message: error.message, fieldErrors: error.fieldErrors } }, { status: httpStatusFor[error.code] });
  }
  const ref = newErrorRef();
  console.error(`[route error ref=${ref}]`, error);
  return NextResponse.json({ error: { code: "INTERNAL", message: `Something went wrong (ref ${ref}).` } }, { status: 500 });
}

export { AppError };
