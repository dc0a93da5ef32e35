// Stripe webhooks: verified with stripe.webhooks.constructEvent and STRIPE_WEBHOOK_SECRET
// (no session: the signature is the authentication).
import { db } from "@/lib/server/db";
import { normalizeStripeWebhook, verifyStripeWebhook } from "@/lib/providers/stripe/webhook";
import { receiveWebhook } from "@/lib/server/services/handle-webhook";

export const runtime = "nodejs";

export async function POST(req: Request): Promise<Response> {
  return receiveWebhook(db, req, {
    provider: "stripe",
    secret: process.env.STRIPE_WEBHOOK_SECRET,
    verify(body, headers, secret) {
      const v = verifyStripeWebhook(body, headers, secret);
      return v.ok ? { ok: true, event: v.event ? normalizeStripeWebhook(v.event) : null } : { ok: false, reason: v.reason };
    },
  });
}
