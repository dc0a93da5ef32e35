// A fake Stripe API (api.stripe.com/v1) for the adapter tests: form-encoded requests as the SDK
// sends them, answers in the SDK's response shapes (the fields the adapter reads, plus ids and
// `object`), Stripe's idempotency rules (Idempotency-Key; a different body → 400
// idempotency_error; a concurrent duplicate → 409; replays marked Idempotent-Replayed), and
// fault injection from ./core.
import { FakeHttpServer, fakeId, type FakeRequest, type FakeResponse } from "./core";

export const stripeError = (status: number, type: string, message: string, code?: string): FakeResponse => ({ status, body: { error: { type, message, ...(code ? { code } : {}) } } });
export const list = (data: unknown[], url: string) => ({ object: "list", data, has_more: false, url });
const now = () => Math.floor(Date.now() / 1000);

/** `a[b][0][c]=1&x=2` → { a: { b: [ { c: "1" } ] }, x: "2" } (the SDK's qs "indices" format). */
export function parseStripeForm(raw: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const path = k.replace(/\]/g, "").split("[");
    let node: Record<string, unknown> | unknown[] = root;
    path.forEach((seg, i) => {
      const last = i === path.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(path[i + 1]!);
      const container = node as Record<string, unknown>;
      if (last) container[seg] = v;
      else {
        container[seg] ??= nextIsIndex ? [] : {};
        node = container[seg] as Record<string, unknown>;
      }
    });
  }
  return root;
}

/** An HTTP server that answers like Stripe: form-encoded bodies, its error bodies and its idempotency rules. */
export function stripeHttpServer(opts: { keepRequests?: number } = {}): FakeHttpServer {
  return new FakeHttpServer({
    parseBody: (raw) => parseStripeForm(raw),
    idempotency: {
      header: "idempotency-key",
      mismatch: () => stripeError(400, "idempotency_error", "Keys for idempotent requests can only be used with the same parameters they were first used with."),
      inFlight: () => stripeError(409, "idempotency_error", "There is currently another in-progress request using this Idempotent Key."),
    },
    notFound: (r) => stripeError(404, "invalid_request_error", `Unrecognized request URL (${r.method}: ${r.path})`),
    serverError: () => stripeError(500, "api_error", "An unknown error occurred (injected)"),
    rateLimited: () => stripeError(429, "invalid_request_error", "Too many requests (injected)", "rate_limit"),
    keepRequests: opts.keepRequests,
  });
}

type Sub = { id: string; customer: string; currency: string; itemId: string; priceId: string; schedule: string | null };
type Schedule = { id: string; subscription: string; start: number; phases: unknown[]; status: string };
type Grant = { id: string; customer: string; currency: string; value: number; metadata: Record<string, string>; voided_at: number | null; name: string };

export class StripeFake {
  readonly http: FakeHttpServer;
  readonly customers = new Map<string, { id: string; currency: string }>();
  readonly subscriptions = new Map<string, Sub>();
  readonly schedules = new Map<string, Schedule>();
  readonly grants = new Map<string, Grant>();
  readonly meterEvents = new Map<string, { customer: string; eventName: string; timestamp: number; value: string }>();
  readonly planUpdates: Array<{ subscription: string; price: string }> = [];
  readonly releases: string[] = [];
  readonly voids: string[] = [];
  /** Upcoming invoice per customer (set by the test). */
  readonly previews = new Map<string, { subtotal: number; total: number; credits: number; lines: Array<{ description: string; amount: number; price: string; quantity_decimal: string; start: number; end: number }> }>();
  /** Meter id → event name. */
  readonly meters = new Map<string, string>();

