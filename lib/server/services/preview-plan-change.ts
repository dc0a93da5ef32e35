import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
import { billingPeriodContaining, formatPeriodLabel, planChangeProration, type ProrationLine } from "@/lib/billing";
import { assertCan } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { toUpcomingInvoiceDto, type UpcomingInvoiceDto } from "@/components/invoices/types";
import type { Db } from "../db/client";
import { loadBillingPlans } from "../billing/catalog";
import { loadCustomerBilling, platformCreditGrants, platformUsageDays, previewFor } from "../billing/customer-billing";
import type { Actor } from "../session";

export type PlanChangeTiming = "immediate" | "period_end" | "on_date";
export type PlanChangeInput = { customerId: string; toPlanId: string; timing: PlanChangeTiming; date?: string | null };
type StaffActor = Pick<Actor, "id" | "email" | "role">;

export type PlanVersionDto = { planId: string; planVersionId: string; planName: string; version: number; baseFeeMinor: string };
export type PlanChangePreview = {
  customerId: string;
  customerName: string;
  currency: string;
  timing: PlanChangeTiming;
  date: string | null;
  /** The instant the change takes effect; for "now" fixed when the preview was computed. */
  effectiveAt: string;
  from: PlanVersionDto;
  to: PlanVersionDto;
  /** The billing period the proration lines belong to (the one containing effectiveAt). */
  prorationPeriod: { start: string; end: string; label: string };
  prorationLines: Array<{ description: string; fraction: string; amountMinor: string }>;
  prorationNetMinor: string;
  /** Whether the change lands inside the current period (else this period's invoice is unchanged). */
  affectsCurrentPeriod: boolean;
  /** Today's upcoming invoice, and the same invoice with the change folded in. */
  currentInvoice: UpcomingInvoiceDto;
  newInvoice: UpcomingInvoiceDto;
  differenceMinor: string;
  /** The current period's plan phases once the change is in force. */
  phasesAfter: Array<{ planVersionId: string; startsAt: string; endsAt: string | null }>;
  /** HMAC over what confirming applies; confirm refuses anything else. */
  token: string;
};

/** What confirming writes, as the preview computed it; carried on to change-plan.ts. */
export type PlanChangeComputation = {
  preview: PlanChangePreview;
  customer: { id: string; name: string; provider: "sandbox" | "orb" | "metronome" | "stripe"; providerCustomerId: string | null };
  subscriptionId: string;
  openPhaseId: string;
  effectiveAt: Date;
  prorationLines: ProrationLine[];
};

/** An immediate change previewed longer ago than this must be previewed again. */
export const IMMEDIATE_PREVIEW_MAX_AGE_MS = 30 * 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OUT_OF_DATE = "The preview is out of date; preview again.";

export function assertCanChangePlans(actor: StaffActor) {
  assertCan(actor, "plans.change");
}

function tokenKey(): string {
  const secret = process.env.NEXTAUTH_SECRET ?? (process.env.NODE_ENV === "production" ? undefined : "meterdesk-dev-secret");
  if (!secret) throw new Error("NEXTAUTH_SECRET is not set");
  return createHmac("sha256", secret).update("meterdesk:plan-change-preview").digest("hex");
}

function signPreview(parts: unknown): string {
  return createHmac("sha256", tokenKey()).update(JSON.stringify(parts)).digest("base64url");
}

export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function addOneYear(d: Date): Date {
  const out = new Date(d);
  out.setUTCFullYear(out.getUTCFullYear() + 1);
  return out;
}

function versionDto(v: { id: string; version: number; baseFeeMinor: bigint; plan: { id: string; name: string } }): PlanVersionDto {
  return { planId: v.plan.id, planVersionId: v.id, planName: v.plan.name, version: v.version, baseFeeMinor: v.baseFeeMinor.toString() };
}

/**
 * Validates a plan change and computes what it does: the proration lines (planChangeProration),
 * the upcoming invoice with the change folded in (previewFor over Meterdesk's usage and credits)
 * and a token over what confirming will apply. `fixedEffectiveAt` is the instant an immediate
 * change was previewed at; confirm passes it back so the same instant is applied.
 */
