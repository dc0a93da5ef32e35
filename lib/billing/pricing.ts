import { BillingDecimal, ZERO, catalogDecimal, toNonNegativeDecimal, type Decimal, type DecimalValue } from "./decimal";

/** Rates and quantities are decimal strings as stored (numeric columns), never floats. */
export type DecimalString = string;

/** A tier covers (previous upTo, upTo]: the upper bound is inclusive; null = unbounded. */
export type Tier = { upTo: DecimalString | null; unitPrice: DecimalString; flatFee?: DecimalString };

export type Price =
  | { model: "per_unit"; unitPrice: DecimalString }
  /** Each unit is priced at the tier it falls in. */
  | { model: "graduated"; tiers: Tier[] }
  /** Every unit is priced at the tier the total reaches. */
  | { model: "volume"; tiers: Tier[] }
  /** Per started package of `packageSize` units (a partial package is a whole one). */
  | { model: "package"; packageSize: DecimalString; packagePrice: DecimalString };

export type PlanMeter = {
  meterKey: string;
  displayName: string;
  unit: string;
  /** Allowance per full period: the first N units of the period are free. */
  includedQuantity: DecimalString;
  price: Price;
};

export type Plan = {
  id: string;
  name: string;
  currency: string;
  /** Major units per full period, e.g. "49.00". */
  baseFee: DecimalString;
  meters: PlanMeter[];
  /** Major units per full period; charges below it are topped up. */
  minimumCommitment?: DecimalString;
};

export type BreakdownLine = { label: string; quantity: Decimal; unitPrice: Decimal; amount: Decimal };
/** `amount` is exact and unrounded; rounding happens once, per invoice line. */
export type PricedUsage = { amount: Decimal; breakdown: BreakdownLine[] };

type ParsedTier = { lo: Decimal; hi: Decimal | null; unitPrice: Decimal; flatFee: Decimal };

function parseTiers(tiers: Tier[]): ParsedTier[] {
  if (tiers.length === 0) throw new RangeError("a tiered price needs at least one tier");
  let lo = ZERO;
  return tiers.map((t, i) => {
    const last = i === tiers.length - 1;
    if (t.upTo === null && !last) throw new RangeError("only the last tier may be unbounded");
    if (t.upTo !== null && last) throw new RangeError("the last tier must be unbounded (upTo: null)");
    const hi = t.upTo === null ? null : catalogDecimal(t.upTo, `tier ${i + 1} upTo`);
    if (hi !== null && hi.lte(lo)) throw new RangeError(`tier ${i + 1} upTo must exceed the previous tier`);
    const parsed = {
      lo,
      hi,
      unitPrice: catalogDecimal(t.unitPrice, `tier ${i + 1} unitPrice`),
      flatFee: catalogDecimal(t.flatFee ?? "0", `tier ${i + 1} flatFee`),
    };
    if (hi !== null) lo = hi;
    return parsed;
  });
}

/**
 * Parsed tiers per tiers array: catalogue plans are loaded once and never edited in place (a
 * price change is a new plan version), so every customer on a plan shares one parse.
 */
const parsedTiers = new WeakMap<Tier[], ParsedTier[]>();

function tiersOf(tiers: Tier[]): ParsedTier[] {
  let parsed = parsedTiers.get(tiers);
  if (parsed === undefined) {
    parsed = parseTiers(tiers);
    parsedTiers.set(tiers, parsed);
  }
  return parsed;
}

/** Throws a RangeError describing the first problem; use when saving a catalogue. */
export function validatePrice(price: Price): void {
  switch (price.model) {
    case "per_unit":
      catalogDecimal(price.unitPrice, "unitPrice");
      return;
    case "graduated":
    case "volume":
      parseTiers(price.tiers);
      return;
    case "package":
      if (catalogDecimal(price.packageSize, "packageSize").isZero()) {
        throw new RangeError("packageSize must be positive");
      }
      catalogDecimal(price.packagePrice, "packagePrice");
      return;
  }
}

export function validatePlan(plan: Plan): void {
  catalogDecimal(plan.baseFee, "baseFee");
  if (plan.minimumCommitment !== undefined) catalogDecimal(plan.minimumCommitment, "minimumCommitment");
  const seen = new Set<string>();
  for (const m of plan.meters) {
    if (seen.has(m.meterKey)) throw new RangeError(`duplicate meter ${m.meterKey} in plan ${plan.id}`);
    seen.add(m.meterKey);
    catalogDecimal(m.includedQuantity, `${m.meterKey} includedQuantity`);
    validatePrice(m.price);
  }
}

const line = (label: string, quantity: Decimal, unitPrice: Decimal): BreakdownLine => ({
  label,
  quantity,
  unitPrice,
  amount: quantity.times(unitPrice),
});

function tierLabel(i: number, t: ParsedTier): string {
  return t.hi === null ? `Tier ${i + 1} (over ${t.lo})` : `Tier ${i + 1} (${t.lo} – ${t.hi})`;
}