  constructor() {
    this.http = stripeHttpServer();
    const h = this.http;
    h.route("GET", /^\/v1\/billing\/meters$/, false, () => ({ status: 200, body: list([], "/v1/billing/meters") }));
    h.route("GET", /^\/v1\/subscriptions$/, false, (r) => this.listSubscriptions(r));
    h.route("POST", /^\/v1\/invoices\/create_preview$/, false, (r) => this.preview(r));
    h.route("POST", /^\/v1\/billing\/credit_grants$/, true, (r) => this.createGrant(r));
    h.route("GET", /^\/v1\/billing\/credit_grants$/, false, (r) => this.listGrants(r));
    h.route("POST", /^\/v1\/billing\/credit_grants\/([^/]+)\/void$/, true, (_r, [id]) => this.voidGrant(id!));
    h.route("POST", /^\/v1\/subscriptions\/([^/]+)$/, true, (r, [id]) => this.updateSubscription(r, id!));
    h.route("POST", /^\/v1\/subscription_schedules$/, true, (r) => this.createSchedule(r));
    h.route("GET", /^\/v1\/subscription_schedules\/([^/]+)$/, false, (_r, [id]) => this.getSchedule(id!));
    h.route("POST", /^\/v1\/subscription_schedules\/([^/]+)\/release$/, true, (_r, [id]) => this.release(id!));
    h.route("POST", /^\/v1\/subscription_schedules\/([^/]+)$/, true, (r, [id]) => this.updateSchedule(r, id!));
    h.route("POST", /^\/v1\/billing\/meter_events$/, true, (r) => this.meterEvent(r));
    h.route("GET", /^\/v1\/billing\/meters\/([^/]+)\/event_summaries$/, false, (r, [id]) => this.summaries(r, id!));
  }

  async start(): Promise<this> {
    await this.http.start();
    return this;
  }

  addCustomer(currency = "usd", priceId = "price_small"): { customerId: string; subscriptionId: string } {
    const customerId = fakeId("cus");
    const subscriptionId = fakeId("sub");
    this.customers.set(customerId, { id: customerId, currency });
    this.subscriptions.set(subscriptionId, { id: subscriptionId, customer: customerId, currency, itemId: fakeId("si"), priceId, schedule: null });
    return { customerId, subscriptionId };
  }

  private subBody(s: Sub) {
    return {
      id: s.id, object: "subscription", customer: s.customer, currency: s.currency, status: "active", schedule: s.schedule,
      items: list([{ id: s.itemId, object: "subscription_item", quantity: 1, price: { id: s.priceId, object: "price" } }], `/v1/subscription_items?subscription=${s.id}`),
    };
  }

  private listSubscriptions(r: FakeRequest): FakeResponse {
    const customer = r.query.get("customer");
    return { status: 200, body: list([...this.subscriptions.values()].filter((s) => !customer || s.customer === customer).map((s) => this.subBody(s)), "/v1/subscriptions") };
  }

  private preview(r: FakeRequest): FakeResponse {
    const b = r.body as { customer?: string };
    const p = b.customer ? this.previews.get(b.customer) : undefined;
    const c = b.customer ? this.customers.get(b.customer) : undefined;
    if (!p || !c) return stripeError(404, "invalid_request_error", `No upcoming invoice for customer ${b.customer}`, "resource_missing");
    return {
      status: 200,
      body: {
        id: `upcoming_in_${fakeId("x")}`, object: "invoice", currency: c.currency, customer: b.customer, subtotal: p.subtotal, total: p.total, amount_due: p.total,
        period_start: p.lines[0]?.start ?? now(), period_end: p.lines[0]?.end ?? now(),
        total_pretax_credit_amounts: p.credits ? [{ amount: p.credits, type: "credit_balance_transaction", credit_balance_transaction: fakeId("cbtxn") }] : [],
        lines: list(p.lines.map((l) => ({
          id: fakeId("il"), object: "line_item", amount: l.amount, currency: c.currency, description: l.description, quantity: null, quantity_decimal: l.quantity_decimal,
          period: { start: l.start, end: l.end }, parent: null,
          pricing: { type: "price_details", price_details: { price: l.price, product: "prod_x" }, unit_amount_decimal: null },
        })), "/v1/invoices/upcoming/lines"),
      },
    };
  }

