import { describe, expect, it } from "vitest";
import { MetronomeFake } from "@/test/fakes/metronome";
import { runProviderContract, type ContractHarness } from "../contract/contract";
import { USD_CENTS_CREDIT_TYPE } from "./map";
import { createMetronomeProvider } from "./provider";

const PLANS = { from: "11111111-1111-4111-8111-111111111111", to: "22222222-2222-4222-8222-222222222222" };
const TIMEOUT_MS = 400;

function factory(honorIdempotencyHeader: boolean) {
  return async ({ maxRetries }: { maxRetries: 0 | 1 }): Promise<ContractHarness & { fake: MetronomeFake }> => {
    const fake = await new MetronomeFake({ honorIdempotencyHeader }).start();
    fake.metrics.set("bm-compute", "compute_hours");
    const provider = createMetronomeProvider({
      apiKey: "test-token",
      baseURL: fake.http.url,
      timeoutMs: TIMEOUT_MS,
      maxRetries,
      catalog: {
        plans: { [PLANS.from]: "prod_small", [PLANS.to]: "prod_large" },
        meters: { compute_hours: { eventType: "compute_hours", billableMetricId: "bm-compute", productId: "prod_compute" } },
        creditProductId: "prod_credits",
      },
    });
    return {
      fake,
      provider,
      currency: "USD",
      plans: PLANS,
      meterKey: "compute_hours",
      timeoutMs: TIMEOUT_MS,
      reportsDuplicates: false,
      newCustomer() {
        const { customerId } = fake.addCustomer("prod_small");
        return { customerId: `md-${customerId}`, providerCustomerId: customerId };
      },
      seedUpcomingInvoice(customer) {
        const credit_type = { id: USD_CENTS_CREDIT_TYPE, name: "USD (cents)" };
        fake.drafts.set(customer.providerCustomerId, [
          {
            id: crypto.randomUUID(), customer_id: customer.providerCustomerId, status: "DRAFT", type: "USAGE", credit_type, total: 11879,
            start_timestamp: new Date(Date.now() - 5 * 86_400_000).toISOString(), end_timestamp: new Date(Date.now() + 25 * 86_400_000).toISOString(),
            line_items: [
              { name: "Small plan", type: "SubscriptionLineItem", total: 4900, quantity: 1, credit_type, product_id: "prod_small", subscription_custom_fields: {} },
              // 69.996 cents of a cent-rated product rounds half-even to 7000.
              { name: "Compute hours", type: "UsageLineItem", total: 6999.6, quantity: 1234.5, credit_type, product_id: "prod_compute" },
              { name: "Goodwill credit", type: "CreditLineItem", total: -21, credit_type, applied_commit_or_credit: { id: "c1", type: "CREDIT" } },
            ],
          },
        ]);
        return { currency: "USD", lineAmounts: [BigInt(4900), BigInt(7000)], subtotalMinor: BigInt(11900), creditsAppliedMinor: BigInt(21), totalMinor: BigInt(11879) };
      },
      effects: () => fake.effects(),
      inject(fault, opts) {
        fake.http.inject({ kind: fault, times: opts?.times, delayMs: opts?.delayMs, retryAfterSeconds: opts?.retryAfterSeconds });
      },
      clearFaults: () => fake.http.clearFaults(),
      keysSent: () => fake.http.requests.filter((r) => r.method === "POST" && r.headers["idempotency-key"]).map((r) => String(r.headers["idempotency-key"])),
      close: () => fake.close(),
    };
  };
}

runProviderContract("Metronome", factory(true));
// The same contract when Metronome ignores the Idempotency-Key header: uniqueness_key, the
// transaction_id and the adapter's look-ups must still give exactly one effect. (Without the
// header, a concurrent duplicate is not refused: one of the two finds the other's effect.)
runProviderContract("Metronome (Idempotency-Key not honoured)", factory(false), { concurrentDuplicateConflicts: false });

describe("Metronome adapter specifics", () => {
  it("sends the Idempotency-Key header itself (the SDK does not) and the uniqueness_key in the body", async () => {
    const h = await factory(true)({ maxRetries: 0 });
    try {
      const customer = h.newCustomer();
      await h.provider.grantCredit({ idempotencyKey: "credit:op-7", customer, amountMinor: BigInt(1999), currency: "USD", expiresAt: new Date("2027-01-31T10:30:00Z"), description: "Outage", metadata: { meterdesk_operation_id: "op-7" } });
      const [sent] = h.fake.http.sent("POST", /customerCredits\/create$/);
      expect(sent!.headers["idempotency-key"]).toBe("credit:op-7");
      expect(sent!.body).toMatchObject({
        uniqueness_key: "credit:op-7", product_id: "prod_credits", custom_fields: { meterdesk_operation_id: "op-7" },
        access_schedule: { credit_type_id: USD_CENTS_CREDIT_TYPE, schedule_items: [{ amount: 1999, ending_before: "2027-01-31T11:00:00.000Z" }] },
      });
    } finally {
      await h.close();
    }
  });

  it("without header idempotency, a lost answer is resolved through uniqueness_key: one credit, one plan change", async () => {
    const h = await factory(false)({ maxRetries: 0 });
    try {
      const customer = h.newCustomer();
      const req = { idempotencyKey: "credit:op-8", customer, amountMinor: BigInt(500), currency: "USD", expiresAt: null, description: "x", metadata: { meterdesk_operation_id: "op-8" } };
      h.inject("drop");
      await expect(h.provider.grantCredit(req)).rejects.toMatchObject({ kind: "unknown_outcome" });
      const again = await h.provider.grantCredit(req);
      expect(again.replayed).toBe(true);
      expect(h.effects().grants).toBe(1);

      const change = { idempotencyKey: "plan:op-8", customer, fromPlanVersionId: PLANS.from, toPlanVersionId: PLANS.to, timing: "period_end" as const, effectiveAt: new Date(Date.now() + 5 * 86_400_000) };
      h.inject("malformed");
      await expect(h.provider.applyPlanChange(change)).rejects.toMatchObject({ kind: "unknown_outcome" });
      expect((await h.provider.applyPlanChange(change)).replayed).toBe(true);
      expect(h.effects().planChanges).toBe(1);
    } finally {
      await h.close();
    }
  });
});
