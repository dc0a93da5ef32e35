import "server-only";
// Issue a credit: at or under the actor's role limit it is granted at once (grant + ledger +
// outbox + audit, one transaction); above it, it becomes a pending credit request for a second
// person. The form's request id is unique in both tables, so a double click, a second tab or a
// resubmit returns the first outcome instead of making a second credit.
import { formatMoney, parseMoneyInput, type ParseMoneyResult } from "@/lib/billing";
import { assertCan } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import type { CreditReason } from "@/lib/generated/prisma/enums";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import type { Actor } from "../session";
import { createCreditGrant, grantAuditId } from "./create-credit-grant";
import { majorLimitToMinor, maxCreditAmountMajor, withinRoleLimit } from "./credit-limits";

export type IssueCreditInput = {
  customerId: string;
  amount: string;
  currency: string;
  reason: CreditReason;
  note: string;
  /** "YYYY-MM-DD": the credit can be used through the end of that UTC day. */
  expiresOn?: string | null;
  ticketRef?: string | null;
  requestId: string;
};

export type IssueCreditResult = {
  outcome: "issued" | "pending_approval" | "approved" | "rejected" | "canceled";
  /** True when this request id had already been handled: nothing new was written. */
  replayed: boolean;
  customerId: string;
  grantId: string | null;
  creditRequestId: string | null;
  auditId: string | null;
  amountMinor: string;
  currency: string;
  amountLabel: string;
};

const TX = { maxWait: 15_000, timeout: 30_000 } as const;
const DAY = 86_400_000;

/** Expiry date → the instant it stops being usable (the next UTC midnight); null when not given. */
export function expiryInstant(expiresOn: string | null | undefined): Date | null {
  if (!expiresOn) return null;
  const start = Date.parse(`${expiresOn}T00:00:00.000Z`);
  return Number.isNaN(start) ? new Date(Number.NaN) : new Date(start + DAY);
}

/** Field-level checks that need the database (customer, currency, maximum) or the clock. */
export async function validateCreditAmount(db: Db, input: { amount: string; currency: string; customerId: string; expiresOn?: string | null }, now: Date) {
  const fieldErrors: Record<string, string> = {};
  const customer = await db.customer.findUnique({ where: { id: input.customerId }, select: { id: true, name: true, currency: true, provider: true } });
  if (!customer) fieldErrors.customerId = "This customer does not exist.";
  else if (input.currency !== customer.currency) fieldErrors.currency = `This customer is billed in ${customer.currency}; credit in ${customer.currency}.`;
  const parsed: ParseMoneyResult = parseMoneyInput(input.amount, input.currency);
  let amountMinor = 0n;
  if (!parsed.ok) fieldErrors.amount = parsed.reason === "unsupported_currency" ? "Choose a supported currency first." : parsed.message;
  else if (parsed.amountMinor <= 0n) fieldErrors.amount = "Enter an amount greater than zero.";
  else {
    amountMinor = parsed.amountMinor;
    const max = await maxCreditAmountMajor(db);
    if (!fieldErrors.currency && amountMinor > majorLimitToMinor(max, input.currency)) {
      fieldErrors.amount = `The largest single credit is ${formatMoney({ amountMinor: majorLimitToMinor(max, input.currency), currency: input.currency })}.`;
    }
  }
  const expiresAt = expiryInstant(input.expiresOn);
  if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= now.getTime())) fieldErrors.expiresOn = "Choose an expiry date in the future.";
  else if (expiresAt && expiresAt.getTime() > now.getTime() + 10 * 366 * DAY) fieldErrors.expiresOn = "Choose an expiry date within ten years.";
  return { fieldErrors, customer, amountMinor, expiresAt };
}

async function existingOutcome(db: Db, requestId: string): Promise<IssueCreditResult | null> {
  const request = await db.creditRequest.findUnique({ where: { requestId } });
  if (request) {
    const audit = await db.auditEvent.findFirst({ where: { action: "credit_request.created", targetId: request.id }, select: { id: true } });
    return {
      outcome: request.status === "pending" ? "pending_approval" : request.status,
      replayed: true,
      customerId: request.customerId,
      grantId: request.grantId,
      creditRequestId: request.id,
      auditId: audit?.id.toString() ?? null,
      amountMinor: request.amountMinor.toString(),
      currency: request.currency,
      amountLabel: formatMoney({ amountMinor: request.amountMinor, currency: request.currency }),
    };
  }
  const grant = await db.creditGrant.findUnique({ where: { requestId } });
  if (grant) {
    return {
      outcome: "issued",
      replayed: true,
      customerId: grant.customerId,
      grantId: grant.id,
      creditRequestId: null,
      auditId: await grantAuditId(db, grant.id),
      amountMinor: grant.amountMinor.toString(),
      currency: grant.currency,
      amountLabel: formatMoney({ amountMinor: grant.amountMinor, currency: grant.currency }),
    };
  }
  return null;
}

export async function issueCredit(db: Db, actor: Actor, input: IssueCreditInput, now = new Date()): Promise<IssueCreditResult> {
  // Checked here too, not only by the action: the service is the boundary every caller passes.
  assertCan(actor, "credits.issue");
  const replay = await existingOutcome(db, input.requestId);
  if (replay) return replay;
  const { fieldErrors, customer, amountMinor, expiresAt } = await validateCreditAmount(db, input, now);
  if (Object.keys(fieldErrors).length > 0 || !customer) throw new AppError("INVALID_INPUT", "Some fields need attention.", fieldErrors);

  const common = {
    customerId: customer.id,
    amountMinor: amountMinor.toString(),
    currency: input.currency,
    amountLabel: formatMoney({ amountMinor, currency: input.currency }),
  };
  const note = input.note.trim();
  const ticketRef = input.ticketRef?.trim() || null;

  if (await withinRoleLimit(db, actor.role, amountMinor, input.currency)) {
    const created = await db.$transaction(
      (tx) => createCreditGrant(tx, actor, {
        customer, currency: input.currency, amountMinor, reason: input.reason, note, ticketRef, expiresAt,
        issuedById: actor.id, approvedById: null, requestId: input.requestId,
      }),
      TX,
    );
    if (!created.created) return (await existingOutcome(db, input.requestId))!;
    return { ...common, outcome: "issued", replayed: false, grantId: created.grantId, creditRequestId: null, auditId: created.auditId };
  }

  const result = await db.$transaction(async (tx) => {
    const rows = await tx.creditRequest.createManyAndReturn({
      data: [{ customerId: customer.id, currency: input.currency, amountMinor, reason: input.reason, note, ticketRef, expiresAt, requestedById: actor.id, requestId: input.requestId }],
      skipDuplicates: true,
      select: { id: true },
    });
    const row = rows[0];
    if (!row) return null;
    const audit = await recordAudit(tx, actor, {
      action: "credit_request.created",
      targetType: "credit_request",
      targetId: row.id,
      customerId: customer.id,
      after: { amount: common.amountLabel, amountMinor, currency: input.currency, reason: input.reason, note, ticketRef, expiresAt, status: "pending" },
      reason: "Above the requester's credit limit: waits for approval.",
      requestId: input.requestId,
    });
    return { creditRequestId: row.id, auditId: audit.id.toString() };
  }, TX);
  if (!result) return (await existingOutcome(db, input.requestId))!;
  return { ...common, outcome: "pending_approval", replayed: false, grantId: null, ...result };
}
