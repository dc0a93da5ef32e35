// Stripe Billing adapter on the official `stripe` SDK. Money-changing calls carry Meterdesk's
// idempotency key (Stripe's `Idempotency-Key`; a replay answers `Idempotent-Replayed: true`);
// multi-step changes (subscription schedules) derive one key per step. The SDK retries at most
// once, every call has a hard deadline. Shapes are mapped in ./map.ts. No "server-only".
import Stripe from "stripe";
import { ProviderError, type BillingProvider, type CustomerRef } from "../types";
import {
  classifyFailure, DeadlineExceeded, isTrue, minorToIntegerNumber, overallDeadlineMs, subKey, withDeadline, type EdgeConfig,
} from "../contract/edge";
import { toPreview, toUsageDays, type StripeCatalog } from "./map";

export type StripeProviderConfig = EdgeConfig & {
  apiKey: string;
  /** Default api.stripe.com over https; tests point host/port/protocol at a local fake. */
  host?: string;
  port?: number;
  protocol?: "http" | "https";
  catalog: StripeCatalog;
};

const QUANTITY = /^\d{1,18}(\.\d{1,12})?$/;
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
type Replayable = { lastResponse?: { headers?: Record<string, string> } };

function mapStripeError(write: boolean, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof DeadlineExceeded) return classifyFailure("stripe", write, { type: "timeout", message });
  if (error instanceof Stripe.errors.StripeConnectionError) return classifyFailure("stripe", write, { type: "connection", message });
  if (error instanceof Stripe.errors.StripeError && typeof error.statusCode === "number") {
    return classifyFailure("stripe", write, {
      type: "status",
      status: error.statusCode,
      retryAfter: error.headers?.["retry-after"],
      idempotencyConflict: error instanceof Stripe.errors.StripeIdempotencyError,
      message,
    });
  }
  // "Invalid JSON received from the Stripe API" and anything unreadable after the request went out.
  return classifyFailure("stripe", write, { type: "bad_response", message });
}

