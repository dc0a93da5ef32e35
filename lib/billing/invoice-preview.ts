import { applyCredits, type CreditApplication, type CreditGrant, type SkippedGrant } from "./credits";
import { BillingDecimal, ZERO, catalogDecimal, toNonNegativeDecimal, type Decimal } from "./decimal";
import { formatMoney, roundToMinorHalfEven } from "./money";
import { assertValidPeriod, formatPeriodLabel, type Period } from "./period";
import { priceMeterUsage, validatePlan, type Plan, type PricedUsage } from "./pricing";
import { planChangeProration, prorateAmount, prorateFraction, unusedTimeCredit, type ProrationLine } from "./proration";

/** A stretch of the period under one plan, with the usage that happened in it (decimal strings). */
export type PlanSegment = { plan: Plan; from: Date; to: Date; usageByMeter: Record<string, string> };

export type InvoiceLineKind = "base" | "usage" | "proration" | "minimum" | "credit";
/** Decimal strings, so a line can cross to the client as is (amountMinor aside). */
export type InvoiceBreakdownLine = { label: string; quantity: string; unitPrice: string; amount: string };

export type InvoiceLine = {
  kind: InvoiceLineKind;
  description: string;
  planId?: string;
  meterKey?: string;
  grantId?: string;
  quantity?: string;
  breakdown?: InvoiceBreakdownLine[];
  /** Rounded once, by roundToMinorHalfEven. Negative for credits and unused time. */
  amountMinor: bigint;
};

export type InvoicePreview = {
  currency: string;
  period: Period;
  lines: InvoiceLine[];
  /** Sum of all lines except credits (minimum top-up included). */
  subtotalMinor: bigint;
  creditsAppliedMinor: bigint;
  /** subtotal − credits = sum of all lines; never below zero because of credits. */
  totalMinor: bigint;
  creditApplications: CreditApplication[];
  /** Every grant's remaining amount after this invoice (the carry-over). */
  creditBalances: { grantId: string; remainingMinor: bigint }[];
  skippedCredits: SkippedGrant[];
  /** Usage on meters the plan in force does not price: not billed, surfaced so someone looks. */
  unpricedUsage: { planId: string; meterKey: string; quantity: string }[];
};

/**
 * Plans already validated. Catalogue plans are loaded once and shared by every customer on
 * them, and never edited in place (a price change is a new plan version): one check each.
 */
const validPlans = new WeakSet<Plan>();

function checkSegments(currency: string, period: Period, segments: readonly PlanSegment[]): void {
  if (segments.length === 0) throw new RangeError("an invoice preview needs at least one plan segment");
  segments.forEach((s, i) => {
    if (s.plan.currency !== currency) {
      throw new RangeError(`plan ${s.plan.id} is in ${s.plan.currency}, customer in ${currency}`);
    }
    if (!validPlans.has(s.plan)) {
      validatePlan(s.plan);
      validPlans.add(s.plan);
    }
    if (s.to.getTime() <= s.from.getTime()) throw new RangeError(`segment ${i} is empty or reversed`);
    if (s.from.getTime() < period.start.getTime() || s.to.getTime() > period.end.getTime()) {
      throw new RangeError(`segment ${i} lies outside the period`);
    }
    const prev = segments[i - 1];
    // Contiguous: a plan change hands over at one instant. Gaps (a pause) are not modelled yet.
    if (prev && prev.to.getTime() !== s.from.getTime()) throw new RangeError(`segment ${i} does not start where ${i - 1} ends`);
  });
}

/**
 * Adjacent segments on the same plan id are one segment: a plan id names one
 * immutable catalogue version, and splitting a line in two would round twice.
 */
function mergeSamePlan(segments: readonly PlanSegment[]): PlanSegment[] {
  const out: PlanSegment[] = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && last.plan.id === s.plan.id) {
      const usage: Record<string, string> = { ...last.usageByMeter };
      for (const [k, v] of Object.entries(s.usageByMeter)) {
        usage[k] = toNonNegativeDecimal(usage[k] ?? "0", k).plus(toNonNegativeDecimal(v, k)).toString();
      }
      out[out.length - 1] = { plan: last.plan, from: last.from, to: s.to, usageByMeter: usage };
    } else out.push(s);
  }
  return out;
}

