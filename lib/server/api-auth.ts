// Bearer API tokens for machine callers (the platform's usage ingest). A token is shown once at
// creation; only its SHA-256 is stored. Look-up is by the token's public prefix and the hashes are
// compared with timingSafeEqual, so response time says nothing about how much of a guess matched.
// No "server-only": the ingest benchmark and scripts import the ingest path, which imports this.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "./db/client";

export const API_TOKEN_SCOPES = ["usage:write"] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];

const TOKEN_PREFIX = "mdk_";
/** Characters of the token kept in clear (to recognise it in lists and to find its row). */
export const PREFIX_LENGTH = 12;

export type ApiCaller = { tokenId: string; name: string; scopes: string[] };
export type ApiAuthResult = { ok: true; caller: ApiCaller } | { ok: false; status: 401 | 403; code: string; message: string };

export function hashApiToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A new random token: "mdk_" + 40 base62-ish characters (≈ 238 bits). */
export function generateApiToken(): { token: string; prefix: string; hash: string } {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(40);
  let body = "";
  for (const b of bytes) body += alphabet[b % alphabet.length];
  const token = `${TOKEN_PREFIX}${body}`;
  return { token, prefix: token.slice(0, PREFIX_LENGTH), hash: hashApiToken(token) };
}

/** The token in an `Authorization: Bearer …` header, or null. */
export function bearerToken(header: string | null): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match ? match[1]! : null;
}

/** Finds the live token, compares in constant time, checks the scope and stamps last_used_at. */
export async function authenticateApiToken(db: Db, header: string | null, scope: ApiTokenScope, now = new Date()): Promise<ApiAuthResult> {
  const token = bearerToken(header);
  if (!token) return { ok: false, status: 401, code: "UNAUTHENTICATED", message: "Send an API token as `Authorization: Bearer <token>`." };
  const invalid = { ok: false, status: 401, code: "UNAUTHENTICATED", message: "This API token is not valid (unknown or revoked)." } as const;
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return invalid;
  const presented = Buffer.from(hashApiToken(token), "hex");
  const candidates = await db.$queryRaw<Array<{ id: string; name: string; token_hash: string; scopes: string[]; revoked_at: Date | null }>>`
    SELECT id::text, name, token_hash, scopes, revoked_at FROM api_tokens WHERE prefix = ${token.slice(0, PREFIX_LENGTH)}`;
  let found: (typeof candidates)[number] | null = null;
  for (const c of candidates) {
    const stored = Buffer.from(c.token_hash, "hex");
    if (stored.length === presented.length && timingSafeEqual(stored, presented)) found = c;
  }
  if (!found || found.revoked_at) return invalid;
  if (!found.scopes.includes(scope)) return { ok: false, status: 403, code: "FORBIDDEN", message: `This API token lacks the "${scope}" scope.` };
  // At most one write a minute per token: a busy sender must not turn every batch into a hot-row update.
  await db.$executeRaw`
    UPDATE api_tokens SET last_used_at = ${now}
     WHERE id = ${found.id}::uuid AND (last_used_at IS NULL OR last_used_at < ${new Date(now.getTime() - 60_000)})`;
  return { ok: true, caller: { tokenId: found.id, name: found.name, scopes: found.scopes } };
}
