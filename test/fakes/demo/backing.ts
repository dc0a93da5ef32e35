// What the demo fakes share: the provider's state is the built-in sandbox provider's, in the same
// database (its copy of usage, its credit grants, its plan changes, and the shared catalog and
// subscriptions), reached through createSandboxProvider for everything that prices or changes
// money and through a few read queries for what the sandbox has no call for (listing credits,
// subscriptions, scheduled changes). Each provider's demo file (orb.ts, metronome.ts, stripe.ts)
// only translates between this and its wire shapes.
//
// Customer ids: the fake uses the sandbox's own provider customer ids (`sbx_cus_…`) as the
// provider's customer ids, and serves the customers whose customers.provider names its kind
// (the dev launcher links the demo customers to the provider it starts; see scripts/dev.ts).
import { randomUUID } from "node:crypto";
import { billingPeriodContaining, toMajorString, utcDayKey, type Period } from "@/lib/billing";
import { createSandboxProvider, type SandboxProvider } from "@/lib/providers/sandbox";
import { ProviderError, type CustomerRef } from "@/lib/providers/types";
import type { Db } from "@/lib/server/db/client";
import type { FakeRequest, FakeResponse, Route } from "../core";
import type { DemoCatalog, DemoKind, DemoPlanVersion } from "./catalog";

export type DemoSubscription = { id: string; providerId: string; anchor: Date; startedAt: Date; status: string };
export type DemoCustomer = {
  id: string;
  name: string;
  email: string;
  currency: string;
  providerCustomerId: string;
  createdAt: Date;
  /** The active subscription (the latest started), or null. */
  subscription: DemoSubscription | null;
};
export type DemoPhase = { id: string; planVersionId: string; startsAt: Date; endsAt: Date | null };
export type DemoChange = {
  id: string;
  toPlanVersionId: string;
  timing: string;
  effectiveAt: Date;
  status: "scheduled" | "applied" | "canceled";
  createdAt: Date;
  /** The idempotency key it was created with (Meterdesk's operation key), when known. */
  key: string | null;
};
export type DemoGrant = {
  id: string;
  currency: string;
  amountMinor: bigint;
  consumedMinor: bigint;
  expiresAt: Date | null;
  description: string;
  metadata: Record<string, string>;
  voidedAt: Date | null;
  createdAt: Date;
};
export type DemoUsageRow = { providerCustomerId: string; meterKey: string; day: string; quantity: string };

type CustomerRow = {
  id: string; name: string; email: string; currency: string; provider_customer_id: string; created_at: Date;
  sub_id: string | null; sub_provider_id: string | null; billing_anchor: Date | null; started_at: Date | null; sub_status: string | null;
};

export class DemoBacking {
  readonly sandbox: SandboxProvider;
  private readonly clock: () => Date;
  private readonly versionsById: Map<string, DemoPlanVersion>;

  constructor(
    readonly db: Db,
    readonly kind: DemoKind,
    readonly catalog: DemoCatalog,
    opts: { now?: () => Date } = {},
  ) {
    this.clock = opts.now ?? (() => new Date());
    this.sandbox = createSandboxProvider(db, { now: this.clock, customerProvider: kind });
    this.versionsById = new Map(catalog.versions.map((v) => [v.id, v]));
  }

  now(): Date {
    return this.clock();
  }

  version(id: string): DemoPlanVersion | undefined {
    return this.versionsById.get(id);
  }

  meterName(key: string): string {
    return this.catalog.meters.find((m) => m.key === key)?.name ?? key;
  }

  ref(c: DemoCustomer): CustomerRef {
    return { customerId: c.id, providerCustomerId: c.providerCustomerId };
  }

  /** A key for a sandbox call that came without one (the sandbox always wants one). */
  freshKey(): string {
    return `${this.kind}-demo:${randomUUID()}`;
  }

  private toCustomer(r: CustomerRow): DemoCustomer {
    return {
      id: r.id, name: r.name, email: r.email, currency: r.currency, providerCustomerId: r.provider_customer_id, createdAt: r.created_at,
      subscription: r.sub_id
        ? { id: r.sub_id, providerId: r.sub_provider_id ?? r.sub_id, anchor: r.billing_anchor!, startedAt: r.started_at!, status: r.sub_status! }
        : null,
    };
  }

