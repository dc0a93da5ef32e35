// Idempotency keys, honoured the way Orb and Stripe do: the same key with the same canonical body
// replays the stored response; the same key with another body is a conflict. The key's record is
// inserted first (INSERT … ON CONFLICT DO NOTHING) inside the same transaction as the effect, so a
// concurrent duplicate blocks on the row until the first commits, then sees it and replays: exactly
// one effect however many copies race. If the effect fails, the transaction (key included) rolls
// back and the key is free again.
import { createHash } from "node:crypto";
import type { Prisma } from "@/lib/generated/prisma/client";
import type { Db } from "@/lib/server/db/client";
import { ProviderError } from "../types";

export type Tx = Prisma.TransactionClient;
type Json = Prisma.InputJsonValue;

/** JSON with sorted keys; bigints as decimal strings, Dates as ISO instants. */
export function canonicalJson(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v as Record<string, unknown>)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, norm((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(norm(value));
}

export function requestHash(operation: string, body: unknown): string {
  return createHash("sha256").update(operation).update("\n").update(canonicalJson(body)).digest("hex");
}

// Generous: 50 copies of one request may queue for a pooled connection behind each other.
const TX_OPTIONS = { maxWait: 30_000, timeout: 30_000 } as const;

export async function idempotent<T extends Json>(
  db: Db,
  input: { key: string; operation: string; body: unknown; now: Date; apply: (tx: Tx) => Promise<T> },
): Promise<{ response: T; replayed: boolean }> {
  if (!input.key || input.key.length > 255) {
    throw new ProviderError("permanent", "sandbox: an idempotency key of 1–255 characters is required", { status: 400, provider: "sandbox" });
  }
  const hash = requestHash(input.operation, input.body);
  return db.$transaction(async (tx) => {
    const inserted = await tx.$queryRaw<Array<{ key: string }>>`
      INSERT INTO sandbox_idempotency (key, operation, request_hash, response, created_at)
      VALUES (${input.key}, ${input.operation}, ${hash}, '{}'::jsonb, ${input.now})
      ON CONFLICT (key) DO NOTHING RETURNING key`;
    if (inserted.length === 1) {
      const response = await input.apply(tx);
      await tx.$executeRaw`UPDATE sandbox_idempotency SET response = ${JSON.stringify(response)}::jsonb WHERE key = ${input.key}`;
      return { response, replayed: false };
    }
    // The first request with this key has committed (ON CONFLICT waited for it): replay or refuse.
    const [stored] = await tx.$queryRaw<Array<{ operation: string; request_hash: string; response: T }>>`
      SELECT operation, request_hash, response FROM sandbox_idempotency WHERE key = ${input.key}`;
    if (!stored) {
      throw new ProviderError("conflict", `sandbox: idempotency key ${input.key} is in use by a request still running`, { status: 409, provider: "sandbox" });
    }
    if (stored.operation !== input.operation || stored.request_hash !== hash) {
      throw new ProviderError("conflict", `sandbox: idempotency key ${input.key} was used with a different request`, { status: 409, provider: "sandbox" });
    }
    return { response: stored.response, replayed: true };
  }, TX_OPTIONS);
}
