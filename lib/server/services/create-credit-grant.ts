// The one way a credit grant comes into existence (direct issue, approval, bulk): the grant,
// its 'grant' ledger entry, the provider operation (outbox) and the audit event, all in the
// caller's transaction. request_id is UNIQUE: a second insert with the same id does nothing
// (ON CONFLICT DO NOTHING), and the caller returns the first result instead of an error.
// No "server-only": the worker runs bulk credits with it.
import type { Prisma } from "@/lib/generated/prisma/client";
import { formatMoney } from "@/lib/billing";
import type { CreditReason, ProviderKind } from "@/lib/generated/prisma/enums";
import { enqueueOperation } from "../outbox/enqueue";
import { recordAudit } from "../audit";
import type { Actor } from "../session";

type Tx = Prisma.TransactionClient;
export type AuditActor = Pick<Actor, "id" | "email" | "role">;

export type NewGrant = {
  customer: { id: string; name: string; provider: ProviderKind };
  currency: string;
  amountMinor: bigint;
  reason: CreditReason;
  note: string;
  ticketRef: string | null;
  expiresAt: Date | null;
  issuedById: string;
  approvedById: string | null;
  requestId: string;
  bulkCreditItemId?: string | null;
};

export type CreatedGrant = { grantId: string; operationId: string; auditId: string; created: true } | { grantId: string; created: false };

export async function createCreditGrant(tx: Tx, actor: AuditActor, g: NewGrant, extra: { auditRequestId?: string; auditReason?: string } = {}): Promise<CreatedGrant> {
  const inserted = await tx.creditGrant.createManyAndReturn({
    data: [{
      customerId: g.customer.id,
      currency: g.currency,
      amountMinor: g.amountMinor,
      reason: g.reason,
      note: g.note,
      ticketRef: g.ticketRef,
      expiresAt: g.expiresAt,
      issuedById: g.issuedById,
      approvedById: g.approvedById,
      requestId: g.requestId,
      bulkCreditItemId: g.bulkCreditItemId ?? null,
    }],
    skipDuplicates: true,
    select: { id: true },
  });
  const grant = inserted[0];
  if (!grant) {
    const existing = await tx.creditGrant.findFirst({
      where: { OR: [{ requestId: g.requestId }, ...(g.bulkCreditItemId ? [{ bulkCreditItemId: g.bulkCreditItemId }] : [])] },
      select: { id: true },
    });
    if (!existing) throw new Error(`credit grant for request ${g.requestId} conflicted but was not found`);
    return { grantId: existing.id, created: false };
  }
  await tx.creditLedgerEntry.create({
    data: { customerId: g.customer.id, grantId: grant.id, kind: "grant", currency: g.currency, amountMinor: g.amountMinor, note: g.note, actorId: actor.id },
  });
  const description = `${g.reason.replace("_", " ")}: ${g.note}`.slice(0, 500);
  const op = await enqueueOperation(tx, {
    kind: "credit.grant",
    provider: g.customer.provider,
    customerId: g.customer.id,
    subjectId: grant.id,
    payload: {
      grantId: grant.id,
      amountMinor: g.amountMinor.toString(),
      currency: g.currency,
      expiresAt: g.expiresAt?.toISOString() ?? null,
      description,
    },
  });
  const audit = await recordAudit(tx, actor, {
    action: "credit.issued",
    targetType: "credit_grant",
    targetId: grant.id,
    customerId: g.customer.id,
    after: {
      amount: formatMoney({ amountMinor: g.amountMinor, currency: g.currency }),
      amountMinor: g.amountMinor,
      currency: g.currency,
      reason: g.reason,
      note: g.note,
      ticketRef: g.ticketRef,
      expiresAt: g.expiresAt,
      issuedById: g.issuedById,
      approvedById: g.approvedById,
      operationId: op.id,
      bulkCreditItemId: g.bulkCreditItemId ?? null,
    },
    reason: extra.auditReason ?? g.note,
    requestId: extra.auditRequestId ?? g.requestId,
  });
  return { grantId: grant.id, operationId: op.id, auditId: audit.id.toString(), created: true };
}

/** The audit event that recorded a grant's creation (for "see the audit event" links on a replay). */
export async function grantAuditId(tx: Tx, grantId: string): Promise<string | null> {
  const e = await tx.auditEvent.findFirst({ where: { action: "credit.issued", targetId: grantId }, select: { id: true }, orderBy: { id: "asc" } });
  return e ? e.id.toString() : null;
}