  private async customersWhere(filter: { providerCustomerId?: string; subscription?: string; limit?: number }): Promise<DemoCustomer[]> {
    const rows = await this.db.$queryRaw<CustomerRow[]>`
      SELECT c.id::text, c.name, c.email, c.currency, c.provider_customer_id, c.created_at,
             s.id::text AS sub_id, s.provider_subscription_id AS sub_provider_id, s.billing_anchor, s.started_at, s.status::text AS sub_status
        FROM customers c
        LEFT JOIN LATERAL (SELECT * FROM subscriptions s WHERE s.customer_id = c.id AND s.status = 'active' ORDER BY s.started_at DESC LIMIT 1) s ON true
       WHERE c.provider::text = ${this.kind} AND c.provider_customer_id IS NOT NULL
         AND (${filter.providerCustomerId ?? null}::text IS NULL OR c.provider_customer_id = ${filter.providerCustomerId ?? null})
         AND (${filter.subscription ?? null}::text IS NULL OR s.provider_subscription_id = ${filter.subscription ?? null} OR s.id::text = ${filter.subscription ?? null})
       ORDER BY c.created_at, c.id
       LIMIT ${filter.limit ?? 1000}`;
    return rows.map((r) => this.toCustomer(r));
  }

  async customer(providerCustomerId: string): Promise<DemoCustomer | null> {
    return (await this.customersWhere({ providerCustomerId, limit: 1 }))[0] ?? null;
  }

  /** The customer whose active subscription has this provider id (or Meterdesk id). */
  async customerBySubscription(subscriptionId: string): Promise<DemoCustomer | null> {
    return (await this.customersWhere({ subscription: subscriptionId, limit: 1 }))[0] ?? null;
  }

  async customers(limit: number): Promise<DemoCustomer[]> {
    return this.customersWhere({ limit });
  }

  period(sub: DemoSubscription, at = this.now()): Period {
    return billingPeriodContaining(sub.anchor, at);
  }

  /** The subscription's applied phases, oldest first. */
  async phases(subscriptionId: string): Promise<DemoPhase[]> {
    const rows = await this.db.$queryRaw<Array<{ id: string; plan_version_id: string; starts_at: Date; ends_at: Date | null }>>`
      SELECT id::text, plan_version_id::text, starts_at, ends_at FROM subscription_phases
       WHERE subscription_id = ${subscriptionId}::uuid ORDER BY starts_at`;
    return rows.map((r) => ({ id: r.id, planVersionId: r.plan_version_id, startsAt: r.starts_at, endsAt: r.ends_at }));
  }

  /** The phase in force at `at` (or the last one). */
  static phaseAt(phases: DemoPhase[], at: Date): DemoPhase | undefined {
    return phases.find((p) => p.startsAt <= at && (p.endsAt === null || p.endsAt > at)) ?? phases[phases.length - 1];
  }

  /** Plan changes held at the sandbox for this customer, with the key each was made with. */
  async changes(providerCustomerId: string, opts: { status?: DemoChange["status"]; id?: string } = {}): Promise<DemoChange[]> {
    const rows = await this.db.$queryRaw<Array<{ id: string; to_plan_version_id: string; timing: string; effective_at: Date; status: DemoChange["status"]; created_at: Date; key: string | null }>>`
      SELECT pc.id, pc.to_plan_version_id::text, pc.timing, pc.effective_at, pc.status, pc.created_at,
             (SELECT i.key FROM sandbox_idempotency i WHERE i.operation = 'plan.change' AND i.response ->> 'providerChangeId' = pc.id LIMIT 1) AS key
        FROM sandbox_plan_changes pc
       WHERE pc.provider_customer_id = ${providerCustomerId}
         AND (${opts.status ?? null}::text IS NULL OR pc.status = ${opts.status ?? null})
         AND (${opts.id ?? null}::text IS NULL OR pc.id = ${opts.id ?? null})
       ORDER BY pc.effective_at, pc.created_at`;
    return rows.map((r) => ({ id: r.id, toPlanVersionId: r.to_plan_version_id, timing: r.timing, effectiveAt: r.effective_at, status: r.status, createdAt: r.created_at, key: r.key }));
  }

