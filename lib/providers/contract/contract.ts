// The provider contract: the same scenarios for every adapter, run against its local HTTP fake
// (no database). Each adapter's `*.test.ts` builds a harness and calls runProviderContract.
// The fault matrix plays the outbox worker: a transient or unknown outcome is retried with the
// same idempotency key, a conflict on a grant is resolved by reference, and the test asserts
// exactly one effect at the fake and a bounded, final outcome.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProviderError, type BillingProvider, type CustomerRef, type ProviderInvoicePreview } from "../types";

export type FakeFault = "error_500" | "rate_limit_429" | "slow" | "drop" | "malformed";
export const MONEY_FAULTS: readonly FakeFault[] = ["error_500", "rate_limit_429", "slow", "drop", "malformed"];

export type Effects = { grants: number; voids: number; planChanges: number; cancels: number; usageEvents: number };

export type ContractHarness = {
  provider: BillingProvider;
  /** A customer with an active subscription on `plans.from`, billed in `currency`. */
  newCustomer(): CustomerRef;
  currency: string;
  plans: { from: string; to: string };
  meterKey: string;
  /** Client timeout the provider was built with (ms). */
  timeoutMs: number;
  /** Puts a known upcoming invoice at the fake; returns what the adapter must map it to. */
  seedUpcomingInvoice(customer: CustomerRef): Pick<ProviderInvoicePreview, "currency" | "subtotalMinor" | "creditsAppliedMinor" | "totalMinor"> & { lineAmounts: bigint[] };
  effects(): Effects;
  /** Injects a fault into the next `times` money-changing requests (default 1). */
  inject(fault: FakeFault | "hold", opts?: { times?: number; delayMs?: number; retryAfterSeconds?: number }): void;
  clearFaults(): void;
  /** Idempotency keys the fake received on money-changing requests. */
  keysSent(): string[];
  /** Whether the provider tells duplicates apart in its ingest answer. */
  reportsDuplicates: boolean;
  close(): Promise<void>;
};

export type HarnessFactory = (opts: { maxRetries: 0 | 1 }) => Promise<ContractHarness>;

/** The outbox's loop, in miniature: retry transient / unknown outcomes with the same key. */
export async function asOutbox<T>(send: () => Promise<T>, opts: { onConflict?: () => Promise<T | null>; maxAttempts?: number } = {}): Promise<T> {
  const max = opts.maxAttempts ?? 6;
  let last: unknown;
  for (let attempt = 1; attempt <= max; attempt++) {
    try {
      return await send();
    } catch (error) {
      last = error;
      if (!(error instanceof ProviderError)) throw error;
      if (error.kind === "conflict" && opts.onConflict) {
        const found = await opts.onConflict();
        if (found) return found;
      }
      if (error.kind !== "transient" && error.kind !== "unknown_outcome" && error.kind !== "conflict") throw error;
      await new Promise((r) => setTimeout(r, Math.min(error.details.retryAfterMs ?? 20, 50)));
    }
  }
  throw last;
}

let seq = 0;
const key = (what: string) => `${what}:${process.pid}-${Date.now().toString(36)}-${++seq}`;

export function grantRequest(customer: CustomerRef, currency: string, idempotencyKey = key("credit"), amountMinor = BigInt(2550)) {
  return {
    idempotencyKey,
    customer,
    amountMinor,
    currency,
    expiresAt: null,
    description: "Goodwill credit (contract test)",
    metadata: { meterdesk_operation_id: idempotencyKey.split(":")[1]!, meterdesk_grant_id: `grant-${seq}` },
  };
}

async function expectKind(p: Promise<unknown>, kind: ProviderError["kind"]): Promise<ProviderError> {
  const error = await p.then(() => null, (e: unknown) => e);
  expect(error, `expected a ${kind} ProviderError`).toBeInstanceOf(ProviderError);
  expect((error as ProviderError).kind).toBe(kind);
  return error as ProviderError;
}

