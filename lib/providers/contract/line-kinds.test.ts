// How each adapter names the kinds of invoice lines: what the review queue's rules read (a
// negative base fee is an anomaly, a negative proration is not).
import { describe, expect, it } from "vitest";
import { toPreview as orbPreview } from "../orb/map";
import { toPreview as metronomePreview, USD_CENTS_CREDIT_TYPE } from "../metronome/map";

const asOf = new Date("2026-11-20T00:00:00Z");

describe("Orb line kinds", () => {
  const line = (name: string, priceType: "usage_price" | "fixed_price", amount: string, metric?: string) => ({
    id: name, name, subtotal: amount, adjusted_subtotal: amount, credits_applied: "0", amount, quantity: 1,
    start_date: "2026-11-01T00:00:00Z", end_date: "2026-12-01T00:00:00Z",
    price: { id: `p-${name}`, name, price_type: priceType, billable_metric: metric ? { id: metric } : null, currency: "USD" },
  });
  const inv = (items: ReturnType<typeof line>[]) =>
    ({ currency: "USD", target_date: "2026-12-01T00:00:00Z", total: "0", line_items: items }) as unknown as Parameters<typeof orbPreview>[0];

  it("reads a fixed fee as base, a negative fixed fee as proration (credit for unused time), usage by metric", () => {
    const p = orbPreview(inv([line("Pro", "fixed_price", "49.00"), line("Pro (unused time)", "fixed_price", "-12.25"), line("Compute", "usage_price", "3.10", "m-compute")]),
      { plans: {}, meters: { compute_hours: { metricId: "m-compute" } } }, asOf);
    expect(p.lines.map((l) => [l.kind, l.meterKey ?? null, l.amountMinor])).toEqual([
      ["base", null, BigInt(4900)],
      ["proration", null, BigInt(-1225)],
      ["usage", "compute_hours", BigInt(310)],
    ]);
  });
});

describe("Metronome line kinds", () => {
  const base = { credit_type: { id: USD_CENTS_CREDIT_TYPE, name: "USD (cents)" }, starting_at: "2026-11-01T00:00:00Z", ending_before: "2026-12-01T00:00:00Z" };
  const inv = (items: object[]) =>
    ({ id: "i", type: "USAGE", status: "DRAFT", customer_id: "c", credit_type: base.credit_type, total: 0, line_items: items }) as unknown as Parameters<typeof metronomePreview>[0];

  it("reads is_prorated subscription lines as proration and a minimum line as the minimum top-up", () => {
    const p = metronomePreview(
      inv([
        { ...base, name: "Pro", type: "subscription", total: 4900, subscription_custom_fields: {} },
        { ...base, name: "Pro (prorated)", type: "subscription", total: -1225, is_prorated: true, subscription_custom_fields: {} },
        { ...base, name: "Minimum commitment top-up", type: "minimum", total: 500 },
        { ...base, name: "Support fee", type: "adjustment", total: 100 },
      ]),
      { plans: {}, meters: {}, creditProductId: "credits" },
      asOf,
    );
    expect(p.lines.map((l) => [l.kind, l.amountMinor])).toEqual([
      ["base", BigInt(4900)],
      ["proration", BigInt(-1225)],
      ["minimum", BigInt(500)],
      ["adjustment", BigInt(100)],
    ]);
  });
});
