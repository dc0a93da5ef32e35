// A fake Orb API (https://api.withorb.com/v1) for the adapter tests: the calls the Orb adapter
// makes, answered with the SDK's response shapes (the fields the adapter reads, plus ids), with
// state, Orb's idempotency rules (Idempotency-Key; 409 on a different body or a concurrent
// duplicate; replays marked Idempotent-Replayed) and fault injection from ./core.
import { FakeHttpServer, fakeId, parseJsonBody, type FakeRequest, type FakeResponse } from "./core";

const ERR = "https://docs.withorb.com/reference/error-responses";
export const orbError = (status: number, type: string, detail: string): FakeResponse => ({ status, body: { type: `${ERR}#${type}`, status, title: type, detail } });

/** An HTTP server that answers like Orb: its error bodies and its idempotency rules. */
export function orbHttpServer(opts: { keepRequests?: number } = {}): FakeHttpServer {
  return new FakeHttpServer({
    parseBody: (raw) => parseJsonBody(raw),
    idempotency: {
      header: "idempotency-key",
      mismatch: () => orbError(409, "409-resource-conflict", "Idempotency key reused with a different request body"),
      inFlight: () => orbError(409, "409-resource-conflict", "A request with this idempotency key is in progress"),
    },
    notFound: () => orbError(404, "404-url-not-found", "No such route"),
    serverError: () => orbError(500, "500-internal-server-error", "Internal server error (injected)"),
    rateLimited: () => orbError(429, "429-too-many-requests", "Too many requests (injected)"),
    keepRequests: opts.keepRequests,
  });
}

export type OrbFakeBlock = { id: string; customerId: string; amount: string; currency: string; voided: boolean; metadata: Record<string, string> };
export type OrbFakeSubscription = { id: string; customerId: string; planId: string; pending: { planId: string; option: string; date: string | null } | null };
export type OrbFakeLineItem = { name: string; subtotal: string; adjusted_subtotal: string; credits_applied: string; quantity: number; usage?: { metricId: string } };

export class OrbFake {
  readonly http: FakeHttpServer;
  readonly customers = new Map<string, { id: string; currency: string }>();
  readonly subscriptions = new Map<string, OrbFakeSubscription>();
  readonly blocks = new Map<string, OrbFakeBlock>();
  readonly ledger: Array<{ id: string; type: string; blockId: string; amount: number; metadata: Record<string, string>; description: string | null }> = [];
  readonly events = new Map<string, { customerId: string; eventName: string; timestamp: string; quantity: string }>();
  readonly planChanges: Array<{ subscriptionId: string; planId: string; option: string }> = [];
  readonly unschedules: string[] = [];
  /** The upcoming invoice per subscription, as Orb computes it (set by the test). */
  readonly upcoming = new Map<string, { target_date: string; total: string; currency: string; lines: Array<OrbFakeLineItem & { start: string; end: string }> }>();
  /** Billable metric id → name, for usage read-back. */
  readonly metrics = new Map<string, string>();

  constructor() {
    this.http = orbHttpServer();
    const h = this.http;
    h.route("GET", /^\/v1\/ping$/, false, () => ({ status: 200, body: { response: "pong" } }));
    h.route("GET", /^\/v1\/subscriptions$/, false, (r) => this.listSubscriptions(r));
    h.route("POST", /^\/v1\/customers\/([^/]+)\/credits\/ledger_entry$/, true, (r, [c]) => this.ledgerEntry(r, c!));
    h.route("GET", /^\/v1\/customers\/([^/]+)\/credits\/ledger$/, false, (r, [c]) => this.listLedger(r, c!));
    h.route("POST", /^\/v1\/subscriptions\/([^/]+)\/schedule_plan_change$/, true, (r, [s]) => this.schedulePlanChange(r, s!));
    h.route("POST", /^\/v1\/subscriptions\/([^/]+)\/unschedule_pending_plan_changes$/, true, (_r, [s]) => this.unschedule(s!));
    h.route("GET", /^\/v1\/invoices\/upcoming$/, false, (r) => this.fetchUpcoming(r));
    h.route("POST", /^\/v1\/ingest$/, true, (r) => this.ingest(r));
    h.route("GET", /^\/v1\/subscriptions\/([^/]+)\/usage$/, false, (r, [s]) => this.usage(r, s!));
  }

  async start(): Promise<this> {
    await this.http.start();
    return this;
  }

  get baseURL(): string {
    return `${this.http.url}/v1`;
  }

