// Stripe Billing in demo mode: the routes the Stripe adapter calls, answered from the sandbox's
// state (see ./backing.ts) in Stripe's wire shapes (the stripe SDK's types; amounts as integers
// in minor units, instants as Unix seconds, requests form-encoded). A scheduled plan change is a
// subscription schedule whose id is derived from the subscription's. The inverse of
// lib/providers/stripe/map.ts.
import type Stripe from "stripe";
import { minorToIntegerNumber } from "@/lib/providers/contract/edge";
import type { FakeHttpServer, FakeRequest, FakeResponse } from "../core";
import { list, stripeError, stripeHttpServer } from "../stripe";
import { DemoBacking, guarded, isoSeconds, type DemoCustomer, type DemoGrant } from "./backing";
import { demoIds, invert, stripeCatalog } from "./catalog";

type LineBody = Pick<Stripe.InvoiceLineItem, "id" | "object" | "amount" | "currency" | "description" | "quantity" | "period" | "metadata"> & {
  quantity_decimal: string | null;
  parent:
    | { type: "subscription_item_details"; subscription_item_details: { proration: boolean; subscription: string; subscription_item: string; invoice_item: null; proration_details: null }; invoice_item_details: null }
    | { type: "invoice_item_details"; invoice_item_details: { invoice_item: string; proration: boolean; proration_details: null; subscription: string }; subscription_item_details: null };
  pricing: { type: "price_details"; price_details: { price: string; product: string }; unit_amount_decimal: string | null } | null;
};
type InvoiceBody = Pick<Stripe.Invoice, "id" | "object" | "currency" | "subtotal" | "total" | "amount_due" | "period_start" | "period_end" | "status" | "livemode"> & {
  customer: string;
  lines: { object: "list"; data: LineBody[]; has_more: boolean; url: string };
  total_pretax_credit_amounts: Array<{ amount: number; type: "credit_balance_transaction"; credit_balance_transaction: string; discount: null }>;
};
type GrantBody = Pick<Stripe.Billing.CreditGrant, "id" | "object" | "name" | "metadata" | "voided_at" | "created" | "updated" | "effective_at" | "expires_at" | "livemode" | "category" | "priority"> & {
  customer: string;
  amount: { type: "monetary"; monetary: { currency: string; value: number } };
  applicability_config: { scope: { price_type: "metered" } };
};
type SummaryBody = Pick<Stripe.Billing.MeterEventSummary, "id" | "object" | "aggregated_value" | "start_time" | "end_time" | "meter" | "livemode">;

const SCHEDULE = "sub_sched_";
const errorAnswer = (status: number, message: string, retryAfter?: number): FakeResponse => {
  const type = status === 409 ? "idempotency_error" : status >= 500 ? "api_error" : "invalid_request_error";
  const r = stripeError(status, type, message, status === 404 ? "resource_missing" : status === 429 ? "rate_limit" : undefined);
  return retryAfter ? { ...r, headers: { "retry-after": String(retryAfter) } } : r;
};
const missing = (what: string, id: string | undefined) => stripeError(404, "invalid_request_error", `No such ${what}: '${id}'`, "resource_missing");

