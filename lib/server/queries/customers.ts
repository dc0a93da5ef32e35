import "server-only";
import { z } from "zod";
import { Prisma } from "@/lib/generated/prisma/client";
import { currentPlanJoin } from "./current-plan";
import { notFound } from "next/navigation";
import { db } from "../db";
import { likeFragment } from "./search-text";

export const customerSorts = ["name", "created", "status", "region", "plan"] as const;

export const customerListQuerySchema = z.object({
  q: z.string().optional().catch(undefined),
  plan: z.string().max(100).optional().catch(undefined),
  status: z.enum(["active", "trialing", "past_due", "suspended", "churned"]).optional().catch(undefined),
  provider: z.enum(["sandbox", "orb", "metronome", "stripe"]).optional().catch(undefined),
  region: z.string().max(50).optional().catch(undefined),
  sort: z.enum(customerSorts).catch("name"),
  dir: z.enum(["asc", "desc"]).catch("asc"),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  pageSize: z.coerce.number().int().refine((n) => [25, 50, 100].includes(n)).catch(25),
});
export type CustomerListQuery = z.infer<typeof customerListQuerySchema>;

/** What every customer view shows of a customer. */
type CustomerBase = {
  id: string;
  platformId: string;
  name: string;
  email: string;
  region: string;
  status: string;
  provider: string;
  providerCustomerId: string | null;
  currency: string;
  createdAt: string;
};

export type CustomerRow = CustomerBase & {
  planKey: string | null;
  planName: string | null;
};

const sortSql: Record<(typeof customerSorts)[number], Prisma.Sql> = {
  name: Prisma.sql`c.name`,
  created: Prisma.sql`c.created_at`,
  status: Prisma.sql`c.status::text`,
  region: Prisma.sql`c.region`,
  plan: Prisma.sql`cp.plan_name`,
};


export async function searchCustomers(query: CustomerListQuery): Promise<{ rows: CustomerRow[]; total: number }> {
  const pattern = likeFragment(query.q);
  if (pattern === null) return { rows: [], total: 0 };
  const where: Prisma.Sql[] = [];
  if (pattern) {
    // Each arm is served by its own trigram GIN index (BitmapOr), not a sequential scan.
    where.push(Prisma.sql`(c.name ILIKE ${pattern} OR c.email ILIKE ${pattern} OR c.platform_id ILIKE ${pattern} OR c.provider_customer_id ILIKE ${pattern})`);
  }
  if (query.status) where.push(Prisma.sql`c.status = ${query.status}::"CustomerStatus"`);
  if (query.provider) where.push(Prisma.sql`c.provider = ${query.provider}::"ProviderKind"`);
  if (query.region) where.push(Prisma.sql`c.region = ${query.region}`);
  if (query.plan) where.push(Prisma.sql`cp.plan_key = ${query.plan}`);
  const whereSql = where.length ? Prisma.sql`WHERE ${Prisma.join(where, " AND ")}` : Prisma.empty;
  const direction = query.dir === "desc" ? Prisma.sql`DESC` : Prisma.sql`ASC`;
  const offset = (query.page - 1) * query.pageSize;

  const [rows, count] = await Promise.all([
    db.$queryRaw<Array<Omit<CustomerRow, "createdAt"> & { createdAt: Date }>>`
      SELECT c.id::text AS id, c.platform_id AS "platformId", c.name, c.email, c.region, c.status::text AS status,
             c.provider::text AS provider, c.provider_customer_id AS "providerCustomerId", c.currency,
             cp.plan_key AS "planKey", cp.plan_name AS "planName", c.created_at AS "createdAt"
        FROM customers c ${currentPlanJoin}
        ${whereSql}
       ORDER BY ${sortSql[query.sort]} ${direction} NULLS LAST, c.id
       LIMIT ${query.pageSize} OFFSET ${offset}`,
    db.$queryRaw<Array<{ total: bigint }>>`
      SELECT count(*) AS total FROM customers c ${query.plan ? currentPlanJoin : Prisma.empty} ${whereSql}`,
  ]);
  return {
    rows: rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    total: Number(count[0]?.total ?? 0),
  };
}

export async function customerFilterOptions() {
  const [plans, regions] = await Promise.all([
    db.plan.findMany({ select: { key: true, name: true, status: true }, orderBy: [{ tier: "asc" }, { name: "asc" }] }),
    db.$queryRaw<Array<{ region: string }>>`SELECT DISTINCT region FROM customers ORDER BY region`,
  ]);
  return { plans, regions: regions.map((r) => r.region) };
}

const uuidSchema = z.uuid();

export type CustomerHeader = CustomerBase & {
  plan: { key: string; name: string; since: string } | null;
  balances: Array<{ currency: string; minor: string }>;
};

/** The customer page header; null for an unknown or malformed id (the page answers 404). */
export async function getCustomerHeader(id: string): Promise<CustomerHeader | null> {
  if (!uuidSchema.safeParse(id).success) return null;
  const customer = await db.customer.findUnique({ where: { id } });
  if (!customer) return null;
  const [plan] = await db.$queryRaw<Array<{ key: string | null; name: string | null; since: Date | null }>>`
    SELECT cp.plan_key AS key, cp.plan_name AS name, cp.since FROM customers c ${currentPlanJoin} WHERE c.id = ${id}::uuid`;
  // Balance is the sum of the ledger, never a stored number.
  const balances = await db.creditLedgerEntry.groupBy({ by: ["currency"], where: { customerId: id }, _sum: { amountMinor: true } });
  return {
    id: customer.id,
    platformId: customer.platformId,
    name: customer.name,
    email: customer.email,
    region: customer.region,
    status: customer.status,
    provider: customer.provider,
    providerCustomerId: customer.providerCustomerId,
    currency: customer.currency,
    createdAt: customer.createdAt.toISOString(),
    plan: plan?.key && plan.name && plan.since ? { key: plan.key, name: plan.name, since: plan.since.toISOString() } : null,
    balances: balances.length
      ? balances.map((b) => ({ currency: b.currency, minor: (b._sum.amountMinor ?? 0n).toString() }))
      : [{ currency: customer.currency, minor: "0" }],
  };
}

/**
 * For the customer tab pages, which render alongside the layout (not after it): a malformed
 * id is a 404 before any query sees it.
 */
export async function customerIdFromParams(params: Promise<{ id: string }>): Promise<string> {
  const { id } = await params;
  if (!uuidSchema.safeParse(id).success) notFound();
  return id;
}
