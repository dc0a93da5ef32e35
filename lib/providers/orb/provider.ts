// Orb adapter on the official `orb-billing` SDK. Every money-changing call carries Meterdesk's
// idempotency key (Orb's `Idempotency-Key` header; a replay answers `Idempotent-Replayed: true`),
// the SDK retries at most once and every call has a hard deadline. Shapes are converted to
// Meterdesk's domain in ./map.ts. No "server-only": the outbox worker uses it.
import Orb, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "orb-billing";
import type { APIPromise } from "orb-billing/core/api-promise";
import type { Subscription } from "orb-billing/resources/subscriptions";
import { ProviderError, type BillingProvider, type CustomerRef, type PlanChangeTiming } from "../types";
import {
  batchKey, classifyStainlessError, isTrue, minorToMajorNumber, overallDeadlineMs, withDeadline, type EdgeConfig,
} from "../contract/edge";
import { toPreview, toUsageDays, type OrbCatalog } from "./map";

export type OrbProviderConfig = EdgeConfig & {
  apiKey: string;
  /** Default https://api.withorb.com/v1; tests point it at a local fake. */
  baseURL?: string;
  catalog: OrbCatalog;
};

type RequestOptions = NonNullable<Parameters<Orb["topLevel"]["ping"]>[0]>;

const CLASSES = { APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError };
const INGEST_BATCH = 500;
const QUANTITY = /^\d{1,18}(\.\d{1,12})?$/;

const CHANGE_OPTION: Record<PlanChangeTiming, "immediate" | "end_of_subscription_term" | "requested_date"> = {
  immediate: "immediate",
  period_end: "end_of_subscription_term",
  on_date: "requested_date",
};