export function stripeDemoServer(backing: DemoBacking, opts: { keepRequests?: number } = {}): FakeHttpServer {
  const http = stripeHttpServer({ keepRequests: opts.keepRequests ?? 1_000 });
  const catalog = stripeCatalog(backing.catalog);
  const versionByPrice = invert(catalog.plans);
  const meterById = new Map(Object.entries(catalog.meters).map(([key, m]) => [m.meterId, key]));
  const meterByEvent = new Map(Object.entries(catalog.meters).map(([key, m]) => [m.eventName, key]));
  const route = (method: string, pattern: RegExp, mutating: boolean, handle: (r: FakeRequest, p: string[]) => Promise<FakeResponse>) =>
    http.route(method, pattern, mutating, guarded(errorAnswer, handle));
  const planPrice = (planVersionId: string | undefined) => {
    const v = planVersionId ? backing.version(planVersionId) : undefined;
    return v ? demoIds.stripePlanPrice(v) : "price_unknown";
  };
  const itemId = (sub: string) => `si_${sub}`;

  async function subscribed(id: string | undefined): Promise<DemoCustomer | null> {
    const c = id ? await backing.customerBySubscription(id) : null;
    return c?.subscription ? c : null;
  }

  async function subscriptionBody(c: DemoCustomer) {
    const sub = c.subscription!;
    const now = backing.now();
    const phase = DemoBacking.phaseAt(await backing.phases(sub.id), now);
    const scheduled = await backing.changes(c.providerCustomerId, { status: "scheduled" });
    const period = backing.period(sub, now);
    const periodFields = { current_period_start: isoSeconds(period.start), current_period_end: isoSeconds(period.end), subscription: sub.providerId };
    const currency = c.currency.toLowerCase();
    return {
      id: sub.providerId, object: "subscription" as const, customer: c.providerCustomerId, currency, status: "active" as const,
      schedule: scheduled.length > 0 ? `${SCHEDULE}${sub.providerId}` : null, start_date: isoSeconds(sub.startedAt), created: isoSeconds(sub.startedAt),
      metadata: {}, livemode: false,
      items: list(
        [
          { id: itemId(sub.providerId), object: "subscription_item", quantity: 1, ...periodFields,
            price: { id: planPrice(phase?.planVersionId), object: "price", currency, type: "recurring", recurring: { interval: "month", interval_count: 1, usage_type: "licensed", meter: null } } },
          ...Object.entries(catalog.meters).map(([key, m]) => ({
            id: `${itemId(sub.providerId)}_${key}`, object: "subscription_item", ...periodFields,
            price: { id: m.priceId!, object: "price", currency, type: "recurring", recurring: { interval: "month", interval_count: 1, usage_type: "metered", meter: m.meterId } },
          })),
        ],
        `/v1/subscription_items?subscription=${sub.providerId}`,
      ),
    };
  }

  async function scheduleBody(c: DemoCustomer) {
    const sub = c.subscription!;
    const now = backing.now();
    const phase = DemoBacking.phaseAt(await backing.phases(sub.id), now);
    const scheduled = await backing.changes(c.providerCustomerId, { status: "scheduled" });
    const start = isoSeconds(phase?.startsAt ?? sub.startedAt);
    const firstEnd = scheduled[0] ? isoSeconds(scheduled[0].effectiveAt) : isoSeconds(backing.period(sub, now).end);
    return {
      id: `${SCHEDULE}${sub.providerId}`, object: "subscription_schedule" as const, subscription: sub.providerId, customer: c.providerCustomerId,
      // With nothing scheduled the schedule has nothing left to do: it is released.
      status: scheduled.length > 0 ? ("active" as const) : ("released" as const), end_behavior: "release" as const, metadata: {}, livemode: false,
      current_phase: { start_date: start, end_date: firstEnd },
      phases: [
        { start_date: start, end_date: firstEnd, items: [{ price: planPrice(phase?.planVersionId), quantity: 1 }] },
        ...scheduled.map((x, i) => ({
          start_date: isoSeconds(x.effectiveAt),
          end_date: scheduled[i + 1] ? isoSeconds(scheduled[i + 1]!.effectiveAt) : null,
          items: [{ price: planPrice(x.toPlanVersionId), quantity: 1 }],
        })),
      ],
    };
  }

  function grantBody(c: DemoCustomer, g: DemoGrant): GrantBody {
    return {
      id: g.id, object: "billing.credit_grant", customer: c.providerCustomerId, name: g.description || null, metadata: g.metadata,
      voided_at: g.voidedAt ? isoSeconds(g.voidedAt) : null, created: isoSeconds(g.createdAt), updated: isoSeconds(g.voidedAt ?? g.createdAt),
      effective_at: isoSeconds(g.createdAt), expires_at: g.expiresAt ? isoSeconds(g.expiresAt) : null, livemode: false, category: "promotional", priority: 50,
      amount: { type: "monetary", monetary: { currency: g.currency.toLowerCase(), value: minorToIntegerNumber(g.amountMinor) } },
      applicability_config: { scope: { price_type: "metered" } },
    };
  }

  route("GET", /^\/v1\/billing\/meters$/, false, async () => {
    await backing.customers(1);
    const meters = Object.entries(catalog.meters).map(([key, m]) => ({
      id: m.meterId, object: "billing.meter", event_name: m.eventName, display_name: backing.meterName(key), status: "active",
      default_aggregation: { formula: "sum" }, customer_mapping: { event_payload_key: "stripe_customer_id", type: "by_id" }, value_settings: { event_payload_key: "value" }, livemode: false,
    }));
    return { status: 200, body: list(meters, "/v1/billing/meters") };
  });

  route("GET", /^\/v1\/subscriptions$/, false, async (r) => {
    const customer = r.query.get("customer");
    const status = r.query.get("status");
    const limit = Math.min(Number(r.query.get("limit") ?? 10) || 10, 100);
    const customers = customer ? [await backing.customer(customer)].filter((c): c is DemoCustomer => c !== null) : await backing.customers(limit);
    const subs = status && status !== "active" && status !== "all" ? [] : customers.filter((c) => c.subscription);
    return { status: 200, body: list(await Promise.all(subs.slice(0, limit).map(subscriptionBody)), "/v1/subscriptions") };
  });

  route("POST", /^\/v1\/invoices\/create_preview$/, false, async (r) => {
    const b = r.body as { customer?: string; subscription?: string };
    const c = b.customer ? await backing.customer(b.customer) : null;
    if (!c) return missing("customer", b.customer);
    if (!c.subscription || (b.subscription && b.subscription !== c.subscription.providerId)) return missing("subscription", b.subscription);
    const sub = c.subscription.providerId;
    const p = await backing.sandbox.getUpcomingInvoice(backing.ref(c), backing.now());
    const phase = DemoBacking.phaseAt(await backing.phases(c.subscription.id), backing.now());
    const currency = p.currency.toLowerCase();
    const period = { start: isoSeconds(p.periodStart), end: isoSeconds(p.periodEnd) };
    const lines: LineBody[] = p.lines
      .filter((l) => l.kind !== "credit")
      .map((l, i) => {
        const common = { id: `il_${sub}_${i}`, object: "line_item" as const, amount: minorToIntegerNumber(l.amountMinor), currency, description: l.description, period, metadata: {} };
        if (l.kind === "minimum") {
          // Stripe has no minimum commitment: the top-up is a one-off invoice item.
          return { ...common, quantity: 1, quantity_decimal: "1", pricing: null, parent: { type: "invoice_item_details", invoice_item_details: { invoice_item: `ii_${sub}_${i}`, proration: false, proration_details: null, subscription: sub }, subscription_item_details: null } };
        }
        const usage = l.kind === "usage" && l.meterKey;
        const price = usage ? catalog.meters[l.meterKey!]!.priceId! : planPrice(phase?.planVersionId);
        return {
          ...common,
          quantity: usage ? Math.trunc(Number(l.quantity ?? "0")) : 1,
          quantity_decimal: usage ? (l.quantity ?? "0") : "1",
          parent: {
            type: "subscription_item_details",
            subscription_item_details: { proration: l.kind === "proration", subscription: sub, subscription_item: usage ? `${itemId(sub)}_${l.meterKey}` : itemId(sub), invoice_item: null, proration_details: null },
            invoice_item_details: null,
          },
          pricing: { type: "price_details", price_details: { price, product: `prod_${price.replace(/^price_/, "")}` }, unit_amount_decimal: null },
        };
      });
    const body: InvoiceBody = {
      id: `upcoming_in_${sub}`, object: "invoice", customer: c.providerCustomerId, currency, status: "draft", livemode: false,
      subtotal: minorToIntegerNumber(p.subtotalMinor), total: minorToIntegerNumber(p.totalMinor), amount_due: minorToIntegerNumber(p.totalMinor),
      period_start: period.start, period_end: period.end,
      // Billing credits applied before tax, one per grant drawn on.
      total_pretax_credit_amounts: p.lines
        .filter((l) => l.kind === "credit")
        .map((l, i) => ({ amount: minorToIntegerNumber(-l.amountMinor), type: "credit_balance_transaction", credit_balance_transaction: `cbtxn_${sub}_${i}`, discount: null })),
      lines: { object: "list", data: lines, has_more: false, url: `/v1/invoices/upcoming/lines?subscription=${sub}` },
    };
    return { status: 200, body };
  });

  route("POST", /^\/v1\/billing\/credit_grants$/, true, async (r) => {
    const b = r.body as { customer?: string; name?: string; expires_at?: string; amount?: { type?: string; monetary?: { currency?: string; value?: string } }; metadata?: Record<string, string> };
    const c = b.customer ? await backing.customer(b.customer) : null;
    if (!c) return missing("customer", b.customer);
    if (b.amount?.type !== "monetary" || !/^\d+$/.test(b.amount.monetary?.value ?? "") || BigInt(b.amount.monetary!.value!) <= BigInt(0)) {
      return stripeError(400, "invalid_request_error", "amount[monetary][value] must be a positive integer", "parameter_invalid_integer");
    }
    const { providerGrantId } = await backing.sandbox.grantCredit({
      idempotencyKey: r.idempotencyKey ?? backing.freshKey(), customer: backing.ref(c), amountMinor: BigInt(b.amount.monetary!.value!),
      currency: (b.amount.monetary?.currency ?? "").toUpperCase(), expiresAt: b.expires_at ? new Date(Number(b.expires_at) * 1000) : null,
      description: b.name ?? "", metadata: b.metadata ?? {},
    });
    const [g] = await backing.grants(c.providerCustomerId, providerGrantId);
    return { status: 200, body: grantBody(c, g!) };
  });

  route("GET", /^\/v1\/billing\/credit_grants$/, false, async (r) => {
    const customer = r.query.get("customer") ?? undefined;
    const c = customer ? await backing.customer(customer) : null;
    if (!c) return missing("customer", customer);
    return { status: 200, body: list((await backing.grants(c.providerCustomerId)).map((g) => grantBody(c, g)), "/v1/billing/credit_grants") };
  });

  route("POST", /^\/v1\/billing\/credit_grants\/([^/]+)\/void$/, true, async (r, [id]) => {
    const c = await backing.grantOwner(id!);
    const [g] = c ? await backing.grants(c.providerCustomerId, id) : [];
    if (!c || !g) return missing("credit grant", id);
    if (g.voidedAt && !(r.idempotencyKey && (await backing.keyUsed(r.idempotencyKey)))) {
      return stripeError(400, "invalid_request_error", "This credit grant has already been voided.");
    }
    // Stripe voids what is left of the grant.
    await backing.sandbox.voidCredit({
      idempotencyKey: r.idempotencyKey ?? backing.freshKey(), customer: backing.ref(c), providerGrantId: g.id,
      amountMinor: g.amountMinor - g.consumedMinor, currency: g.currency, reason: "voided",
    });
    const [after] = await backing.grants(c.providerCustomerId, id);
    return { status: 200, body: grantBody(c, after!) };
  });

  route("POST", /^\/v1\/subscriptions\/([^/]+)$/, true, async (r, [id]) => {
    const c = await subscribed(id);
    if (!c) return missing("subscription", id);
    const b = r.body as { items?: Array<{ id?: string; price?: string }>; proration_date?: string };
    const item = b.items?.find((i) => i.id === itemId(c.subscription!.providerId));
    const to = item?.price ? versionByPrice.get(item.price) : undefined;
    if (!to) return stripeError(400, "invalid_request_error", "items[0][price] must be a plan price of this subscription's item");
    await backing.applyChange(c, { key: r.idempotencyKey, toPlanVersionId: to, timing: "immediate", effectiveAt: b.proration_date ? new Date(Number(b.proration_date) * 1000) : undefined });
    return { status: 200, body: await subscriptionBody(c) };
  });

  route("POST", /^\/v1\/subscription_schedules$/, true, async (r) => {
    const b = r.body as { from_subscription?: string };
    const c = await subscribed(b.from_subscription);
    if (!c) return missing("subscription", b.from_subscription);
    if ((await backing.changes(c.providerCustomerId, { status: "scheduled" })).length > 0) {
      return stripeError(400, "invalid_request_error", `Subscription ${c.subscription!.providerId} is already managed by schedule ${SCHEDULE}${c.subscription!.providerId}`);
    }
    return { status: 200, body: { ...(await scheduleBody(c)), status: "active" } };
  });

  const scheduled = async (id: string | undefined) => (id?.startsWith(SCHEDULE) ? subscribed(id.slice(SCHEDULE.length)) : null);

  route("GET", /^\/v1\/subscription_schedules\/([^/]+)$/, false, async (_r, [id]) => {
    const c = await scheduled(id);
    return c ? { status: 200, body: await scheduleBody(c) } : missing("subscription schedule", id);
  });

  route("POST", /^\/v1\/subscription_schedules\/([^/]+)\/release$/, true, async (r, [id]) => {
    const c = await scheduled(id);
    if (!c) return missing("subscription schedule", id);
    const canceled = await backing.cancelScheduled(c, r.idempotencyKey);
    if (canceled === 0 && !(r.idempotencyKey && (await backing.keyUsed(r.idempotencyKey)))) {
      return stripeError(400, "invalid_request_error", "You cannot release a subscription schedule that is currently in the `released` status.");
    }
    return { status: 200, body: { ...(await scheduleBody(c)), status: "released" } };
  });

  route("POST", /^\/v1\/subscription_schedules\/([^/]+)$/, true, async (r, [id]) => {
    const c = await scheduled(id);
    if (!c) return missing("subscription schedule", id);
    const b = r.body as { phases?: Array<{ items?: Array<{ price?: string }>; start_date?: string; end_date?: string }> };
    const current = await scheduleBody(c);
    const next = b.phases?.[1];
    const to = next?.items?.[0]?.price ? versionByPrice.get(next.items[0].price) : undefined;
    if (!to || !next?.start_date || String(current.current_phase.start_date) !== b.phases?.[0]?.start_date) {
      return stripeError(400, "invalid_request_error", "phases must be the current phase (from its start) and one following phase with a plan price");
    }
    const effectiveAt = new Date(Number(next.start_date) * 1000);
    const periodEnd = backing.period(c.subscription!).end;
    const timing = isoSeconds(effectiveAt) === isoSeconds(periodEnd) ? "period_end" : "on_date";
    await backing.applyChange(c, { key: r.idempotencyKey, toPlanVersionId: to, timing, effectiveAt });
    return { status: 200, body: await scheduleBody(c) };
  });

  route("POST", /^\/v1\/billing\/meter_events$/, true, async (r) => {
    const b = r.body as { event_name?: string; identifier?: string; timestamp?: string; payload?: { stripe_customer_id?: string; value?: string } };
    const c = b.payload?.stripe_customer_id ? await backing.customer(b.payload.stripe_customer_id) : null;
    if (!c) return stripeError(400, "invalid_request_error", `No customer ${b.payload?.stripe_customer_id}`);
    const meterKey = b.event_name ? meterByEvent.get(b.event_name) : undefined;
    if (!meterKey) return stripeError(400, "invalid_request_error", `No active meter for event_name ${b.event_name}`);
    const identifier = b.identifier ?? backing.freshKey();
    const timestamp = b.timestamp ? Number(b.timestamp) : isoSeconds(backing.now());
    // Stripe drops a repeated identifier (asynchronously); the answer does not say so.
    await backing.sandbox.ingestUsage([{ idempotencyKey: identifier, customer: backing.ref(c), meterKey, timestamp: new Date(timestamp * 1000), quantity: b.payload?.value ?? "0" }]);
    return { status: 200, body: { object: "billing.meter_event", event_name: b.event_name, identifier, payload: b.payload, timestamp, created: isoSeconds(backing.now()), livemode: false } };
  });

  route("GET", /^\/v1\/billing\/meters\/([^/]+)\/event_summaries$/, false, async (r, [id]) => {
    const meterKey = meterById.get(id!);
    if (!meterKey) return missing("billing meter", id);
    const customer = r.query.get("customer") ?? undefined;
    const c = customer ? await backing.customer(customer) : null;
    if (!c) return missing("customer", customer);
    const range = { start: new Date(Number(r.query.get("start_time")) * 1000), end: new Date(Number(r.query.get("end_time")) * 1000) };
    const days = (await backing.sandbox.getUsage(backing.ref(c), range)).filter((d) => d.meterKey === meterKey);
    const data: SummaryBody[] = days.map((d) => {
      const start = Date.parse(`${d.day}T00:00:00Z`) / 1000;
      return { id: `mtrusg_${c.providerCustomerId}_${meterKey}_${d.day}`, object: "billing.meter_event_summary", aggregated_value: Number(d.quantity), start_time: start, end_time: start + 86_400, meter: id!, livemode: false };
    });
    return { status: 200, body: list(data, `/v1/billing/meters/${id}/event_summaries`) };
  });

  return http;
}
