import { describe, expect, it } from "vitest";
import {
  checkCustomerAnomalies,
  defaultThresholds,
  parseThresholdValue,
  THRESHOLD_SETTINGS,
  thresholdFormValues,
  thresholdsFromSettings,
  type CustomerAnomalyInput,
  type PreviewInput,
} from "./anomaly-check";

const period = { start: new Date("2026-11-01T00:00:00Z"), end: new Date("2026-12-01T00:00:00Z") };
const asOf = new Date("2026-11-11T06:00:00Z"); // days Nov 1–10 are complete
const periodDays = Array.from({ length: 10 }, (_, i) => `2026-11-${String(i + 1).padStart(2, "0")}`);

function preview(totalMinor: bigint, extra: Partial<PreviewInput> = {}): PreviewInput {
  return {
    currency: "USD",
    lines: [
      { kind: "base", description: "Pro base fee", amountMinor: 9900n },
      { kind: "usage", description: "Compute", meterKey: "compute_small_hours", amountMinor: totalMinor - 9900n },
    ],
    subtotalMinor: totalMinor,
    creditsAppliedMinor: 0n,
    totalMinor,
    ...extra,
  };
}

function input(over: Partial<CustomerAnomalyInput> = {}): CustomerAnomalyInput {
  const p = preview(20_000n);
  return {
    currency: "USD",
    period,
    asOf,
    provider: p,
    shadow: p,
    lastInvoiceTotalMinor: 20_000n,
    creditsGrantedMinor: 0n,
    usageByMeter: { compute_small_hours: "800" },
    daysWithData: periodDays,
    history: { days: 28, daysWithData: 28 },
    dailyByMeter: { compute_small_hours: [...periodDays].map((day) => ({ day, quantity: "80" })) },
    ...over,
  };
}

const codes = (i: CustomerAnomalyInput, t = defaultThresholds()) => checkCustomerAnomalies(i, t).map((f) => f.code);
const withSetting = (key: string, value: unknown) => thresholdsFromSettings([{ key, value }]);

