import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  billingPeriodContaining,
  formatPeriodLabel,
  nextPeriod,
  overlap,
  periodSeconds,
  previousPeriod,
  utcDaysInPeriod,
} from "./period";

const d = (iso: string) => new Date(iso);
const iso = (p: { start: Date; end: Date }) => [p.start.toISOString(), p.end.toISOString()];

describe("billingPeriodContaining", () => {
  it("anchors on the 1st: calendar months", () => {
    expect(iso(billingPeriodContaining(d("2024-01-01T00:00:00Z"), d("2024-11-15T12:00:00Z")))).toEqual([
      "2024-11-01T00:00:00.000Z",
      "2024-12-01T00:00:00.000Z",
    ]);
  });

  it("anchor on Jan 31 → Feb 29 in a leap year, Feb 28 otherwise, then back to Mar 31", () => {
    const anchor = d("2024-01-31T00:00:00Z");
    const jan = billingPeriodContaining(anchor, d("2024-02-10T00:00:00Z"));
    expect(iso(jan)).toEqual(["2024-01-31T00:00:00.000Z", "2024-02-29T00:00:00.000Z"]);
    const feb = nextPeriod(anchor, jan);
    expect(iso(feb)).toEqual(["2024-02-29T00:00:00.000Z", "2024-03-31T00:00:00.000Z"]);
    const mar = nextPeriod(anchor, feb);
    expect(iso(mar)).toEqual(["2024-03-31T00:00:00.000Z", "2024-04-30T00:00:00.000Z"]);
    expect(iso(billingPeriodContaining(anchor, d("2025-02-28T00:00:00Z")))).toEqual([
      "2025-02-28T00:00:00.000Z",
      "2025-03-31T00:00:00.000Z",
    ]);
  });

  it("keeps the anchor's UTC time of day", () => {
    const anchor = d("2024-03-15T09:30:00.250Z");
    expect(iso(billingPeriodContaining(anchor, d("2024-04-15T09:30:00.249Z")))).toEqual([
      "2024-03-15T09:30:00.250Z",
      "2024-04-15T09:30:00.250Z",
    ]);
  });

  it("is half-open: the end instant belongs to the next period", () => {
    const anchor = d("2024-01-01T00:00:00Z");
    expect(billingPeriodContaining(anchor, d("2024-02-01T00:00:00Z")).start.toISOString()).toBe(
      "2024-02-01T00:00:00.000Z",
    );
    expect(billingPeriodContaining(anchor, d("2024-01-31T23:59:59.999Z")).start.toISOString()).toBe(
      "2024-01-01T00:00:00.000Z",
    );
  });

  it("crosses years, and the previous period of the next is the same period", () => {
    const anchor = d("2023-12-31T00:00:00Z");
    const p = billingPeriodContaining(anchor, d("2024-12-31T00:00:00Z"));
    expect(iso(p)).toEqual(["2024-12-31T00:00:00.000Z", "2025-01-31T00:00:00.000Z"]);
    expect(iso(previousPeriod(anchor, nextPeriod(anchor, p)))).toEqual(iso(p));
  });

  it("property: contains `at`, lasts 28–31 days, and periods tile time", () => {
    const date = fc.date({ min: d("2000-01-01T00:00:00Z"), max: d("2100-01-01T00:00:00Z"), noInvalidDate: true });
    fc.assert(
      fc.property(date, date, (anchor, at) => {
        const p = billingPeriodContaining(anchor, at);
        const days = periodSeconds(p) / 86400;
        const next = nextPeriod(anchor, p);
        return (
          p.start <= at && at < p.end && days >= 28 && days <= 31 &&
          next.start.getTime() === p.end.getTime() &&
          Math.min(anchor.getUTCDate(), 28) <= p.start.getUTCDate()
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe("overlap / periodSeconds", () => {
  const p = { start: d("2024-11-01T00:00:00Z"), end: d("2024-12-01T00:00:00Z") };
  it("intersects half-open periods; touching periods do not overlap", () => {
    expect(overlap(p, { start: d("2024-11-30T00:00:00Z"), end: d("2024-12-05T00:00:00Z") })).toEqual({
      start: d("2024-11-30T00:00:00Z"),
      end: d("2024-12-01T00:00:00Z"),
    });
    expect(overlap(p, { start: d("2024-12-01T00:00:00Z"), end: d("2024-12-05T00:00:00Z") })).toBeNull();
  });
  it("counts seconds", () => {
    expect(periodSeconds(p)).toBe(30 * 86400);
    expect(() => periodSeconds({ start: p.end, end: p.start })).toThrow();
  });
});

describe("formatPeriodLabel", () => {
  it("shows the last day inside a half-open period", () => {
    expect(formatPeriodLabel({ start: d("2024-11-01T00:00:00Z"), end: d("2024-12-01T00:00:00Z") })).toBe("Nov 1 – Nov 30");
    expect(formatPeriodLabel({ start: d("2024-01-31T00:00:00Z"), end: d("2024-02-29T00:00:00Z") })).toBe("Jan 31 – Feb 28");
    expect(
      formatPeriodLabel({ start: d("2024-12-15T00:00:00Z"), end: d("2025-01-15T00:00:00Z") }, { withYear: true }),
    ).toBe("Dec 15, 2024 – Jan 14, 2025");
  });
  it("uses UTC, whatever the server's zone", () => {
    // A period starting 10:00 UTC is labelled with the UTC day, ending the day the last instant falls on.
    expect(formatPeriodLabel({ start: d("2024-11-15T10:00:00Z"), end: d("2024-12-15T10:00:00Z") })).toBe("Nov 15 – Dec 15");
  });
});

describe("utcDaysInPeriod", () => {
  it("lists the UTC days sharing an instant with the period", () => {
    expect(utcDaysInPeriod({ start: d("2024-02-27T00:00:00Z"), end: d("2024-03-02T00:00:00Z") })).toEqual([
      "2024-02-27",
      "2024-02-28",
      "2024-02-29",
      "2024-03-01",
    ]);
    expect(utcDaysInPeriod({ start: d("2024-02-27T12:00:00Z"), end: d("2024-02-28T00:00:01Z") })).toEqual([
      "2024-02-27",
      "2024-02-28",
    ]);
  });
});
