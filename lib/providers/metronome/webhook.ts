// Metronome webhooks: HMAC-SHA256 hex over `{date}\n{raw body}`, where date is the
// `X-Metronome-Date` header (the notes' "date header"; plain `Date` is accepted when it is
// absent), sent as `Metronome-Webhook-Signature` — the same rule as the SDK's verifySignature.
import { createHmac } from "node:crypto";
import { checkTimestamp, safeEqualHex, type NormalizedWebhook, type WebhookVerification } from "../contract/webhook";

export function signMetronomeWebhook(body: string, date: string, secret: string): string {
  return createHmac("sha256", secret).update(`${date}\n${body}`).digest("hex");
}

export function verifyMetronomeWebhook(body: string, headers: Headers, secret: string, now = Date.now()): WebhookVerification {
  const date = headers.get("x-metronome-date") ?? headers.get("date");
  const signature = headers.get("metronome-webhook-signature");
  if (!date || !signature) return { ok: false, reason: "missing_signature" };
  const stale = checkTimestamp(Date.parse(date), now);
  if (stale) return stale;
  return safeEqualHex(signature, signMetronomeWebhook(body, date, secret)) ? { ok: true } : { ok: false, reason: "bad_signature" };
}

type MetronomeEvent = { id?: string; type?: string; timestamp?: string; properties?: { invoice_id?: string; customer_id?: string } };

export function normalizeMetronomeWebhook(payload: unknown): NormalizedWebhook | null {
  const e = payload as MetronomeEvent;
  if (!e || typeof e.id !== "string" || typeof e.type !== "string") return null;
  const at = new Date(e.timestamp ?? Date.now());
  const status = e.type === "invoice.finalized" ? "issued" : /^invoice\..*(paid|payment.*succeeded)/.test(e.type) ? "paid" : null;
  const invoiceId = e.properties?.invoice_id;
  return {
    provider: "metronome",
    eventId: e.id,
    type: e.type,
    ...(status && invoiceId ? { invoice: { providerInvoiceId: invoiceId, status, at } } : {}),
    ...(e.properties?.customer_id ? { providerCustomerId: e.properties.customer_id } : {}),
    payload,
  };
}