  /** The sandbox's credit grants for a customer (or one grant), oldest first. */
  async grants(providerCustomerId: string, id?: string): Promise<DemoGrant[]> {
    const rows = await this.db.$queryRaw<Array<{ id: string; currency: string; amount_minor: bigint; consumed_minor: bigint; expires_at: Date | null; description: string; metadata: Record<string, string> | null; voided_at: Date | null; created_at: Date }>>`
      SELECT id, currency, amount_minor, consumed_minor, expires_at, description, metadata, voided_at, created_at FROM sandbox_credit_grants
       WHERE provider_customer_id = ${providerCustomerId} AND (${id ?? null}::text IS NULL OR id = ${id ?? null})
       ORDER BY created_at, id`;
    return rows.map((g) => ({
      id: g.id, currency: g.currency, amountMinor: BigInt(g.amount_minor), consumedMinor: BigInt(g.consumed_minor), expiresAt: g.expires_at,
      description: g.description ?? "", metadata: g.metadata ?? {}, voidedAt: g.voided_at, createdAt: g.created_at,
    }));
  }

  /** The customer a grant belongs to (a few APIs name the grant only). */
  async grantOwner(grantId: string): Promise<DemoCustomer | null> {
    const [row] = await this.db.$queryRaw<Array<{ provider_customer_id: string }>>`
      SELECT provider_customer_id FROM sandbox_credit_grants WHERE id = ${grantId}`;
    return row ? this.customer(row.provider_customer_id) : null;
  }

  /** Edits a grant's description (Metronome's credit edit records its void marker there). */
  async setGrantDescription(grantId: string, description: string): Promise<void> {
    await this.db.$executeRaw`UPDATE sandbox_credit_grants SET description = ${description} WHERE id = ${grantId}`;
  }

  /** Whether an idempotency key has been used at the sandbox (Metronome's uniqueness_key). */
  async keyUsed(key: string): Promise<boolean> {
    const rows = await this.db.$queryRaw<Array<{ key: string }>>`SELECT key FROM sandbox_idempotency WHERE key = ${key}`;
    return rows.length > 0;
  }

  /** Which of these usage event keys the sandbox has already received. */
  async knownUsageKeys(keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows = await this.db.$queryRaw<Array<{ idempotency_key: string }>>`
      SELECT idempotency_key FROM sandbox_usage_events WHERE idempotency_key = ANY(${keys}::text[])`;
    return new Set(rows.map((r) => r.idempotency_key));
  }

  /** The sandbox's daily usage for some customers and meters over [start, end). */
  async usage(providerCustomerIds: string[], range: { start: Date; end: Date }, meterKeys?: string[]): Promise<DemoUsageRow[]> {
    const rows = await this.db.$queryRaw<Array<{ provider_customer_id: string; meter_key: string; day: Date; quantity: string }>>`
      SELECT provider_customer_id, meter_key, day, quantity::text AS quantity FROM sandbox_usage_daily
       WHERE provider_customer_id = ANY(${providerCustomerIds}::text[])
         AND (${meterKeys ?? null}::text[] IS NULL OR meter_key = ANY(${meterKeys ?? null}::text[]))
         AND day >= (${range.start}::timestamptz AT TIME ZONE 'UTC')::date
         AND (day::timestamp AT TIME ZONE 'UTC') < ${range.end}::timestamptz
       ORDER BY provider_customer_id, day, meter_key`;
    return rows.map((r) => ({ providerCustomerId: r.provider_customer_id, meterKey: r.meter_key, day: utcDayKey(r.day), quantity: r.quantity }));
  }

