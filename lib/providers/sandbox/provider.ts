// The built-in sandbox billing provider. It behaves like an external provider: its own copy of
// usage (sandbox_usage_daily) and credits (sandbox_credit_grants), never Meterdesk's usage_daily
// or credit ledger; idempotency keys honoured; faults injectable. It prices with lib/billing
// through the same previewFor as Meterdesk's shadow computation, so when the copies agree the
// previews agree to the cent. No "server-only": the worker and scripts use it outside Next.
import { utcDayKey, type CreditGrant, type InvoicePreview } from "@/lib/billing";
import { computeAllPreviews } from "@/lib/server/billing/batch-previews";
import { loadBillingPlans } from "@/lib/server/billing/catalog";
import { appliedPhases, loadCustomerBilling, phasesInPeriod, previewFor, type CustomerBilling, type Phase, type UsageDay } from "@/lib/server/billing/customer-billing";
import type { Db } from "@/lib/server/db/client";
import {
  ProviderError,
  type BillingProvider,
  type CustomerRef,
  type GrantCreditRequest,
  type PlanChangeRequest,
  type ProviderInvoicePreview,
  type ProviderKind,
  type ProviderUsageDay,
  type UsageEventIn,
  type VoidCreditRequest,
} from "../types";
import { currentFaults, drawFault } from "./faults";
import { idempotent } from "./idempotency";
import { activeSubscriptionFor, applyDueSandboxChanges, applyPhaseChange, checkTargetPlan, sandboxId } from "./plan-changes";

export type SandboxProviderOptions = {
  now?: () => Date;
  /** How latency and timeouts wait (tests pass a fake). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Which customers are the sandbox's: those whose customers.provider is this (default
   * "sandbox"). The demo fakes of Orb, Metronome and Stripe (test/fakes/demo) serve the same
   * state to customers linked to that provider.
   */
  customerProvider?: ProviderKind;
};

export type SandboxProvider = BillingProvider & {
  readonly kind: "sandbox";
  /** Applies scheduled plan changes due at `now` (the provider's own scheduler). */
  applyDueChanges(now?: Date): Promise<number>;
};

const DECIMAL = /^\d{1,18}(\.\d{1,6})?$/;
const fail = (kind: ProviderError["kind"], message: string, status: number) =>
  new ProviderError(kind, `sandbox: ${message}`, { status, provider: "sandbox" });

function toProviderPreview(preview: InvoicePreview, asOf: Date): ProviderInvoicePreview {
  return {
    currency: preview.currency,
    periodStart: preview.period.start,
    periodEnd: preview.period.end,
    lines: preview.lines.map((l) => ({
      kind: l.kind,
      description: l.description,
      ...(l.meterKey !== undefined ? { meterKey: l.meterKey } : {}),
      ...(l.quantity !== undefined ? { quantity: l.quantity } : {}),
      amountMinor: l.amountMinor,
      ...(l.breakdown ? { breakdown: l.breakdown } : {}),
    })),
    subtotalMinor: preview.subtotalMinor,
    creditsAppliedMinor: preview.creditsAppliedMinor,
    totalMinor: preview.totalMinor,
    asOf,
  };
}

