// The outbox: every call that changes money at a provider is first a provider_operations row,
// written in the same transaction as the domain change and its audit event. The worker
// (lib/server/outbox/worker.ts) sends it with its own idempotency key and retries it; sending
// twice never posts twice. No "server-only": the worker runs outside Next.
import type { Prisma } from "@/lib/generated/prisma/client";
import type { ProviderKind } from "@/lib/providers/types";

type Tx = Prisma.TransactionClient;

/** Operation kinds and the payload each carries (amounts as strings: JSON has no bigint). */
export type OperationPayloads = {
  "credit.grant": { grantId: string; amountMinor: string; currency: string; expiresAt: string | null; description: string };
  "credit.void": { grantId: string; providerGrantId: string | null; amountMinor: string; currency: string; reason: string };
  "plan.change": { changeId: string; fromPlanVersionId: string; toPlanVersionId: string; timing: "immediate" | "period_end" | "on_date"; effectiveAt: string };
  "plan.change_cancel": { changeId: string; providerChangeId: string | null };
  /** `synthetic`: re-sync events with no usage_events row (deterministic ids, e.g. "resync:<customer>:<meter>:<day>:<qty>"). */
  "usage.forward": { eventIds: string[]; synthetic?: Array<{ idempotencyKey: string; meterKey: string; timestamp: string; quantity: string }> };
};
export type OperationKind = keyof OperationPayloads;

export type EnqueueInput<K extends OperationKind> = {
  kind: K;
  provider: ProviderKind;
  customerId: string;
  /** The domain row this operation carries out (grant id, change id, …). */
  subjectId: string;
  payload: OperationPayloads[K];
  /** Defaults to `<kind>:<operation id>`; pass one to make a retried request reuse its key. */
  idempotencyKey?: string;
};

export async function enqueueOperation<K extends OperationKind>(tx: Tx, input: EnqueueInput<K>) {
  const id = crypto.randomUUID();
  return tx.providerOperation.create({
    data: {
      id,
      kind: input.kind,
      provider: input.provider,
      customerId: input.customerId,
      subjectId: input.subjectId,
      payload: input.payload as unknown as Prisma.InputJsonValue,
      idempotencyKey: input.idempotencyKey ?? `${input.kind}:${id}`,
    },
  });
}
