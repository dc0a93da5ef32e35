// Metronome adapter on the official `@metronome/sdk`. The SDK (3.x) accepts an idempotencyKey
// option but never sends it (its client sets no idempotency header), so every money-changing call
// sends `Idempotency-Key` through request headers *and* Metronome's own `uniqueness_key` where the
// endpoint takes one. A uniqueness conflict on a key Meterdesk derived from its operation means an
// earlier attempt posted: the adapter finds that effect and answers as a replay. SDK retries ≤ 1,
// hard deadlines; shapes mapped in ./map.ts. No "server-only": the worker uses it.
import Metronome, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "@metronome/sdk";
import type { APIPromise } from "@metronome/sdk/core/api-promise";
import type { Credit, ContractV2 } from "@metronome/sdk/resources/shared";
import { ProviderError, type BillingProvider, type CustomerRef } from "../types";
import {
  batchKey, classifyStainlessError, isTrue, minorNumberToMinor, minorToIntegerNumber, overallDeadlineMs, withDeadline, type EdgeConfig,
} from "../contract/edge";
import { creditTypeFor, toPreview, toUsageDays, type MetronomeCatalog } from "./map";

export type MetronomeProviderConfig = EdgeConfig & {
  /** Metronome bearer token. */
  apiKey: string;
  /** Default https://api.metronome.com; tests point it at a local fake. */
  baseURL?: string;
  catalog: MetronomeCatalog;
};

type RequestOptions = NonNullable<Parameters<Metronome["v1"]["usage"]["ingest"]>[1]>;
const CLASSES = { APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError };
const INGEST_BATCH = 100;
const QUANTITY = /^\d{1,18}(\.\d{1,12})?$/;
/** Metronome needs an end for every credit; "no expiry" is this far-future, hour-aligned instant. */
export const NO_EXPIRY = "2100-01-01T00:00:00.000Z";
const HOUR = 3_600_000;
const hourCeil = (d: Date) => new Date(Math.ceil(d.getTime() / HOUR) * HOUR).toISOString();
const dayFloor = (d: Date) => new Date(Math.floor(d.getTime() / 86_400_000) * 86_400_000).toISOString();
const voidMarker = (key: string) => `[meterdesk void ${key}]`;

