import "server-only";
// One verified provider webhook, handled at most once: the (provider, event id) row in
// webhook_events, the local state it maps to (an invoice moving to issued / paid, found by its
// provider_invoice_id) and the audit event (actor "provider:<name>") in one transaction. A
// redelivery finds the row and changes nothing. Credit-balance and grant events are audited only:
// Meterdesk's own ledger stays the record of credits it issued.
import type { NormalizedWebhook } from "@/lib/providers/contract/webhook";
import type { Db } from "../db/client";
import { recordAudit, toAuditJson } from "../audit";
import type { Actor } from "../session";

export type HandleWebhookResult = { duplicate: boolean; auditId: string | null; invoiceUpdated: boolean };

const ORDER = { draft: 0, issued: 1, paid: 2, void: 3 } as const;

export async function handleWebhook(db: Db, event: NormalizedWebhook): Promise<HandleWebhookResult> {
  // Providers have no staff account: the audit trail names them by actor email.
  const actor = { id: null, email: `provider:${event.provider}`, role: null } as unknown as Pick<Actor, "id" | "email" | "role">;
  return db.$transaction(async (tx) => {
    const inserted = await tx.$executeRaw`
      INSERT INTO webhook_events (provider, event_id, type, payload)
      VALUES (${event.provider}::"ProviderKind", ${event.eventId}, ${event.type}, ${JSON.stringify(toAuditJson(event.payload) ?? null)}::jsonb)
      ON CONFLICT (provider, event_id) DO NOTHING`;
    if (inserted === 0) return { duplicate: true, auditId: null, invoiceUpdated: false };

    let customerId: string | null = null;
    let before: unknown = undefined;
    let after: unknown = undefined;
    let invoiceUpdated = false;
    if (event.invoice) {
      const invoice = await tx.invoice.findFirst({
        where: { providerInvoiceId: event.invoice.providerInvoiceId, customer: { provider: event.provider } },
        select: { id: true, customerId: true, status: true, number: true },
      });
      if (invoice) {
        customerId = invoice.customerId;
        // Deliveries can arrive out of order: a status only moves forward (issued → paid), never back.
        if (ORDER[event.invoice.status] > ORDER[invoice.status]) {
          await tx.invoice.update({
            where: { id: invoice.id },
            data: event.invoice.status === "paid" ? { status: "paid", paidAt: event.invoice.at } : { status: "issued", issuedAt: event.invoice.at },
          });
          before = { invoiceId: invoice.id, number: invoice.number, status: invoice.status };
          after = { invoiceId: invoice.id, number: invoice.number, status: event.invoice.status };
          invoiceUpdated = true;
        }
      }
    }
    if (!customerId && event.providerCustomerId) {
      const customer = await tx.customer.findFirst({ where: { provider: event.provider, providerCustomerId: event.providerCustomerId }, select: { id: true } });
      customerId = customer?.id ?? null;
    }
    const audit = await recordAudit(tx, actor, {
      action: `provider.webhook.${event.type}`,
      targetType: event.invoice ? "invoice" : "webhook_event",
      targetId: event.invoice?.providerInvoiceId ?? event.eventId,
      customerId,
      before,
      after: after ?? { type: event.type },
      reason: `${event.provider} webhook ${event.eventId}`,
      requestId: event.eventId,
    });
    return { duplicate: false, auditId: audit.id.toString(), invoiceUpdated };
  });
}

export type WebhookReceiver = {
  provider: NormalizedWebhook["provider"];
  /** The secret, or undefined when this provider's webhooks are not configured. */
  secret: string | undefined;
  /** Verifies the raw body and headers, then parses and normalises the event (null: not an event). */
  verify: (body: string, headers: Headers, secret: string) => { ok: true; event: NormalizedWebhook | null } | { ok: false; reason: string };
};

const json = (status: number, body: unknown) => Response.json(body, { status });

/**
 * The route handlers' whole job: 503 when unconfigured, the signature checked on the raw body
 * (400 with the reason when refused), then handled once. A replay answers 200 so the provider
 * stops redelivering.
 */
export async function receiveWebhook(db: Db, req: Request, r: WebhookReceiver): Promise<Response> {
  if (!r.secret) return json(503, { error: { code: "NOT_CONFIGURED", message: "webhook not configured" } });
  const body = await req.text();
  const verified = r.verify(body, req.headers, r.secret);
  if (!verified.ok) return json(400, { error: { code: "BAD_SIGNATURE", reason: verified.reason, message: "webhook signature refused" } });
  if (!verified.event) return json(400, { error: { code: "INVALID_INPUT", message: "not a webhook event" } });
  const result = await handleWebhook(db, verified.event);
  return json(200, { received: true, duplicate: result.duplicate, auditId: result.auditId });
}

/** JSON.parse that answers null instead of throwing (a signed but unparsable body). */
export function parseJsonOrNull(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}