function graduated(tiers: ParsedTier[], from: Decimal, to: Decimal): BreakdownLine[] {
  const out: BreakdownLine[] = [];
  tiers.forEach((t, i) => {
    const inTier = BillingDecimal.min(to, t.hi ?? to).minus(BillingDecimal.max(from, t.lo));
    if (inTier.lte(0)) return;
    out.push(line(tierLabel(i, t), inTier, t.unitPrice));
    // A tier's flat fee belongs to the piece that consumes the tier's first unit,
    // so a period priced in pieces (tierOffset) charges it exactly once.
    if (!t.flatFee.isZero() && t.lo.gte(from)) out.push(line(`Tier ${i + 1} flat fee`, new BillingDecimal(1), t.flatFee));
  });
  return out;
}

function volumeTotal(tiers: ParsedTier[], total: Decimal, sign: 1 | -1): BreakdownLine[] {
  if (total.isZero()) return [];
  const i = tiers.findIndex((t) => t.hi === null || total.lte(t.hi));
  const t = tiers[i]!; // the last tier is unbounded, so one always matches
  const s = new BillingDecimal(sign);
  const prefix = sign === 1 ? "" : "Less already billed: ";
  const out = [line(`${prefix}${total} units at tier ${i + 1}`, total.times(s), t.unitPrice)];
  if (!t.flatFee.isZero()) out.push(line(`${prefix}Tier ${i + 1} flat fee`, s, t.flatFee));
  return out;
}

/**
 * Prices `quantity` units. `tierOffset` is how much was already priced earlier
 * in the same period; the result is price(offset + quantity) − price(offset),
 * so pricing a period in pieces equals pricing it whole, for every model.
 * For volume pricing that difference can be negative: crossing into a cheaper
 * tier reprices the earlier units (the "volume cliff"); the breakdown says so.
 */
export function priceUsage(
  price: Price,
  quantityIn: DecimalValue,
  opts: { tierOffset?: DecimalValue } = {},
): PricedUsage {
  const quantity = toNonNegativeDecimal(quantityIn, "quantity");
  const offset = toNonNegativeDecimal(opts.tierOffset ?? ZERO, "tierOffset");
  const end = offset.isZero() ? quantity : offset.plus(quantity);
  let breakdown: BreakdownLine[];
  switch (price.model) {
    case "per_unit":
      breakdown = quantity.isZero() ? [] : [line("Per unit", quantity, catalogDecimal(price.unitPrice, "unitPrice"))];
      break;
    case "graduated":
      breakdown = graduated(tiersOf(price.tiers), offset, end);
      break;
    case "volume": {
      const tiers = tiersOf(price.tiers);
      breakdown = quantity.isZero() ? [] : [...volumeTotal(tiers, end, 1), ...volumeTotal(tiers, offset, -1)];
      break;
    }
    case "package": {
      const size = catalogDecimal(price.packageSize, "packageSize");
      if (size.isZero()) throw new RangeError("packageSize must be positive");
      const packages = end.div(size).ceil().minus(offset.div(size).ceil());
      breakdown = packages.isZero()
        ? []
        : [line(`${packages} × package of ${size}`, packages, catalogDecimal(price.packagePrice, "packagePrice"))];
      break;
    }
  }
  // One line (the usual case): its amount is the sum (0 + a is a, and no single line is ever -0).
  const amount = breakdown.length === 1 ? breakdown[0]!.amount : breakdown.reduce((sum, l) => sum.plus(l.amount), ZERO);
  return { amount, breakdown };
}

/**
 * Prices a meter's usage with its allowance: the first `includedQuantity`
 * units of the period are free, before any tier. `consumedBefore` is the raw
 * usage already priced earlier in the period (allowance and tiers carry over);
 * `includedQuantity` overrides the meter's allowance (e.g. prorated).
 */
export function priceMeterUsage(
  meter: PlanMeter,
  quantityIn: DecimalValue,
  opts: { consumedBefore?: DecimalValue; includedQuantity?: DecimalValue } = {},
): PricedUsage {
  const quantity = toNonNegativeDecimal(quantityIn, "quantity");
  const before = toNonNegativeDecimal(opts.consumedBefore ?? ZERO, "consumedBefore");
  const allowance = catalogDecimal(opts.includedQuantity ?? meter.includedQuantity, "includedQuantity");
  // Nothing consumed before (a period's first segment): the same arithmetic with before = 0.
  const freeHere = before.isZero()
    ? (quantity.lte(allowance) ? quantity : allowance)
    : BillingDecimal.min(before.plus(quantity), allowance).minus(BillingDecimal.min(before, allowance));
  const billable = freeHere === quantity ? ZERO : quantity.minus(freeHere);
  const billableBefore = before.isZero() ? ZERO : BillingDecimal.max(before.minus(allowance), ZERO);
  const priced = priceUsage(meter.price, billable, { tierOffset: billableBefore });
  if (freeHere.isZero()) return priced;
  return {
    amount: priced.amount,
    breakdown: [line(`Included (${allowance} ${meter.unit})`, freeHere, ZERO), ...priced.breakdown],
  };
}

