import "server-only";
// Void the unused remainder of a grant: a 'void' ledger entry (the ledger is never edited), the
// grant marked voided, a "credit.void" provider operation and the audit event, in one transaction.
import { formatMoney } from "@/lib/billing";
import { assertCan } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import { enqueueOperation } from "../outbox/enqueue";
import type { Actor } from "../session";
import { lockGrant } from "./grant-remaining";

export type VoidCreditInput = { grantId: string; reason: string; requestId: string };
export type VoidCreditResult = { grantId: string; customerId: string; voidedMinor: string; currency: string; amountLabel: string; auditId: string; replayed: boolean };

export async function voidCredit(db: Db, actor: Actor, input: VoidCreditInput): Promise<VoidCreditResult> {
  assertCan(actor, "credits.void");
  return db.$transaction(async (tx) => {
    const grant = await lockGrant(tx, input.grantId);
    if (!grant) throw new AppError("NOT_FOUND", "That credit does not exist.");
    if (grant.status === "voided") {
      // A resubmit of the same form (same request id) reports the first void.
      const earlier = await tx.auditEvent.findFirst({ where: { action: "credit.voided", targetId: grant.id }, orderBy: { id: "desc" } });
      if (earlier && earlier.requestId === input.requestId) {
        const after = earlier.after as { voidedMinor?: string } | null;
        const voided = BigInt(after?.voidedMinor ?? "0");
        return { grantId: grant.id, customerId: grant.customerId, voidedMinor: voided.toString(), currency: grant.currency, amountLabel: formatMoney({ amountMinor: voided, currency: grant.currency }), auditId: earlier.id.toString(), replayed: true };
      }
      throw new AppError("CONFLICT", "This credit was already voided.");
    }
    if (grant.status !== "active") throw new AppError("CONFLICT", `This credit is ${grant.status}: there is nothing left to void.`);
    if (grant.remainingMinor <= 0n) throw new AppError("CONFLICT", "This credit has been used up: there is nothing left to void.");
    const reason = input.reason.trim();
    await tx.creditLedgerEntry.create({
      data: { customerId: grant.customerId, grantId: grant.id, kind: "void", currency: grant.currency, amountMinor: -grant.remainingMinor, note: reason, actorId: actor.id },
    });
    await tx.creditGrant.update({ where: { id: grant.id }, data: { status: "voided" } });
    const op = await enqueueOperation(tx, {
      kind: "credit.void",
      provider: grant.provider,
      customerId: grant.customerId,
      subjectId: grant.id,
      payload: { grantId: grant.id, providerGrantId: grant.providerGrantId, amountMinor: grant.remainingMinor.toString(), currency: grant.currency, reason },
    });
    const amountLabel = formatMoney({ amountMinor: grant.remainingMinor, currency: grant.currency });
    const audit = await recordAudit(tx, actor, {
      action: "credit.voided",
      targetType: "credit_grant",
      targetId: grant.id,
      customerId: grant.customerId,
      before: { status: grant.status, remainingMinor: grant.remainingMinor },
      after: { status: "voided", voidedMinor: grant.remainingMinor.toString(), amount: amountLabel, operationId: op.id },
      reason,
      requestId: input.requestId,
    });
    return { grantId: grant.id, customerId: grant.customerId, voidedMinor: grant.remainingMinor.toString(), currency: grant.currency, amountLabel, auditId: audit.id.toString(), replayed: false };
  }, { maxWait: 15_000, timeout: 30_000 });
}
