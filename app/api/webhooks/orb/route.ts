// Orb webhooks: signed with ORB_WEBHOOK_SECRET (no session: the signature is the authentication).
import { db } from "@/lib/server/db";
import { normalizeOrbWebhook, verifyOrbWebhook } from "@/lib/providers/orb/webhook";
import { parseJsonOrNull, receiveWebhook } from "@/lib/server/services/handle-webhook";

export const runtime = "nodejs";

export async function POST(req: Request): Promise<Response> {
  return receiveWebhook(db, req, {
    provider: "orb",
    secret: process.env.ORB_WEBHOOK_SECRET,
    verify(body, headers, secret) {
      const v = verifyOrbWebhook(body, headers, secret);
      return v.ok ? { ok: true, event: normalizeOrbWebhook(parseJsonOrNull(body)) } : v;
    },
  });
}
