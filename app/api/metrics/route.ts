import { timingSafeEqual } from "node:crypto";
import { db } from "@/lib/server/db";
import { getBillingProvider } from "@/lib/providers";
import { billingHealth, toPrometheus } from "@/lib/server/queries/health";
import { getActor } from "@/lib/server/session";
import { can } from "@/lib/auth/permissions";
import { errorResponse } from "@/lib/server/route";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

function bearerMatches(req: Request): boolean {
  const expected = process.env.METRICS_TOKEN;
  const given = req.headers.get("authorization")?.replace(/^Bearer\s+/i, "") ?? "";
  if (!expected || !given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Prometheus scrape endpoint: METRICS_TOKEN as a bearer token, or a signed-in admin. */
export async function GET(req: Request) {
  try {
    if (!bearerMatches(req)) {
      const actor = await getActor();
      if (!actor) throw new AppError("UNAUTHENTICATED");
      if (!can(actor.role, "admin.manage")) throw new AppError("FORBIDDEN");
    }
    const health = await billingHealth(db, getBillingProvider(db));
    return new Response(toPrometheus(health), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" } });
  } catch (error) {
    return errorResponse(error);
  }
}
