import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { applyCredits, compareGrantsForUse, ledgerBalance, ledgerBalanceByGrant, type CreditGrant, type LedgerEntry } from "./credits";

const d = (iso: string) => new Date(iso);
const at = d("2024-11-30T00:00:00Z");
const grant = (id: string, remainingMinor: bigint, expiresAt: string | null, createdAt = "2024-01-01T00:00:00Z", currency = "USD"): CreditGrant => ({
  id,
  remainingMinor,
  currency,
  expiresAt: expiresAt === null ? null : d(expiresAt),
  createdAt: d(createdAt),
});

describe("applyCredits", () => {
  it("uses the soonest-expiring grant first, never-expiring last, and carries the rest over", () => {
    const r = applyCredits(
      10000n,
      [grant("forever", 5000n, null), grant("late", 3000n, "2025-06-01T00:00:00Z"), grant("soon", 4000n, "2024-12-15T00:00:00Z")],
      at,
    );
    expect(r.applications).toEqual([
      { grantId: "soon", appliedMinor: 4000n, remainingAfterMinor: 0n },
      { grantId: "late", appliedMinor: 3000n, remainingAfterMinor: 0n },
      { grantId: "forever", appliedMinor: 3000n, remainingAfterMinor: 2000n },
    ]);
    expect(r.appliedMinor).toBe(10000n);
    expect(r.totalAfterMinor).toBe(0n);
    expect(r.balances).toEqual([
      { grantId: "forever", remainingMinor: 2000n },
      { grantId: "late", remainingMinor: 0n },
      { grantId: "soon", remainingMinor: 0n },
    ]);
  });

  it("breaks expiry ties by creation, then id", () => {
    const exp = "2025-01-01T00:00:00Z";
    const r = applyCredits(150n, [grant("b", 100n, exp, "2024-02-01T00:00:00Z"), grant("c", 100n, exp, "2024-01-01T00:00:00Z"), grant("a", 100n, exp, "2024-02-01T00:00:00Z")], at);
    expect(r.applications.map((a) => [a.grantId, a.appliedMinor])).toEqual([["c", 100n], ["a", 50n]]);
  });

  it("skips expired grants (expiry is exclusive), empty grants and other currencies", () => {
    const r = applyCredits(
      1000n,
      [grant("expired", 500n, "2024-11-29T00:00:00Z"), grant("expires-now", 500n, at.toISOString()), grant("empty", 0n, null), grant("eur", 500n, null, undefined, "EUR"), grant("ok", 300n, "2024-11-30T00:00:00.001Z")],
      at,
      { currency: "USD" },
    );
    expect(r.applications.map((a) => a.grantId)).toEqual(["ok"]);
    expect(r.skipped).toEqual([
      { grantId: "expired", reason: "expired" },
      { grantId: "expires-now", reason: "expired" },
      { grantId: "empty", reason: "empty" },
      { grantId: "eur", reason: "other_currency" },
    ]);
    expect(r.totalAfterMinor).toBe(700n);
  });

  it("never takes the total below zero, and applies nothing to a zero or negative total", () => {
    expect(applyCredits(300n, [grant("g", 1000n, null)], at).totalAfterMinor).toBe(0n);
    expect(applyCredits(0n, [grant("g", 1000n, null)], at).applications).toEqual([]);
    expect(applyCredits(-50n, [grant("g", 1000n, null)], at)).toMatchObject({ appliedMinor: 0n, totalAfterMinor: -50n });
  });

  it("refuses mixed currencies without a currency, and duplicate ids", () => {
    expect(() => applyCredits(1n, [grant("a", 1n, null), grant("b", 1n, null, undefined, "EUR")], at)).toThrow(/several currencies/);
    expect(() => applyCredits(1n, [grant("a", 1n, null), grant("a", 1n, null)], at)).toThrow(/Duplicate/);
  });

  const grants = fc.uniqueArray(
    fc.record({
      id: fc.string({ minLength: 1, maxLength: 4 }),
      remainingMinor: fc.bigInt({ min: -10n, max: 10n ** 6n }),
      currency: fc.constant("USD"),
      expiresAt: fc.option(fc.date({ min: d("2024-11-01T00:00:00Z"), max: d("2025-01-01T00:00:00Z"), noInvalidDate: true }), { nil: null }),
      createdAt: fc.date({ min: d("2024-01-01T00:00:00Z"), max: d("2024-11-01T00:00:00Z"), noInvalidDate: true }),
    }),
    { selector: (g) => g.id, maxLength: 8 },
  );

  it("property: never negative, never more than the grants or the total, balances conserve, expired untouched", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -1000n, max: 10n ** 7n }), grants, (total, gs) => {
        const r = applyCredits(total, gs, at);
        const usable = gs.filter((g) => (g.expiresAt === null || g.expiresAt > at) && g.remainingMinor > 0n);
        const usableSum = usable.reduce((s, g) => s + g.remainingMinor, 0n);
        const before = new Map(gs.map((g) => [g.id, g.remainingMinor]));
        const positive = total > 0n ? total : 0n;
        const expected = positive < usableSum ? positive : usableSum;
        return (
          r.appliedMinor === expected && // greedy: applies all it can
          (total <= 0n || r.totalAfterMinor >= 0n) &&
          r.totalAfterMinor === total - r.appliedMinor &&
          r.applications.every((a) => a.appliedMinor > 0n && a.appliedMinor <= before.get(a.grantId)!) &&
          r.applications.every((a) => usable.some((g) => g.id === a.grantId)) &&
          r.balances.reduce((s, b) => s + b.remainingMinor, 0n) === gs.reduce((s, g) => s + g.remainingMinor, 0n) - r.appliedMinor
        );
      }),
      { numRuns: 200 },
    );
  });

  it("property: draws in order, and only the last grant drawn can keep a remainder", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 7n }), grants, (total, gs) => {
        const r = applyCredits(total, gs, at);
        const byId = new Map(gs.map((g) => [g.id, g]));
        const drawn = r.applications.map((a) => byId.get(a.grantId)!);
        const ordered = drawn.every((g, i) => i === 0 || compareGrantsForUse(drawn[i - 1]!, g) < 0);
        const drained = r.applications.slice(0, -1).every((a) => a.remainingAfterMinor === 0n);
        return ordered && drained;
      }),
      { numRuns: 200 },
    );
  });
});

describe("ledgerBalance", () => {
  const e = (kind: LedgerEntry["kind"], amountMinor: bigint, grantId?: string): LedgerEntry => ({ kind, amountMinor, currency: "USD", grantId });
  it("is the sum of the signed ledger", () => {
    const entries = [e("grant", 10000n, "g1"), e("consumption", -2500n, "g1"), e("grant", 5000n, "g2"), e("expiration", -7500n, "g1"), e("void", -5000n, "g2"), e("grant", 100n, "g3")];
    expect(ledgerBalance(entries, "USD")).toEqual({ amountMinor: 100n, currency: "USD" });
    expect(ledgerBalanceByGrant(entries)).toEqual(new Map([["g1", 0n], ["g2", 0n], ["g3", 100n]]));
    expect(ledgerBalance([], "USD").amountMinor).toBe(0n);
  });
  it("rejects wrongly signed entries and other currencies", () => {
    expect(() => ledgerBalance([e("consumption", 100n)], "USD")).toThrow(/wrong sign/);
    expect(() => ledgerBalance([e("grant", -100n)], "USD")).toThrow(/wrong sign/);
    expect(() => ledgerBalance([{ ...e("grant", 1n), currency: "EUR" }], "USD")).toThrow(/EUR/);
  });
});
