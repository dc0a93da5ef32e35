// Stripe webhooks: verified with the SDK's own `webhooks.constructEvent` on the raw body. The
// timestamp is read first so a stale delivery is told apart from a forged one.
import Stripe from "stripe";
import { checkTimestamp, type NormalizedWebhook, type WebhookVerification } from "../contract/webhook";

export function verifyStripeWebhook(body: string, headers: Headers, secret: string, now = Date.now()): WebhookVerification & { event?: Stripe.Event } {
  const header = headers.get("stripe-signature");
  if (!header) return { ok: false, reason: "missing_signature" };
  const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
  const stale = checkTimestamp(t ? Number(t) * 1000 : NaN, now);
  if (stale) return stale;
  try {
    // receivedAt is in milliseconds (the SDK divides by 1000).
    const event = Stripe.webhooks.constructEvent(body, header, secret, 300, undefined, now);
    return { ok: true, event };
  } catch {
    return { ok: false, reason: "bad_signature" };
  }
}

export function normalizeStripeWebhook(event: Stripe.Event): NormalizedWebhook {
  const object = event.data.object as { id?: string; object?: string; customer?: string | { id: string } | null };
  const isInvoice = object.object === "invoice" && typeof object.id === "string";
  const status = event.type === "invoice.finalized" ? "issued" : event.type === "invoice.paid" ? "paid" : null;
  const customer = typeof object.customer === "string" ? object.customer : object.customer?.id;
  return {
    provider: "stripe",
    eventId: event.id,
    type: event.type,
    ...(status && isInvoice ? { invoice: { providerInvoiceId: object.id!, status, at: new Date(event.created * 1000) } } : {}),
    ...(customer ? { providerCustomerId: customer } : {}),
    payload: event,
  };
}
