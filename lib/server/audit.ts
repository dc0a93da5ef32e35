// No "server-only": the worker (scheduled plan changes, credit expiry) records audit events too.
import { randomUUID } from "node:crypto";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { Actor } from "./session";

type Tx = Prisma.TransactionClient;

export type AuditInput = {
  action: string;
  targetType: string;
  targetId?: string | null;
  customerId?: string | null;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  requestId?: string | null;
};

/** Amounts are BigInt and dates Date: store them as JSON-safe strings. */
export function toAuditJson(value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  return JSON.parse(
    JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v)),
  ) as Prisma.InputJsonValue;
}

/**
 * Appends an audit event inside the caller's transaction, so the event exists exactly when the
 * change does. The database trigger assigns id, prev_hash and hash (the chain); the placeholder
 * hash only satisfies NOT NULL before the trigger replaces it.
 */
export async function recordAudit(tx: Tx, actor: Pick<Actor, "id" | "email" | "role"> | null, event: AuditInput) {
  return tx.auditEvent.create({
    data: {
      actorId: actor?.id ?? null,
      actorEmail: actor?.email ?? "system",
      actorRole: actor?.role ?? null,
      action: event.action,
      targetType: event.targetType,
      targetId: event.targetId ?? null,
      customerId: event.customerId ?? null,
      before: toAuditJson(event.before),
      after: toAuditJson(event.after),
      reason: event.reason ?? null,
      requestId: event.requestId ?? null,
      prevHash: "",
      hash: `pending:${randomUUID()}`,
    },
    select: { id: true },
  });
}
