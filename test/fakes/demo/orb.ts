// Orb in demo mode: the routes the Orb adapter calls, answered from the sandbox's state (see
// ./backing.ts) in Orb's wire shapes (the orb-billing SDK's types; amounts as decimal strings in
// major units on invoices, JSON numbers on the credit ledger). The inverse of lib/providers/orb/map.ts.
import type { InvoiceFetchUpcomingResponse } from "orb-billing/resources/invoices";
import type { IncrementLedgerEntry, VoidLedgerEntry } from "orb-billing/resources/customers/credits/ledger";
import type { Subscription, SubscriptionUsage } from "orb-billing/resources/subscriptions";
import { majorNumberToMinor, minorToMajorNumber } from "@/lib/providers/contract/edge";
import type { ProviderLine } from "@/lib/providers/types";
import type { FakeHttpServer, FakeRequest, FakeResponse } from "../core";
import { orbError, orbHttpServer } from "../orb";
import { groupBy } from "@/lib/collections";
import { DemoBacking, guarded, majorString, quantityNumber, type DemoCustomer, type DemoGrant } from "./backing";
import { demoIds, invert, orbCatalog } from "./catalog";

type Line = Pick<
  InvoiceFetchUpcomingResponse.LineItem,
  "id" | "name" | "subtotal" | "adjusted_subtotal" | "credits_applied" | "amount" | "quantity" | "start_date" | "end_date"
> & { price: { id: string; name: string; price_type: "usage_price" | "fixed_price"; billable_metric: { id: string } | null; currency: string } };
type Upcoming = Pick<InvoiceFetchUpcomingResponse, "id" | "status" | "currency" | "target_date" | "total" | "amount_due" | "subtotal"> & {
  customer: { id: string; external_customer_id: string | null };
  line_items: Line[];
};
type SubscriptionBody = Pick<
  Subscription,
  "id" | "status" | "name" | "start_date" | "end_date" | "current_billing_period_start_date" | "current_billing_period_end_date" | "pending_subscription_change" | "metadata" | "created_at"
> & { customer: { id: string; external_customer_id: string | null; name: string; email: string; currency: string }; plan: { id: string; name: string } | null };
type LedgerEntry = Pick<
  IncrementLedgerEntry,
  "id" | "amount" | "created_at" | "credit_block" | "currency" | "customer" | "description" | "ending_balance" | "entry_status" | "ledger_sequence_number" | "metadata" | "starting_balance"
> & { entry_type: "increment" | "void"; void_amount?: VoidLedgerEntry["void_amount"]; void_reason?: VoidLedgerEntry["void_reason"] };

const notFound = (what: string) => orbError(404, "404-resource-not-found", `${what} not found`);
const invalid = (detail: string) => orbError(400, "400-request-validation-errors", detail);
const errorAnswer = (status: number, message: string, retryAfter?: number): FakeResponse => {
  const type = { 400: "400-constraint-violation", 404: "404-resource-not-found", 409: "409-resource-conflict", 429: "429-too-many-requests" }[status] ?? "500-internal-server-error";
  const r = orbError(status, type, message);
  return retryAfter ? { ...r, headers: { "retry-after": String(retryAfter) } } : r;
};

/** Orb's cursor pages: `cursor` is an offset here. */
function paged<T>(items: T[], r: FakeRequest) {
  const limit = Math.min(Number(r.query.get("limit") ?? 20) || 20, 100);
  const from = Number(r.query.get("cursor") ?? 0) || 0;
  const next = from + limit < items.length ? String(from + limit) : null;
  return { data: items.slice(from, from + limit), pagination_metadata: { has_more: next !== null, next_cursor: next } };
}

/**
 * Spreads the credits applied over the positive lines in order, as Orb reports them per line
 * (`credits_applied`); the total never exceeds the lines' charges.
 */
function creditsPerLine(lines: ProviderLine[], credits: bigint): bigint[] {
  let left = credits;
  return lines.map((l) => {
    const take = l.amountMinor > BigInt(0) ? (left < l.amountMinor ? left : l.amountMinor) : BigInt(0);
    left -= take;
    return take;
  });
}