describe("checkCustomerAnomalies", () => {
  it("an ordinary invoice raises no flag", () => {
    expect(codes(input())).toEqual([]);
  });

  it("total above last invoice: k from settings, strictly above, and the floor", () => {
    const t = withSetting("anomaly.total_above_last.multiplier", 3);
    const at = (total: bigint) => input({ provider: preview(total), shadow: preview(total), lastInvoiceTotalMinor: 10_000n });
    expect(codes(at(30_001n), t)).toContain("total_above_last_invoice");
    expect(codes(at(30_000n), t)).not.toContain("total_above_last_invoice"); // boundary: exactly k × last
    expect(codes(at(25_000n))).toContain("total_above_last_invoice"); // default k = 2
    // Below the floor (set to 50,000 minor) nothing fires, whatever the ratio.
    const floor = thresholdsFromSettings([{ key: "anomaly.total_above_last.floor_minor", value: 50_000 }]);
    expect(codes(at(49_999n), floor)).not.toContain("total_above_last_invoice");
    expect(codes(at(50_000n), floor)).toContain("total_above_last_invoice");
  });

  it("judges the provider's preview, not Meterdesk's, for the total", () => {
    const i = input({ provider: preview(90_000n), shadow: preview(20_000n), lastInvoiceTotalMinor: 20_000n });
    const flags = checkCustomerAnomalies(i, defaultThresholds());
    expect(flags.map((f) => f.code)).toEqual(["total_above_last_invoice", "shadow_mismatch"]);
    expect(flags[0]!.message).toContain("$900.00");
  });

  it("credits above charges uses the ratio from settings, against credits granted this period", () => {
    expect(codes(input({ creditsGrantedMinor: 20_001n }))).toContain("credits_above_charges");
    expect(codes(input({ creditsGrantedMinor: 20_000n }))).not.toContain("credits_above_charges");
    const half = withSetting("anomaly.credits_above_charges.ratio", "0.5");
    expect(codes(input({ creditsGrantedMinor: 10_001n }), half)).toContain("credits_above_charges");
    expect(codes(input({ creditsGrantedMinor: 10_000n }), half)).not.toContain("credits_above_charges");
  });

  it("zero invoice with usage fires above the minimum quantity", () => {
    const zero: PreviewInput = { currency: "USD", lines: [], subtotalMinor: 0n, creditsAppliedMinor: 0n, totalMinor: 0n };
    const t = withSetting("anomaly.zero_invoice.min_quantity", "10");
    expect(codes(input({ provider: zero, shadow: zero, usageByMeter: { seats: "10.5" } }), t)).toContain("zero_invoice_with_usage");
    expect(codes(input({ provider: zero, shadow: zero, usageByMeter: { seats: "10" } }), t)).not.toContain("zero_invoice_with_usage");
  });

  it("negative lines: credit and proration are allowed by default; the list is a setting", () => {
    const withLine = (kind: string) => {
      const p = preview(20_000n);
      p.lines.push({ kind, description: `${kind} line`, amountMinor: -500n });
      return input({ provider: p, shadow: p });
    };
    expect(codes(withLine("proration"))).not.toContain("negative_line");
    expect(codes(withLine("credit"))).not.toContain("negative_line");
    expect(codes(withLine("usage"))).toContain("negative_line");
    const strict = withSetting("anomaly.negative_line.allowed_kinds", ["credit"]);
    expect(codes(withLine("proration"), strict)).toContain("negative_line");
  });

  it("missing days: fires for a customer who usually has data; coverage and count thresholds apply", () => {
    const gap = periodDays.filter((d) => d !== "2026-11-04");
    expect(codes(input({ daysWithData: gap }))).toContain("missing_usage_days");
    // Usually idle (coverage 20/28 < 0.8): not judged.
    expect(codes(input({ daysWithData: gap, history: { days: 28, daysWithData: 20 } }))).not.toContain("missing_usage_days");
    // Boundary: coverage exactly at the setting fires.
    const cov = withSetting("anomaly.missing_days.min_coverage", "0.75");
    expect(codes(input({ daysWithData: gap, history: { days: 28, daysWithData: 21 } }), cov)).toContain("missing_usage_days");
    const two = withSetting("anomaly.missing_days.min_missing_days", 2);
    expect(codes(input({ daysWithData: gap }), two)).not.toContain("missing_usage_days");
    // Too little history (min_active_days = 7 by default).
    expect(codes(input({ daysWithData: gap, history: { days: 6, daysWithData: 6 } }))).not.toContain("missing_usage_days");
  });

  it("usage spike: only days of this period count, with k from settings", () => {
    const series = (q10: string) => ({ compute_small_hours: [...["2026-10-28", "2026-10-29", "2026-10-30", "2026-10-31"], ...periodDays].map((day) => ({ day, quantity: day === "2026-11-10" ? q10 : "10" })) });
    expect(codes(input({ dailyByMeter: series("51") }))).toContain("usage_spike");
    expect(codes(input({ dailyByMeter: series("50") }))).not.toContain("usage_spike"); // boundary: exactly 5 × median
    const k10 = withSetting("anomaly.usage_spike.multiplier", 10);
    expect(codes(input({ dailyByMeter: series("51") }), k10)).not.toContain("usage_spike");
    // A spike before the period (in the trailing window only) is not this invoice's flag.
    const before = { compute_small_hours: ["2026-10-25", "2026-10-26", "2026-10-27", "2026-10-28", "2026-10-29", ...periodDays].map((day) => ({ day, quantity: day === "2026-10-29" ? "500" : "10" })) };
    expect(codes(input({ dailyByMeter: before }))).not.toContain("usage_spike");
    const flag = checkCustomerAnomalies(input({ dailyByMeter: series("51") }), defaultThresholds()).find((f) => f.code === "usage_spike")!;
    expect(flag.message).toContain("compute_small_hours on 2026-11-10");
  });

  it("shadow mismatch: any difference by default, with the deltas per line; tolerance is a setting", () => {
    const ours = preview(20_000n);
    const theirs = preview(19_999n);
    const flags = checkCustomerAnomalies(input({ shadow: ours, provider: theirs }), defaultThresholds());
    const f = flags.find((x) => x.code === "shadow_mismatch")!;
    expect(f.message).toContain("Provider $199.99 vs Meterdesk $200.00 (-$0.01)");
    expect(f.details).toEqual({
      currencyMismatch: false,
      deltas: [
        { key: "total", oursMinor: "20000", theirsMinor: "19999", deltaMinor: "-1" },
        { key: "usage:compute_small_hours", oursMinor: "10100", theirsMinor: "10099", deltaMinor: "-1" },
      ],
    });
    const tolerant = withSetting("anomaly.shadow.tolerance_minor", 1);
    expect(codes(input({ shadow: ours, provider: theirs }), tolerant)).not.toContain("shadow_mismatch");
    expect(codes(input({ shadow: ours, provider: preview(19_998n) }), tolerant)).toContain("shadow_mismatch");
  });

  it("shadow mismatch: the same money told the providers' way (credits beside the lines, proration and minimum as base fees) agrees", () => {
    const ours: PreviewInput = {
      currency: "USD",
      lines: [
        { kind: "base", description: "Team base fee (Nov 1 – 15)", amountMinor: 4_000n },
        { kind: "proration", description: "Pro for the rest of the period", amountMinor: 2_500n },
        { kind: "proration", description: "Unused time on Team", amountMinor: -1_000n },
        { kind: "usage", description: "Compute", meterKey: "compute_small_hours", amountMinor: 3_000n },
        { kind: "minimum", description: "Minimum commitment top-up", amountMinor: 1_500n },
        { kind: "credit", description: "Credit applied", amountMinor: -2_000n },
      ],
      subtotalMinor: 10_000n,
      creditsAppliedMinor: 2_000n,
      totalMinor: 8_000n,
    };
    const theirs: PreviewInput = {
      currency: "USD",
      lines: [
        { kind: "base", description: "Team", amountMinor: 4_000n },
        { kind: "base", description: "Pro", amountMinor: 2_500n },
        { kind: "base", description: "Team (credit)", amountMinor: -1_000n },
        { kind: "usage", description: "compute_small_hours", meterKey: "compute_small_hours", amountMinor: 3_000n },
        { kind: "adjustment", description: "Minimum", amountMinor: 1_500n },
      ],
      subtotalMinor: 10_000n,
      creditsAppliedMinor: 2_000n,
      totalMinor: 8_000n,
    };
    expect(codes(input({ shadow: ours, provider: theirs }))).not.toContain("shadow_mismatch");
    // A cent more of credits, or of fixed charges, is a mismatch with the category named.
    const moreCredit = { ...theirs, creditsAppliedMinor: 2_001n, totalMinor: 7_999n };
    const f = checkCustomerAnomalies(input({ shadow: ours, provider: moreCredit }), defaultThresholds()).find((x) => x.code === "shadow_mismatch")!;
    expect((f.details as { deltas: Array<{ key: string; deltaMinor: string }> }).deltas).toEqual([
      { key: "credits", oursMinor: "-2000", theirsMinor: "-2001", deltaMinor: "-1" },
      { key: "total", oursMinor: "8000", theirsMinor: "7999", deltaMinor: "-1" },
    ]);
    const moreFixed = { ...theirs, lines: [...theirs.lines, { kind: "adjustment" as const, description: "Fee", amountMinor: 1n }], subtotalMinor: 10_001n, totalMinor: 8_001n };
    const g = checkCustomerAnomalies(input({ shadow: ours, provider: moreFixed }), defaultThresholds()).find((x) => x.code === "shadow_mismatch")!;
    expect((g.details as { deltas: Array<{ key: string }> }).deltas.map((d) => d.key)).toEqual(["fixed", "total"]);
  });

  it("without a provider preview the shadow is judged and a flag says so", () => {
    const flags = checkCustomerAnomalies(input({ provider: null }), defaultThresholds());
    expect(flags.map((f) => f.code)).toEqual(["provider_unavailable"]);
  });

  it("every flag carries a one-line explanation", () => {
    const p = preview(90_000n);
    p.lines.push({ kind: "usage", description: "bad", meterKey: "seats", amountMinor: -1n });
    const flags = checkCustomerAnomalies(input({ provider: p, creditsGrantedMinor: 999_999n, daysWithData: [] }), defaultThresholds());
    expect(flags.length).toBeGreaterThanOrEqual(5);
    for (const f of flags) {
      expect(f.explain).toMatch(/\S/);
      expect(f.explain).not.toContain("\n");
      expect(f.message).not.toContain("\n");
    }
  });
});