  private createGrant(r: FakeRequest): FakeResponse {
    const b = r.body as { customer?: string; name?: string; amount?: { monetary?: { currency?: string; value?: string } }; metadata?: Record<string, string> };
    const c = b.customer ? this.customers.get(b.customer) : undefined;
    if (!c) return stripeError(404, "invalid_request_error", `No such customer: '${b.customer}'`, "resource_missing");
    const value = Number(b.amount?.monetary?.value);
    if (!Number.isInteger(value) || value <= 0) return stripeError(400, "invalid_request_error", "amount[monetary][value] must be a positive integer", "parameter_invalid_integer");
    if (b.amount?.monetary?.currency !== c.currency) return stripeError(400, "invalid_request_error", "The credit grant currency must match the customer's currency.", "parameter_invalid");
    const g: Grant = { id: fakeId("credgr"), customer: c.id, currency: c.currency, value, metadata: b.metadata ?? {}, voided_at: null, name: b.name ?? "" };
    this.grants.set(g.id, g);
    return { status: 200, body: this.grantBody(g) };
  }

  private grantBody(g: Grant) {
    return {
      id: g.id, object: "billing.credit_grant", customer: g.customer, name: g.name, metadata: g.metadata, voided_at: g.voided_at, created: now(),
      amount: { type: "monetary", monetary: { currency: g.currency, value: g.value } }, applicability_config: { scope: { price_type: "metered" } }, category: "promotional",
    };
  }

  private listGrants(r: FakeRequest): FakeResponse {
    const customer = r.query.get("customer");
    return { status: 200, body: list([...this.grants.values()].filter((g) => g.customer === customer).map((g) => this.grantBody(g)), "/v1/billing/credit_grants") };
  }

  private voidGrant(id: string): FakeResponse {
    const g = this.grants.get(id);
    if (!g) return stripeError(404, "invalid_request_error", `No such credit grant: '${id}'`, "resource_missing");
    if (g.voided_at) return stripeError(400, "invalid_request_error", "This credit grant has already been voided.");
    g.voided_at = now();
    this.voids.push(id);
    return { status: 200, body: this.grantBody(g) };
  }

  private updateSubscription(r: FakeRequest, id: string): FakeResponse {
    const s = this.subscriptions.get(id);
    if (!s) return stripeError(404, "invalid_request_error", `No such subscription: '${id}'`, "resource_missing");
    const b = r.body as { items?: Array<{ id?: string; price?: string }> };
    const item = b.items?.find((i) => i.id === s.itemId);
    if (!item?.price) return stripeError(400, "invalid_request_error", "items[0][price] is required");
    s.priceId = item.price;
    this.planUpdates.push({ subscription: id, price: item.price });
    return { status: 200, body: this.subBody(s) };
  }

  private scheduleBody(x: Schedule) {
    return { id: x.id, object: "subscription_schedule", subscription: x.subscription, status: x.status, current_phase: { start_date: x.start, end_date: x.start + 30 * 86_400 }, phases: x.phases.length ? x.phases : [{ start_date: x.start }] };
  }

  private createSchedule(r: FakeRequest): FakeResponse {
    const b = r.body as { from_subscription?: string };
    const s = b.from_subscription ? this.subscriptions.get(b.from_subscription) : undefined;
    if (!s) return stripeError(404, "invalid_request_error", `No such subscription: '${b.from_subscription}'`, "resource_missing");
    if (s.schedule) return stripeError(400, "invalid_request_error", `Subscription ${s.id} is already managed by schedule ${s.schedule}`);
    const x: Schedule = { id: fakeId("sub_sched"), subscription: s.id, start: now() - 86_400, phases: [], status: "active" };
    this.schedules.set(x.id, x);
    s.schedule = x.id;
    return { status: 200, body: this.scheduleBody(x) };
  }

