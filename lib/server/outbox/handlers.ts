// How each outbox operation kind is sent, and what happens to the domain when it succeeds or
// fails for good. Defaults cover every kind in OperationPayloads: they make the provider call with
// the operation's own idempotency key and record provider_reference. Features add their domain
// updates with registerOutboxHandler(kind, { onSuccess, onFailure }): those run after the
// defaults, inside the transaction that marks the operation succeeded or failed.
// No "server-only": the worker runs outside Next.
import type { Prisma } from "@/lib/generated/prisma/client";
import { ProviderError, type BillingProvider, type CustomerRef, type ProviderKind, type UsageEventIn } from "@/lib/providers/types";
import type { Db } from "../db/client";
import type { OperationKind, OperationPayloads } from "./enqueue";

export type Tx = Prisma.TransactionClient;

/** A claimed provider_operations row. */
export type OutboxOperation<K extends OperationKind = OperationKind> = {
  id: string;
  provider: ProviderKind;
  kind: K;
  idempotencyKey: string;
  customerId: string | null;
  subjectId: string | null;
  payload: OperationPayloads[K];
  /** Attempts including this one. */
  attempts: number;
};

export type SendResult = {
  /** Stored in provider_operations.provider_reference (the provider's grant / change id). */
  reference: string | null;
  /** The provider answered a replay of an earlier attempt. */
  replayed: boolean;
  detail?: Record<string, unknown>;
};

export type OutboxHandler<K extends OperationKind = OperationKind> = {
  send(op: OutboxOperation<K>, provider: BillingProvider, db: Db): Promise<SendResult>;
  onSuccess?(tx: Tx, op: OutboxOperation<K>, result: SendResult): Promise<void>;
  /** Called once, when the operation is marked failed (permanent error or out of attempts). */
  onFailure?(tx: Tx, op: OutboxOperation<K>, error: unknown): Promise<void>;
};

async function customerRef(db: Db, op: OutboxOperation): Promise<CustomerRef> {
  if (!op.customerId) throw new ProviderError("permanent", `operation ${op.id} names no customer`);
  const [row] = await db.$queryRaw<Array<{ provider_customer_id: string | null }>>`
    SELECT provider_customer_id FROM customers WHERE id = ${op.customerId}::uuid`;
  if (!row) throw new ProviderError("permanent", `customer ${op.customerId} does not exist`);
  if (!row.provider_customer_id) throw new ProviderError("permanent", `customer ${op.customerId} has no provider customer id`);
  return { customerId: op.customerId, providerCustomerId: row.provider_customer_id };
}

const creditGrant: OutboxHandler<"credit.grant"> = {
  async send(op, provider, db) {
    const p = op.payload;
    const customer = await customerRef(db, op);
    try {
      const r = await provider.grantCredit({
        idempotencyKey: op.idempotencyKey,
        customer,
        amountMinor: BigInt(p.amountMinor),
        currency: p.currency,
        expiresAt: p.expiresAt ? new Date(p.expiresAt) : null,
        description: p.description,
        metadata: { meterdesk_operation_id: op.id, meterdesk_grant_id: p.grantId },
      });
      return { reference: r.providerGrantId, replayed: r.replayed };
    } catch (error) {
      // Outside the provider's replay window a retried key can conflict: the metadata tells
      // whether an earlier attempt did post.
      if (error instanceof ProviderError && error.kind === "conflict") {
        const found = await provider.findCreditByReference(customer, { key: "meterdesk_operation_id", value: op.id });
        if (found) return { reference: found.providerGrantId, replayed: true, detail: { resolvedBy: "reference" } };
      }
      throw error;
    }
  },
  async onSuccess(tx, op, result) {
    if (!result.reference) return;
    await tx.$executeRaw`
      UPDATE credit_grants SET provider_grant_id = ${result.reference}
       WHERE id::text = ${op.payload.grantId} AND provider_grant_id IS DISTINCT FROM ${result.reference}`;
  },
};

const creditVoid: OutboxHandler<"credit.void"> = {
  async send(op, provider, db) {
    const p = op.payload;
    let providerGrantId = p.providerGrantId;
    if (!providerGrantId) {
      const [grant] = await db.$queryRaw<Array<{ provider_grant_id: string | null }>>`
        SELECT provider_grant_id FROM credit_grants WHERE id::text = ${p.grantId}`;
      providerGrantId = grant?.provider_grant_id ?? null;
    }
    // The grant itself has not reached the provider yet: wait for its operation.
    if (!providerGrantId) throw new ProviderError("transient", `credit grant ${p.grantId} is not yet confirmed by the provider`);
    const customer = await customerRef(db, op);
    const r = await provider.voidCredit({
      idempotencyKey: op.idempotencyKey, customer, providerGrantId, amountMinor: BigInt(p.amountMinor), currency: p.currency, reason: p.reason,
    });
    return { reference: providerGrantId, replayed: r.replayed };
  },
};

const planChange: OutboxHandler<"plan.change"> = {
  async send(op, provider, db) {
    const p = op.payload;
    const r = await provider.applyPlanChange({
      idempotencyKey: op.idempotencyKey,
      customer: await customerRef(db, op),
      fromPlanVersionId: p.fromPlanVersionId,
      toPlanVersionId: p.toPlanVersionId,
      timing: p.timing,
      effectiveAt: new Date(p.effectiveAt),
    });
    return { reference: r.providerChangeId, replayed: r.replayed };
  },
};