export function createStripeProvider(config: StripeProviderConfig): BillingProvider {
  const stripe = new Stripe(config.apiKey, {
    host: config.host,
    port: config.port,
    protocol: config.protocol,
    timeout: config.timeoutMs,
    maxNetworkRetries: config.maxRetries,
    telemetry: false,
  });
  const deadline = overallDeadlineMs(config);

  async function call<T>(write: boolean, make: () => Promise<T>): Promise<{ data: T; replayed: boolean }> {
    try {
      const data = await withDeadline(deadline, () => make());
      return { data, replayed: isTrue((data as Replayable).lastResponse?.headers?.["idempotent-replayed"]) };
    } catch (error) {
      throw mapStripeError(write, error);
    }
  }

  async function activeSubscription(customer: CustomerRef): Promise<Stripe.Subscription> {
    const { data } = await call(false, () => stripe.subscriptions.list({ customer: customer.providerCustomerId, status: "active", limit: 1 }));
    const sub = data.data[0];
    if (!sub) throw new ProviderError("not_found", `stripe: customer ${customer.providerCustomerId} has no active subscription`, { provider: "stripe", status: 404 });
    return sub;
  }

  const planPrices = () => new Set(Object.values(config.catalog.plans));

  return {
    kind: "stripe",

    async getUpcomingInvoice(customer) {
      const sub = await activeSubscription(customer);
      // create_preview is a POST that changes nothing: a lost answer is simply asked again.
      const { data } = await call(false, () => stripe.invoices.createPreview({ customer: customer.providerCustomerId, subscription: sub.id }));
      return toPreview(data, config.catalog, new Date());
    },

    async getUsage(customer, range) {
      try {
        return await withDeadline(deadline * 4, async () => {
          const perMeter: Array<{ meterKey: string; summaries: Stripe.Billing.MeterEventSummary[] }> = [];
          for (const [meterKey, meter] of Object.entries(config.catalog.meters)) {
            const summaries: Stripe.Billing.MeterEventSummary[] = [];
            for await (const s of stripe.billing.meters.listEventSummaries(meter.meterId, {
              customer: customer.providerCustomerId, start_time: seconds(range.start), end_time: seconds(range.end), value_grouping_window: "day",
            })) summaries.push(s);
            perMeter.push({ meterKey, summaries });
          }
          return toUsageDays(perMeter);
        });
      } catch (error) {
        throw mapStripeError(false, error);
      }
    },

    async grantCredit(req) {
      if (req.amountMinor <= BigInt(0)) throw new ProviderError("permanent", "stripe: credit amount must be positive", { provider: "stripe" });
      const { data, replayed } = await call(true, () =>
        stripe.billing.creditGrants.create(
          {
            customer: req.customer.providerCustomerId,
            amount: { type: "monetary", monetary: { currency: req.currency.toLowerCase(), value: minorToIntegerNumber(req.amountMinor) } },
            applicability_config: { scope: { price_type: "metered" } },
            category: "promotional",
            name: req.description.slice(0, 100),
            ...(req.expiresAt ? { expires_at: seconds(req.expiresAt) } : {}),
            metadata: { ...req.metadata, meterdesk_idempotency_key: req.idempotencyKey },
          },
          { idempotencyKey: req.idempotencyKey },
        ),
      );
      return { providerGrantId: data.id, replayed };
    },

    async voidCredit(req) {
      // Stripe voids a grant's whole remaining balance, which is what Meterdesk voids (the unused remainder).
      const { replayed } = await call(true, () => stripe.billing.creditGrants.voidGrant(req.providerGrantId, {}, { idempotencyKey: req.idempotencyKey }));
      return { replayed };
    },

    async findCreditByReference(customer, reference) {
      try {
        return await withDeadline(deadline * 4, async () => {
          for await (const grant of stripe.billing.creditGrants.list({ customer: customer.providerCustomerId, limit: 100 })) {
            if (grant.metadata?.[reference.key] === reference.value) return { providerGrantId: grant.id };
          }
          return null;
        });
      } catch (error) {
        throw mapStripeError(false, error);
      }
    },

    async applyPlanChange(req) {
      const priceId = config.catalog.plans[req.toPlanVersionId];
      if (!priceId) throw new ProviderError("permanent", `stripe: no Stripe price is mapped to plan version ${req.toPlanVersionId}`, { provider: "stripe" });
      const sub = await activeSubscription(req.customer);
      const prices = planPrices();
      const item = sub.items.data.find((i) => prices.has(i.price.id)) ?? sub.items.data[0];
      if (!item) throw new ProviderError("permanent", `stripe: subscription ${sub.id} has no items`, { provider: "stripe" });
      const metadata = { meterdesk_plan_change: req.idempotencyKey };

      if (req.timing === "immediate") {
        const { replayed } = await call(true, () =>
          stripe.subscriptions.update(
            sub.id,
            // proration_date pins the proration to the instant the preview used.
            { items: [{ id: item.id, price: priceId }], proration_behavior: "create_prorations", proration_date: seconds(req.effectiveAt), metadata },
            { idempotencyKey: req.idempotencyKey },
          ),
        );
        return { providerChangeId: sub.id, replayed };
      }

      // A future change is a subscription schedule: the current phase ends at effectiveAt, the new one starts there.
      const existing = typeof sub.schedule === "string" ? sub.schedule : sub.schedule?.id;
      const created = existing
        ? { data: await call(false, () => stripe.subscriptionSchedules.retrieve(existing)).then((r) => r.data), replayed: true }
        : await call(true, () => stripe.subscriptionSchedules.create({ from_subscription: sub.id }, { idempotencyKey: subKey(req.idempotencyKey, "schedule") }));
      const schedule = created.data;
      const phaseStart = schedule.current_phase?.start_date ?? schedule.phases[0]?.start_date;
      if (!phaseStart) throw new ProviderError("unknown_outcome", `stripe: schedule ${schedule.id} has no current phase`, { provider: "stripe" });
      const { replayed } = await call(true, () =>
        stripe.subscriptionSchedules.update(
          schedule.id,
          {
            phases: [
              { items: [{ price: item.price.id, quantity: item.quantity ?? 1 }], start_date: phaseStart, end_date: seconds(req.effectiveAt) },
              { items: [{ price: priceId, quantity: item.quantity ?? 1 }], start_date: seconds(req.effectiveAt), proration_behavior: "none" },
            ],
            end_behavior: "release",
            metadata,
          },
          { idempotencyKey: subKey(req.idempotencyKey, "phases") },
        ),
      );
      return { providerChangeId: schedule.id, replayed: created.replayed && replayed };
    },

    async cancelPlanChange(req) {
      if (!req.providerChangeId.startsWith("sub_sched_")) {
        throw new ProviderError("permanent", `stripe: ${req.providerChangeId} was applied immediately; there is no scheduled change to cancel`, { provider: "stripe" });
      }
      // Releasing the schedule keeps the subscription on its current plan and drops the future phase.
      const { replayed } = await call(true, () => stripe.subscriptionSchedules.release(req.providerChangeId, {}, { idempotencyKey: req.idempotencyKey }));
      return { replayed };
    },

    async ingestUsage(events) {
      for (const e of events) {
        if (!QUANTITY.test(e.quantity)) throw new ProviderError("permanent", `stripe: event ${e.idempotencyKey}: quantity must be a non-negative decimal`, { provider: "stripe" });
        if (!config.catalog.meters[e.meterKey]) throw new ProviderError("permanent", `stripe: no Stripe meter is mapped to ${e.meterKey}`, { provider: "stripe" });
      }
      let accepted = 0;
      let duplicates = 0;
      for (const e of events) {
        // One request per event; the event's key is both Stripe's identifier and the request's idempotency key.
        const { replayed } = await call(true, () =>
          stripe.billing.meterEvents.create(
            {
              event_name: config.catalog.meters[e.meterKey]!.eventName,
              identifier: e.idempotencyKey,
              timestamp: seconds(e.timestamp),
              payload: { stripe_customer_id: e.customer.providerCustomerId, value: e.quantity },
            },
            { idempotencyKey: e.idempotencyKey },
          ),
        );
        if (replayed) duplicates += 1;
        else accepted += 1;
      }
      return { accepted, duplicates };
    },

    async healthCheck() {
      const started = Date.now();
      try {
        await call(false, () => stripe.billing.meters.list({ limit: 1 }));
        return { ok: true, latencyMs: Date.now() - started };
      } catch (error) {
        return { ok: false, latencyMs: Date.now() - started, detail: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