  /**
   * A plan change at the sandbox, as the provider's API asked for it. An immediate change whose
   * plan is already in force (Meterdesk writes the phase itself when it confirms the change, in
   * the same transaction as the outbox row) is recorded at that phase's start, so a retry sends
   * the sandbox the same request; otherwise it takes effect at `effectiveAt` (default now).
   * A change for period end takes effect at the end of the current billing period.
   */
  async applyChange(
    c: DemoCustomer,
    req: { key: string | null; toPlanVersionId: string; timing: "immediate" | "period_end" | "on_date"; effectiveAt?: Date },
  ): Promise<{ providerChangeId: string; replayed: boolean; effectiveAt: Date }> {
    if (!c.subscription) throw new ProviderError("not_found", `customer ${c.providerCustomerId} has no active subscription`, { status: 404 });
    const now = this.now();
    const phases = await this.phases(c.subscription.id);
    let effectiveAt = req.effectiveAt ?? now;
    if (req.timing === "period_end") effectiveAt = this.period(c.subscription, now).end;
    if (req.timing === "immediate") {
      const inForce = DemoBacking.phaseAt(phases, now);
      if (inForce?.planVersionId === req.toPlanVersionId) effectiveAt = inForce.startsAt;
    }
    const before = DemoBacking.phaseAt(phases, new Date(effectiveAt.getTime() - 1));
    const r = await this.sandbox.applyPlanChange({
      idempotencyKey: req.key ?? this.freshKey(),
      customer: this.ref(c),
      fromPlanVersionId: before?.planVersionId ?? req.toPlanVersionId,
      toPlanVersionId: req.toPlanVersionId,
      timing: req.timing,
      effectiveAt,
    });
    return { ...r, effectiveAt };
  }

  /** Cancels the customer's scheduled plan changes; how many there were. */
  async cancelScheduled(c: DemoCustomer, key: string | null): Promise<number> {
    const scheduled = await this.changes(c.providerCustomerId, { status: "scheduled" });
    const base = key ?? this.freshKey();
    for (const [i, change] of scheduled.entries()) {
      await this.sandbox.cancelPlanChange({ idempotencyKey: i === 0 ? base : `${base}:${i}`, customer: this.ref(c), providerChangeId: change.id });
    }
    return scheduled.length;
  }

  /** The provider's own scheduler: applies scheduled plan changes as they fall due. */
  startScheduler(intervalMs = 30_000, log: (m: string) => void = () => {}): () => void {
    const tick = () =>
      void this.sandbox
        .applyDueChanges(this.now())
        .then((n) => n > 0 && log(`applied ${n} scheduled plan change(s)`))
        .catch((e) => log(`applying due plan changes failed: ${e instanceof Error ? e.message : String(e)}`));
    tick();
    const timer = setInterval(tick, intervalMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared wire helpers
// ---------------------------------------------------------------------------------------------

/** Minor units → the decimal string in major units ("12.30"), as Orb sends amounts. */
export const majorString = (amountMinor: bigint, currency: string) => toMajorString({ amountMinor, currency });

/** A decimal string → the JSON number a provider sends for a quantity (exact for ≤ 15 significant digits). */
export const quantityNumber = (q: string | undefined) => (q === undefined ? 1 : Number(q));

export const isoSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

export type ErrorAnswer = (status: number, message: string, retryAfterSeconds?: number) => FakeResponse;

/**
 * Wraps a demo route: the sandbox's ProviderErrors become the provider's own error answers (with
 * their status), anything unexpected a 500 (logged), so a failed query never takes the fake down.
 */
export function guarded(error: ErrorAnswer, handle: Route["handle"]): Route["handle"] {
  return async (req: FakeRequest, params: string[]) => {
    try {
      return await handle(req, params);
    } catch (e) {
      if (e instanceof ProviderError) {
        const status = e.details.status ?? { not_found: 404, conflict: 409, permanent: 400, transient: 500, unknown_outcome: 500 }[e.kind];
        const retry = e.details.retryAfterMs !== undefined ? Math.max(1, Math.ceil(e.details.retryAfterMs / 1000)) : undefined;
        return error(status, e.message.replace(/^sandbox: /, ""), status === 429 ? (retry ?? 1) : undefined);
      }
      console.error(`[demo ${req.method} ${req.path}]`, e);
      return error(500, "Internal server error");
    }
  };
}

