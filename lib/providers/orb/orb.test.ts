import { describe, expect, it } from "vitest";
import { OrbFake } from "@/test/fakes/orb";
import { runProviderContract, type ContractHarness } from "../contract/contract";
import { createOrbProvider } from "./provider";

const PLANS = { from: "11111111-1111-4111-8111-111111111111", to: "22222222-2222-4222-8222-222222222222" };
const TIMEOUT_MS = 400;

async function harness({ maxRetries }: { maxRetries: 0 | 1 }): Promise<ContractHarness & { fake: OrbFake }> {
  const fake = await new OrbFake().start();
  const provider = createOrbProvider({
    apiKey: "test-key",
    baseURL: fake.baseURL,
    timeoutMs: TIMEOUT_MS,
    maxRetries,
    catalog: { plans: { [PLANS.from]: "plan_small", [PLANS.to]: "plan_large" }, meters: { compute_hours: { eventName: "compute_hours", metricId: "bm_compute_hours" } } },
  });
  return {
    fake,
    provider,
    currency: "USD",
    plans: PLANS,
    meterKey: "compute_hours",
    timeoutMs: TIMEOUT_MS,
    reportsDuplicates: true,
    newCustomer() {
      const { customerId } = fake.addCustomer("USD", "plan_small");
      return { customerId: `md-${customerId}`, providerCustomerId: customerId };
    },
    seedUpcomingInvoice(customer) {
      const sub = [...fake.subscriptions.values()].find((s) => s.customerId === customer.providerCustomerId)!;
      const start = "2026-11-01T00:00:00+00:00";
      const end = "2026-12-01T00:00:00+00:00";
      fake.upcoming.set(sub.id, {
        target_date: end, currency: "USD", total: "118.79",
        lines: [
          { name: "Small plan", subtotal: "49.00", adjusted_subtotal: "49.00", credits_applied: "0.00", quantity: 1, start, end },
          // 1234.5 hours × $0.0567 = 69.99615 → $70.00 (half-even at the cent), credits 0.21.
          { name: "Compute hours", subtotal: "69.99615", adjusted_subtotal: "69.99615", credits_applied: "0.21", quantity: 1234.5, start, end, usage: { metricId: "bm_compute_hours" } },
        ],
      });
      return { currency: "USD", lineAmounts: [BigInt(4900), BigInt(7000)], subtotalMinor: BigInt(11900), creditsAppliedMinor: BigInt(21), totalMinor: BigInt(11879) };
    },
    effects: () => fake.effects(),
    inject(fault, opts) {
      fake.http.inject({ kind: fault, times: opts?.times, delayMs: opts?.delayMs, retryAfterSeconds: opts?.retryAfterSeconds });
    },
    clearFaults: () => fake.http.clearFaults(),
    keysSent: () => fake.http.requests.filter((r) => r.method === "POST" && r.idempotencyKey).map((r) => r.idempotencyKey!),
    close: () => fake.close(),
  };
}

runProviderContract("Orb", harness);

describe("Orb adapter specifics", () => {
  it("sends amounts in major units as exact JSON numbers, with the key, metadata and expiry", async () => {
    const h = await harness({ maxRetries: 0 });
    try {
      const customer = h.newCustomer();
      await h.provider.grantCredit({
        idempotencyKey: "credit:op-1", customer, amountMinor: BigInt(123456789), currency: "USD", expiresAt: new Date("2027-01-31T00:00:00Z"),
        description: "Outage credit", metadata: { meterdesk_operation_id: "op-1" },
      });
      const [sent] = h.fake.http.sent("POST", /ledger_entry$/);
      expect(sent!.idempotencyKey).toBe("credit:op-1");
      expect(sent!.rawBody).toContain('"amount":1234567.89');
      expect(sent!.body).toMatchObject({ entry_type: "increment", currency: "USD", expiry_date: "2027-01-31T00:00:00.000Z", metadata: { meterdesk_operation_id: "op-1", meterdesk_idempotency_key: "credit:op-1" } });
    } finally {
      await h.close();
    }
  });

  it("sends each usage event with its own idempotency key and the batch with a stable key", async () => {
    const h = await harness({ maxRetries: 0 });
    try {
      const customer = h.newCustomer();
      const events = [{ idempotencyKey: "e1", customer, meterKey: "compute_hours", timestamp: new Date("2026-11-02T10:00:00Z"), quantity: "0.000001" }];
      await h.provider.ingestUsage(events);
      await h.provider.ingestUsage(events);
      const sent = h.fake.http.sent("POST", /\/ingest$/);
      expect(sent).toHaveLength(2);
      expect(sent[0]!.idempotencyKey).toBe(sent[1]!.idempotencyKey);
      expect(sent[0]!.body).toMatchObject({ events: [{ idempotency_key: "e1", event_name: "compute_hours", properties: { quantity: "0.000001" } }] });
    } finally {
      await h.close();
    }
  });

  it("refuses an amount that a JSON number cannot carry exactly, before calling Orb", async () => {
    const h = await harness({ maxRetries: 0 });
    try {
      const customer = h.newCustomer();
      await expect(
        h.provider.grantCredit({ idempotencyKey: "credit:big", customer, amountMinor: BigInt("123456789012345678"), currency: "USD", expiresAt: null, description: "x", metadata: {} }),
      ).rejects.toMatchObject({ kind: "permanent" });
      expect(h.fake.http.sent("POST", /ledger_entry$/)).toHaveLength(0);
    } finally {
      await h.close();
    }
  });
});
