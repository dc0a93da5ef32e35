// A fake Metronome API (api.metronome.com) for the adapter tests: the calls the Metronome adapter
// makes, answered in the SDK's response shapes (fields the adapter reads, plus ids), with
// Metronome's duplicate rules (`uniqueness_key` → 409 on reuse; `transaction_id` dropped
// silently on re-ingest), the `Idempotency-Key` header honoured or not (`honorIdempotencyHeader`,
// since the real API's behaviour for it is not documented in the SDK), and faults from ./core.
import { FakeHttpServer, parseJsonBody, type FakeRequest, type FakeResponse } from "./core";

export const mError = (status: number, message: string): FakeResponse => ({ status, body: { message } });
export const page = (data: unknown[]) => ({ data, next_page: null });

/**
 * An HTTP server that answers like Metronome: its error bodies, and the `Idempotency-Key` header
 * honoured or not (`honorIdempotencyHeader`, since the real API's behaviour for it is not
 * documented in the SDK).
 */
export function metronomeHttpServer(opts: { honorIdempotencyHeader?: boolean; keepRequests?: number } = {}): FakeHttpServer {
  return new FakeHttpServer({
    parseBody: (raw) => parseJsonBody(raw),
    idempotency:
      opts.honorIdempotencyHeader === false
        ? null
        : {
            header: "idempotency-key",
            mismatch: () => mError(409, "Idempotency key reused with a different request"),
            inFlight: () => mError(409, "A request with this idempotency key is in progress"),
          },
    notFound: () => mError(404, "Not found"),
    serverError: () => mError(500, "Internal server error (injected)"),
    rateLimited: () => mError(429, "Too many requests (injected)"),
    keepRequests: opts.keepRequests,
  });
}

type Sub = { id: string; product: string; starting_at: string; ending_before: string | null; custom_fields: Record<string, string> };
type Contract = { id: string; customer_id: string; starting_at: string; subscriptions: Sub[] };
type CreditRow = { id: string; customer_id: string; product: string; description: string; custom_fields: Record<string, string>; items: Array<{ id: string; amount: number; starting_at: string; ending_before: string }>; credit_type_id: string };

export class MetronomeFake {
  readonly http: FakeHttpServer;
  readonly customers = new Set<string>();
  readonly contracts = new Map<string, Contract>();
  readonly credits = new Map<string, CreditRow>();
  readonly uniqueness = new Set<string>();
  readonly usage = new Map<string, { customer_id: string; event_type: string; timestamp: string; quantity: string }>();
  readonly edits: Array<{ contract: string; kind: "change" | "cancel" }> = [];
  readonly creditEdits: string[] = [];
  /** Draft invoices per customer (set by the test). */
  readonly drafts = new Map<string, unknown[]>();
  /** Billable metric id → event type. */
  readonly metrics = new Map<string, string>();

  constructor(opts: { honorIdempotencyHeader?: boolean } = {}) {
    this.http = metronomeHttpServer(opts);
    const h = this.http;
    h.route("GET", /^\/v1\/customers$/, false, () => ({ status: 200, body: page([]) }));
    h.route("POST", /^\/v1\/contracts\/customerCredits\/create$/, true, (r) => this.createCredit(r));
    h.route("POST", /^\/v1\/contracts\/customerCredits\/list$/, false, (r) => this.listCredits(r));
    h.route("POST", /^\/v2\/contracts\/credits\/edit$/, true, (r) => this.editCredit(r));
    h.route("POST", /^\/v2\/contracts\/list$/, false, (r) => this.listContracts(r));
    h.route("POST", /^\/v2\/contracts\/get$/, false, (r) => this.getContract(r));
    h.route("POST", /^\/v2\/contracts\/edit$/, true, (r) => this.editContract(r));
    h.route("GET", /^\/v1\/customers\/([^/]+)\/invoices$/, false, (r, [c]) => ({ status: 200, body: page(r.query.get("status") === "DRAFT" ? (this.drafts.get(c!) ?? []) : []) }));
    h.route("POST", /^\/v1\/usage$/, false, (r) => this.listUsage(r));
    h.route("POST", /^\/v1\/ingest$/, true, (r) => this.ingest(r));
  }

  async start(): Promise<this> {
    await this.http.start();
    return this;
  }