export function createMetronomeProvider(config: MetronomeProviderConfig): BillingProvider {
  const client = new Metronome({ bearerToken: config.apiKey, baseURL: config.baseURL, timeout: config.timeoutMs, maxRetries: config.maxRetries, webhookSecret: null, logLevel: "off" });
  const deadline = overallDeadlineMs(config);
  const { catalog } = config;

  async function call<T>(write: boolean, make: (opts: RequestOptions) => APIPromise<T>, key?: string): Promise<{ data: T; replayed: boolean }> {
    try {
      return await withDeadline(deadline, async (signal) => {
        const { data, response } = await make({ signal, ...(key ? { headers: { "Idempotency-Key": key } } : {}) }).withResponse();
        return { data, replayed: isTrue(response.headers.get("idempotent-replayed")) };
      });
    } catch (error) {
      throw classifyStainlessError("metronome", write, error, CLASSES);
    }
  }

  async function listAll<T>(iterate: (signal: AbortSignal) => AsyncIterable<T>): Promise<T[]> {
    try {
      return await withDeadline(deadline * 4, async (signal) => {
        const out: T[] = [];
        for await (const item of iterate(signal)) out.push(item);
        return out;
      });
    } catch (error) {
      throw classifyStainlessError("metronome", false, error, CLASSES);
    }
  }

  const credits = (customer: CustomerRef, creditId?: string) =>
    listAll<Credit>((signal) => client.v1.customers.credits.list({ customer_id: customer.providerCustomerId, ...(creditId ? { credit_id: creditId } : {}) }, { signal }));

  async function findCredit(customer: CustomerRef, key: string, value: string): Promise<Credit | null> {
    return (await credits(customer)).find((c) => c.custom_fields?.[key] === value) ?? null;
  }

  /**
   * The contract carrying the customer's plan subscription (a product mapped in catalog.plans) in
   * force at `at`. A replay of change `key` must find the same one: subscriptions that change added
   * are skipped, and one it ended exactly at `at` still counts.
   */
  async function planContract(customer: CustomerRef, at: Date, key: string): Promise<{ contract: ContractV2; current: NonNullable<ContractV2["subscriptions"]>[number] }> {
    const planProducts = new Set(Object.values(catalog.plans));
    const { data } = await call(false, (o) => client.v2.contracts.list({ customer_id: customer.providerCustomerId, covering_date: at.toISOString() }, o));
    for (const contract of data.data) {
      const current = (contract.subscriptions ?? []).find(
        (s) =>
          planProducts.has(s.subscription_rate.product.id) &&
          s.custom_fields?.meterdesk_plan_change !== key &&
          new Date(s.starting_at) <= at &&
          (!s.ending_before || new Date(s.ending_before) >= at),
      );
      if (current) return { contract, current };
    }
    throw new ProviderError("not_found", `metronome: customer ${customer.providerCustomerId} has no contract with a plan subscription`, { provider: "metronome", status: 404 });
  }

  async function retrieveContract(customer: CustomerRef, contractId: string): Promise<ContractV2> {
    const { data } = await call(false, (o) => client.v2.contracts.retrieve({ contract_id: contractId, customer_id: customer.providerCustomerId }, o));
    return data.data;
  }

  return {
    kind: "metronome",

    async getUpcomingInvoice(customer, at) {
      const drafts = await listAll((signal) => client.v1.customers.invoices.list({ customer_id: customer.providerCustomerId, status: "DRAFT" }, { signal }));
      const when = (at ?? new Date()).getTime();
      const inv =
        drafts.find((d) => d.start_timestamp && d.end_timestamp && Date.parse(d.start_timestamp) <= when && when < Date.parse(d.end_timestamp)) ?? drafts[0];
      if (!inv) throw new ProviderError("not_found", `metronome: customer ${customer.providerCustomerId} has no draft invoice`, { provider: "metronome", status: 404 });
      return toPreview(inv, catalog, new Date());
    },

    async getUsage(customer, range) {
      const metrics = Object.values(catalog.meters).map((m) => ({ id: m.billableMetricId }));
      const rows = await listAll((signal) =>
        client.v1.usage.list(
          { starting_on: range.start.toISOString(), ending_before: range.end.toISOString(), window_size: "DAY", customer_ids: [customer.providerCustomerId], billable_metrics: metrics },
          { signal },
        ),
      );
      return toUsageDays(rows, catalog);
    },

    async grantCredit(req) {
      if (req.amountMinor <= BigInt(0)) throw new ProviderError("permanent", "metronome: credit amount must be positive", { provider: "metronome" });
      const creditTypeId = creditTypeFor(catalog, req.currency);
      try {
        const { data, replayed } = await call(
          true,
          (o) =>
            client.v1.customers.credits.create(
              {
                customer_id: req.customer.providerCustomerId,
                product_id: catalog.creditProductId,
                priority: 1,
                name: req.description.slice(0, 100),
                description: req.description,
                // Starts at the day's beginning (hour-aligned, as Metronome requires) so a retry sends the same body.
                access_schedule: { credit_type_id: creditTypeId, schedule_items: [{ amount: minorToIntegerNumber(req.amountMinor), starting_at: dayFloor(new Date()), ending_before: req.expiresAt ? hourCeil(req.expiresAt) : NO_EXPIRY }] },
                custom_fields: { ...req.metadata, meterdesk_idempotency_key: req.idempotencyKey },
                uniqueness_key: req.idempotencyKey,
              },
              o,
            ),
          req.idempotencyKey,
        );
        return { providerGrantId: data.data.id, replayed };
      } catch (error) {
        if (error instanceof ProviderError && error.kind === "conflict") {
          const earlier = await findCredit(req.customer, "meterdesk_idempotency_key", req.idempotencyKey);
          if (earlier) return { providerGrantId: earlier.id, replayed: true };
        }
        throw error;
      }
    },

    async voidCredit(req) {
      const [credit] = await credits(req.customer, req.providerGrantId);
      if (!credit) throw new ProviderError("not_found", `metronome: credit ${req.providerGrantId} not found`, { provider: "metronome", status: 404 });
      // The marker in the description is the record that this void was applied (edits take no uniqueness key).
      if (credit.description?.includes(voidMarker(req.idempotencyKey))) return { replayed: true };
      const item = credit.access_schedule?.schedule_items[0];
      if (!item) throw new ProviderError("permanent", `metronome: credit ${credit.id} has no schedule`, { provider: "metronome" });
      const current = minorNumberToMinor(item.amount);
      const remaining = current > req.amountMinor ? current - req.amountMinor : BigInt(0);
      const { replayed } = await call(
        true,
        (o) =>
          client.v2.contracts.editCredit(
            {
              credit_id: credit.id,
              customer_id: req.customer.providerCustomerId,
              access_schedule: { update_schedule_items: [{ id: item.id, amount: minorToIntegerNumber(remaining) }] },
              description: `${credit.description ?? ""} ${voidMarker(req.idempotencyKey)}`.trim(),
            },
            o,
          ),
        req.idempotencyKey,
      );
      return { replayed };
    },

    async findCreditByReference(customer, reference) {
      const credit = await findCredit(customer, reference.key, reference.value);
      return credit ? { providerGrantId: credit.id } : null;
    },

    async applyPlanChange(req) {
      const productId = catalog.plans[req.toPlanVersionId];
      if (!productId) throw new ProviderError("permanent", `metronome: no Metronome product is mapped to plan version ${req.toPlanVersionId}`, { provider: "metronome" });
      const { contract, current } = await planContract(req.customer, req.effectiveAt, req.idempotencyKey);
      const changeKey = (subs: ContractV2["subscriptions"]) => (subs ?? []).find((s) => s.custom_fields?.meterdesk_plan_change === req.idempotencyKey);
      if (!current.id) throw new ProviderError("permanent", "metronome: the plan subscription has no id", { provider: "metronome" });
      const effectiveAt = req.effectiveAt.toISOString();
      try {
        const { data, replayed } = await call(
          true,
          (o) =>
            client.v2.contracts.edit(
              {
                contract_id: contract.id,
                customer_id: req.customer.providerCustomerId,
                uniqueness_key: req.idempotencyKey,
                update_subscriptions: [{ subscription_id: current.id!, ending_before: effectiveAt }],
                add_subscriptions: [
                  {
                    collection_schedule: "ADVANCE",
                    proration: { is_prorated: req.timing === "immediate", invoice_behavior: "BILL_ON_NEXT_COLLECTION_DATE" },
                    subscription_rate: { billing_frequency: "MONTHLY", product_id: productId },
                    starting_at: effectiveAt,
                    custom_fields: { meterdesk_plan_change: req.idempotencyKey },
                  },
                ],
              },
              o,
            ),
          req.idempotencyKey,
        );
        const added = data.data.edit?.add_subscriptions?.[0]?.id ?? changeKey((await retrieveContract(req.customer, contract.id)).subscriptions)?.id;
        if (!added) throw new ProviderError("unknown_outcome", "metronome: the edit answer names no new subscription", { provider: "metronome" });
        return { providerChangeId: `${contract.id}:${added}:${current.id}`, replayed };
      } catch (error) {
        if (error instanceof ProviderError && error.kind === "conflict") {
          const earlier = changeKey((await retrieveContract(req.customer, contract.id)).subscriptions);
          if (earlier?.id) return { providerChangeId: `${contract.id}:${earlier.id}:${current.id}`, replayed: true };
        }
        throw error;
      }
    },

    async cancelPlanChange(req) {
      const [contractId, addedId, previousId] = req.providerChangeId.split(":");
      if (!contractId || !addedId || !previousId) throw new ProviderError("permanent", `metronome: malformed change id ${req.providerChangeId}`, { provider: "metronome" });
      const contract = await retrieveContract(req.customer, contractId);
      const added = contract.subscriptions?.find((s) => s.id === addedId);
      if (!added) throw new ProviderError("not_found", `metronome: subscription ${addedId} not found on contract ${contractId}`, { provider: "metronome", status: 404 });
      // Ending the new subscription where it starts removes it; the previous one runs on as before.
      const canceled = added.ending_before === added.starting_at;
      if (canceled) return { replayed: true };
      if (Date.parse(added.starting_at) <= Date.now()) throw new ProviderError("permanent", "metronome: the plan change is already in force", { provider: "metronome" });
      try {
        const { replayed } = await call(
          true,
          (o) =>
            client.v2.contracts.edit(
              {
                contract_id: contractId,
                customer_id: req.customer.providerCustomerId,
                uniqueness_key: req.idempotencyKey,
                update_subscriptions: [
                  { subscription_id: addedId, ending_before: added.starting_at },
                  // Open again: the previous plan runs on to the contract's end, as before the change.
                  { subscription_id: previousId, ending_before: null },
                ],
              },
              o,
            ),
          req.idempotencyKey,
        );
        return { replayed };
      } catch (error) {
        if (error instanceof ProviderError && error.kind === "conflict") {
          const again = (await retrieveContract(req.customer, contractId)).subscriptions?.find((s) => s.id === addedId);
          if (again && again.ending_before === again.starting_at) return { replayed: true };
        }
        throw error;
      }
    },

    async ingestUsage(events) {
      for (const e of events) {
        if (!QUANTITY.test(e.quantity)) throw new ProviderError("permanent", `metronome: event ${e.idempotencyKey}: quantity must be a non-negative decimal`, { provider: "metronome" });
        if (!catalog.meters[e.meterKey]) throw new ProviderError("permanent", `metronome: no event type is mapped to ${e.meterKey}`, { provider: "metronome" });
      }
      for (let i = 0; i < events.length; i += INGEST_BATCH) {
        const batch = events.slice(i, i + INGEST_BATCH);
        await call(
          true,
          (o) =>
            client.v1.usage.ingest(
              {
                usage: batch.map((e) => ({
                  transaction_id: e.idempotencyKey,
                  customer_id: e.customer.providerCustomerId,
                  event_type: catalog.meters[e.meterKey]!.eventType,
                  timestamp: e.timestamp.toISOString(),
                  properties: { quantity: e.quantity },
                })),
              },
              o,
            ),
          batchKey("metronome-ingest", batch.map((e) => e.idempotencyKey)),
        );
      }
      // Metronome drops a repeated transaction_id silently (34 days) and does not say which were repeats.
      return { accepted: events.length, duplicates: 0 };
    },

    async healthCheck() {
      const started = Date.now();
      try {
        await call(false, (o) => client.v1.customers.list({ limit: 1 }, o));
        return { ok: true, latencyMs: Date.now() - started };
      } catch (error) {
        return { ok: false, latencyMs: Date.now() - started, detail: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
