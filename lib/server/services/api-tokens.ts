import "server-only";
// API tokens for the ingest API (admin, /settings): create (the secret is returned once and only
// its hash stored), list, revoke. Each change is audited in its own transaction.
import { AppError } from "@/lib/errors";
import type { Db } from "../db/client";
import { generateApiToken, type ApiTokenScope } from "../api-auth";
import { recordAudit } from "../audit";
import type { Actor } from "../session";
import { assertCan } from "@/lib/auth/permissions";

export type ApiTokenRow = {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
};

export async function listApiTokens(db: Db): Promise<ApiTokenRow[]> {
  const rows = await db.apiToken.findMany({
    orderBy: [{ revokedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
    include: { createdBy: { select: { email: true } } },
  });
  return rows.map((t) => ({
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    scopes: t.scopes,
    createdBy: t.createdBy.email,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  }));
}

export async function createApiToken(db: Db, actor: Actor, input: { name: string; scopes: ApiTokenScope[] }) {
  assertCan(actor, "admin.manage");
  const name = input.name.trim();
  const { token, prefix, hash } = generateApiToken();
  return db.$transaction(async (tx) => {
    const clash = await tx.apiToken.findFirst({ where: { name, revokedAt: null }, select: { id: true } });
    if (clash) throw new AppError("INVALID_INPUT", "Some fields need attention.", { name: "A live token already has this name; choose another." });
    const row = await tx.apiToken.create({ data: { name, prefix, tokenHash: hash, scopes: input.scopes, createdById: actor.id } });
    const audit = await recordAudit(tx, actor, {
      action: "api_token.created",
      targetType: "api_token",
      targetId: row.id,
      after: { name, prefix, scopes: input.scopes },
    });
    // The secret leaves the server exactly once, in this response.
    return { id: row.id, name, prefix, scopes: input.scopes, token, auditId: audit.id.toString() };
  });
}

export async function revokeApiToken(db: Db, actor: Actor, input: { tokenId: string }) {
  assertCan(actor, "admin.manage");
  return db.$transaction(async (tx) => {
    const row = await tx.apiToken.findUnique({ where: { id: input.tokenId } });
    if (!row) throw new AppError("NOT_FOUND", "This API token does not exist.");
    if (row.revokedAt) return { id: row.id, name: row.name, revoked: false as const, auditId: null };
    const now = new Date();
    await tx.apiToken.update({ where: { id: row.id }, data: { revokedAt: now } });
    const audit = await recordAudit(tx, actor, {
      action: "api_token.revoked",
      targetType: "api_token",
      targetId: row.id,
      before: { name: row.name, prefix: row.prefix, revokedAt: null },
      after: { revokedAt: now.toISOString() },
    });
    return { id: row.id, name: row.name, revoked: true as const, auditId: audit.id.toString() };
  });
}
