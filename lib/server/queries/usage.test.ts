import { describe, expect, it } from "vitest";
import { BillingDecimal } from "@/lib/billing";
import { bucketStarts, hourlyEligible, parseUsageRange, parseUtcDay, projectedDays, runRateWindow, trimDecimal } from "./usage";
import { bucketRows, cumulativeRows, formatQuantity } from "@/components/charts/usage-chart-data";

const NOW = new Date("2026-03-15T10:30:00Z");
const d = (iso: string) => new Date(iso);

describe("parseUsageRange", () => {
  it("defaults to the current period", () => {
    expect(parseUsageRange({}, NOW)).toEqual({ ok: true, kind: "period" });
    expect(parseUsageRange({ range: "period", from: "junk" }, NOW)).toEqual({ ok: true, kind: "period" });
  });

  it("30d and 90d are whole UTC days ending today, half-open", () => {
    const r = parseUsageRange({ range: "30d" }, NOW);
    expect(r).toMatchObject({ ok: true, kind: "30d", from: "2026-02-14", to: "2026-03-15" });
    if (!r.ok || r.kind === "period") throw new Error("expected a window");
    expect(r.start.toISOString()).toBe("2026-02-14T00:00:00.000Z");
    expect(r.end.toISOString()).toBe("2026-03-16T00:00:00.000Z");
    expect((r.end.getTime() - r.start.getTime()) / 86_400_000).toBe(30);
    const q = parseUsageRange({ range: "90d" }, NOW);
    expect(q).toMatchObject({ ok: true, from: "2025-12-16", to: "2026-03-15" });
  });

  it("custom: both days included", () => {
    const r = parseUsageRange({ range: "custom", from: "2026-03-01", to: "2026-03-03" }, NOW);
    if (!r.ok || r.kind === "period") throw new Error("expected a window");
    expect([r.start.toISOString(), r.end.toISOString()]).toEqual(["2026-03-01T00:00:00.000Z", "2026-03-04T00:00:00.000Z"]);
    // A single day, and today itself, are fine; the end may lie in the future.
    expect(parseUsageRange({ range: "custom", from: "2026-03-15", to: "2026-03-15" }, NOW).ok).toBe(true);
    expect(parseUsageRange({ range: "custom", from: "2026-03-10", to: "2026-04-10" }, NOW).ok).toBe(true);
  });

  it.each([
    [{ from: "2026-03-10", to: "2026-03-01" }, "to", /before the start/],
    [{ from: "2024-03-01", to: "2026-03-02" }, "to", /longer than two years/],
    [{ from: "2026-3-1", to: "2026-03-02" }, "from", /YYYY-MM-DD/],
    [{ from: "2026-02-30", to: "2026-03-02" }, "from", /YYYY-MM-DD/],
    [{ from: "yesterday", to: "2026-03-02" }, "from", /YYYY-MM-DD/],
    [{ from: "2026-03-01", to: "" }, "to", /Enter an end date/],
    [{ from: "2026-03-16", to: "2026-03-20" }, "from", /in the future/],
  ])("rejects %j with a message on %s", (input, field, message) => {
    const r = parseUsageRange({ range: "custom", ...input }, NOW);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.fieldErrors[field as "from" | "to"]).toMatch(message);
    expect(r.error.message).toMatch(message);
    expect(r.error.message).toMatch(/current billing period instead/);
  });

  it("accepts exactly two years (731 days) and not one day more", () => {
    expect(parseUsageRange({ range: "custom", from: "2024-03-15", to: "2026-03-15" }, NOW).ok).toBe(true);
    expect(parseUsageRange({ range: "custom", from: "2024-03-14", to: "2026-03-15" }, NOW).ok).toBe(false);
  });

  it("rejects an unknown range name", () => {
    const r = parseUsageRange({ range: "forever" }, NOW);
    expect(r.ok).toBe(false);
  });

  it("parseUtcDay is strict", () => {
    expect(parseUtcDay("2024-02-29")?.toISOString()).toBe("2024-02-29T00:00:00.000Z");
    for (const bad of ["2023-02-29", "2024-13-01", "2024-1-01", " 2024-01-01", "2024-01-01T00:00", undefined, ""]) expect(parseUtcDay(bad)).toBeNull();
  });
});

