import { money, type Money } from "./money";

export type CreditGrant = {
  id: string;
  /** What is left of the grant, in minor units of `currency`. */
  remainingMinor: bigint;
  currency: string;
  /** Exclusive: a grant expiring at T can no longer be used at T (half-open, like periods). */
  expiresAt: Date | null;
  createdAt: Date;
};

export type CreditApplication = { grantId: string; appliedMinor: bigint; remainingAfterMinor: bigint };
export type SkippedGrant = { grantId: string; reason: "expired" | "empty" | "other_currency" };

export type ApplyCreditsResult = {
  currency: string | null;
  appliedMinor: bigint;
  /** The total after credits; never below zero. */
  totalAfterMinor: bigint;
  /** Only grants that gave something, in the order they were drawn. */
  applications: CreditApplication[];
  /** Every input grant with what it has left afterwards (the carry-over), in input order. */
  balances: { grantId: string; remainingMinor: bigint }[];
  skipped: SkippedGrant[];
};

const ZERO = BigInt(0);

/**
 * Draw order: soonest expiry first (use it before it is lost), grants without
 * expiry last, then oldest first, then id, so the order is total and the same
 * on every machine and in every retry.
 */
export function compareGrantsForUse(a: CreditGrant, b: CreditGrant): number {
  const ea = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const eb = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (ea !== eb) return ea < eb ? -1 : 1;
  const ca = a.createdAt.getTime();
  const cb = b.createdAt.getTime();
  if (ca !== cb) return ca < cb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function isGrantExpired(grant: CreditGrant, at: Date): boolean {
  return grant.expiresAt !== null && grant.expiresAt.getTime() <= at.getTime();
}

/**
 * Applies credit grants to an invoice total (charges, minor units) at instant
 * `at`. Credits come after charges and never take the total below zero; what a
 * grant does not give stays on it for the next invoice. Expired and empty grants
 * are skipped. With `currency`, grants in other currencies are skipped; without
 * it, all grants must share one currency.
 */
export function applyCredits(
  totalMinor: bigint,
  grants: readonly CreditGrant[],
  at: Date,
  opts: { currency?: string } = {},
): ApplyCreditsResult {
  // No grants (most invoices): nothing applied, nothing to carry over.
  if (grants.length === 0) {
    return { currency: opts.currency ?? null, appliedMinor: ZERO, totalAfterMinor: totalMinor - ZERO, applications: [], balances: [], skipped: [] };
  }
  const currencies = new Set(grants.map((g) => g.currency));
  if (opts.currency === undefined && currencies.size > 1) {
    throw new RangeError(`Credit grants in several currencies: ${[...currencies].join(", ")}`);
  }
  const currency = opts.currency ?? grants[0]?.currency ?? null;
  const remaining = new Map(grants.map((g) => [g.id, g.remainingMinor]));
  if (remaining.size !== grants.length) throw new RangeError("Duplicate credit grant id");

  const skipped: SkippedGrant[] = [];
  const usable: CreditGrant[] = [];
  for (const g of grants) {
    if (g.currency !== currency) skipped.push({ grantId: g.id, reason: "other_currency" });
    else if (isGrantExpired(g, at)) skipped.push({ grantId: g.id, reason: "expired" });
    else if (g.remainingMinor <= ZERO) skipped.push({ grantId: g.id, reason: "empty" });
    else usable.push(g);
  }
  usable.sort(compareGrantsForUse);

  let due = totalMinor > ZERO ? totalMinor : ZERO;
  const applications: CreditApplication[] = [];
  for (const g of usable) {
    if (due === ZERO) break;
    const take = g.remainingMinor < due ? g.remainingMinor : due;
    due -= take;
    remaining.set(g.id, g.remainingMinor - take);
    applications.push({ grantId: g.id, appliedMinor: take, remainingAfterMinor: g.remainingMinor - take });
  }
  const appliedMinor = applications.reduce((s, a) => s + a.appliedMinor, ZERO);
  return {
    currency,
    appliedMinor,
    totalAfterMinor: totalMinor - appliedMinor,
    applications,
    balances: grants.map((g) => ({ grantId: g.id, remainingMinor: remaining.get(g.id) ?? ZERO })),
    skipped,
  };
}

export type LedgerEntryKind = "grant" | "consumption" | "expiration" | "void";

/**
 * The credit ledger is append-only: expiry and void are entries, never edits.
 * Signed amounts: a grant adds (> 0); consumption, expiration and void take
 * away (< 0). Zero entries are allowed (a fully consumed grant expiring).
 */
export type LedgerEntry = { kind: LedgerEntryKind; amountMinor: bigint; currency: string; grantId?: string };

function checkSign(e: LedgerEntry): void {
  const ok = e.kind === "grant" ? e.amountMinor >= ZERO : e.amountMinor <= ZERO;
  // A positive "consumption" means someone stored magnitudes; summing it would double the balance.
  if (!ok) throw new RangeError(`Ledger ${e.kind} entry has the wrong sign: ${e.amountMinor}`);
}

/** Balance = sum of the ledger. Throws on mixed currencies or wrongly signed entries. */
export function ledgerBalance(entries: readonly LedgerEntry[], currency: string): Money {
  let total = ZERO;
  for (const e of entries) {
    if (e.currency !== currency) throw new RangeError(`Ledger entry in ${e.currency}, expected ${currency}`);
    checkSign(e);
    total += e.amountMinor;
  }
  return money(total, currency);
}

/** Remaining amount per grant (entries without grantId are ignored), from the ledger alone. */
export function ledgerBalanceByGrant(entries: readonly LedgerEntry[]): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const e of entries) {
    if (e.grantId === undefined) continue;
    checkSign(e);
    out.set(e.grantId, (out.get(e.grantId) ?? ZERO) + e.amountMinor);
  }
  return out;
}
