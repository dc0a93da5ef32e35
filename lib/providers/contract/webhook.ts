// What the webhook routes hand to handle-webhook after verifying a delivery: a provider event
// normalised to the few things Meterdesk acts on. Verification results say why a delivery was
// refused (never parsed back out of a message).
import { timingSafeEqual } from "node:crypto";
import type { ProviderKind } from "../types";

/** Deliveries older (or newer) than this are refused, like the SDKs' own verifiers do. */
export const WEBHOOK_TOLERANCE_MS = 5 * 60 * 1000;

export type WebhookVerification = { ok: true } | { ok: false; reason: "missing_signature" | "bad_signature" | "stale_timestamp" | "bad_timestamp" };

export type NormalizedWebhook = {
  provider: Exclude<ProviderKind, "sandbox">;
  eventId: string;
  type: string;
  /** Set when the event moves an invoice that Meterdesk may hold (matched by provider_invoice_id). */
  invoice?: { providerInvoiceId: string; status: "issued" | "paid"; at: Date };
  /** The provider's customer id, when the event names one (for the audit trail). */
  providerCustomerId?: string;
  payload: unknown;
};

export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

export function checkTimestamp(at: number, now: number): WebhookVerification | null {
  if (Number.isNaN(at)) return { ok: false, reason: "bad_timestamp" };
  if (Math.abs(now - at) > WEBHOOK_TOLERANCE_MS) return { ok: false, reason: "stale_timestamp" };
  return null;
}