const fromProration = (l: ProrationLine): InvoiceLine => ({
  kind: "proration",
  description: l.description,
  planId: l.planId,
  amountMinor: l.amountMinor,
});

/** Base fee of the first plan to period end, then the plan-change lines (the same function the change preview uses). */
function baseAndProrationLines(period: Period, segs: PlanSegment[]): InvoiceLine[] {
  const first = segs[0]!;
  const last = segs[segs.length - 1]!;
  const lines: InvoiceLine[] = [];
  // From the period's start the share is exactly 1: the whole fee, with no dates in the label.
  const whole = first.from.getTime() === period.start.getTime();
  const partial = !whole && prorateFraction(period, first.from, period.end).lt(1) ? ` (${formatPeriodLabel({ start: first.from, end: period.end })})` : "";
  const baseFee = whole ? catalogDecimal(first.plan.baseFee, "per-period amount") : prorateAmount(first.plan.baseFee, period, first.from, period.end);
  const baseMinor = roundToMinorHalfEven(baseFee, first.plan.currency);
  if (baseMinor !== BigInt(0)) {
    lines.push({ kind: "base", description: `${first.plan.name} base fee${partial}`, planId: first.plan.id, amountMinor: baseMinor });
  }
  for (let i = 1; i < segs.length; i++) {
    const change = planChangeProration({ period, changeAt: segs[i]!.from, oldPlan: segs[i - 1]!.plan, newPlan: segs[i]!.plan });
    lines.push(...change.lines.map(fromProration));
  }
  // Ended before period end (cancellation): the rest of the last plan's fee is credited back.
  if (last.to.getTime() < period.end.getTime()) {
    const credit = unusedTimeCredit(period, last.to, last.plan);
    if (credit) lines.push(fromProration(credit));
  }
  return lines;
}

const NO_MINOR = BigInt(0);

const breakdownStrings = (p: PricedUsage): InvoiceBreakdownLine[] =>
  p.breakdown.map((b) => ({ label: b.label, quantity: b.quantity.toString(), unitPrice: b.unitPrice.toString(), amount: b.amount.toString() }));

/**
 * A per-period plan value (allowance, minimum) pooled by time share:
 * Σ value × segment length ÷ period length, divided once so that whole-period
 * and split-at-any-instant pools of the same plan are exactly equal.
 */
function poolByTime(period: Period, segs: PlanSegment[], valueOf: (plan: Plan) => string | undefined): Decimal {
  const only = segs.length === 1 ? segs[0]! : null;
  // One plan for the whole period (the usual case): value × length ÷ length is the value itself.
  if (only && only.from.getTime() === period.start.getTime() && only.to.getTime() === period.end.getTime()) {
    return catalogDecimal(valueOf(only.plan) ?? "0", "pooled value");
  }
  const weighted = segs.reduce(
    (sum, s) => sum.plus(catalogDecimal(valueOf(s.plan) ?? "0", "pooled value").times(s.to.getTime() - s.from.getTime())),
    new BillingDecimal(0),
  );
  return weighted.div(period.end.getTime() - period.start.getTime());
}