  addCustomer(planProduct = "prod_small"): { customerId: string; contractId: string } {
    const customerId = crypto.randomUUID();
    const contractId = crypto.randomUUID();
    this.customers.add(customerId);
    const start = new Date(Date.now() - 10 * 86_400_000).toISOString();
    this.contracts.set(contractId, {
      id: contractId, customer_id: customerId, starting_at: start,
      subscriptions: [{ id: crypto.randomUUID(), product: planProduct, starting_at: start, ending_before: null, custom_fields: {} }],
    });
    return { customerId, contractId };
  }

  private unique(key: string | undefined): FakeResponse | null {
    if (!key) return null;
    if (this.uniqueness.has(key)) return mError(409, `uniqueness_key ${key} has already been used`);
    this.uniqueness.add(key);
    return null;
  }

  private creditBody(c: CreditRow) {
    return {
      id: c.id, type: "CREDIT", product: { id: c.product, name: "Credits" }, description: c.description, custom_fields: c.custom_fields,
      access_schedule: { credit_type: { id: c.credit_type_id, name: "USD (cents)" }, schedule_items: c.items },
    };
  }

  private createCredit(r: FakeRequest): FakeResponse {
    const b = r.body as { customer_id: string; product_id: string; description?: string; custom_fields?: Record<string, string>; uniqueness_key?: string; access_schedule: { credit_type_id?: string; schedule_items: Array<{ amount: number; starting_at: string; ending_before: string }> } };
    if (!this.customers.has(b.customer_id)) return mError(404, `Customer ${b.customer_id} not found`);
    const item = b.access_schedule?.schedule_items?.[0];
    if (!item || typeof item.amount !== "number" || item.amount <= 0) return mError(400, "access_schedule amount must be positive");
    const dup = this.unique(b.uniqueness_key);
    if (dup) return dup;
    const c: CreditRow = {
      id: crypto.randomUUID(), customer_id: b.customer_id, product: b.product_id, description: b.description ?? "", custom_fields: b.custom_fields ?? {},
      items: [{ id: crypto.randomUUID(), ...item }], credit_type_id: b.access_schedule.credit_type_id ?? "",
    };
    this.credits.set(c.id, c);
    return { status: 200, body: { data: { id: c.id } } };
  }

  private listCredits(r: FakeRequest): FakeResponse {
    const b = r.body as { customer_id: string; credit_id?: string };
    const rows = [...this.credits.values()].filter((c) => c.customer_id === b.customer_id && (!b.credit_id || c.id === b.credit_id));
    return { status: 200, body: page(rows.map((c) => this.creditBody(c))) };
  }

  private editCredit(r: FakeRequest): FakeResponse {
    const b = r.body as { credit_id: string; customer_id: string; description?: string; access_schedule?: { update_schedule_items?: Array<{ id: string; amount?: number }> } };
    const c = this.credits.get(b.credit_id);
    if (!c || c.customer_id !== b.customer_id) return mError(404, `Credit ${b.credit_id} not found`);
    // An edit sets absolute values; only one that changes something is an effect (a repeat of the
    // same edit, e.g. the SDK's own retry, leaves the credit as it was).
    const was = JSON.stringify([c.items, c.description]);
    for (const u of b.access_schedule?.update_schedule_items ?? []) {
      const item = c.items.find((i) => i.id === u.id);
      if (!item) return mError(400, `schedule item ${u.id} not found`);
      if (u.amount !== undefined) item.amount = u.amount;
    }
    if (b.description !== undefined) c.description = b.description;
    if (JSON.stringify([c.items, c.description]) !== was) this.creditEdits.push(c.id);
    return { status: 200, body: { data: { id: c.id } } };
  }

  private contractBody(c: Contract) {
    return {
      id: c.id, customer_id: c.customer_id, starting_at: c.starting_at, commits: [], overrides: [], scheduled_charges: [], transitions: [], usage_filter: [],
      subscriptions: c.subscriptions.map((s) => ({
        id: s.id, starting_at: s.starting_at, ...(s.ending_before ? { ending_before: s.ending_before } : {}), custom_fields: s.custom_fields,
        collection_schedule: "ADVANCE", subscription_rate: { billing_frequency: "MONTHLY", product: { id: s.product, name: s.product } },
      })),
    };
  }