  private getSchedule(id: string): FakeResponse {
    const x = this.schedules.get(id);
    return x ? { status: 200, body: this.scheduleBody(x) } : stripeError(404, "invalid_request_error", `No such subscription schedule: '${id}'`, "resource_missing");
  }

  private updateSchedule(r: FakeRequest, id: string): FakeResponse {
    const x = this.schedules.get(id);
    if (!x || x.status !== "active") return stripeError(x ? 400 : 404, "invalid_request_error", `Schedule ${id} cannot be updated`);
    const b = r.body as { phases?: Array<{ items?: Array<{ price?: string }>; start_date?: string }> };
    const next = b.phases?.[1]?.items?.[0]?.price;
    if (!next || String(x.start) !== b.phases?.[0]?.start_date) return stripeError(400, "invalid_request_error", "phases[0][start_date] must be the current phase's start");
    x.phases = (b.phases ?? []).map((p) => ({ ...p }));
    this.planUpdates.push({ subscription: x.subscription, price: next });
    return { status: 200, body: this.scheduleBody(x) };
  }

  private release(id: string): FakeResponse {
    const x = this.schedules.get(id);
    if (!x) return stripeError(404, "invalid_request_error", `No such subscription schedule: '${id}'`, "resource_missing");
    if (x.status !== "active") return stripeError(400, "invalid_request_error", `You cannot release a subscription schedule that is currently in the \`${x.status}\` status.`);
    x.status = "released";
    const s = this.subscriptions.get(x.subscription);
    if (s) s.schedule = null;
    this.releases.push(id);
    return { status: 200, body: this.scheduleBody(x) };
  }

  private meterEvent(r: FakeRequest): FakeResponse {
    const b = r.body as { event_name?: string; identifier?: string; timestamp?: string; payload?: { stripe_customer_id?: string; value?: string } };
    const customer = b.payload?.stripe_customer_id;
    if (!customer || !this.customers.has(customer)) return stripeError(400, "invalid_request_error", `No customer ${customer}`);
    const identifier = b.identifier ?? fakeId("mev");
    // Stripe drops a repeated identifier (asynchronously); the synchronous answer does not say so.
    if (!this.meterEvents.has(identifier)) {
      this.meterEvents.set(identifier, { customer, eventName: b.event_name ?? "", timestamp: Number(b.timestamp ?? now()), value: b.payload?.value ?? "0" });
    }
    return { status: 200, body: { object: "billing.meter_event", event_name: b.event_name, identifier, payload: b.payload, timestamp: Number(b.timestamp), created: now(), livemode: false } };
  }

  private summaries(r: FakeRequest, meterId: string): FakeResponse {
    const customer = r.query.get("customer");
    const start = Number(r.query.get("start_time"));
    const end = Number(r.query.get("end_time"));
    const eventName = this.meters.get(meterId);
    const days = new Map<number, number>();
    for (const e of this.meterEvents.values()) {
      if (e.customer !== customer || e.eventName !== eventName || e.timestamp < start || e.timestamp >= end) continue;
      const day = e.timestamp - (e.timestamp % 86_400);
      days.set(day, Number(((days.get(day) ?? 0) + Number(e.value)).toFixed(6)));
    }
    const data = [...days.entries()].sort().map(([day, value]) => ({
      id: fakeId("mtrusg"), object: "billing.meter_event_summary", aggregated_value: value, start_time: day, end_time: day + 86_400, meter: meterId, livemode: false,
    }));
    return { status: 200, body: list(data, `/v1/billing/meters/${meterId}/event_summaries`) };
  }

  effects() {
    return {
      grants: this.grants.size,
      voids: this.voids.length,
      planChanges: this.planUpdates.length,
      cancels: this.releases.length,
      usageEvents: this.meterEvents.size,
    };
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
