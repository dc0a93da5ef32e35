import { describe, expect, it } from "vitest";
import { StripeFake } from "@/test/fakes/stripe";
import { runProviderContract, type ContractHarness } from "../contract/contract";
import { createStripeProvider } from "./provider";

const PLANS = { from: "11111111-1111-4111-8111-111111111111", to: "22222222-2222-4222-8222-222222222222" };
const TIMEOUT_MS = 400;

async function harness({ maxRetries }: { maxRetries: 0 | 1 }): Promise<ContractHarness & { fake: StripeFake }> {
  const fake = await new StripeFake().start();
  fake.meters.set("mtr_compute", "compute_hours");
  const provider = createStripeProvider({
    apiKey: "sk_test_fake",
    host: "127.0.0.1",
    port: fake.http.port,
    protocol: "http",
    timeoutMs: TIMEOUT_MS,
    maxRetries,
    catalog: {
      plans: { [PLANS.from]: "price_small", [PLANS.to]: "price_large" },
      meters: { compute_hours: { meterId: "mtr_compute", eventName: "compute_hours", priceId: "price_compute" } },
    },
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
      const { customerId } = fake.addCustomer("usd", "price_small");
      return { customerId: `md-${customerId}`, providerCustomerId: customerId };
    },
    seedUpcomingInvoice(customer) {
      const start = Date.UTC(2026, 10, 1) / 1000;
      const end = Date.UTC(2026, 11, 1) / 1000;
      fake.previews.set(customer.providerCustomerId, {
        subtotal: 11900, total: 11879, credits: 21,
        lines: [
          { description: "Small plan", amount: 4900, price: "price_small", quantity_decimal: "1", start, end },
          { description: "Compute hours", amount: 7000, price: "price_compute", quantity_decimal: "1234.5", start, end },
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

runProviderContract("Stripe", harness);

describe("Stripe adapter specifics", () => {
  it("sends integer minor units, the key, and maps the preview's usage line to its meter", async () => {
    const h = await harness({ maxRetries: 0 });
    try {
      const customer = h.newCustomer();
      await h.provider.grantCredit({ idempotencyKey: "credit:op-9", customer, amountMinor: BigInt(25000), currency: "USD", expiresAt: null, description: "Outage", metadata: { meterdesk_operation_id: "op-9" } });
      const [sent] = h.fake.http.sent("POST", /credit_grants$/);
      expect(sent!.idempotencyKey).toBe("credit:op-9");
      expect(sent!.body).toMatchObject({ customer: customer.providerCustomerId, amount: { type: "monetary", monetary: { currency: "usd", value: "25000" } }, metadata: { meterdesk_operation_id: "op-9" } });
      h.seedUpcomingInvoice(customer);
      const preview = await h.provider.getUpcomingInvoice(customer);
      expect(preview.lines.map((l) => [l.kind, l.meterKey ?? null, l.quantity])).toEqual([["base", null, "1"], ["usage", "compute_hours", "1234.5"]]);
    } finally {
      await h.close();
    }
  });

  it("schedules a future change with one key per step and refuses to cancel an immediate one", async () => {
    const h = await harness({ maxRetries: 0 });
    try {
      const customer = h.newCustomer();
      const at = new Date(Date.now() + 10 * 86_400_000);
      const r = await h.provider.applyPlanChange({ idempotencyKey: "plan:op-1", customer, fromPlanVersionId: PLANS.from, toPlanVersionId: PLANS.to, timing: "on_date", effectiveAt: at });
      expect(r.providerChangeId).toMatch(/^sub_sched_/);
      expect(h.fake.http.sent("POST", /^\/v1\/subscription_schedules/).map((q) => q.idempotencyKey)).toEqual(["plan:op-1:schedule", "plan:op-1:phases"]);
      const now = await h.provider.applyPlanChange({ idempotencyKey: "plan:op-2", customer, fromPlanVersionId: PLANS.from, toPlanVersionId: PLANS.to, timing: "immediate", effectiveAt: new Date() });
      await expect(h.provider.cancelPlanChange({ idempotencyKey: "cancel:op-2", customer, providerChangeId: now.providerChangeId })).rejects.toMatchObject({ kind: "permanent" });
    } finally {
      await h.close();
    }
  });
});