  private listContracts(r: FakeRequest): FakeResponse {
    const b = r.body as { customer_id: string };
    return { status: 200, body: { data: [...this.contracts.values()].filter((c) => c.customer_id === b.customer_id).map((c) => this.contractBody(c)) } };
  }

  private getContract(r: FakeRequest): FakeResponse {
    const b = r.body as { contract_id: string; customer_id: string };
    const c = this.contracts.get(b.contract_id);
    if (!c || c.customer_id !== b.customer_id) return mError(404, `Contract ${b.contract_id} not found`);
    return { status: 200, body: { data: this.contractBody(c) } };
  }

  private editContract(r: FakeRequest): FakeResponse {
    const b = r.body as {
      contract_id: string; customer_id: string; uniqueness_key?: string;
      update_subscriptions?: Array<{ subscription_id: string; ending_before?: string | null }>;
      add_subscriptions?: Array<{ starting_at?: string; subscription_rate: { product_id: string }; custom_fields?: Record<string, string> }>;
    };
    const c = this.contracts.get(b.contract_id);
    if (!c || c.customer_id !== b.customer_id) return mError(404, `Contract ${b.contract_id} not found`);
    for (const u of b.update_subscriptions ?? []) if (!c.subscriptions.some((s) => s.id === u.subscription_id)) return mError(400, `subscription ${u.subscription_id} not found`);
    const dup = this.unique(b.uniqueness_key);
    if (dup) return dup;
    for (const u of b.update_subscriptions ?? []) {
      const s = c.subscriptions.find((x) => x.id === u.subscription_id)!;
      if (u.ending_before !== undefined) s.ending_before = u.ending_before;
    }
    const added = (b.add_subscriptions ?? []).map((a) => {
      const s: Sub = { id: crypto.randomUUID(), product: a.subscription_rate.product_id, starting_at: a.starting_at ?? new Date().toISOString(), ending_before: null, custom_fields: a.custom_fields ?? {} };
      c.subscriptions.push(s);
      return { id: s.id, starting_at: s.starting_at, subscription_rate: { billing_frequency: "MONTHLY", product: { id: s.product, name: s.product } } };
    });
    this.edits.push({ contract: c.id, kind: added.length > 0 ? "change" : "cancel" });
    return { status: 200, body: { data: { id: c.id, edit: { id: crypto.randomUUID(), add_subscriptions: added } } } };
  }

  private ingest(r: FakeRequest): FakeResponse {
    const events = r.body as Array<{ transaction_id: string; customer_id: string; event_type: string; timestamp: string; properties?: { quantity?: unknown } }>;
    if (!Array.isArray(events)) return mError(400, "body must be an array of events");
    for (const e of events) {
      if (!this.usage.has(e.transaction_id)) this.usage.set(e.transaction_id, { customer_id: e.customer_id, event_type: e.event_type, timestamp: e.timestamp, quantity: String(e.properties?.quantity ?? "0") });
    }
    return { status: 200, body: null };
  }

  private listUsage(r: FakeRequest): FakeResponse {
    const b = r.body as { starting_on: string; ending_before: string; customer_ids?: string[]; billable_metrics?: Array<{ id: string }> };
    const start = Date.parse(b.starting_on);
    const end = Date.parse(b.ending_before);
    const rows: unknown[] = [];
    for (const { id } of b.billable_metrics ?? []) {
      const eventType = this.metrics.get(id);
      for (const customer of b.customer_ids ?? []) {
        const days = new Map<string, number>();
        for (const e of this.usage.values()) {
          const t = Date.parse(e.timestamp);
          if (e.customer_id !== customer || e.event_type !== eventType || t < start || t >= end) continue;
          const day = e.timestamp.slice(0, 10);
          days.set(day, Number(((days.get(day) ?? 0) + Number(e.quantity)).toFixed(6)));
        }
        for (const [day, value] of [...days.entries()].sort()) {
          rows.push({ billable_metric_id: id, billable_metric_name: eventType, customer_id: customer, value, start_timestamp: `${day}T00:00:00Z`, end_timestamp: new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString() });
        }
      }
    }
    return { status: 200, body: page(rows) };
  }

  effects() {
    return {
      grants: this.credits.size,
      voids: this.creditEdits.length,
      planChanges: this.edits.filter((e) => e.kind === "change").length,
      cancels: this.edits.filter((e) => e.kind === "cancel").length,
      usageEvents: this.usage.size,
    };
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
