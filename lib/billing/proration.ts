import { BillingDecimal, catalogDecimal, type Decimal, type DecimalValue } from "./decimal";
import { roundToMinorHalfEven } from "./money";
import { assertValidPeriod, formatPeriodLabel, overlap, type Period } from "./period";
import type { Plan } from "./pricing";

/**
 * Proration is by elapsed time of the half-open period, measured in seconds
 * (millisecond resolution): the share of [period.start, period.end) covered
 * by [from, to). Not by days: a change at 18:00 is charged for 18 hours, and
 * February is not worth less per second than January for the customer. Parts
 * of [from, to) outside the period do not count.
 */
export function prorateFraction(period: Period, from: Date, to: Date): Decimal {
  const [num, den] = fractionParts(period, from, to);
  return new BillingDecimal(num).div(den);
}

function fractionParts(period: Period, from: Date, to: Date): [number, number] {
  assertValidPeriod(period);
  if (to.getTime() < from.getTime()) throw new RangeError("proration range ends before it starts");
  const shared = overlap(period, { start: from, end: to });
  const den = period.end.getTime() - period.start.getTime();
  return [shared ? shared.end.getTime() - shared.start.getTime() : 0, den];
}

/**
 * A per-period amount (base fee, allowance, minimum) for [from, to) of the
 * period, unrounded. Multiplies before dividing: when the exact result is a
 * terminating decimal (a true half-cent tie) it is computed exactly, so the
 * half-even rule sees the real tie and not 0.004999… from a rounded 1/6.
 */
export function prorateAmount(perPeriod: DecimalValue, period: Period, from: Date, to: Date): Decimal {
  const [num, den] = fractionParts(period, from, to);
  return catalogDecimal(perPeriod, "per-period amount").times(num).div(den);
}

/*
 * Allowance and minimum across a plan change (the choice, documented here and
 * tested in invoice-preview.test.ts): each plan contributes its included
 * quantity and its minimum commitment in proportion to the share of the period
 * it was in force, and the contributions are pooled for the whole period. The
 * pooled allowance covers the first units of the period, whichever plan they
 * fell under. Why:
 *  - base fee is prorated by time, and the allowance is what the base fee buys;
 *  - switching plans back and forth cannot collect a full allowance twice;
 *  - a change to the same plan, or no change at all, gives exactly the full
 *    allowance, so it changes nothing (a per-segment allowance would not: usage
 *    bunched into one half would lose the other half's share).
 */

export type ProrationLine = {
  kind: "proration";
  description: string;
  planId: string;
  /** Share of the period this line covers, as a decimal string. */
  fraction: string;
  /** Negative for the credit of unused time. */
  amountMinor: bigint;
};

export type PlanChangeProration = { currency: string; lines: ProrationLine[]; netMinor: bigint };

/** Credit for the unused rest of a plan's base fee from `from` to period end. Zero lines are omitted. */
export function unusedTimeCredit(period: Period, from: Date, plan: Plan): ProrationLine | null {
  const fraction = prorateFraction(period, from, period.end);
  const amountMinor = -roundToMinorHalfEven(prorateAmount(plan.baseFee, period, from, period.end), plan.currency);
  if (amountMinor === BigInt(0)) return null;
  const label = formatPeriodLabel({ start: from, end: period.end });
  return {
    kind: "proration",
    description: `Unused time on ${plan.name} (${label})`,
    planId: plan.id,
    fraction: fraction.toString(),
    amountMinor,
  };
}

function remainingTimeCharge(period: Period, from: Date, plan: Plan): ProrationLine | null {
  const fraction = prorateFraction(period, from, period.end);
  const amountMinor = roundToMinorHalfEven(prorateAmount(plan.baseFee, period, from, period.end), plan.currency);
  if (amountMinor === BigInt(0)) return null;
  const label = formatPeriodLabel({ start: from, end: period.end });
  return {
    kind: "proration",
    description: `Remaining time on ${plan.name} (${label})`,
    planId: plan.id,
    fraction: fraction.toString(),
    amountMinor,
  };
}

/**
 * Lines for an immediate plan change at `changeAt` inside `period`, on top of
 * the old plan's base fee already charged for the rest of the period: credit
 * the old plan's unused time (negative), charge the new plan's remaining time.
 * Each line is rounded once. When both base fees are equal the two lines would
 * cancel to the cent, so none are produced (a same-plan change changes nothing).
 * invoice-preview builds its lines with this very function, so the preview shown
 * before confirming is what the invoice then contains.
 */
export function planChangeProration(input: {
  period: Period;
  changeAt: Date;
  oldPlan: Plan;
  newPlan: Plan;
}): PlanChangeProration {
  const { period, changeAt, oldPlan, newPlan } = input;
  assertValidPeriod(period);
  if (oldPlan.currency !== newPlan.currency) {
    throw new RangeError(`Cannot change between currencies: ${oldPlan.currency} → ${newPlan.currency}`);
  }
  const t = changeAt.getTime();
  if (!(t >= period.start.getTime() && t < period.end.getTime())) {
    throw new RangeError("changeAt must lie inside the period [start, end)");
  }
  const sameFee = catalogDecimal(oldPlan.baseFee, "baseFee").eq(catalogDecimal(newPlan.baseFee, "baseFee"));
  const lines = sameFee
    ? []
    : [unusedTimeCredit(period, changeAt, oldPlan), remainingTimeCharge(period, changeAt, newPlan)].filter(
        (l): l is ProrationLine => l !== null,
      );
  const netMinor = lines.reduce((sum, l) => sum + l.amountMinor, BigInt(0));
  return { currency: oldPlan.currency, lines, netMinor };
}