describe("bucket choice and buckets", () => {
  it("hourly only for ≤ 7 days inside the 14-day hourly retention", () => {
    expect(hourlyEligible({ start: d("2026-03-09T00:00:00Z"), end: d("2026-03-16T00:00:00Z") }, NOW)).toBe(true);
    expect(hourlyEligible({ start: d("2026-03-08T00:00:00Z"), end: d("2026-03-16T00:00:00Z") }, NOW)).toBe(false); // 8 days
    expect(hourlyEligible({ start: d("2026-03-02T00:00:00Z"), end: d("2026-03-03T00:00:00Z") }, NOW)).toBe(true); // oldest retained day
    expect(hourlyEligible({ start: d("2026-03-01T00:00:00Z"), end: d("2026-03-02T00:00:00Z") }, NOW)).toBe(false); // before it
  });

  it("lists every bucket start of a half-open range", () => {
    const days = bucketStarts({ start: d("2026-03-01T00:00:00Z"), end: d("2026-03-04T00:00:00Z"), bucket: "day" });
    expect(days).toEqual(["2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"]);
    expect(bucketStarts({ start: d("2026-03-01T00:00:00Z"), end: d("2026-03-02T00:00:00Z"), bucket: "hour" })).toHaveLength(24);
  });

  it("trims numeric text", () => {
    expect(trimDecimal("10.500000")).toBe("10.5");
    expect(trimDecimal("3.000000")).toBe("3");
    expect(trimDecimal("120")).toBe("120");
  });
});

describe("projection", () => {
  it("run rate window: the 7 complete UTC days before today, none before the subscription", () => {
    expect(runRateWindow(NOW, d("2025-01-01T00:00:00Z"))).toEqual({ start: d("2026-03-08T00:00:00Z"), end: d("2026-03-15T00:00:00Z"), days: 7 });
    expect(runRateWindow(NOW, d("2026-03-12T00:00:00Z")).days).toBe(3);
    expect(runRateWindow(NOW, d("2026-03-12T06:00:00Z")).days).toBe(2); // the partial first day does not count
    expect(runRateWindow(NOW, d("2026-03-15T00:00:00Z")).days).toBe(0);
  });

  it("spreads rate × remaining time over the remaining days, exactly", () => {
    // 13.5 h left today, then two full days: period ends 2026-03-18 00:00.
    const days = projectedDays("m", new BillingDecimal("24"), NOW, d("2026-03-18T00:00:00Z"));
    expect(days).toEqual([
      { meterKey: "m", day: "2026-03-15", quantity: "13.5" },
      { meterKey: "m", day: "2026-03-16", quantity: "24" },
      { meterKey: "m", day: "2026-03-17", quantity: "24" },
    ]);
    const total = days.reduce((s, x) => s.plus(x.quantity), new BillingDecimal(0));
    expect(total.toFixed()).toBe("61.5"); // 24/day × 2.5625 days
  });

  it("a zero rate or an ended period projects nothing", () => {
    expect(projectedDays("m", new BillingDecimal(0), NOW, d("2026-03-18T00:00:00Z"))).toEqual([]);
    expect(projectedDays("m", new BillingDecimal(5), NOW, d("2026-03-15T00:00:00Z"))).toEqual([]);
  });

  it("cumulative chart rows: running total to today, dashed projection from yesterday on", () => {
    const days = ["2026-03-13T00:00:00Z", "2026-03-14T00:00:00Z", "2026-03-15T00:00:00Z", "2026-03-16T00:00:00Z"];
    const points = [{ t: days[0]!, quantity: "2" }, { t: days[1]!, quantity: "3" }, { t: days[2]!, quantity: "1" }];
    const rows = cumulativeRows(days, points, [{ day: "2026-03-15", quantity: "1.5" }, { day: "2026-03-16", quantity: "4" }], NOW);
    expect(rows.map((r) => [r.cumulative, r.projected])).toEqual([["2", null], ["5", "5"], ["6", "7.5"], [null, "11.5"]]);
    expect(cumulativeRows(days, points, null, NOW).every((r) => r.projected === null)).toBe(true);
  });

  it("bucket rows fill missing past buckets with 0 and leave the future empty", () => {
    const starts = ["2026-03-14T00:00:00Z", "2026-03-15T00:00:00Z", "2026-03-16T00:00:00Z"];
    expect(bucketRows(starts, [{ t: starts[1]!, quantity: "4.25" }], NOW).map((r) => r.usage)).toEqual(["0", "4.25", null]);
  });

  it("formats quantities exactly", () => {
    expect(formatQuantity("1234567.125", 2)).toBe("1,234,567.12");
    expect(formatQuantity("0.000001", 6)).toBe("0.000001");
  });
});
