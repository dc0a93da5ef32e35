import "server-only";
// Bulk incident credits, step 2: the preparer submits; the server recomputes the preview (the
// browser's copy is never trusted) and stores it as a bulk credit waiting for approval, with one
// item per affected customer. The form's request id makes a resubmit a no-op.
import { formatMoney, parseMoneyInput } from "@/lib/billing";
import { AppError } from "@/lib/errors";
import type { CreditReason } from "@/lib/generated/prisma/enums";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import type { Actor } from "../session";
import { previewBulkCredit, type BulkCreditParams, type BulkPreview } from "./bulk-credit-preview";
import { assertCan } from "@/lib/auth/permissions";

export type BulkCreditFormInput = {
  windowStart: string;
  windowEnd: string;
  meterKeys: string[];
  regions: string[];
  currency: string;
  rule: "percent_of_cost" | "flat";
  percent?: string;
  flatAmount?: string;
  cap?: string;
};

const MAX_WINDOW_MS = 31 * 86_400_000;

/** Turns the form into preview parameters, or throws INVALID_INPUT with field errors. */
export function bulkParamsFromForm(input: BulkCreditFormInput, now = new Date()): BulkCreditParams {
  const errors: Record<string, string> = {};
  const start = new Date(input.windowStart);
  const end = new Date(input.windowEnd);
  if (Number.isNaN(start.getTime())) errors.windowStart = "Enter when the incident started.";
  if (Number.isNaN(end.getTime())) errors.windowEnd = "Enter when the incident ended.";
  else if (!Number.isNaN(start.getTime()) && end <= start) errors.windowEnd = "The end must be after the start.";
  else if (end.getTime() - start.getTime() > MAX_WINDOW_MS) errors.windowEnd = "An incident window can be at most 31 days.";
  else if (start > now) errors.windowStart = "The incident cannot start in the future.";
  if (input.meterKeys.length === 0) errors.meterKeys = "Choose at least one affected meter.";
  const money = (field: string, value: string | undefined, required: boolean): bigint | null => {
    if (!value) {
      if (required) errors[field] = "Enter an amount.";
      return null;
    }
    const parsed = parseMoneyInput(value, input.currency);
    if (!parsed.ok) errors[field] = parsed.message;
    else if (parsed.amountMinor <= 0n) errors[field] = "Enter an amount greater than zero.";
    else return parsed.amountMinor;
    return null;
  };
  const capMinor = money("cap", input.cap, false);
  let rule: BulkCreditParams | null = null;
  if (input.rule === "flat") {
    const flatMinor = money("flatAmount", input.flatAmount, true);
    if (flatMinor !== null) rule = { rule: "flat", flatMinor, capMinor } as BulkCreditParams;
  } else {
    const percent = input.percent ?? "";
    if (!/^\d{1,3}(\.\d{1,4})?$/.test(percent) || Number(percent) <= 0 || Number(percent) > 100) errors.percent = "Enter a percentage between 0 and 100 (up to 4 decimals).";
    else rule = { rule: "percent_of_cost", percent, capMinor } as BulkCreditParams;
  }
  if (Object.keys(errors).length > 0 || !rule) throw new AppError("INVALID_INPUT", "Some fields need attention.", errors);
  return { ...rule, windowStart: start, windowEnd: end, meterKeys: input.meterKeys, regions: input.regions, currency: input.currency };
}

export type PrepareBulkCreditInput = BulkCreditFormInput & { name: string; reason: CreditReason; note: string; requestId: string };

export async function prepareBulkCredit(db: Db, actor: Actor, input: PrepareBulkCreditInput, now = new Date()) {
  assertCan(actor, "bulk_credits.prepare");
  const params = bulkParamsFromForm(input, now);
  const existing = await db.bulkCredit.findUnique({ where: { requestId: input.requestId } });
  if (existing) return { bulkCreditId: existing.id, replayed: true, items: 0, totalLabel: formatMoney({ amountMinor: existing.totalMinor, currency: existing.currency }), auditId: null };
  const preview: BulkPreview = await previewBulkCredit(db, params);
  const items = preview.rows.filter((r) => r.amountMinor > 0n);
  if (items.length === 0) throw new AppError("INVALID_INPUT", "No customer would receive a credit.", { windowStart: "No customer had billable usage on these meters in this window." });
  const totalLabel = formatMoney({ amountMinor: preview.totalMinor, currency: params.currency });
  return db.$transaction(async (tx) => {
    const rows = await tx.bulkCredit.createManyAndReturn({
      data: [{
        name: input.name.trim(),
        windowStart: params.windowStart,
        windowEnd: params.windowEnd,
        meterKeys: params.meterKeys,
        regions: params.regions,
        rule: params.rule,
        percent: params.rule === "percent_of_cost" ? params.percent : null,
        flatMinor: params.rule === "flat" ? params.flatMinor : null,
        capMinor: params.capMinor,
        currency: params.currency,
        reason: input.reason,
        note: input.note.trim(),
        status: "pending_approval",
        totalMinor: preview.totalMinor,
        preparedById: actor.id,
        requestId: input.requestId,
      }],
      skipDuplicates: true,
      select: { id: true },
    });
    const bulk = rows[0];
    if (!bulk) {
      const again = await tx.bulkCredit.findUniqueOrThrow({ where: { requestId: input.requestId } });
      return { bulkCreditId: again.id, replayed: true, items: 0, totalLabel, auditId: null };
    }
    await tx.bulkCreditItem.createMany({
      data: items.map((r) => ({ bulkCreditId: bulk.id, customerId: r.customerId, costMinor: r.costMinor, amountMinor: r.amountMinor })),
    });
    const audit = await recordAudit(tx, actor, {
      action: "bulk_credit.prepared",
      targetType: "bulk_credit",
      targetId: bulk.id,
      after: { name: input.name, customers: items.length, total: totalLabel, totalMinor: preview.totalMinor, rule: params.rule, windowStart: params.windowStart, windowEnd: params.windowEnd, meterKeys: params.meterKeys, regions: params.regions },
      reason: input.note,
      requestId: input.requestId,
    });
    return { bulkCreditId: bulk.id, replayed: false, items: items.length, totalLabel, auditId: audit.id.toString() };
  }, { maxWait: 15_000, timeout: 60_000 });
}