/** Usage priced by the plan in force; allowance pooled by time share and tiers carried across segments (see proration.ts). */
function usageLines(period: Period, segs: PlanSegment[], unpriced: InvoicePreview["unpricedUsage"]): InvoiceLine[] {
  const meterKeys = new Set(segs.flatMap((s) => s.plan.meters.map((m) => m.meterKey)));
  const allowance = new Map(
    [...meterKeys].map((k) => [k, poolByTime(period, segs, (p) => p.meters.find((m) => m.meterKey === k)?.includedQuantity)]),
  );
  const consumed = new Map<string, Decimal>();
  const lines: InvoiceLine[] = [];
  segs.forEach((s) => {
    const suffix = segs.length > 1 ? ` — ${s.plan.name} (${formatPeriodLabel({ start: s.from, end: s.to })})` : "";
    const parsed = new Map<string, Decimal>();
    for (const [meterKey, raw] of Object.entries(s.usageByMeter)) {
      const q = toNonNegativeDecimal(raw, `usage of ${meterKey}`);
      parsed.set(meterKey, q);
      if (!s.plan.meters.some((m) => m.meterKey === meterKey) && !q.isZero()) {
        unpriced.push({ planId: s.plan.id, meterKey, quantity: q.toString() });
      }
    }
    for (const m of s.plan.meters) {
      const raw = s.usageByMeter[m.meterKey];
      const q = raw === undefined ? ZERO : (parsed.get(m.meterKey) ?? toNonNegativeDecimal(raw, `usage of ${m.meterKey}`));
      if (q.isZero()) {
        // Nothing used: no allowance drawn, no tier entered, nothing charged, for every price model
        // (exactly what priceMeterUsage returns for zero, without the arithmetic).
        lines.push({ kind: "usage", description: `${m.displayName}${suffix}`, planId: s.plan.id, meterKey: m.meterKey, quantity: "0", breakdown: [], amountMinor: NO_MINOR });
        continue;
      }
      const before = consumed.get(m.meterKey) ?? ZERO;
      const priced = priceMeterUsage(m, q, { consumedBefore: before, includedQuantity: allowance.get(m.meterKey) ?? ZERO });
      consumed.set(m.meterKey, before.plus(q));
      lines.push({
        kind: "usage",
        description: `${m.displayName}${suffix}`,
        planId: s.plan.id,
        meterKey: m.meterKey,
        quantity: q.toString(),
        breakdown: breakdownStrings(priced),
        amountMinor: roundToMinorHalfEven(priced.amount, s.plan.currency),
      });
    }
  });
  return lines;
}

/** Minimum commitment pooled by time share, like the allowance; null when no plan has one. */
function minimumMinor(period: Period, segs: PlanSegment[], currency: string): bigint | null {
  if (!segs.some((s) => s.plan.minimumCommitment !== undefined)) return null;
  return roundToMinorHalfEven(poolByTime(period, segs, (p) => p.minimumCommitment), currency);
}

/**
 * Meterdesk's own computation of an invoice for `period`: base fee, plan-change
 * proration, usage by the plan in force, minimum top-up, then credits (applied
 * at instant `at`, never below zero). Every line is rounded exactly once and
 * the total is the sum of the lines.
 */
export function previewInvoice(input: {
  customerCurrency: string;
  period: Period;
  segments: readonly PlanSegment[];
  credits: readonly CreditGrant[];
  at: Date;
}): InvoicePreview {
  const { customerCurrency: currency, period } = input;
  assertValidPeriod(period);
  checkSegments(currency, period, input.segments);
  const segs = mergeSamePlan(input.segments);
  const unpricedUsage: InvoicePreview["unpricedUsage"] = [];
  const lines = [...baseAndProrationLines(period, segs), ...usageLines(period, segs, unpricedUsage)];

  const charges = lines.reduce((s, l) => s + l.amountMinor, BigInt(0));
  const minimum = minimumMinor(period, segs, currency);
  if (minimum !== null && charges < minimum) {
    lines.push({
      kind: "minimum",
      description: `Minimum commitment top-up (minimum ${formatMoney({ amountMinor: minimum, currency })})`,
      amountMinor: minimum - charges,
    });
  }
  const subtotalMinor = lines.reduce((s, l) => s + l.amountMinor, BigInt(0));

  const applied = applyCredits(subtotalMinor, input.credits, input.at, { currency });
  for (const a of applied.applications) {
    lines.push({ kind: "credit", description: `Credit applied (grant ${a.grantId})`, grantId: a.grantId, amountMinor: -a.appliedMinor });
  }
  return {
    currency,
    period,
    lines,
    subtotalMinor,
    creditsAppliedMinor: applied.appliedMinor,
    totalMinor: subtotalMinor - applied.appliedMinor,
    creditApplications: applied.applications,
    creditBalances: applied.balances,
    skippedCredits: applied.skipped,
    unpricedUsage,
  };
}
