// Orb webhooks: HMAC-SHA256 over `v1:{X-Orb-Timestamp}:{raw body}`, hex, sent as `X-Orb-Signature:
// v1=<hex>` (several space-separated signatures allowed), timestamp ISO 8601 in UTC without a zone
// — the same rule as the SDK's `webhooks.verifySignature`, with a reason for each refusal.
import { createHmac } from "node:crypto";
import { checkTimestamp, safeEqualHex, type NormalizedWebhook, type WebhookVerification } from "../contract/webhook";

export function signOrbWebhook(body: string, timestamp: string, secret: string): string {
  return `v1=${createHmac("sha256", secret).update(`v1:${timestamp}:${body}`).digest("hex")}`;
}

export function verifyOrbWebhook(body: string, headers: Headers, secret: string, now = Date.now()): WebhookVerification {
  const timestamp = headers.get("x-orb-timestamp");
  const signature = headers.get("x-orb-signature");
  if (!timestamp || !signature) return { ok: false, reason: "missing_signature" };
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(timestamp) ? timestamp : `${timestamp}Z`;
  const stale = checkTimestamp(Date.parse(zoned), now);
  if (stale) return stale;
  const expected = signOrbWebhook(body, timestamp, secret).slice(3);
  const match = signature.split(" ").some((s) => s.startsWith("v1=") && safeEqualHex(s.slice(3), expected));
  return match ? { ok: true } : { ok: false, reason: "bad_signature" };
}

type OrbEvent = { id?: string; type?: string; created_at?: string; invoice?: { id?: string; customer?: { id?: string } }; customer?: { id?: string } };

export function normalizeOrbWebhook(payload: unknown): NormalizedWebhook | null {
  const e = payload as OrbEvent;
  if (!e || typeof e.id !== "string" || typeof e.type !== "string") return null;
  const at = new Date(e.created_at ?? Date.now());
  const status = e.type === "invoice.issued" ? "issued" : e.type === "invoice.payment_succeeded" || e.type === "invoice.manually_marked_as_paid" ? "paid" : null;
  return {
    provider: "orb",
    eventId: e.id,
    type: e.type,
    ...(status && e.invoice?.id ? { invoice: { providerInvoiceId: e.invoice.id, status, at } } : {}),
    ...((e.invoice?.customer?.id ?? e.customer?.id) ? { providerCustomerId: e.invoice?.customer?.id ?? e.customer?.id } : {}),
    payload,
  };
}