export function createOrbProvider(config: OrbProviderConfig): BillingProvider {
  const client = new Orb({
    apiKey: config.apiKey,
    baseURL: config.baseURL,
    timeout: config.timeoutMs,
    maxRetries: config.maxRetries,
    webhookSecret: null,
    logLevel: "off",
  });
  const deadline = overallDeadlineMs(config);

  /** One SDK call: deadline, error mapping, and whether Orb answered from its idempotency store. */
  async function call<T>(write: boolean, make: (opts: RequestOptions) => APIPromise<T>, key?: string): Promise<{ data: T; replayed: boolean }> {
    try {
      return await withDeadline(deadline, async (signal) => {
        const { data, response } = await make({ signal, ...(key ? { idempotencyKey: key } : {}) }).withResponse();
        return { data, replayed: isTrue(response.headers.get("idempotent-replayed")) };
      });
    } catch (error) {
      throw classifyStainlessError("orb", write, error, CLASSES);
    }
  }

  async function activeSubscription(customer: CustomerRef): Promise<Subscription> {
    const { data } = await call(false, (o) => client.subscriptions.list({ customer_id: [customer.providerCustomerId], status: "active", limit: 1 }, o));
    const sub = data.data[0];
    if (!sub) throw new ProviderError("not_found", `orb: customer ${customer.providerCustomerId} has no active subscription`, { provider: "orb", status: 404 });
    return sub;
  }

  return {
    kind: "orb",

    async getUpcomingInvoice(customer) {
      // Orb computes the upcoming invoice as of now; it takes no "as of" instant.
      const sub = await activeSubscription(customer);
      const { data } = await call(false, (o) => client.invoices.fetchUpcoming({ subscription_id: sub.id }, o));
      return toPreview(data, config.catalog, new Date());
    },

    async getUsage(customer, range) {
      const sub = await activeSubscription(customer);
      const { data } = await call(false, (o) =>
        client.subscriptions.fetchUsage(sub.id, { timeframe_start: range.start.toISOString(), timeframe_end: range.end.toISOString(), granularity: "day" }, o),
      );
      return toUsageDays(data, config.catalog);
    },

    async grantCredit(req) {
      if (req.amountMinor <= BigInt(0)) throw new ProviderError("permanent", "orb: credit amount must be positive", { provider: "orb" });
      const { data, replayed } = await call(
        true,
        (o) =>
          client.customers.credits.ledger.createEntry(
            req.customer.providerCustomerId,
            {
              entry_type: "increment",
              amount: minorToMajorNumber(req.amountMinor, req.currency),
              currency: req.currency,
              description: req.description,
              expiry_date: req.expiresAt ? req.expiresAt.toISOString() : null,
              metadata: { ...req.metadata, meterdesk_idempotency_key: req.idempotencyKey },
            },
            o,
          ),
        req.idempotencyKey,
      );
      if (data.entry_type !== "increment" || !data.credit_block?.id) throw new ProviderError("unknown_outcome", "orb: unexpected ledger entry in answer", { provider: "orb" });
      return { providerGrantId: data.credit_block.id, replayed };
    },

    async voidCredit(req) {
      const { replayed } = await call(
        true,
        (o) =>
          client.customers.credits.ledger.createEntry(
            req.customer.providerCustomerId,
            {
              entry_type: "void",
              block_id: req.providerGrantId,
              amount: minorToMajorNumber(req.amountMinor, req.currency),
              currency: req.currency,
              description: req.reason,
              metadata: { meterdesk_idempotency_key: req.idempotencyKey },
            },
            o,
          ),
        req.idempotencyKey,
      );
      return { replayed };
    },

    async findCreditByReference(customer, reference) {
      try {
        return await withDeadline(deadline * 4, async (signal) => {
          for await (const entry of client.customers.credits.ledger.list(customer.providerCustomerId, { entry_type: "increment", limit: 100 }, { signal })) {
            if (entry.entry_type === "increment" && entry.metadata?.[reference.key] === reference.value) return { providerGrantId: entry.credit_block.id };
          }
          return null;
        });
      } catch (error) {
        throw classifyStainlessError("orb", false, error, CLASSES);
      }
    },

    async applyPlanChange(req) {
      const planId = config.catalog.plans[req.toPlanVersionId];
      if (!planId) throw new ProviderError("permanent", `orb: no Orb plan is mapped to plan version ${req.toPlanVersionId}`, { provider: "orb" });
      const sub = await activeSubscription(req.customer);
      const { replayed } = await call(
        true,
        (o) =>
          client.subscriptions.schedulePlanChange(
            sub.id,
            {
              change_option: CHANGE_OPTION[req.timing],
              plan_id: planId,
              ...(req.timing === "on_date" ? { change_date: req.effectiveAt.toISOString() } : {}),
            },
            o,
          ),
        req.idempotencyKey,
      );
      // Orb keeps one pending plan change per subscription: the subscription id names it.
      return { providerChangeId: sub.id, replayed };
    },

    async cancelPlanChange(req) {
      const { replayed } = await call(true, (o) => client.subscriptions.unschedulePendingPlanChanges(req.providerChangeId, o), req.idempotencyKey);
      return { replayed };
    },

    async ingestUsage(events) {
      let accepted = 0;
      let duplicates = 0;
      for (const e of events) {
        if (!QUANTITY.test(e.quantity)) throw new ProviderError("permanent", `orb: event ${e.idempotencyKey}: quantity must be a non-negative decimal`, { provider: "orb" });
      }
      for (let i = 0; i < events.length; i += INGEST_BATCH) {
        const batch = events.slice(i, i + INGEST_BATCH);
        const { data } = await call(
          true,
          (o) =>
            client.events.ingest(
              {
                events: batch.map((e) => ({
                  event_name: config.catalog.meters?.[e.meterKey]?.eventName ?? e.meterKey,
                  idempotency_key: e.idempotencyKey,
                  customer_id: e.customer.providerCustomerId,
                  timestamp: e.timestamp.toISOString(),
                  // A decimal string: quantities never pass through a float here.
                  properties: { quantity: e.quantity },
                })),
              },
              // `debug=true` makes Orb list which keys were ingested and which were duplicates
              // (not in the SDK's types; see the adapter notes).
              { ...o, query: { debug: true } },
            ),
          batchKey("orb-ingest", batch.map((e) => e.idempotencyKey)),
        );
        if (data.validation_failed.length > 0) {
          const first = data.validation_failed[0]!;
          throw new ProviderError("permanent", `orb: ${data.validation_failed.length} event(s) refused, e.g. ${first.idempotency_key}: ${first.validation_errors.join("; ")}`, { provider: "orb", status: 400 });
        }
        const debug = (data as { debug?: { duplicate?: string[]; ingested?: string[] } }).debug;
        const dup = debug?.duplicate?.length ?? 0;
        duplicates += dup;
        accepted += debug?.ingested ? debug.ingested.length : batch.length - dup;
      }
      return { accepted, duplicates };
    },

    async healthCheck() {
      const started = Date.now();
      try {
        await call(false, (o) => client.topLevel.ping(o));
        return { ok: true, latencyMs: Date.now() - started };
      } catch (error) {
        return { ok: false, latencyMs: Date.now() - started, detail: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
