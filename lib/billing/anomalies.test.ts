import { describe, expect, it } from "vitest";
import {
  creditsAboveCharges,
  missingUsageDays,
  negativeLine,
  shadowMismatch,
  totalAboveLastInvoice,
  usageSpike,
  zeroInvoiceWithUsage,
} from "./anomalies";
import { money } from "./money";

const usd = (n: bigint) => money(n, "USD");
const d = (iso: string) => new Date(iso);

describe("every rule is named and explains itself", () => {
  it.each([
    [totalAboveLastInvoice.explain({ multiplier: "3", floorMinor: 10000n }), /3×/],
    [creditsAboveCharges.explain({ ratio: "1" }), /1×/],
    [zeroInvoiceWithUsage.explain({ minQuantity: "0" }), /zero/],
    [negativeLine.explain({ allowedKinds: ["credit"] }), /credit/],
    [missingUsageDays.explain({ minUsualCoverage: "0.9", minMissingDays: 1, minHistoryDays: 14 }), /0\.9/],
    [usageSpike.explain({ multiplier: "5", trailingDays: 7, minHistoryDays: 3, minQuantity: "10" }), /5×/],
    [shadowMismatch.explain({ toleranceMinor: 0n }), /0 minor/],
  ])("%s", (text, re) => expect(text).toMatch(re));
  it("has distinct codes", () => {
    const codes = [totalAboveLastInvoice, creditsAboveCharges, zeroInvoiceWithUsage, negativeLine, missingUsageDays, usageSpike, shadowMismatch].map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe("totalAboveLastInvoice", () => {
  const p = { multiplier: "3", floorMinor: 10000n };
  it("fires above k × last and over the floor", () => {
    const f = totalAboveLastInvoice.check({ total: usd(30001n * 10n), lastTotal: usd(100000n) }, p);
    expect(f).toMatchObject({ code: "total_above_last_invoice", details: { ratio: "3" } });
    expect(f!.message).toBe("$3,000.10 vs $1,000.00 last invoice (3×).");
  });
  it("boundary: exactly k × last does not fire; one minor unit more does", () => {
    expect(totalAboveLastInvoice.check({ total: usd(300000n), lastTotal: usd(100000n) }, p)).toBeNull();
    expect(totalAboveLastInvoice.check({ total: usd(300001n), lastTotal: usd(100000n) }, p)).not.toBeNull();
  });
  it("does not fire under the floor, or without a last invoice; fires from zero once past the floor", () => {
    expect(totalAboveLastInvoice.check({ total: usd(9999n), lastTotal: usd(10n) }, p)).toBeNull();
    expect(totalAboveLastInvoice.check({ total: usd(10000n), lastTotal: usd(10n) }, p)).not.toBeNull();
    expect(totalAboveLastInvoice.check({ total: usd(10n ** 9n), lastTotal: null }, p)).toBeNull();
    expect(totalAboveLastInvoice.check({ total: usd(10000n), lastTotal: usd(0n) }, p)).toMatchObject({ details: { ratio: null } });
  });
  it("refuses to compare currencies", () => {
    expect(() => totalAboveLastInvoice.check({ total: usd(1n), lastTotal: money(1n, "EUR") }, p)).toThrow();
  });
});

describe("creditsAboveCharges", () => {
  const p = { ratio: "1" };
  it("fires when credits exceed charges, not at equality, not without credits", () => {
    expect(creditsAboveCharges.check({ chargesMinor: 1000n, creditsMinor: 1001n, currency: "USD" }, p)).toMatchObject({ details: { excessMinor: 1n } });
    expect(creditsAboveCharges.check({ chargesMinor: 1000n, creditsMinor: 1000n, currency: "USD" }, p)).toBeNull();
    expect(creditsAboveCharges.check({ chargesMinor: 0n, creditsMinor: 0n, currency: "USD" }, p)).toBeNull();
    expect(creditsAboveCharges.check({ chargesMinor: 0n, creditsMinor: 1n, currency: "USD" }, p)).not.toBeNull();
  });
  it("honours a stricter ratio", () => {
    expect(creditsAboveCharges.check({ chargesMinor: 1000n, creditsMinor: 501n, currency: "USD" }, { ratio: "0.5" })).not.toBeNull();
    expect(creditsAboveCharges.check({ chargesMinor: 1000n, creditsMinor: 500n, currency: "USD" }, { ratio: "0.5" })).toBeNull();
  });
});

describe("zeroInvoiceWithUsage", () => {
  const p = { minQuantity: "0" };
  it("fires on a zero subtotal with usage, listing the meters", () => {
    expect(zeroInvoiceWithUsage.check({ subtotalMinor: 0n, usageByMeter: { b: "1", a: "0.0001", c: "0" } }, p)).toMatchObject({ details: { meters: ["a", "b"] } });
  });
  it("does not fire with charges, or without usage; boundary at minQuantity", () => {
    expect(zeroInvoiceWithUsage.check({ subtotalMinor: 1n, usageByMeter: { a: "100" } }, p)).toBeNull();
    expect(zeroInvoiceWithUsage.check({ subtotalMinor: 0n, usageByMeter: { a: "0" } }, p)).toBeNull();
    expect(zeroInvoiceWithUsage.check({ subtotalMinor: 0n, usageByMeter: { a: "10" } }, { minQuantity: "10" })).toBeNull();
    expect(zeroInvoiceWithUsage.check({ subtotalMinor: 0n, usageByMeter: { a: "10.01" } }, { minQuantity: "10" })).not.toBeNull();
  });
});

describe("negativeLine", () => {
  const p = { allowedKinds: ["credit", "proration"] };
  it("fires on a negative line of a kind that should not be negative", () => {
    const f = negativeLine.check({ lines: [{ kind: "usage", description: "Compute", amountMinor: -1n }, { kind: "credit", description: "Credit", amountMinor: -500n }] }, p);
    expect(f!.details.lines).toEqual([{ kind: "usage", description: "Compute", amountMinor: -1n }]);
  });
  it("does not fire on zero lines or allowed kinds", () => {
    expect(negativeLine.check({ lines: [{ kind: "usage", description: "x", amountMinor: 0n }, { kind: "proration", description: "Unused", amountMinor: -100n }] }, p)).toBeNull();
    expect(negativeLine.check({ lines: [{ kind: "proration", description: "Unused", amountMinor: -100n }] }, { allowedKinds: [] })).not.toBeNull();
  });
});

describe("missingUsageDays", () => {
  const period = { start: d("2024-11-01T00:00:00Z"), end: d("2024-12-01T00:00:00Z") };
  const p = { minUsualCoverage: "0.9", minMissingDays: 1, minHistoryDays: 14 };
  const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `2024-11-${String(from + i).padStart(2, "0")}`);
  const history = { days: 30, daysWithData: 29 };
  it("fires for complete days without data, ignoring today", () => {
    const withData = days(1, 10).filter((x) => x !== "2024-11-04");
    const f = missingUsageDays.check({ period, asOf: d("2024-11-11T15:00:00Z"), daysWithData: withData, history }, p);
    expect(f!.details.missingDays).toEqual(["2024-11-04"]); // Nov 11 is still being ingested
  });
  it("does not fire when every day has data, or for a usually idle customer, or with too little history", () => {
    expect(missingUsageDays.check({ period, asOf: d("2024-11-11T00:00:00Z"), daysWithData: days(1, 10), history }, p)).toBeNull();
    expect(missingUsageDays.check({ period, asOf: d("2024-11-11T00:00:00Z"), daysWithData: [], history: { days: 30, daysWithData: 20 } }, p)).toBeNull();
    expect(missingUsageDays.check({ period, asOf: d("2024-11-11T00:00:00Z"), daysWithData: [], history: { days: 10, daysWithData: 10 } }, p)).toBeNull();
    expect(missingUsageDays.check({ period, asOf: d("2024-11-01T12:00:00Z"), daysWithData: [], history }, p)).toBeNull();
  });
  it("boundary: coverage exactly at the threshold fires; minMissingDays is a floor", () => {
    const asOf = d("2024-11-04T00:00:00Z");
    expect(missingUsageDays.check({ period, asOf, daysWithData: days(1, 2), history: { days: 30, daysWithData: 27 } }, p)).not.toBeNull();
    expect(missingUsageDays.check({ period, asOf, daysWithData: days(1, 2), history: { days: 30, daysWithData: 26 } }, p)).toBeNull();
    expect(missingUsageDays.check({ period, asOf, daysWithData: days(1, 2), history }, { ...p, minMissingDays: 2 })).toBeNull();
  });
});

describe("usageSpike", () => {
  const p = { multiplier: "5", trailingDays: 7, minHistoryDays: 3, minQuantity: "10" };
  const series = (qs: string[]) => qs.map((quantity, i) => ({ day: `2024-11-${String(i + 1).padStart(2, "0")}`, quantity }));
  it("fires on a day above k × trailing median", () => {
    const f = usageSpike.check({ meterKey: "compute", daily: series(["100", "120", "80", "110", "90", "100", "601"]) }, p);
    expect(f!.details.spikes).toEqual([{ day: "2024-11-07", quantity: "601", trailingMedian: "100" }]);
  });
  it("boundary: exactly k × median does not fire", () => {
    expect(usageSpike.check({ meterKey: "c", daily: series(["100", "120", "80", "110", "90", "100", "500"]) }, p)).toBeNull();
  });
  it("needs history, and ignores tiny quantities on idle meters", () => {
    expect(usageSpike.check({ meterKey: "c", daily: series(["1", "1", "1000"]) }, p)).toBeNull();
    expect(usageSpike.check({ meterKey: "c", daily: series(["0", "0", "0", "9"]) }, p)).toBeNull();
    expect(usageSpike.check({ meterKey: "c", daily: series(["0", "0", "0", "11"]) }, p)).not.toBeNull();
  });
  it("orders days itself and uses only the trailing window (even-length median averages)", () => {
    const daily = series(["1000", "1000", "1000", "10", "10", "10", "10", "60"]).reverse();
    expect(usageSpike.check({ meterKey: "c", daily }, { ...p, trailingDays: 4 })).toMatchObject({ details: { spikes: [{ day: "2024-11-08", trailingMedian: "10" }] } });
    expect(usageSpike.check({ meterKey: "c", daily: series(["10", "30", "10", "30", "101"]) }, { ...p, trailingDays: 4 })).toMatchObject({ details: { spikes: [{ trailingMedian: "20" }] } });
  });
});

describe("shadowMismatch", () => {
  const ours = {
    currency: "USD",
    totalMinor: 10500n,
    lines: [
      { kind: "base", amountMinor: 9000n },
      { kind: "usage", meterKey: "compute", amountMinor: 1252n },
      { kind: "usage", meterKey: "compute", amountMinor: 248n },
    ],
  };
  it("does not fire when lines agree to the cent (however they are split)", () => {
    const theirs = { currency: "USD", totalMinor: 10500n, lines: [{ kind: "base", amountMinor: 9000n }, { kind: "usage", meterKey: "compute", amountMinor: 1500n }] };
    expect(shadowMismatch.check({ ours, theirs }, { toleranceMinor: 0n })).toBeNull();
  });
  it("fires on a one-cent difference, with the differing lines and deltas (theirs − ours)", () => {
    const theirs = { currency: "USD", totalMinor: 10501n, lines: [{ kind: "base", amountMinor: 9000n }, { kind: "usage", meterKey: "compute", amountMinor: 1501n }] };
    expect(shadowMismatch.check({ ours, theirs }, { toleranceMinor: 0n })!.details.deltas).toEqual([
      { key: "total", oursMinor: 10500n, theirsMinor: 10501n, deltaMinor: 1n },
      { key: "usage:compute", oursMinor: 1500n, theirsMinor: 1501n, deltaMinor: 1n },
    ]);
    expect(shadowMismatch.check({ ours, theirs }, { toleranceMinor: 1n })).toBeNull(); // boundary: within tolerance
  });
  it("fires on a line only one side has, and on currency", () => {
    const theirs = { ...ours, lines: [...ours.lines, { kind: "minimum", amountMinor: -0n }, { kind: "credit", amountMinor: -100n }] };
    expect(shadowMismatch.check({ ours, theirs }, { toleranceMinor: 0n })!.details.deltas.map((x) => x.key)).toEqual(["credit"]);
    expect(shadowMismatch.check({ ours, theirs: { ...ours, currency: "EUR" } }, { toleranceMinor: 0n })).toMatchObject({ details: { currencyMismatch: true } });
  });
});