export function runProviderContract(name: string, factory: HarnessFactory, opts: { concurrentDuplicateConflicts?: boolean } = {}): void {
  describe(`${name} provider contract`, () => {
    let h: ContractHarness;
    beforeAll(async () => {
      h = await factory({ maxRetries: 0 });
    });
    afterAll(async () => h?.close());

    it("issues a credit once, replays it, finds it by reference, and voids it once", async () => {
      const customer = h.newCustomer();
      const before = h.effects();
      const req = grantRequest(customer, h.currency);
      const first = await h.provider.grantCredit(req);
      expect(first.replayed).toBe(false);
      expect(h.keysSent()).toContain(req.idempotencyKey);
      const again = await h.provider.grantCredit(req);
      expect(again).toEqual({ providerGrantId: first.providerGrantId, replayed: true });
      expect(h.effects().grants).toBe(before.grants + 1);

      const found = await h.provider.findCreditByReference(customer, { key: "meterdesk_operation_id", value: req.metadata.meterdesk_operation_id });
      expect(found).toEqual({ providerGrantId: first.providerGrantId });
      expect(await h.provider.findCreditByReference(customer, { key: "meterdesk_operation_id", value: "nobody" })).toBeNull();

      const voidReq = { idempotencyKey: key("void"), customer, providerGrantId: first.providerGrantId, amountMinor: req.amountMinor, currency: h.currency, reason: "Issued in error" };
      expect(await h.provider.voidCredit(voidReq)).toEqual({ replayed: false });
      expect(await h.provider.voidCredit(voidReq)).toEqual({ replayed: true });
      expect(h.effects().voids).toBe(before.voids + 1);
    });

    it("previews the upcoming invoice with amounts converted exactly", async () => {
      const customer = h.newCustomer();
      const expected = h.seedUpcomingInvoice(customer);
      const preview = await h.provider.getUpcomingInvoice(customer);
      expect(preview.currency).toBe(expected.currency);
      expect(preview.lines.map((l) => l.amountMinor)).toEqual(expected.lineAmounts);
      expect(preview.subtotalMinor).toBe(expected.subtotalMinor);
      expect(preview.creditsAppliedMinor).toBe(expected.creditsAppliedMinor);
      expect(preview.totalMinor).toBe(expected.totalMinor);
      expect(preview.periodStart.getTime()).toBeLessThanOrEqual(preview.periodEnd.getTime());
    });

    it("changes the plan now (once, replayable) and at period end, and cancels the scheduled change", async () => {
      const customer = h.newCustomer();
      const before = h.effects();
      const now = { idempotencyKey: key("plan"), customer, fromPlanVersionId: h.plans.from, toPlanVersionId: h.plans.to, timing: "immediate" as const, effectiveAt: new Date() };
      const applied = await h.provider.applyPlanChange(now);
      expect(applied.replayed).toBe(false);
      expect(await h.provider.applyPlanChange(now)).toEqual({ providerChangeId: applied.providerChangeId, replayed: true });
      expect(h.effects().planChanges).toBe(before.planChanges + 1);

      const later = { ...now, idempotencyKey: key("plan"), fromPlanVersionId: h.plans.to, toPlanVersionId: h.plans.from, timing: "period_end" as const, effectiveAt: new Date(Date.now() + 20 * 86_400_000) };
      const scheduled = await h.provider.applyPlanChange(later);
      const cancel = { idempotencyKey: key("plan-cancel"), customer, providerChangeId: scheduled.providerChangeId };
      expect(await h.provider.cancelPlanChange(cancel)).toEqual({ replayed: false });
      expect(await h.provider.cancelPlanChange(cancel)).toEqual({ replayed: true });
      expect(h.effects().planChanges).toBe(before.planChanges + 2);
      expect(h.effects().cancels).toBe(before.cancels + 1);
    });

    it("refuses a plan version that is not in the provider catalog, permanently", async () => {
      const customer = h.newCustomer();
      await expectKind(h.provider.applyPlanChange({ idempotencyKey: key("plan"), customer, fromPlanVersionId: h.plans.from, toPlanVersionId: "00000000-0000-0000-0000-000000000000", timing: "immediate", effectiveAt: new Date() }), "permanent");
    });

    it("ingests usage, ignores duplicates, and reads it back per day", async () => {
      const customer = h.newCustomer();
      const before = h.effects();
      const day = new Date(Date.now() - 2 * 86_400_000);
      day.setUTCHours(10, 0, 0, 0);
      const ev = (id: string, quantity: string, offsetH = 0) => ({
        idempotencyKey: `evt-${seq}-${id}`, customer, meterKey: h.meterKey, timestamp: new Date(day.getTime() + offsetH * 3_600_000), quantity,
      });
      seq++;
      const [a, b, c] = [ev("a", "1.5"), ev("b", "2.25", 1), ev("c", "4", 2)];
      expect(await h.provider.ingestUsage([a, b])).toEqual({ accepted: 2, duplicates: 0 });
      const second = await h.provider.ingestUsage([b, c]);
      if (h.reportsDuplicates) expect(second).toEqual({ accepted: 1, duplicates: 1 });
      expect(h.effects().usageEvents).toBe(before.usageEvents + 3);

      const start = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
      const usage = await h.provider.getUsage(customer, { start, end: new Date(start.getTime() + 86_400_000) });
      expect(usage).toEqual([{ meterKey: h.meterKey, day: start.toISOString().slice(0, 10), quantity: "7.75" }]);
    });

    it("maps errors: unknown customer → not_found, wrong currency → permanent, 429 → transient with Retry-After", async () => {
      await expectKind(h.provider.grantCredit(grantRequest({ customerId: "x", providerCustomerId: "cus_missing" }, h.currency)), "not_found");
      await expectKind(h.provider.grantCredit(grantRequest(h.newCustomer(), h.currency === "EUR" ? "GBP" : "EUR")), "permanent");
      h.inject("rate_limit_429", { retryAfterSeconds: 7 });
      const limited = await expectKind(h.provider.grantCredit(grantRequest(h.newCustomer(), h.currency)), "transient");
      expect(limited.details.status).toBe(429);
      expect(limited.details.retryAfterMs).toBe(7000);
      h.clearFaults();
    });

    it.runIf(opts.concurrentDuplicateConflicts !== false)("answers a concurrent duplicate of an in-flight key with a conflict, and applies it once", async () => {
      const customer = h.newCustomer();
      const before = h.effects();
      const req = grantRequest(customer, h.currency);
      h.inject("hold", { delayMs: Math.round(h.timeoutMs / 3) });
      const [one, two] = await Promise.allSettled([h.provider.grantCredit(req), new Promise((r) => setTimeout(r, 30)).then(() => h.provider.grantCredit(req))]);
      h.clearFaults();
      expect(one.status).toBe("fulfilled");
      expect(two.status).toBe("rejected");
      expect(((two as PromiseRejectedResult).reason as ProviderError).kind).toBe("conflict");
      expect(h.effects().grants).toBe(before.grants + 1);
    });
  });

  for (const maxRetries of [0, 1] as const) {
    describe(`${name} fault matrix (SDK maxRetries ${maxRetries})`, () => {
      let h: ContractHarness;
      beforeAll(async () => {
        h = await factory({ maxRetries });
      });
      afterAll(async () => h?.close());
      beforeEach(() => h.clearFaults());

      const inject = (fault: FakeFault) => h.inject(fault, { delayMs: h.timeoutMs * 3, retryAfterSeconds: 0 });

      for (const fault of MONEY_FAULTS) {
        it(`${fault}: every money-changing call ends with exactly one effect`, async () => {
          const customer = h.newCustomer();
          const start = h.effects();

          // Grant.
          const grant = grantRequest(customer, h.currency);
          inject(fault);
          const granted = await asOutbox(() => h.provider.grantCredit(grant), {
            onConflict: async () => {
              const found = await h.provider.findCreditByReference(customer, { key: "meterdesk_operation_id", value: grant.metadata.meterdesk_operation_id });
              return found ? { ...found, replayed: true } : null;
            },
          });
          expect(h.effects().grants).toBe(start.grants + 1);

          // Void.
          const voidReq = { idempotencyKey: key("void"), customer, providerGrantId: granted.providerGrantId, amountMinor: grant.amountMinor, currency: h.currency, reason: "fault matrix" };
          inject(fault);
          await asOutbox(() => h.provider.voidCredit(voidReq));
          expect(h.effects().voids).toBe(start.voids + 1);

          // Plan change at period end, then its cancellation.
          const change = { idempotencyKey: key("plan"), customer, fromPlanVersionId: h.plans.from, toPlanVersionId: h.plans.to, timing: "period_end" as const, effectiveAt: new Date(Date.now() + 20 * 86_400_000) };
          inject(fault);
          const scheduled = await asOutbox(() => h.provider.applyPlanChange(change));
          expect(h.effects().planChanges).toBe(start.planChanges + 1);
          const cancel = { idempotencyKey: key("plan-cancel"), customer, providerChangeId: scheduled.providerChangeId };
          inject(fault);
          await asOutbox(() => h.provider.cancelPlanChange(cancel));
          expect(h.effects().cancels).toBe(start.cancels + 1);

          // Usage.
          const events = [1, 2, 3].map((i) => ({ idempotencyKey: `fm-${seq}-${fault}-${maxRetries}-${i}`, customer, meterKey: h.meterKey, timestamp: new Date(Date.now() - i * 60_000), quantity: "1" }));
          seq++;
          inject(fault);
          await asOutbox(() => h.provider.ingestUsage(events));
          expect(h.effects().usageEvents).toBe(start.usageEvents + 3);
          h.clearFaults();
        });
      }

      it("a call that keeps failing ends in a final error, within its deadline", async () => {
        const customer = h.newCustomer();
        h.inject("slow", { times: 20, delayMs: h.timeoutMs * 3 });
        const started = Date.now();
        const req = grantRequest(customer, h.currency);
        const error = await asOutbox(() => h.provider.grantCredit(req), { maxAttempts: 2 }).then(() => null, (e: unknown) => e);
        h.clearFaults();
        expect(error).toBeInstanceOf(ProviderError);
        expect((error as ProviderError).kind).toBe("unknown_outcome");
        expect(Date.now() - started).toBeLessThan(2 * (h.timeoutMs * (maxRetries + 1) + 4_000));
      });
    });
  }
}
