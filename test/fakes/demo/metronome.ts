// Metronome in demo mode: the routes the Metronome adapter calls, answered from the sandbox's
// state (see ./backing.ts) in Metronome's wire shapes (the @metronome/sdk types; amounts as JSON
// numbers in the credit type's minor unit). A Meterdesk subscription is one contract; its plan
// phases, and the plan changes scheduled or canceled at the sandbox, are the contract's
// subscriptions. The inverse of lib/providers/metronome/map.ts.
import type { Credit, ContractV2 } from "@metronome/sdk/resources/shared";
import type { Invoice } from "@metronome/sdk/resources/v1/customers/invoices";
import type { UsageListResponse } from "@metronome/sdk/resources/v1/usage";
import { minorToIntegerNumber } from "@/lib/providers/contract/edge";
import { NO_EXPIRY } from "@/lib/providers/metronome/provider";
import type { ProviderLine } from "@/lib/providers/types";
import type { FakeHttpServer, FakeRequest, FakeResponse } from "../core";
import { mError, metronomeHttpServer, page } from "../metronome";
import { DemoBacking, guarded, quantityNumber, type DemoCustomer, type DemoGrant } from "./backing";
import { demoIds, invert, metronomeCatalog, METRONOME_CREDIT_PRODUCT } from "./catalog";

type ContractSubscription = Pick<
  NonNullable<ContractV2["subscriptions"]>[number],
  "id" | "starting_at" | "ending_before" | "custom_fields" | "collection_schedule" | "proration" | "quantity_management_mode" | "quantity_schedule" | "subscription_rate"
>;
type ContractBody = Pick<ContractV2, "id" | "customer_id" | "starting_at" | "created_at" | "created_by" | "commits" | "overrides" | "scheduled_charges" | "transitions" | "usage_filter"> & {
  subscriptions: ContractSubscription[];
};
type CreditBody = Pick<Credit, "id" | "type" | "product" | "name" | "description" | "custom_fields" | "priority" | "access_schedule" | "balance">;
type LineItem = Pick<Invoice.LineItem, "name" | "type" | "total" | "credit_type" | "quantity" | "product_id" | "is_prorated" | "starting_at" | "ending_before" | "subscription_custom_fields" | "applied_commit_or_credit">;
type DraftInvoice = Pick<Invoice, "id" | "type" | "status" | "customer_id" | "contract_id" | "credit_type" | "start_timestamp" | "end_timestamp" | "total"> & { line_items: LineItem[] };

const HOUR = 3_600_000;
const hourFloor = (d: Date) => new Date(Math.floor(d.getTime() / HOUR) * HOUR).toISOString();
const errorAnswer = (status: number, message: string, retryAfter?: number): FakeResponse => {
  const r = mError(status, message);
  return retryAfter ? { ...r, headers: { "retry-after": String(retryAfter) } } : r;
};

