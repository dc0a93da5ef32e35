import "server-only";
import { z } from "zod";
import { Prisma } from "@/lib/generated/prisma/client";
import { db } from "../db";
import { likeFragment } from "./search-text";

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/).refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)));

export const auditQuerySchema = z.object({
  /** One event by its number, e.g. from an action's "audit event #123" link. */
  event: z.string().regex(/^\d{1,18}$/).optional().catch(undefined),
  actor: z.string().optional().catch(undefined),
  action: z.string().optional().catch(undefined),
  customer: z.string().optional().catch(undefined),
  from: day.optional().catch(undefined),
  to: day.optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  pageSize: z.coerce.number().int().refine((n) => [25, 50, 100].includes(n)).catch(50),
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export type AuditRow = {
  id: string;
  occurredAt: string;
  actorEmail: string;
  actorRole: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  customerId: string | null;
  customerName: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
  requestId: string | null;
};

type RawAudit = Omit<AuditRow, "id" | "occurredAt"> & { id: bigint; occurredAt: Date };

function whereFor(query: Omit<AuditQuery, "page" | "pageSize"> & { customerId?: string }): Prisma.Sql | null {
  const where: Prisma.Sql[] = [];
  const actor = likeFragment(query.actor);
  const action = likeFragment(query.action);
  const customer = likeFragment(query.customer);
  if (actor === null || action === null || customer === null) return null;
  if (query.event) where.push(Prisma.sql`e.id = ${query.event}::bigint`);
  if (actor) where.push(Prisma.sql`e.actor_email ILIKE ${actor}`);
  if (action) where.push(Prisma.sql`e.action ILIKE ${action}`);
  if (query.customerId) where.push(Prisma.sql`e.customer_id = ${query.customerId}::uuid`);
  if (customer) {
    where.push(Prisma.sql`e.customer_id IN (SELECT id FROM customers WHERE name ILIKE ${customer} OR platform_id ILIKE ${customer} OR email ILIKE ${customer} OR id::text = ${query.customer?.trim() ?? ""})`);
  }
  // Dates are UTC days; "to" is inclusive of its whole day (half-open upper bound the day after).
  if (query.from) where.push(Prisma.sql`e.occurred_at >= ${query.from}::date`);
  if (query.to) where.push(Prisma.sql`e.occurred_at < (${query.to}::date + 1)`);
  return where.length ? Prisma.sql`WHERE ${Prisma.join(where, " AND ")}` : Prisma.empty;
}

function toRow(r: RawAudit): AuditRow {
  return { ...r, id: r.id.toString(), occurredAt: r.occurredAt.toISOString() };
}

const selectSql = Prisma.sql`
  SELECT e.id, e.occurred_at AS "occurredAt", e.actor_email AS "actorEmail", e.actor_role AS "actorRole", e.action,
         e.target_type AS "targetType", e.target_id AS "targetId", e.customer_id::text AS "customerId", c.name AS "customerName",
         e.before, e.after, e.reason, e.request_id AS "requestId"
    FROM audit_events e LEFT JOIN customers c ON c.id = e.customer_id`;

export async function searchAudit(query: AuditQuery & { customerId?: string }): Promise<{ rows: AuditRow[]; total: number }> {
  const where = whereFor(query);
  if (where === null) return { rows: [], total: 0 };
  const offset = (query.page - 1) * query.pageSize;
  const [rows, count] = await Promise.all([
    db.$queryRaw<RawAudit[]>`${selectSql} ${where} ORDER BY e.id DESC LIMIT ${query.pageSize} OFFSET ${offset}`,
    db.$queryRaw<Array<{ total: bigint }>>`SELECT count(*) AS total FROM audit_events e ${where}`,
  ]);
  return { rows: rows.map(toRow), total: Number(count[0]?.total ?? 0) };
}

/** Every matching event, newest first, in batches (for CSV export of exactly what the filters select). */
export async function* auditRowsForExport(query: Omit<AuditQuery, "page" | "pageSize">, batchSize = 2000): AsyncGenerator<AuditRow[]> {
  const where = whereFor(query);
  if (where === null) return;
  let beforeId: bigint | null = null;
  for (;;) {
    const keyset: Prisma.Sql = beforeId === null ? Prisma.empty : Prisma.sql`${where === Prisma.empty ? Prisma.sql`WHERE` : Prisma.sql`AND`} e.id < ${beforeId}`;
    const rows: RawAudit[] = await db.$queryRaw<RawAudit[]>`${selectSql} ${where} ${keyset} ORDER BY e.id DESC LIMIT ${batchSize}`;
    if (rows.length === 0) return;
    yield rows.map(toRow);
    beforeId = rows[rows.length - 1]!.id;
    if (rows.length < batchSize) return;
  }
}

export async function auditChainStatus() {
  const { verifyAuditChain } = await import("../audit-chain/verify");
  const pool = { query: (text: string, values?: unknown[]) => db.$queryRawUnsafe(text, ...(values ?? [])).then((rows) => ({ rows })) };
  return verifyAuditChain(pool as never);
}