export function orbDemoServer(backing: DemoBacking, opts: { keepRequests?: number } = {}): FakeHttpServer {
  const http = orbHttpServer({ keepRequests: opts.keepRequests ?? 1_000 });
  const catalog = orbCatalog(backing.catalog);
  const versionByPlan = invert(catalog.plans);
  const meterByEvent = new Map(Object.entries(catalog.meters ?? {}).map(([key, m]) => [m.eventName ?? key, key]));
  const route = (method: string, pattern: RegExp, mutating: boolean, handle: (r: FakeRequest, p: string[]) => Promise<FakeResponse>) =>
    http.route(method, pattern, mutating, guarded(errorAnswer, handle));

  async function subscriptionBody(c: DemoCustomer): Promise<SubscriptionBody> {
    const sub = c.subscription!;
    const now = backing.now();
    const phase = DemoBacking.phaseAt(await backing.phases(sub.id), now);
    const version = phase ? backing.version(phase.planVersionId) : undefined;
    const [pending] = await backing.changes(c.providerCustomerId, { status: "scheduled" });
    const period = backing.period(sub, now);
    return {
      id: sub.providerId, status: "active", name: version?.planName ?? "", start_date: sub.startedAt.toISOString(), end_date: null,
      current_billing_period_start_date: period.start.toISOString(), current_billing_period_end_date: period.end.toISOString(),
      pending_subscription_change: pending ? { id: pending.id } : null, metadata: {}, created_at: sub.startedAt.toISOString(),
      customer: { id: c.providerCustomerId, external_customer_id: c.id, name: c.name, email: c.email, currency: c.currency },
      plan: version ? { id: demoIds.orbPlan(version), name: version.planName } : null,
    };
  }

  async function subscribed(subscriptionId: string): Promise<DemoCustomer | null> {
    const c = await backing.customerBySubscription(subscriptionId);
    return c?.subscription ? c : null;
  }

  function ledgerEntry(c: DemoCustomer, g: DemoGrant, type: "increment" | "void", seq: number): LedgerEntry {
    const amount = type === "increment" ? g.amountMinor : g.amountMinor - g.consumedMinor;
    return {
      id: `le_${g.id}_${type}`, entry_type: type, amount: minorToMajorNumber(amount, g.currency), currency: g.currency,
      created_at: (type === "void" ? g.voidedAt! : g.createdAt).toISOString(), description: g.description || null, metadata: g.metadata,
      entry_status: "committed", customer: { id: c.providerCustomerId, external_customer_id: c.id },
      credit_block: { id: g.id, expiry_date: g.expiresAt ? g.expiresAt.toISOString() : null, filters: [], per_unit_cost_basis: null },
      ledger_sequence_number: seq, starting_balance: 0, ending_balance: 0,
      ...(type === "void" ? { void_amount: minorToMajorNumber(amount, g.currency), void_reason: null } : {}),
    };
  }

  route("GET", /^\/v1\/ping$/, false, async () => {
    await backing.customers(1);
    return { status: 200, body: { response: "pong" } };
  });

  route("GET", /^\/v1\/subscriptions$/, false, async (r) => {
    const ids = [...r.query.getAll("customer_id[]"), ...r.query.getAll("customer_id")];
    const status = r.query.get("status");
    const customers = ids.length > 0 ? (await Promise.all(ids.map((id) => backing.customer(id)))).filter((c): c is DemoCustomer => c !== null) : await backing.customers(100);
    // Every subscription the demo knows is active: an `ended` or `upcoming` filter finds none.
    const subs = status && status !== "active" ? [] : customers.filter((c) => c.subscription);
    return { status: 200, body: paged(await Promise.all(subs.map(subscriptionBody)), r) };
  });

  route("GET", /^\/v1\/invoices\/upcoming$/, false, async (r) => {
    const id = r.query.get("subscription_id") ?? "";
    const c = await subscribed(id);
    if (!c) return notFound(`Subscription ${id}`);
    const p = await backing.sandbox.getUpcomingInvoice(backing.ref(c), backing.now());
    const phase = DemoBacking.phaseAt(await backing.phases(c.subscription!.id), backing.now());
    const plan = phase ? backing.version(phase.planVersionId) : undefined;
    // Credits are not lines at Orb: they are reported on the lines they were applied to.
    const lines = p.lines.filter((l) => l.kind !== "credit");
    const credits = creditsPerLine(lines, p.creditsAppliedMinor);
    const [start, end] = [p.periodStart.toISOString(), p.periodEnd.toISOString()];
    const body: Upcoming = {
      id: `upcoming_${id}`, status: "draft", currency: p.currency, target_date: end,
      total: majorString(p.totalMinor, p.currency), amount_due: majorString(p.totalMinor, p.currency), subtotal: majorString(p.subtotalMinor, p.currency),
      customer: { id: c.providerCustomerId, external_customer_id: c.id },
      line_items: lines.map((l, i) => ({
        id: `ili_${id}_${i}`, name: l.description, quantity: quantityNumber(l.quantity), start_date: start, end_date: end,
        subtotal: majorString(l.amountMinor, p.currency), adjusted_subtotal: majorString(l.amountMinor, p.currency),
        credits_applied: majorString(credits[i]!, p.currency), amount: majorString(l.amountMinor - credits[i]!, p.currency),
        price: l.kind === "usage" && l.meterKey
          ? { id: `price_${l.meterKey}`, name: l.description, price_type: "usage_price", billable_metric: { id: catalog.meters?.[l.meterKey]?.metricId ?? demoIds.orbMetric(l.meterKey) }, currency: p.currency }
          : { id: plan ? demoIds.orbPlan(plan) : "price_fixed", name: l.description, price_type: "fixed_price", billable_metric: null, currency: p.currency },
      })),
    };
    return { status: 200, body };
  });

  route("POST", /^\/v1\/customers\/([^/]+)\/credits\/ledger_entry$/, true, async (r, [customerId]) => {
    const c = await backing.customer(customerId!);
    if (!c) return notFound(`Customer ${customerId}`);
    const b = r.body as { entry_type?: string; amount?: number; currency?: string | null; block_id?: string; description?: string | null; expiry_date?: string | null; metadata?: Record<string, string> | null };
    const currency = b.currency ?? c.currency;
    if (typeof b.amount !== "number" || b.amount <= 0) return invalid("amount must be a positive number");
    const amountMinor = majorNumberToMinor(b.amount, currency);
    const key = r.idempotencyKey;
    if (b.entry_type === "increment") {
      const { providerGrantId } = await backing.sandbox.grantCredit({
        idempotencyKey: key ?? backing.freshKey(), customer: backing.ref(c), amountMinor, currency,
        expiresAt: b.expiry_date ? new Date(b.expiry_date) : null, description: b.description ?? "", metadata: b.metadata ?? {},
      });
      const [g] = await backing.grants(c.providerCustomerId, providerGrantId);
      return { status: 200, body: ledgerEntry(c, g!, "increment", 1) };
    }
    if (b.entry_type === "void") {
      if (!b.block_id) return invalid("block_id is required");
      await backing.sandbox.voidCredit({ idempotencyKey: key ?? backing.freshKey(), customer: backing.ref(c), providerGrantId: b.block_id, amountMinor, currency, reason: b.description ?? "" });
      const [g] = await backing.grants(c.providerCustomerId, b.block_id);
      return { status: 200, body: ledgerEntry(c, g!, "void", 2) };
    }
    return invalid(`entry_type ${b.entry_type} is not modelled by the demo fake`);
  });

  route("GET", /^\/v1\/customers\/([^/]+)\/credits\/ledger$/, false, async (r, [customerId]) => {
    const c = await backing.customer(customerId!);
    if (!c) return notFound(`Customer ${customerId}`);
    const type = r.query.get("entry_type");
    const entries = (await backing.grants(c.providerCustomerId)).flatMap((g) => [
      ledgerEntry(c, g, "increment", 0),
      ...(g.voidedAt ? [ledgerEntry(c, g, "void", 0)] : []),
    ]);
    const shown = entries.filter((e) => !type || e.entry_type === type).map((e, i) => ({ ...e, ledger_sequence_number: i + 1 }));
    return { status: 200, body: paged(shown, r) };
  });

  route("POST", /^\/v1\/subscriptions\/([^/]+)\/schedule_plan_change$/, true, async (r, [id]) => {
    const c = await subscribed(id!);
    if (!c) return notFound(`Subscription ${id}`);
    const b = r.body as { change_option?: string; plan_id?: string; change_date?: string | null };
    const to = b.plan_id ? versionByPlan.get(b.plan_id) : undefined;
    if (!to) return invalid(`plan_id ${b.plan_id} is not a plan`);
    const timing = b.change_option === "immediate" ? "immediate" : b.change_option === "end_of_subscription_term" ? "period_end" : b.change_option === "requested_date" ? "on_date" : null;
    if (!timing) return invalid(`change_option ${b.change_option} is not modelled by the demo fake`);
    if (timing === "on_date" && !b.change_date) return invalid("change_date is required");
    await backing.applyChange(c, { key: r.idempotencyKey, toPlanVersionId: to, timing, effectiveAt: timing === "on_date" ? new Date(b.change_date!) : undefined });
    return { status: 200, body: await subscriptionBody(c) };
  });

  route("POST", /^\/v1\/subscriptions\/([^/]+)\/unschedule_pending_plan_changes$/, true, async (r, [id]) => {
    const c = await subscribed(id!);
    if (!c) return notFound(`Subscription ${id}`);
    const canceled = await backing.cancelScheduled(c, r.idempotencyKey);
    // A repeat of a cancel that went through (its key is known) is answered as it was.
    if (canceled === 0 && !(r.idempotencyKey && (await backing.keyUsed(r.idempotencyKey)))) {
      return orbError(400, "400-constraint-violation", "Subscription has no pending plan change");
    }
    return { status: 200, body: await subscriptionBody(c) };
  });

  route("POST", /^\/v1\/ingest$/, true, async (r) => {
    const b = r.body as { events?: Array<{ event_name: string; idempotency_key: string; customer_id?: string; timestamp: string; properties?: { quantity?: unknown } }> };
    const events = b.events ?? [];
    const validation_failed: Array<{ idempotency_key: string; validation_errors: string[] }> = [];
    const accepted: Parameters<DemoBacking["sandbox"]["ingestUsage"]>[0] = [];
    const customers = new Map<string, DemoCustomer | null>();
    for (const e of events) {
      if (e.customer_id && !customers.has(e.customer_id)) customers.set(e.customer_id, await backing.customer(e.customer_id));
      const c = e.customer_id ? customers.get(e.customer_id) : null;
      const meterKey = meterByEvent.get(e.event_name);
      const quantity = e.properties?.quantity;
      if (!c) validation_failed.push({ idempotency_key: e.idempotency_key, validation_errors: [`customer ${e.customer_id} not found`] });
      else if (!meterKey) validation_failed.push({ idempotency_key: e.idempotency_key, validation_errors: [`no billable metric uses event ${e.event_name}`] });
      else if (typeof quantity !== "string" && typeof quantity !== "number") validation_failed.push({ idempotency_key: e.idempotency_key, validation_errors: ["properties.quantity is required"] });
      else accepted.push({ idempotencyKey: e.idempotency_key, customer: backing.ref(c), meterKey, timestamp: new Date(e.timestamp), quantity: String(quantity) });
    }
    const known = await backing.knownUsageKeys(accepted.map((e) => e.idempotencyKey));
    await backing.sandbox.ingestUsage(accepted);
    const debug = r.query.get("debug") === "true"
      ? { debug: { duplicate: accepted.filter((e) => known.has(e.idempotencyKey)).map((e) => e.idempotencyKey), ingested: accepted.filter((e) => !known.has(e.idempotencyKey)).map((e) => e.idempotencyKey) } }
      : {};
    return { status: 200, body: { validation_failed, ...debug } };
  });

  route("GET", /^\/v1\/subscriptions\/([^/]+)\/usage$/, false, async (r, [id]) => {
    const c = await subscribed(id!);
    if (!c) return notFound(`Subscription ${id}`);
    const start = new Date(r.query.get("timeframe_start") ?? c.subscription!.startedAt.toISOString());
    const end = new Date(r.query.get("timeframe_end") ?? backing.now().toISOString());
    const days = await backing.sandbox.getUsage(backing.ref(c), { start, end });
    const body: SubscriptionUsage.UngroupedSubscriptionUsage = {
      data: [...groupBy(days, (d) => d.meterKey)].map(([meterKey, rows]) => ({
        billable_metric: { id: catalog.meters?.[meterKey]?.metricId ?? demoIds.orbMetric(meterKey), name: backing.meterName(meterKey) },
        view_mode: "periodic",
        usage: rows.map((d) => ({
          quantity: Number(d.quantity),
          timeframe_start: `${d.day}T00:00:00+00:00`,
          timeframe_end: new Date(Date.parse(`${d.day}T00:00:00Z`) + 86_400_000).toISOString(),
        })),
      })),
    };
    return { status: 200, body };
  });

  return http;
}