describe("threshold settings", () => {
  it("reads the seed's numbers and falls back to defaults for missing or invalid values", () => {
    const t = thresholdsFromSettings([
      { key: "anomaly.total_above_last.multiplier", value: 2 },
      { key: "anomaly.total_above_last.floor_minor", value: 5000 },
      { key: "anomaly.usage_spike.multiplier", value: "abc" },
      { key: "anomaly.missing_days.min_active_days", value: 7 },
    ]);
    expect(t.totalAboveLast).toEqual({ multiplier: "2", floorMinor: 5000n });
    expect(t.usageSpike.multiplier).toBe("5");
    expect(t.missingUsageDays.minHistoryDays).toBe(7);
    expect(Object.keys(thresholdFormValues([]))).toEqual(THRESHOLD_SETTINGS.map((s) => s.key));
  });

  it("validates typed values with clear messages", () => {
    const byKey = (k: string) => THRESHOLD_SETTINGS.find((s) => s.key === k)!;
    expect(parseThresholdValue(byKey("anomaly.total_above_last.multiplier"), " 2.50 ")).toEqual({ ok: true, value: "2.5" });
    expect(parseThresholdValue(byKey("anomaly.total_above_last.multiplier"), "0.5")).toEqual({ ok: false, error: "Must be at least 1." });
    expect(parseThresholdValue(byKey("anomaly.total_above_last.multiplier"), "-1")).toMatchObject({ ok: false });
    expect(parseThresholdValue(byKey("anomaly.total_above_last.floor_minor"), "12.5")).toEqual({ ok: false, error: "Enter a whole number." });
    expect(parseThresholdValue(byKey("anomaly.missing_days.min_coverage"), "1.01")).toEqual({ ok: false, error: "Must be at most 1." });
    expect(parseThresholdValue(byKey("anomaly.negative_line.allowed_kinds"), "proration, credit ,credit")).toEqual({ ok: true, value: "credit,proration" });
    expect(parseThresholdValue(byKey("anomaly.negative_line.allowed_kinds"), "credit,refund")).toEqual({ ok: false, error: "Unknown line kind: refund." });
  });
});