const planChangeCancel: OutboxHandler<"plan.change_cancel"> = {
  async send(op, provider, db) {
    const p = op.payload;
    let providerChangeId = p.providerChangeId;
    if (!providerChangeId) {
      const ops = await db.$queryRaw<Array<{ status: string; provider_reference: string | null }>>`
        SELECT status::text, provider_reference FROM provider_operations
         WHERE kind = 'plan.change' AND subject_id = ${p.changeId} ORDER BY created_at DESC`;
      const sent = ops.find((o) => o.status === "succeeded" && o.provider_reference);
      if (sent) providerChangeId = sent.provider_reference;
      else if (ops.some((o) => o.status === "pending" || o.status === "in_flight")) {
        throw new ProviderError("transient", `plan change ${p.changeId} has not reached the provider yet`);
      } else {
        // Never reached the provider: nothing to cancel there.
        return { reference: null, replayed: false, detail: { nothingToCancel: true } };
      }
    }
    const r = await provider.cancelPlanChange({ idempotencyKey: op.idempotencyKey, customer: await customerRef(db, op), providerChangeId: providerChangeId! });
    return { reference: providerChangeId, replayed: r.replayed };
  },
};

/** Re-sync events that have no usage_events row: sent with their own deterministic keys. */
async function syntheticUsage(db: Db, op: OutboxOperation<"usage.forward">, synthetic: NonNullable<OperationPayloads["usage.forward"]["synthetic"]>): Promise<UsageEventIn[]> {
  const customer = await customerRef(db, op);
  return synthetic.map((s) => ({ idempotencyKey: s.idempotencyKey, customer, meterKey: s.meterKey, timestamp: new Date(s.timestamp), quantity: s.quantity }));
}

const usageForward: OutboxHandler<"usage.forward"> = {
  async send(op, provider, db) {
    const rows = await db.$queryRaw<Array<{ idempotency_key: string; customer_id: string; provider_customer_id: string | null; meter_key: string; occurred_at: Date; quantity: string }>>`
      SELECT e.idempotency_key, c.id::text AS customer_id, c.provider_customer_id, m.key AS meter_key, e.occurred_at, e.quantity::text AS quantity
        FROM usage_events e JOIN customers c ON c.id = e.customer_id JOIN meters m ON m.id = e.meter_id
       WHERE e.id = ANY(${op.payload.eventIds}::bigint[]) ORDER BY e.id`;
    const events: UsageEventIn[] = rows.map((r) => {
      if (!r.provider_customer_id) throw new ProviderError("permanent", `customer ${r.customer_id} has no provider customer id`);
      return {
        idempotencyKey: r.idempotency_key,
        customer: { customerId: r.customer_id, providerCustomerId: r.provider_customer_id },
        meterKey: r.meter_key,
        timestamp: r.occurred_at,
        quantity: r.quantity.includes(".") ? r.quantity.replace(/0+$/, "").replace(/\.$/, "") : r.quantity,
      };
    });
    const synthetic = op.payload.synthetic ?? [];
    if (synthetic.length > 0) events.push(...(await syntheticUsage(db, op, synthetic)));
    const r = await provider.ingestUsage(events);
    return { reference: null, replayed: r.accepted === 0 && r.duplicates > 0, detail: { accepted: r.accepted, duplicates: r.duplicates, missing: op.payload.eventIds.length - rows.length } };
  },
};

const DEFAULTS: { [K in OperationKind]: OutboxHandler<K> } = {
  "credit.grant": creditGrant,
  "credit.void": creditVoid,
  "plan.change": planChange,
  "plan.change_cancel": planChangeCancel,
  "usage.forward": usageForward,
};

// Per-process registry; one feature handler per kind (registering again replaces it, so a
// module re-evaluated by hot reload does not run its hooks twice).
const registered = new Map<OperationKind, Partial<OutboxHandler>>();

/**
 * Adds a feature's domain updates for an operation kind: `onSuccess` / `onFailure` run after the
 * default ones in the same transaction; `send`, when given, replaces the default provider call.
 */
export function registerOutboxHandler<K extends OperationKind>(kind: K, handler: Partial<OutboxHandler<K>>): void {
  registered.set(kind, handler as unknown as Partial<OutboxHandler>);
}

export function unregisterOutboxHandler(kind: OperationKind): void {
  registered.delete(kind);
}

export function isOperationKind(kind: string): kind is OperationKind {
  return Object.prototype.hasOwnProperty.call(DEFAULTS, kind);
}

/** The effective handler for a kind: the default with any registered feature hooks. */
export function handlerFor(kind: OperationKind): Required<OutboxHandler> {
  const base = DEFAULTS[kind] as unknown as OutboxHandler;
  const extra = registered.get(kind) ?? {};
  return {
    send: extra.send ?? base.send,
    async onSuccess(tx, op, result) {
      await base.onSuccess?.(tx, op, result);
      await extra.onSuccess?.(tx, op, result);
    },
    async onFailure(tx, op, error) {
      await base.onFailure?.(tx, op, error);
      await extra.onFailure?.(tx, op, error);
    },
  };
}