export function createSandboxProvider(db: Db, opts: SandboxProviderOptions = {}): SandboxProvider {
  const now = opts.now ?? (() => new Date());
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const mine = opts.customerProvider ?? "sandbox";

  /** Money-changing calls go through here: faults before (500, 429) or after (timeout, lost response) the effect. */
  async function withFaults<T>(call: () => Promise<T>): Promise<T> {
    const faults = await currentFaults(db);
    const outcome = drawFault(faults);
    if (outcome === "error") throw new ProviderError("transient", "sandbox: internal server error (injected)", { status: 500, provider: "sandbox" });
    if (outcome === "rate_limit") {
      throw new ProviderError("transient", "sandbox: rate limited (injected)", { status: 429, retryAfterMs: faults.retryAfterMs ?? 1000, provider: "sandbox" });
    }
    if (faults.latencyMs > 0 && outcome !== "timeout") await sleep(faults.latencyMs);
    const result = await call();
    if (outcome === "timeout") {
      await sleep(faults.latencyMs);
      throw new ProviderError("unknown_outcome", "sandbox: request timed out (injected; it was applied)", { provider: "sandbox" });
    }
    if (outcome === "lost_response") {
      throw new ProviderError("unknown_outcome", "sandbox: connection dropped before the response (injected; it was applied)", { provider: "sandbox" });
    }
    return result;
  }

  async function customerBilling(customer: CustomerRef, at: Date): Promise<CustomerBilling> {
    const [row] = await db.$queryRaw<Array<{ id: string }>>`
      SELECT id::text FROM customers WHERE provider_customer_id = ${customer.providerCustomerId} AND provider::text = ${mine}`;
    if (!row) throw fail("not_found", `customer ${customer.providerCustomerId} does not exist`, 404);
    const billing = await loadCustomerBilling(db, row.id, at);
    if (!billing) throw fail("not_found", `customer ${customer.providerCustomerId} has no active subscription`, 404);
    // Phases: the shared subscription_phases, plus the changes scheduled *at the sandbox* (not
    // Meterdesk's subscription_changes: a change the outbox has not delivered yet is unknown here).
    const { period } = billing;
    const applied = await appliedPhases(db, billing.subscriptionId, period);
    const scheduled = await db.$queryRaw<Array<{ to_plan_version_id: string; effective_at: Date }>>`
      SELECT to_plan_version_id::text, effective_at FROM sandbox_plan_changes
       WHERE provider_customer_id = ${customer.providerCustomerId} AND status = 'scheduled'
         AND effective_at > ${at} AND effective_at < ${period.end}
       ORDER BY effective_at`;
    const phases: Phase[] = phasesInPeriod(
      applied,
      scheduled.map((c) => ({ planVersionId: c.to_plan_version_id, effectiveAt: c.effective_at })),
    );
    const missing = [...new Set(phases.map((p) => p.planVersionId))].filter((id) => !billing.plans.has(id));
    const plans = new Map(billing.plans);
    if (missing.length > 0) for (const [id, plan] of await loadBillingPlans(db, missing)) plans.set(id, plan);
    return { ...billing, phases, plans };
  }

  const provider: SandboxProvider = {
    kind: "sandbox",

    // The review queue asks for every customer at once: price them in one pass over the
    // sandbox's own data (the same code path as one customer, checked by a test).
    async getUpcomingInvoices(customers, at) {
      // The one-pass pricing reads customers linked to the sandbox itself; behind a demo fake
      // (another provider's customers) they are priced one by one, the same way.
      if (mine !== "sandbox") {
        const out = new Map<string, ProviderInvoicePreview>();
        for (const c of customers) out.set(c.providerCustomerId, await provider.getUpcomingInvoice(c, at));
        return out;
      }
      const byCustomerId = new Map(customers.map((c) => [c.customerId, c.providerCustomerId]));
      const previews = await computeAllPreviews(db, at, { customerIds: [...byCustomerId.keys()], source: "sandbox" });
      const asOf = now();
      return new Map(previews.map((p) => [byCustomerId.get(p.customerId)!, toProviderPreview(p.preview, asOf)]));
    },

    async getUpcomingInvoice(customer, at) {
      const instant = at ?? now();
      const billing = await customerBilling(customer, instant);
      const { period } = billing;
      const usageRows = await db.$queryRaw<Array<{ meter_key: string; day: Date; quantity: string }>>`
        SELECT meter_key, day, quantity::text AS quantity FROM sandbox_usage_daily
         WHERE provider_customer_id = ${customer.providerCustomerId}
           AND day >= ${utcDayKey(period.start)}::date AND day < ${utcDayKey(period.end)}::date
         ORDER BY day, meter_key`;
      const usage: UsageDay[] = usageRows.map((r) => ({ meterKey: r.meter_key, day: utcDayKey(r.day), quantity: r.quantity }));
      const grantRows = await db.$queryRaw<Array<{ id: string; remaining: bigint; currency: string; expires_at: Date | null; created_at: Date }>>`
        SELECT id, (amount_minor - consumed_minor) AS remaining, currency, expires_at, created_at FROM sandbox_credit_grants
         WHERE provider_customer_id = ${customer.providerCustomerId} AND currency = ${billing.currency}
           AND voided_at IS NULL AND (expires_at IS NULL OR expires_at > ${instant}) AND amount_minor > consumed_minor`;
      const credits: CreditGrant[] = grantRows.map((g) => ({
        id: g.id, remainingMinor: BigInt(g.remaining), currency: g.currency, expiresAt: g.expires_at, createdAt: g.created_at,
      }));
      return toProviderPreview(previewFor(billing, usage, credits, instant), now());
    },

    async getUsage(customer, range) {
      const rows = await db.$queryRaw<Array<{ meter_key: string; day: Date; quantity: string }>>`
        SELECT meter_key, day, quantity::text AS quantity FROM sandbox_usage_daily
         WHERE provider_customer_id = ${customer.providerCustomerId}
           AND day >= (${range.start}::timestamptz AT TIME ZONE 'UTC')::date
           AND (day::timestamp AT TIME ZONE 'UTC') < ${range.end}::timestamptz
         ORDER BY day, meter_key`;
      return rows.map((r): ProviderUsageDay => ({ meterKey: r.meter_key, day: utcDayKey(r.day), quantity: r.quantity }));
    },

    async getUsageBatch(range) {
      // One query over the sandbox's own copy, for reconciliation lists (never per customer).
      const rows = await db.$queryRaw<Array<{ provider_customer_id: string; meter_key: string; day: Date; quantity: string }>>`
        SELECT provider_customer_id, meter_key, day, quantity::text AS quantity FROM sandbox_usage_daily
         WHERE day >= (${range.start}::timestamptz AT TIME ZONE 'UTC')::date
           AND (day::timestamp AT TIME ZONE 'UTC') < ${range.end}::timestamptz`;
      return rows.map((r) => ({ providerCustomerId: r.provider_customer_id, meterKey: r.meter_key, day: utcDayKey(r.day), quantity: r.quantity }));
    },

    async grantCredit(req: GrantCreditRequest) {
      if (req.amountMinor <= BigInt(0)) throw fail("permanent", "amount must be positive", 400);
      return withFaults(async () => {
        const at = now();
        const { response, replayed } = await idempotent(db, {
          key: req.idempotencyKey,
          operation: "credit.grant",
          body: { customer: req.customer.providerCustomerId, amountMinor: req.amountMinor, currency: req.currency, expiresAt: req.expiresAt, description: req.description, metadata: req.metadata },
          now: at,
          apply: async (tx) => {
            const [customer] = await tx.$queryRaw<Array<{ currency: string }>>`
              SELECT currency FROM customers WHERE provider_customer_id = ${req.customer.providerCustomerId} AND provider::text = ${mine}`;
            if (!customer) throw fail("not_found", `customer ${req.customer.providerCustomerId} does not exist`, 404);
            if (customer.currency !== req.currency) throw fail("permanent", `customer is billed in ${customer.currency}, not ${req.currency}`, 400);
            const id = sandboxId("sbx_cg");
            await tx.$executeRaw`
              INSERT INTO sandbox_credit_grants (id, provider_customer_id, currency, amount_minor, expires_at, description, metadata, created_at)
              VALUES (${id}, ${req.customer.providerCustomerId}, ${req.currency}, ${req.amountMinor}, ${req.expiresAt}, ${req.description},
                      ${JSON.stringify(req.metadata)}::jsonb, ${at})`;
            return { providerGrantId: id };
          },
        });
        return { providerGrantId: response.providerGrantId, replayed };
      });
    },

    async voidCredit(req: VoidCreditRequest) {
      return withFaults(async () => {
        const at = now();
        const { replayed } = await idempotent(db, {
          key: req.idempotencyKey,
          operation: "credit.void",
          body: { customer: req.customer.providerCustomerId, grant: req.providerGrantId, amountMinor: req.amountMinor, currency: req.currency, reason: req.reason },
          now: at,
          apply: async (tx) => {
            const [grant] = await tx.$queryRaw<Array<{ voided_at: Date | null }>>`
              SELECT voided_at FROM sandbox_credit_grants
               WHERE id = ${req.providerGrantId} AND provider_customer_id = ${req.customer.providerCustomerId} FOR UPDATE`;
            if (!grant) throw fail("not_found", `credit grant ${req.providerGrantId} does not exist for this customer`, 404);
            // Voiding a voided grant changes nothing (like a provider's idempotent void).
            if (!grant.voided_at) await tx.$executeRaw`UPDATE sandbox_credit_grants SET voided_at = ${at} WHERE id = ${req.providerGrantId}`;
            return { voided: req.providerGrantId };
          },
        });
        return { replayed };
      });
    },

    async findCreditByReference(customer, reference) {
      const [row] = await db.$queryRaw<Array<{ id: string }>>`
        SELECT id FROM sandbox_credit_grants
         WHERE provider_customer_id = ${customer.providerCustomerId} AND metadata ->> ${reference.key} = ${reference.value}
         ORDER BY created_at LIMIT 1`;
      return row ? { providerGrantId: row.id } : null;
    },

    async applyPlanChange(req: PlanChangeRequest & { idempotencyKey: string }) {
      return withFaults(async () => {
        const { response, replayed } = await idempotent(db, {
          key: req.idempotencyKey,
          operation: "plan.change",
          body: { customer: req.customer.providerCustomerId, from: req.fromPlanVersionId, to: req.toPlanVersionId, timing: req.timing, effectiveAt: req.effectiveAt },
          now: now(),
          apply: async (tx) => {
            const sub = await activeSubscriptionFor(tx, req.customer.providerCustomerId, mine);
            if (!sub) throw fail("not_found", `customer ${req.customer.providerCustomerId} has no active subscription`, 404);
            await checkTargetPlan(tx, req.toPlanVersionId, sub.currency);
            const id = sandboxId("sbx_pc");
            const immediate = req.timing === "immediate";
            if (immediate) await applyPhaseChange(tx, sub.id, req.toPlanVersionId, req.effectiveAt);
            await tx.$executeRaw`
              INSERT INTO sandbox_plan_changes (id, provider_customer_id, to_plan_version_id, timing, effective_at, status, created_at)
              VALUES (${id}, ${req.customer.providerCustomerId}, ${req.toPlanVersionId}::uuid, ${req.timing}, ${req.effectiveAt},
                      ${immediate ? "applied" : "scheduled"}, ${now()})`;
            return { providerChangeId: id };
          },
        });
        return { providerChangeId: response.providerChangeId, replayed };
      });
    },

    async cancelPlanChange(req) {
      return withFaults(async () => {
        const { replayed } = await idempotent(db, {
          key: req.idempotencyKey,
          operation: "plan.change_cancel",
          body: { customer: req.customer.providerCustomerId, change: req.providerChangeId },
          now: now(),
          apply: async (tx) => {
            const [change] = await tx.$queryRaw<Array<{ status: string }>>`
              SELECT status FROM sandbox_plan_changes
               WHERE id = ${req.providerChangeId} AND provider_customer_id = ${req.customer.providerCustomerId} FOR UPDATE`;
            if (!change) throw fail("not_found", `plan change ${req.providerChangeId} does not exist for this customer`, 404);
            if (change.status === "applied") throw fail("permanent", `plan change ${req.providerChangeId} has already been applied`, 409);
            await tx.$executeRaw`UPDATE sandbox_plan_changes SET status = 'canceled' WHERE id = ${req.providerChangeId}`;
            return { canceled: req.providerChangeId };
          },
        });
        return { replayed };
      });
    },

    async ingestUsage(events: UsageEventIn[]) {
      if (events.length === 0) return { accepted: 0, duplicates: 0 };
      for (const e of events) {
        if (!DECIMAL.test(e.quantity)) throw fail("permanent", `event ${e.idempotencyKey}: quantity must be a non-negative decimal`, 400);
      }
      return withFaults(async () => {
        const at = now();
        const [row] = await db.$queryRaw<Array<{ accepted: bigint }>>`
          WITH input AS (
            SELECT * FROM unnest(${events.map((e) => e.idempotencyKey)}::text[], ${events.map((e) => e.customer.providerCustomerId)}::text[],
                                 ${events.map((e) => e.meterKey)}::text[], ${events.map((e) => e.timestamp.toISOString())}::timestamptz[],
                                 ${events.map((e) => e.quantity)}::numeric[]) AS t(k, c, m, o, q)
          ), ins AS (
            INSERT INTO sandbox_usage_events (idempotency_key, provider_customer_id, meter_key, occurred_at, quantity, received_at)
            SELECT k, c, m, o, q, ${at} FROM input ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING provider_customer_id, meter_key, occurred_at, quantity
          ), daily AS (
            INSERT INTO sandbox_usage_daily (provider_customer_id, meter_key, day, quantity)
            SELECT provider_customer_id, meter_key, (occurred_at AT TIME ZONE 'UTC')::date, sum(quantity) FROM ins GROUP BY 1, 2, 3
            ON CONFLICT (provider_customer_id, meter_key, day) DO UPDATE SET quantity = sandbox_usage_daily.quantity + EXCLUDED.quantity
            RETURNING 1
          )
          SELECT count(*)::bigint AS accepted FROM ins`;
        const accepted = Number(row?.accepted ?? 0);
        return { accepted, duplicates: events.length - accepted };
      });
    },

    async healthCheck() {
      const started = Date.now();
      try {
        await db.$queryRaw`SELECT 1 FROM sandbox_fault_settings LIMIT 1`;
        return { ok: true, latencyMs: Date.now() - started };
      } catch (error) {
        return { ok: false, latencyMs: Date.now() - started, detail: error instanceof Error ? error.message : String(error) };
      }
    },

    applyDueChanges(at) {
      return applyDueSandboxChanges(db, at ?? now(), mine);
    },
  };
  return provider;
}
