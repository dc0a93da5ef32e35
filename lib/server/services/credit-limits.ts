// Per-role credit limits and the maximum credit, read from the database (role_credit_limits,
// settings "credits.max_amount"), with DESIGN.md's defaults when a row is missing. Limits are
// in major units of the customer's currency; they are compared in minor units, exactly.
// No "server-only": the worker (bulk credits) imports it too.
import { BillingDecimal, currencyInfo } from "@/lib/billing";
import { assertCan, defaultCreditLimits, roles, type Role } from "@/lib/auth/permissions";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { Db } from "../db/client";
import { recordAudit } from "../audit";
import type { Actor } from "../session";

type Reader = Db | Prisma.TransactionClient;

export const MAX_AMOUNT_SETTING = "credits.max_amount";
export const DEFAULT_MAX_AMOUNT_MAJOR = "1000000";

/** A major-unit limit (decimal string) in minor units of `currency`, rounded down: never more than the limit. */
export function majorLimitToMinor(major: string, currency: string): bigint {
  const digits = currencyInfo(currency).minorUnit;
  return BigInt(new BillingDecimal(major).times(new BillingDecimal(10).pow(digits)).floor().toFixed(0));
}

/** The role's limit in major units as a decimal string; null = unlimited. */
export async function roleCreditLimit(db: Reader, role: Role): Promise<string | null> {
  const row = await db.roleCreditLimit.findUnique({ where: { role } });
  if (row) return row.limitAmount === null ? null : row.limitAmount.toFixed();
  const fallback = defaultCreditLimits[role];
  return fallback === null ? null : String(fallback);
}

/** Whether `amountMinor` is at or under the role's limit in that currency. */
export async function withinRoleLimit(db: Reader, role: Role, amountMinor: bigint, currency: string): Promise<boolean> {
  const limit = await roleCreditLimit(db, role);
  return limit === null || amountMinor <= majorLimitToMinor(limit, currency);
}

/** The configured maximum single credit, in major units (decimal string). */
export async function maxCreditAmountMajor(db: Reader): Promise<string> {
  const row = await db.setting.findUnique({ where: { key: MAX_AMOUNT_SETTING } });
  const value = row?.value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === "string" && /^\d+(\.\d+)?$/.test(value)) return value;
  return DEFAULT_MAX_AMOUNT_MAJOR;
}

export type CreditLimitRow = { role: Role; limit: string | null };

export async function listCreditLimits(db: Reader): Promise<CreditLimitRow[]> {
  return Promise.all(roles.map(async (role) => ({ role, limit: await roleCreditLimit(db, role) })));
}

/** Admin edit of the limits; one audit event listing what changed. */
export async function updateCreditLimits(db: Db, actor: Actor, input: { limits: Array<{ role: Role; limit: string | null }>; reason: string }) {
  assertCan(actor, "admin.manage");
  return db.$transaction(async (tx) => {
    const before = await listCreditLimits(tx);
    const changed = input.limits.filter((l) => before.find((b) => b.role === l.role)?.limit !== l.limit);
    if (changed.length === 0) return { changed: false, auditId: null };
    for (const l of changed) {
      await tx.roleCreditLimit.upsert({
        where: { role: l.role },
        create: { role: l.role, limitAmount: l.limit, updatedById: actor.id },
        update: { limitAmount: l.limit, updatedById: actor.id },
      });
    }
    const audit = await recordAudit(tx, actor, {
      action: "credit_limits.updated",
      targetType: "role_credit_limits",
      before: Object.fromEntries(before.filter((b) => changed.some((c) => c.role === b.role)).map((b) => [b.role, b.limit])),
      after: Object.fromEntries(changed.map((c) => [c.role, c.limit])),
      reason: input.reason,
    });
    return { changed: true, auditId: audit.id.toString() };
  });
}