  addCustomer(currency = "USD", planId = "plan_small"): { customerId: string; subscriptionId: string } {
    const customerId = fakeId("cus");
    const subscriptionId = fakeId("sub");
    this.customers.set(customerId, { id: customerId, currency });
    this.subscriptions.set(subscriptionId, { id: subscriptionId, customerId, planId, pending: null });
    return { customerId, subscriptionId };
  }

  private listSubscriptions(r: FakeRequest): FakeResponse {
    const ids = [...r.query.getAll("customer_id[]"), ...r.query.getAll("customer_id")];
    const data = [...this.subscriptions.values()]
      .filter((s) => ids.length === 0 || ids.includes(s.customerId))
      .map((s) => this.subscriptionBody(s));
    return { status: 200, body: { data, pagination_metadata: { has_more: false, next_cursor: null } } };
  }

  private subscriptionBody(s: OrbFakeSubscription) {
    return { id: s.id, status: "active", customer: { id: s.customerId }, plan: { id: s.planId }, pending_subscription_change: null };
  }

  private ledgerEntry(r: FakeRequest, customerId: string): FakeResponse {
    const customer = this.customers.get(customerId);
    if (!customer) return orbError(404, "404-resource-not-found", `Customer ${customerId} not found`);
    const b = r.body as { entry_type: string; amount: number; currency?: string; block_id?: string; description?: string; metadata?: Record<string, string> };
    if (typeof b.amount !== "number" || b.amount <= 0) return orbError(400, "400-request-validation-errors", "amount must be a positive number");
    if (b.currency && b.currency !== customer.currency) return orbError(400, "400-constraint-violation", "currency must match the customer's invoicing currency");
    const metadata = b.metadata ?? {};
    if (b.entry_type === "increment") {
      const block: OrbFakeBlock = { id: fakeId("blk"), customerId, amount: String(b.amount), currency: customer.currency, voided: false, metadata };
      this.blocks.set(block.id, block);
      return { status: 200, body: this.record("increment", block, b.amount, metadata, b.description ?? null) };
    }
    if (b.entry_type === "void") {
      const block = b.block_id ? this.blocks.get(b.block_id) : undefined;
      if (!block || block.customerId !== customerId) return orbError(404, "404-resource-not-found", `Credit block ${b.block_id} not found`);
      if (block.voided) return orbError(400, "400-constraint-violation", "Credit block is already voided");
      block.voided = true;
      return { status: 200, body: { ...this.record("void", block, b.amount, metadata, b.description ?? null), void_amount: b.amount, void_reason: null } };
    }
    return orbError(400, "400-request-validation-errors", `unsupported entry_type ${b.entry_type}`);
  }

  private record(type: string, block: OrbFakeBlock, amount: number, metadata: Record<string, string>, description: string | null) {
    const id = fakeId("le");
    this.ledger.push({ id, type, blockId: block.id, amount, metadata, description });
    return {
      id, entry_type: type, amount, currency: block.currency, description, metadata, entry_status: "committed",
      created_at: new Date().toISOString(), customer: { id: block.customerId, external_customer_id: null },
      credit_block: { id: block.id, expiry_date: null, filters: [], per_unit_cost_basis: null },
      ledger_sequence_number: this.ledger.length, starting_balance: 0, ending_balance: amount,
    };
  }

  private listLedger(r: FakeRequest, customerId: string): FakeResponse {
    const type = r.query.get("entry_type");
    const data = this.ledger
      .filter((e) => this.blocks.get(e.blockId)?.customerId === customerId && (!type || e.type === type))
      .map((e) => ({ id: e.id, entry_type: e.type, amount: e.amount, metadata: e.metadata, description: e.description, credit_block: { id: e.blockId } }));
    return { status: 200, body: { data, pagination_metadata: { has_more: false, next_cursor: null } } };
  }

  private schedulePlanChange(r: FakeRequest, subscriptionId: string): FakeResponse {
    const s = this.subscriptions.get(subscriptionId);
    if (!s) return orbError(404, "404-resource-not-found", `Subscription ${subscriptionId} not found`);
    const b = r.body as { change_option: string; plan_id?: string; change_date?: string };
    if (!b.plan_id) return orbError(400, "400-request-validation-errors", "plan_id is required");
    if (b.change_option === "requested_date" && !b.change_date) return orbError(400, "400-request-validation-errors", "change_date is required");
    this.planChanges.push({ subscriptionId, planId: b.plan_id, option: b.change_option });
    if (b.change_option === "immediate") s.planId = b.plan_id;
    else s.pending = { planId: b.plan_id, option: b.change_option, date: b.change_date ?? null };
    return { status: 200, body: this.subscriptionBody(s) };
  }