export async function computePlanChange(
  db: Db,
  actor: StaffActor,
  input: PlanChangeInput,
  opts: { now?: Date; fixedEffectiveAt?: Date } = {},
): Promise<PlanChangeComputation> {
  assertCanChangePlans(actor);
  const now = opts.now ?? new Date();
  if (!UUID.test(input.customerId)) throw new AppError("NOT_FOUND", "No customer has this id.");
  const customer = await db.customer.findUnique({ where: { id: input.customerId } });
  if (!customer) throw new AppError("NOT_FOUND", "No customer has this id.");
  const sub = await db.subscription.findFirst({ where: { customerId: customer.id, status: "active" }, orderBy: { startedAt: "desc" } });
  const open = sub
    ? await db.subscriptionPhase.findFirst({
        where: { subscriptionId: sub.id, endsAt: null, startsAt: { lte: now } },
        orderBy: { startsAt: "desc" },
        include: { planVersion: { include: { plan: true } } },
      })
    : null;
  if (!sub || !open) {
    throw new AppError("INVALID_INPUT", `${customer.name} has no active subscription to change.`, { toPlanId: "This customer has no active subscription." });
  }

  const target = UUID.test(input.toPlanId)
    ? await db.plan.findUnique({
        where: { id: input.toPlanId },
        include: { versions: { where: { currency: customer.currency }, orderBy: { version: "desc" }, take: 1 } },
      })
    : null;
  if (!target) throw new AppError("INVALID_INPUT", undefined, { toPlanId: "Choose a plan from the list." });
  if (target.status !== "active") throw new AppError("INVALID_INPUT", undefined, { toPlanId: `${target.name} is archived and no longer offered.` });
  const toVersion = target.versions[0];
  if (!toVersion) throw new AppError("INVALID_INPUT", undefined, { toPlanId: `${target.name} has no price in ${customer.currency}.` });
  if (target.id === open.planVersion.planId) {
    throw new AppError("INVALID_INPUT", undefined, { toPlanId: `${customer.name} is already on ${target.name}; choose another plan.` });
  }
  const scheduled = await db.subscriptionChange.findFirst({ where: { subscriptionId: sub.id, status: "scheduled" }, orderBy: { effectiveAt: "asc" } });
  if (scheduled) {
    throw new AppError("INVALID_INPUT", undefined, {
      timing: `A change is already scheduled for ${scheduled.effectiveAt.toISOString().slice(0, 10)}; cancel it before making another.`,
    });
  }

  const currentPeriod = billingPeriodContaining(sub.billingAnchor, now);
  let effectiveAt: Date;
  if (input.timing === "immediate") {
    effectiveAt = opts.fixedEffectiveAt ?? now;
    const age = now.getTime() - effectiveAt.getTime();
    if (age < -60_000 || age > IMMEDIATE_PREVIEW_MAX_AGE_MS || effectiveAt < currentPeriod.start || effectiveAt <= open.startsAt) {
      throw new AppError("CONFLICT", OUT_OF_DATE);
    }
  } else if (input.timing === "period_end") {
    effectiveAt = currentPeriod.end;
  } else {
    const date = input.date ?? "";
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00.000Z`))) {
      throw new AppError("INVALID_INPUT", undefined, { date: "Choose the date the change takes effect." });
    }
    effectiveAt = new Date(`${date}T00:00:00.000Z`);
    if (effectiveAt <= now) throw new AppError("INVALID_INPUT", undefined, { date: "Choose a date in the future (dates start at 00:00 UTC)." });
    if (effectiveAt > addOneYear(now)) throw new AppError("INVALID_INPUT", undefined, { date: "Choose a date within a year from today." });
  }

  const plans = await loadBillingPlans(db, [open.planVersionId, toVersion.id]);
  const oldPlan = plans.get(open.planVersionId)!;
  const newPlan = plans.get(toVersion.id)!;
  const prorationPeriod = billingPeriodContaining(sub.billingAnchor, effectiveAt);
  // A change at a period boundary prorates nothing: the next period simply starts on the new plan.
  const prorationLines =
    effectiveAt.getTime() === prorationPeriod.start.getTime()
      ? []
      : planChangeProration({ period: prorationPeriod, changeAt: effectiveAt, oldPlan, newPlan }).lines;
  const prorationNet = prorationLines.reduce((s, l) => s + l.amountMinor, BigInt(0));

  const billing = await loadCustomerBilling(db, customer.id, now);
  if (!billing) throw new AppError("CONFLICT", OUT_OF_DATE);
  const [usage, credits] = await Promise.all([
    platformUsageDays(db, customer.id, billing.period),
    platformCreditGrants(db, customer.id, billing.currency),
  ]);
  const current = previewFor(billing, usage, credits, now);
  const affectsCurrentPeriod = effectiveAt < billing.period.end;
  let phasesAfter = billing.phases;
  let next = current;
  if (affectsCurrentPeriod) {
    phasesAfter = billing.phases.filter((p) => p.startsAt < effectiveAt).map((p) => ({ ...p }));
    const last = phasesAfter[phasesAfter.length - 1];
    if (last && (last.endsAt === null || last.endsAt > effectiveAt)) last.endsAt = effectiveAt;
    phasesAfter.push({ planVersionId: toVersion.id, startsAt: effectiveAt, endsAt: null });
    const merged = new Map(billing.plans);
    merged.set(toVersion.id, newPlan);
    next = previewFor({ ...billing, phases: phasesAfter, plans: merged }, usage, credits, now);
  }

  const toDto = (p: typeof current) =>
    toUpcomingInvoiceDto({ ...p, periodStart: p.period.start, periodEnd: p.period.end, asOf: now });
  const token = signPreview({
    v: 1,
    actor: actor.id,
    customer: customer.id,
    subscription: sub.id,
    openPhase: open.id,
    from: open.planVersionId,
    to: toVersion.id,
    timing: input.timing,
    effectiveAt: effectiveAt.toISOString(),
    lines: prorationLines.map((l) => [l.description, l.amountMinor.toString()]),
  });
  const preview: PlanChangePreview = {
    customerId: customer.id,
    customerName: customer.name,
    currency: customer.currency,
    timing: input.timing,
    date: input.timing === "on_date" ? (input.date ?? null) : null,
    effectiveAt: effectiveAt.toISOString(),
    from: versionDto(open.planVersion),
    to: versionDto({ ...toVersion, plan: target }),
    prorationPeriod: {
      start: prorationPeriod.start.toISOString(),
      end: prorationPeriod.end.toISOString(),
      label: formatPeriodLabel(prorationPeriod, { withYear: true }),
    },
    prorationLines: prorationLines.map((l) => ({ description: l.description, fraction: l.fraction, amountMinor: l.amountMinor.toString() })),
    prorationNetMinor: prorationNet.toString(),
    affectsCurrentPeriod,
    currentInvoice: toDto(current),
    newInvoice: toDto(next),
    differenceMinor: (next.totalMinor - current.totalMinor).toString(),
    phasesAfter: phasesAfter.map((p) => ({ planVersionId: p.planVersionId, startsAt: p.startsAt.toISOString(), endsAt: p.endsAt?.toISOString() ?? null })),
    token,
  };
  return {
    preview,
    customer: { id: customer.id, name: customer.name, provider: customer.provider, providerCustomerId: customer.providerCustomerId },
    subscriptionId: sub.id,
    openPhaseId: open.id,
    effectiveAt,
    prorationLines,
  };
}

/** The Preview button: what the change would do, and the token Confirm must send back. */
export async function previewPlanChange(db: Db, actor: StaffActor, input: PlanChangeInput, opts: { now?: Date } = {}): Promise<PlanChangePreview> {
  return (await computePlanChange(db, actor, input, opts)).preview;
}

export { OUT_OF_DATE };
