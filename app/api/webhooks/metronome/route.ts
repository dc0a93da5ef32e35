// Metronome webhooks: signed with METRONOME_WEBHOOK_SECRET (no session: the signature is the authentication).
import { db } from "@/lib/server/db";
import { normalizeMetronomeWebhook, verifyMetronomeWebhook } from "@/lib/providers/metronome/webhook";
import { parseJsonOrNull, receiveWebhook } from "@/lib/server/services/handle-webhook";

export const runtime = "nodejs";

export async function POST(req: Request): Promise<Response> {
  return receiveWebhook(db, req, {
    provider: "metronome",
    secret: process.env.METRONOME_WEBHOOK_SECRET,
    verify(body, headers, secret) {
      const v = verifyMetronomeWebhook(body, headers, secret);
      return v.ok ? { ok: true, event: normalizeMetronomeWebhook(parseJsonOrNull(body)) } : v;
    },
  });
}