  private unschedule(subscriptionId: string): FakeResponse {
    const s = this.subscriptions.get(subscriptionId);
    if (!s) return orbError(404, "404-resource-not-found", `Subscription ${subscriptionId} not found`);
    if (!s.pending) return orbError(400, "400-constraint-violation", "Subscription has no pending plan change");
    s.pending = null;
    this.unschedules.push(subscriptionId);
    return { status: 200, body: this.subscriptionBody(s) };
  }

  private fetchUpcoming(r: FakeRequest): FakeResponse {
    const id = r.query.get("subscription_id") ?? "";
    const inv = this.upcoming.get(id);
    if (!this.subscriptions.has(id) || !inv) return orbError(404, "404-resource-not-found", `No upcoming invoice for ${id}`);
    return {
      status: 200,
      body: {
        id: fakeId("inv"), status: "draft", currency: inv.currency, target_date: inv.target_date, total: inv.total, amount_due: inv.total,
        subtotal: inv.lines.reduce((n, l) => n + Number(l.subtotal), 0).toFixed(2),
        line_items: inv.lines.map((l) => ({
          id: fakeId("ili"), name: l.name, subtotal: l.subtotal, adjusted_subtotal: l.adjusted_subtotal, credits_applied: l.credits_applied,
          amount: l.adjusted_subtotal, quantity: l.quantity, start_date: l.start, end_date: l.end,
          price: { id: fakeId("price"), price_type: l.usage ? "usage_price" : "fixed_price", billable_metric: l.usage ? { id: l.usage.metricId } : null },
        })),
      },
    };
  }

  private ingest(r: FakeRequest): FakeResponse {
    const b = r.body as { events: Array<{ event_name: string; idempotency_key: string; customer_id?: string; timestamp: string; properties: { quantity?: unknown } }> };
    const ingested: string[] = [];
    const duplicate: string[] = [];
    const validation_failed: Array<{ idempotency_key: string; validation_errors: string[] }> = [];
    for (const e of b.events) {
      if (!e.customer_id || !this.customers.has(e.customer_id)) {
        validation_failed.push({ idempotency_key: e.idempotency_key, validation_errors: [`customer ${e.customer_id} not found`] });
      } else if (this.events.has(e.idempotency_key)) duplicate.push(e.idempotency_key);
      else {
        this.events.set(e.idempotency_key, { customerId: e.customer_id, eventName: e.event_name, timestamp: e.timestamp, quantity: String(e.properties.quantity) });
        ingested.push(e.idempotency_key);
      }
    }
    const debug = r.query.get("debug") === "true" ? { debug: { duplicate, ingested } } : {};
    return { status: 200, body: { validation_failed, ...debug } };
  }

  /** Daily sums per billable metric (metric id "bm_<event name>" unless registered). */
  private usage(r: FakeRequest, subscriptionId: string): FakeResponse {
    const s = this.subscriptions.get(subscriptionId);
    if (!s) return orbError(404, "404-resource-not-found", `Subscription ${subscriptionId} not found`);
    const start = new Date(r.query.get("timeframe_start") ?? 0).getTime();
    const end = new Date(r.query.get("timeframe_end") ?? 8.64e15).getTime();
    const byMetric = new Map<string, Map<string, number>>();
    for (const e of this.events.values()) {
      const t = new Date(e.timestamp).getTime();
      if (e.customerId !== s.customerId || t < start || t >= end) continue;
      const metric = `bm_${e.eventName}`;
      const days = byMetric.get(metric) ?? new Map<string, number>();
      const day = e.timestamp.slice(0, 10);
      // Test quantities are small decimals; the fake sums them as Orb does, in floating point.
      days.set(day, Number(((days.get(day) ?? 0) + Number(e.quantity)).toFixed(6)));
      byMetric.set(metric, days);
    }
    const data = [...byMetric.entries()].map(([id, days]) => ({
      billable_metric: { id, name: this.metrics.get(id) ?? id.replace(/^bm_/, "") },
      view_mode: "periodic",
      usage: [...days.entries()].sort().map(([day, quantity]) => ({
        quantity, timeframe_start: `${day}T00:00:00+00:00`, timeframe_end: new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString(),
      })),
    }));
    return { status: 200, body: { data } };
  }

  /** Effects, for "exactly once" assertions. */
  effects() {
    return {
      grants: this.ledger.filter((e) => e.type === "increment").length,
      voids: this.ledger.filter((e) => e.type === "void").length,
      planChanges: this.planChanges.length,
      cancels: this.unschedules.length,
      usageEvents: this.events.size,
    };
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