export function metronomeDemoServer(backing: DemoBacking, opts: { keepRequests?: number; honorIdempotencyHeader?: boolean } = {}): FakeHttpServer {
  const http = metronomeHttpServer({ keepRequests: opts.keepRequests ?? 1_000, honorIdempotencyHeader: opts.honorIdempotencyHeader });
  const catalog = metronomeCatalog(backing.catalog);
  const versionByProduct = invert(catalog.plans);
  const meterByEvent = new Map(Object.entries(catalog.meters).map(([key, m]) => [m.eventType, key]));
  const meterByMetric = new Map(Object.entries(catalog.meters).map(([key, m]) => [m.billableMetricId, key]));
  const creditTypes = catalog.creditTypes ?? {};
  const currencyByCreditType = invert(creditTypes);
  const route = (method: string, pattern: RegExp, mutating: boolean, handle: (r: FakeRequest, p: string[]) => Promise<FakeResponse>) =>
    http.route(method, pattern, mutating, guarded(errorAnswer, handle));
  const creditType = (currency: string) => ({ id: creditTypes[currency] ?? `credit-type-${currency.toLowerCase()}`, name: `${currency} (cents)` });
  const productFor = (planVersionId: string) => {
    const v = backing.version(planVersionId);
    return { id: v ? demoIds.metronomePlanProduct(v) : `prod_plan_${planVersionId}`, name: v?.planName ?? planVersionId };
  };

  async function customerOr404(id: string | undefined): Promise<DemoCustomer | FakeResponse> {
    const c = id ? await backing.customer(id) : null;
    return c ?? mError(404, `Customer ${id} not found`);
  }
  const isAnswer = (x: DemoCustomer | FakeResponse): x is FakeResponse => "status" in x;

  async function contractBody(c: DemoCustomer): Promise<ContractBody> {
    const sub = c.subscription!;
    const phases = await backing.phases(sub.id);
    const changes = await backing.changes(c.providerCustomerId);
    const scheduled = changes.filter((x) => x.status === "scheduled");
    const keyOfPhase = (p: { planVersionId: string; startsAt: Date }) =>
      changes.find((x) => x.status === "applied" && x.toPlanVersionId === p.planVersionId && x.effectiveAt.getTime() === p.startsAt.getTime())?.key ?? null;
    const shape = (id: string, planVersionId: string, start: Date, end: Date | null, key: string | null): ContractSubscription => ({
      id, starting_at: start.toISOString(), ...(end ? { ending_before: end.toISOString() } : {}),
      custom_fields: key ? { meterdesk_plan_change: key } : {}, collection_schedule: "ADVANCE",
      proration: { is_prorated: true, invoice_behavior: "BILL_ON_NEXT_COLLECTION_DATE" }, quantity_management_mode: "QUANTITY_ONLY",
      quantity_schedule: [{ quantity: 1, starting_at: start.toISOString() }], subscription_rate: { billing_frequency: "MONTHLY", product: productFor(planVersionId) },
    });
    const subscriptions = [
      // The open phase ends where the first scheduled change starts, as a contract edit leaves it.
      ...phases.map((p) => shape(p.id, p.planVersionId, p.startsAt, p.endsAt ?? scheduled[0]?.effectiveAt ?? null, keyOfPhase(p))),
      ...scheduled.map((x, i) => shape(x.id, x.toPlanVersionId, x.effectiveAt, scheduled[i + 1]?.effectiveAt ?? null, x.key)),
      // A canceled change is a subscription ended where it starts (how the adapter removes one).
      ...changes.filter((x) => x.status === "canceled").map((x) => shape(x.id, x.toPlanVersionId, x.effectiveAt, x.effectiveAt, x.key)),
    ];
    return {
      id: sub.id, customer_id: c.providerCustomerId, starting_at: sub.startedAt.toISOString(), created_at: sub.startedAt.toISOString(), created_by: "meterdesk-demo",
      commits: [], overrides: [], scheduled_charges: [], transitions: [], usage_filter: [], subscriptions,
    };
  }

  function creditBody(g: DemoGrant): CreditBody {
    // A void edits the schedule down to what was used; the balance is what is left.
    const shown = g.voidedAt ? g.consumedMinor : g.amountMinor;
    return {
      id: g.id, type: "CREDIT", product: { id: METRONOME_CREDIT_PRODUCT, name: "Credits" }, name: g.description.slice(0, 100), description: g.description,
      custom_fields: g.metadata, priority: 1, balance: g.voidedAt ? 0 : minorToIntegerNumber(g.amountMinor - g.consumedMinor),
      access_schedule: {
        credit_type: creditType(g.currency),
        schedule_items: [{ id: `${g.id}_item`, amount: minorToIntegerNumber(shown), starting_at: hourFloor(g.createdAt), ending_before: g.expiresAt ? g.expiresAt.toISOString() : NO_EXPIRY }],
      },
    };
  }

  function lineItem(l: ProviderLine, i: number, ctx: { currency: string; start: string; end: string; planVersionId: string | null }): LineItem {
    const base = { name: l.description, total: minorToIntegerNumber(l.amountMinor), credit_type: creditType(ctx.currency), starting_at: ctx.start, ending_before: ctx.end };
    switch (l.kind) {
      case "usage":
        return { ...base, type: "usage", quantity: quantityNumber(l.quantity), product_id: demoIds.metronomeUsageProduct(l.meterKey ?? "") };
      case "credit":
        return { ...base, type: "credit", product_id: METRONOME_CREDIT_PRODUCT, applied_commit_or_credit: { id: `applied_${i}`, type: "CREDIT" } };
      case "base":
      case "proration":
        return { ...base, type: "subscription", is_prorated: l.kind === "proration", subscription_custom_fields: {}, ...(ctx.planVersionId ? { product_id: productFor(ctx.planVersionId).id } : {}) };
      default:
        // A minimum top-up (or any other adjustment) is its own line, outside any product.
        return { ...base, type: l.kind === "minimum" ? "minimum" : "adjustment" };
    }
  }

  route("GET", /^\/v1\/customers$/, false, async (r) => {
    const limit = Math.min(Number(r.query.get("limit") ?? 25) || 25, 100);
    const customers = await backing.customers(limit);
    return {
      status: 200,
      body: page(customers.map((c) => ({ id: c.providerCustomerId, name: c.name, external_id: c.id, ingest_aliases: [], custom_fields: {}, created_at: c.createdAt.toISOString() }))),
    };
  });

  route("GET", /^\/v1\/customers\/([^/]+)\/invoices$/, false, async (r, [id]) => {
    const c = await customerOr404(id);
    if (isAnswer(c)) return c;
    // Only the draft (upcoming) invoice is modelled; issued invoices are Meterdesk's own records.
    const status = r.query.get("status");
    if (!c.subscription || (status && status !== "DRAFT")) return { status: 200, body: page([]) };
    const p = await backing.sandbox.getUpcomingInvoice(backing.ref(c), backing.now());
    const phase = DemoBacking.phaseAt(await backing.phases(c.subscription.id), backing.now());
    const ctx = { currency: p.currency, start: p.periodStart.toISOString(), end: p.periodEnd.toISOString(), planVersionId: phase?.planVersionId ?? null };
    const body: DraftInvoice = {
      id: `draft_${c.subscription.id}_${ctx.start.slice(0, 10)}`, type: "USAGE", status: "DRAFT", customer_id: c.providerCustomerId, contract_id: c.subscription.id,
      credit_type: creditType(p.currency), start_timestamp: ctx.start, end_timestamp: ctx.end, total: minorToIntegerNumber(p.totalMinor),
      line_items: p.lines.map((l, i) => lineItem(l, i, ctx)),
    };
    return { status: 200, body: page([body]) };
  });

  route("POST", /^\/v1\/usage$/, false, async (r) => {
    const b = r.body as { starting_on: string; ending_before: string; customer_ids?: string[]; billable_metrics?: Array<{ id: string }> };
    const meters = (b.billable_metrics ?? []).map((m) => meterByMetric.get(m.id)).filter((k): k is string => k !== undefined);
    const customers = (await Promise.all((b.customer_ids ?? []).map((id) => backing.customer(id)))).filter((c): c is DemoCustomer => c !== null);
    const rows = meters.length === 0 || customers.length === 0
      ? []
      : await backing.usage(customers.map((c) => c.providerCustomerId), { start: new Date(b.starting_on), end: new Date(b.ending_before) }, meters);
    const data: UsageListResponse[] = rows.map((u) => ({
      billable_metric_id: catalog.meters[u.meterKey]!.billableMetricId, billable_metric_name: backing.meterName(u.meterKey), customer_id: u.providerCustomerId,
      value: Number(u.quantity), start_timestamp: `${u.day}T00:00:00Z`, end_timestamp: new Date(Date.parse(`${u.day}T00:00:00Z`) + 86_400_000).toISOString(),
    }));
    return { status: 200, body: page(data) };
  });

  route("POST", /^\/v1\/ingest$/, true, async (r) => {
    const events = r.body as Array<{ transaction_id: string; customer_id: string; event_type: string; timestamp: string; properties?: { quantity?: unknown } }>;
    if (!Array.isArray(events)) return mError(400, "body must be an array of events");
    const accepted: Parameters<DemoBacking["sandbox"]["ingestUsage"]>[0] = [];
    for (const e of events) {
      const c = await backing.customer(e.customer_id);
      const meterKey = meterByEvent.get(e.event_type);
      const q = e.properties?.quantity;
      if (!c) return mError(400, `customer ${e.customer_id} not found`);
      if (!meterKey) return mError(400, `no billable metric uses event type ${e.event_type}`);
      if (typeof q !== "string" && typeof q !== "number") return mError(400, `event ${e.transaction_id}: properties.quantity is required`);
      accepted.push({ idempotencyKey: e.transaction_id, customer: backing.ref(c), meterKey, timestamp: new Date(e.timestamp), quantity: String(q) });
    }
    // A repeated transaction_id is dropped silently, as Metronome does.
    await backing.sandbox.ingestUsage(accepted);
    return { status: 200, body: null };
  });

  route("POST", /^\/v1\/contracts\/customerCredits\/list$/, false, async (r) => {
    const b = r.body as { customer_id: string; credit_id?: string };
    const c = await customerOr404(b.customer_id);
    if (isAnswer(c)) return c;
    return { status: 200, body: page((await backing.grants(c.providerCustomerId, b.credit_id)).map(creditBody)) };
  });

  route("POST", /^\/v1\/contracts\/customerCredits\/create$/, true, async (r) => {
    const b = r.body as {
      customer_id: string; description?: string; name?: string; custom_fields?: Record<string, string>; uniqueness_key?: string;
      access_schedule?: { credit_type_id?: string; schedule_items?: Array<{ amount: number; starting_at: string; ending_before: string }> };
    };
    const c = await customerOr404(b.customer_id);
    if (isAnswer(c)) return c;
    const item = b.access_schedule?.schedule_items?.[0];
    if (!item || !Number.isSafeInteger(item.amount) || item.amount <= 0) return mError(400, "access_schedule amount must be a positive whole number of the credit type's unit");
    const currency = currencyByCreditType.get(b.access_schedule?.credit_type_id ?? creditTypes.USD ?? "");
    if (!currency) return mError(400, `credit type ${b.access_schedule?.credit_type_id} is not a fiat credit type here`);
    if (b.uniqueness_key && (await backing.keyUsed(b.uniqueness_key))) return mError(409, `uniqueness_key ${b.uniqueness_key} has already been used`);
    const { providerGrantId } = await backing.sandbox.grantCredit({
      idempotencyKey: b.uniqueness_key ?? r.idempotencyKey ?? backing.freshKey(), customer: backing.ref(c), amountMinor: BigInt(item.amount), currency,
      expiresAt: item.ending_before === NO_EXPIRY ? null : new Date(item.ending_before), description: b.description ?? b.name ?? "", metadata: b.custom_fields ?? {},
    });
    return { status: 200, body: { data: { id: providerGrantId } } };
  });

  route("POST", /^\/v2\/contracts\/credits\/edit$/, true, async (r) => {
    const b = r.body as { credit_id: string; customer_id: string; description?: string; access_schedule?: { update_schedule_items?: Array<{ id: string; amount?: number }> } };
    const c = await customerOr404(b.customer_id);
    if (isAnswer(c)) return c;
    const [g] = await backing.grants(c.providerCustomerId, b.credit_id);
    if (!g) return mError(404, `Credit ${b.credit_id} not found`);
    const shown = g.voidedAt ? g.consumedMinor : g.amountMinor;
    for (const u of b.access_schedule?.update_schedule_items ?? []) {
      if (u.id !== `${g.id}_item`) return mError(400, `schedule item ${u.id} not found`);
      if (u.amount === undefined || BigInt(u.amount) === shown) continue;
      // Lowering the amount takes back what is unused: the sandbox voids the grant's remainder.
      if (BigInt(u.amount) < shown && BigInt(u.amount) >= g.consumedMinor) {
        await backing.sandbox.voidCredit({
          idempotencyKey: r.idempotencyKey ?? backing.freshKey(), customer: backing.ref(c), providerGrantId: g.id,
          amountMinor: g.amountMinor - g.consumedMinor, currency: g.currency, reason: b.description ?? "",
        });
      } else return mError(400, "the demo fake models lowering a credit to what was used (a void), not other amount edits");
    }
    if (b.description !== undefined) await backing.setGrantDescription(g.id, b.description);
    return { status: 200, body: { data: { id: g.id } } };
  });

  route("POST", /^\/v2\/contracts\/list$/, false, async (r) => {
    const b = r.body as { customer_id: string; covering_date?: string };
    const c = await customerOr404(b.customer_id);
    if (isAnswer(c)) return c;
    return { status: 200, body: { data: c.subscription ? [await contractBody(c)] : [] } };
  });

  route("POST", /^\/v2\/contracts\/get$/, false, async (r) => {
    const b = r.body as { contract_id: string; customer_id: string };
    const c = await customerOr404(b.customer_id);
    if (isAnswer(c)) return c;
    if (c.subscription?.id !== b.contract_id) return mError(404, `Contract ${b.contract_id} not found`);
    return { status: 200, body: { data: await contractBody(c) } };
  });

  route("POST", /^\/v2\/contracts\/edit$/, true, async (r) => {
    const b = r.body as {
      contract_id: string; customer_id: string; uniqueness_key?: string;
      update_subscriptions?: Array<{ subscription_id: string; ending_before?: string | null }>;
      add_subscriptions?: Array<{ starting_at?: string; subscription_rate: { product_id: string }; proration?: { is_prorated?: boolean }; custom_fields?: Record<string, string> }>;
    };
    const c = await customerOr404(b.customer_id);
    if (isAnswer(c)) return c;
    if (c.subscription?.id !== b.contract_id) return mError(404, `Contract ${b.contract_id} not found`);
    const contract = await contractBody(c);
    for (const u of b.update_subscriptions ?? []) {
      if (!contract.subscriptions.some((s) => s.id === u.subscription_id)) return mError(400, `subscription ${u.subscription_id} not found`);
    }
    if (b.uniqueness_key && (await backing.keyUsed(b.uniqueness_key))) return mError(409, `uniqueness_key ${b.uniqueness_key} has already been used`);
    const key = b.uniqueness_key ?? r.idempotencyKey;
    const adds = b.add_subscriptions ?? [];
    if (adds.length === 1) {
      // A plan change: the current subscription ends where the new plan's starts.
      const add = adds[0]!;
      const to = versionByProduct.get(add.subscription_rate.product_id);
      if (!to) return mError(400, `product ${add.subscription_rate.product_id} is not a plan`);
      const effectiveAt = add.starting_at ? new Date(add.starting_at) : backing.now();
      const periodEnd = backing.period(c.subscription!).end;
      const timing = add.proration?.is_prorated ? "immediate" : effectiveAt.getTime() === periodEnd.getTime() ? "period_end" : "on_date";
      const r2 = await backing.applyChange(c, { key, toPlanVersionId: to, timing, effectiveAt });
      // An immediate change is the phase now in force; a scheduled one is the sandbox's change.
      const added = timing === "immediate" ? DemoBacking.phaseAt(await backing.phases(c.subscription!.id), r2.effectiveAt)!.id : r2.providerChangeId;
      return {
        status: 200,
        body: { data: { id: contract.id, edit: { id: `edit_${key ?? added}`, add_subscriptions: [{ id: added, starting_at: r2.effectiveAt.toISOString(), subscription_rate: { billing_frequency: "MONTHLY", product: productFor(to) } }] } } },
      };
    }
    // Removing a scheduled change: it is ended where it starts (the previous plan runs on).
    const removed = (b.update_subscriptions ?? []).find((u) => {
      const s = contract.subscriptions.find((x) => x.id === u.subscription_id);
      return s && u.ending_before === s.starting_at;
    });
    if (adds.length === 0 && removed) {
      const [change] = await backing.changes(c.providerCustomerId, { id: removed.subscription_id });
      if (!change) return mError(400, `subscription ${removed.subscription_id} is already in force and cannot be removed`);
      if (change.status === "scheduled") {
        await backing.sandbox.cancelPlanChange({ idempotencyKey: key ?? backing.freshKey(), customer: backing.ref(c), providerChangeId: change.id });
      }
      return { status: 200, body: { data: { id: contract.id } } };
    }
    return mError(400, "this contract edit is not modelled by the demo fake (plan changes and their removal are)");
  });

  return http;
}
