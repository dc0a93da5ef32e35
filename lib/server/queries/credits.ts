import "server-only";
import { z } from "zod";
import { Prisma } from "@/lib/generated/prisma/client";
import { parseMoneyInput } from "@/lib/billing";
import { db } from "../db";

// Reads for the Credits tab, the /credits page and the home page. Amounts leave as strings of
// minor units (BigInt does not cross to the browser); instants as ISO strings.

export type SyncState = { state: "pending" | "synced" | "failed"; reference: string | null; error: string | null; operationId: string | null; attempts: number };

export type GrantRow = {
  id: string;
  currency: string;
  amountMinor: string;
  remainingMinor: string;
  reason: string;
  note: string;
  ticketRef: string | null;
  expiresAt: string | null;
  status: string;
  createdAt: string;
  issuedBy: string | null;
  approvedBy: string | null;
  sync: SyncState;
  voidSync: SyncState | null;
};

export type LedgerRow = { id: string; kind: string; currency: string; amountMinor: string; runningMinor: string; note: string | null; grantId: string; createdAt: string };

export type RequestRow = {
  id: string;
  customerId: string;
  customerName: string;
  currency: string;
  amountMinor: string;
  reason: string;
  note: string;
  ticketRef: string | null;
  expiresAt: string | null;
  status: string;
  requestedById: string;
  requestedBy: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  createdAt: string;
};

type OpRow = { subject_id: string; kind: string; status: string; provider_reference: string | null; last_error: string | null; id: string; attempts: number };

function syncFrom(op: OpRow | undefined, providerGrantId: string | null): SyncState {
  if (!op) return providerGrantId ? { state: "synced", reference: providerGrantId, error: null, operationId: null, attempts: 0 } : { state: "pending", reference: null, error: null, operationId: null, attempts: 0 };
  const state = op.status === "succeeded" ? "synced" : op.status === "failed" ? "failed" : "pending";
  return { state, reference: op.provider_reference ?? providerGrantId, error: op.last_error, operationId: op.id, attempts: op.attempts };
}

/** The latest operation of each kind per grant. */
async function latestOps(grantIds: string[]): Promise<Map<string, OpRow>> {
  if (grantIds.length === 0) return new Map();
  const rows = await db.$queryRaw<OpRow[]>`
    SELECT DISTINCT ON (subject_id, kind) subject_id, kind, status::text AS status, provider_reference, last_error, id::text AS id, attempts
      FROM provider_operations
     WHERE subject_id = ANY(${grantIds}::text[]) AND kind IN ('credit.grant', 'credit.void')
     ORDER BY subject_id, kind, created_at DESC`;
  return new Map(rows.map((r) => [`${r.kind}:${r.subject_id}`, r]));
}

const staffName = { select: { name: true, email: true } } as const;

async function toGrantRows(grants: Array<Prisma.CreditGrantGetPayload<{ include: { issuedBy: typeof staffName } }>>): Promise<GrantRow[]> {
  const ids = grants.map((g) => g.id);
  const [ops, remaining, approvers] = await Promise.all([
    latestOps(ids),
    ids.length ? db.creditLedgerEntry.groupBy({ by: ["grantId"], where: { grantId: { in: ids } }, _sum: { amountMinor: true } }) : Promise.resolve([]),
    db.staffUser.findMany({ where: { id: { in: grants.map((g) => g.approvedById).filter((x): x is string => !!x) } }, select: { id: true, name: true } }),
  ]);
  const left = new Map(remaining.map((r) => [r.grantId, r._sum.amountMinor ?? 0n]));
  const approverName = new Map(approvers.map((a) => [a.id, a.name]));
  return grants.map((g) => ({
    id: g.id,
    currency: g.currency,
    amountMinor: g.amountMinor.toString(),
    remainingMinor: (left.get(g.id) ?? 0n).toString(),
    reason: g.reason,
    note: g.note,
    ticketRef: g.ticketRef,
    expiresAt: g.expiresAt?.toISOString() ?? null,
    status: g.status,
    createdAt: g.createdAt.toISOString(),
    issuedBy: g.issuedBy?.name ?? null,
    approvedBy: g.approvedById ? approverName.get(g.approvedById) ?? null : null,
    sync: syncFrom(ops.get(`credit.grant:${g.id}`), g.providerGrantId),
    voidSync: g.status === "voided" ? syncFrom(ops.get(`credit.void:${g.id}`), null) : null,
  }));
}

function toRequestRow(r: Prisma.CreditRequestGetPayload<{ include: { customer: { select: { name: true } }; requestedBy: typeof staffName; decidedBy: typeof staffName } }>): RequestRow {
  return {
    id: r.id,
    customerId: r.customerId,
    customerName: r.customer.name,
    currency: r.currency,
    amountMinor: r.amountMinor.toString(),
    reason: r.reason,
    note: r.note,
    ticketRef: r.ticketRef,
    expiresAt: r.expiresAt?.toISOString() ?? null,
    status: r.status,
    requestedById: r.requestedById,
    requestedBy: r.requestedBy.name,
    decidedBy: r.decidedBy?.name ?? null,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    decisionNote: r.decisionNote,
    createdAt: r.createdAt.toISOString(),
  };
}
const requestInclude = { customer: { select: { name: true } }, requestedBy: staffName, decidedBy: staffName } as const;

export type CustomerCredits = {
  currency: string;
  balances: Array<{ currency: string; minor: string }>;
  grants: GrantRow[];
  ledger: LedgerRow[];
  ledgerTotal: number;
  pending: RequestRow[];
};

/** Everything the Credits tab shows. The ledger is newest first with the running balance after each entry. */
export async function getCustomerCredits(customerId: string, opts: { ledgerLimit?: number } = {}): Promise<CustomerCredits | null> {
  const customer = await db.customer.findUnique({ where: { id: customerId }, select: { currency: true } });
  if (!customer) return null;
  const [grants, entries, pending] = await Promise.all([
    db.creditGrant.findMany({ where: { customerId }, include: { issuedBy: staffName }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: 200 }),
    db.creditLedgerEntry.findMany({ where: { customerId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] }),
    db.creditRequest.findMany({ where: { customerId, status: "pending" }, include: requestInclude, orderBy: { createdAt: "asc" } }),
  ]);
  const running = new Map<string, bigint>();
  const ledger: LedgerRow[] = entries.map((e) => {
    const after = (running.get(e.currency) ?? 0n) + e.amountMinor;
    running.set(e.currency, after);
    return { id: e.id.toString(), kind: e.kind, currency: e.currency, amountMinor: e.amountMinor.toString(), runningMinor: after.toString(), note: e.note, grantId: e.grantId, createdAt: e.createdAt.toISOString() };
  });
  ledger.reverse();
  const balances = running.size ? [...running].map(([currency, minor]) => ({ currency, minor: minor.toString() })) : [{ currency: customer.currency, minor: "0" }];
  return {
    currency: customer.currency,
    balances,
    grants: await toGrantRows(grants),
    ledger: ledger.slice(0, opts.ledgerLimit ?? 200),
    ledgerTotal: ledger.length,
    pending: pending.map(toRequestRow),
  };
}

const majorAmount = z.string().regex(/^\d{1,12}(\.\d{1,4})?$/).optional().catch(undefined);

export const requestQueueSchema = z.object({
  min: majorAmount,
  max: majorAmount,
  age: z.enum(["1", "3", "7", "30"]).optional().catch(undefined),
  requester: z.uuid().optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});
export type RequestQueueQuery = z.infer<typeof requestQueueSchema>;

function minorBound(major: string, currency: string): bigint | null {
  // Filters accept more decimals than a currency has; drop the extra digits rather than fail.
  const [int, frac = ""] = major.split(".");
  const r = parseMoneyInput(frac ? `${int}.${frac}` : int!, currency);
  if (r.ok) return r.amountMinor;
  const digits = currency === "JPY" ? 0 : 2;
  const cut = parseMoneyInput(digits ? `${int}.${frac.slice(0, digits) || "0"}` : int!, currency);
  return cut.ok ? cut.amountMinor : null;
}

/** Pending credit requests, oldest first, filtered by amount range (major units, per currency), age and requester. */
export async function listPendingRequests(query: RequestQueueQuery, pageSize = 25): Promise<{ rows: RequestRow[]; total: number }> {
  const currencies = (await db.creditRequest.findMany({ where: { status: "pending" }, distinct: ["currency"], select: { currency: true } })).map((c) => c.currency);
  const amountClauses: Prisma.CreditRequestWhereInput[] = [];
  if (query.min || query.max) {
    for (const currency of currencies) {
      const gte = query.min ? minorBound(query.min, currency) : null;
      const lte = query.max ? minorBound(query.max, currency) : null;
      amountClauses.push({ currency, amountMinor: { ...(gte !== null ? { gte } : {}), ...(lte !== null ? { lte } : {}) } });
    }
  }
  const where: Prisma.CreditRequestWhereInput = {
    status: "pending",
    ...(amountClauses.length ? { OR: amountClauses } : query.min || query.max ? { id: { in: [] } } : {}),
    ...(query.age ? { createdAt: { lte: new Date(Date.now() - Number(query.age) * 86_400_000) } } : {}),
    ...(query.requester ? { requestedById: query.requester } : {}),
  };
  const [rows, total] = await Promise.all([
    db.creditRequest.findMany({ where, include: requestInclude, orderBy: [{ createdAt: "asc" }, { id: "asc" }], skip: (query.page - 1) * pageSize, take: pageSize }),
    db.creditRequest.count({ where }),
  ]);
  return { rows: rows.map(toRequestRow), total };
}

export async function pendingRequesters(): Promise<Array<{ id: string; name: string }>> {
  const rows = await db.creditRequest.findMany({ where: { status: "pending" }, distinct: ["requestedById"], select: { requestedBy: { select: { id: true, name: true } } } });
  return rows.map((r) => r.requestedBy).sort((a, b) => a.name.localeCompare(b.name));
}

export type RecentGrantRow = GrantRow & { customerId: string; customerName: string };

export async function listRecentCredits(limit = 20): Promise<RecentGrantRow[]> {
  const grants = await db.creditGrant.findMany({ include: { issuedBy: staffName, customer: { select: { name: true } } }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: limit });
  const rows = await toGrantRows(grants);
  return rows.map((r, i) => ({ ...r, customerId: grants[i]!.customerId, customerName: grants[i]!.customer.name }));
}

export type FailedSyncRow = { operationId: string; kind: string; customerId: string | null; customerName: string | null; subjectId: string | null; error: string | null; attempts: number; updatedAt: string; amountMinor: string | null; currency: string | null };

export async function listFailedCreditSyncs(limit = 50): Promise<FailedSyncRow[]> {
  const ops = await db.providerOperation.findMany({ where: { status: "failed", kind: { in: ["credit.grant", "credit.void"] } }, orderBy: { updatedAt: "desc" }, take: limit });
  const names = new Map((await db.customer.findMany({ where: { id: { in: ops.map((o) => o.customerId).filter((x): x is string => !!x) } }, select: { id: true, name: true } })).map((c) => [c.id, c.name]));
  return ops.map((o) => {
    const p = o.payload as { amountMinor?: string; currency?: string };
    return {
      operationId: o.id, kind: o.kind, customerId: o.customerId, customerName: o.customerId ? names.get(o.customerId) ?? null : null, subjectId: o.subjectId,
      error: o.lastError, attempts: o.attempts, updatedAt: o.updatedAt.toISOString(), amountMinor: p.amountMinor ?? null, currency: p.currency ?? null,
    };
  });
}

export type BulkCreditRow = {
  id: string; name: string; status: string; currency: string; totalMinor: string; rule: string; percent: string | null; flatMinor: string | null; capMinor: string | null;
  windowStart: string; windowEnd: string; meterKeys: string[]; regions: string[]; reason: string; note: string;
  preparedById: string; preparedBy: string; decidedBy: string | null; decisionNote: string | null; createdAt: string; items: number;
  job: { id: string; status: string; done: number; failed: number; total: number; error: string | null } | null;
};

export async function listBulkCredits(limit = 20): Promise<BulkCreditRow[]> {
  const bulks = await db.bulkCredit.findMany({ orderBy: { createdAt: "desc" }, take: limit, include: { _count: { select: { items: true } } } });
  const staffIds = [...new Set(bulks.flatMap((b) => [b.preparedById, b.decidedById]).filter((x): x is string => !!x))];
  const staff = new Map((await db.staffUser.findMany({ where: { id: { in: staffIds } }, select: { id: true, name: true } })).map((s) => [s.id, s.name]));
  const jobs = bulks.length
    ? await db.$queryRaw<Array<{ id: string; bulk_id: string; status: string; progress_done: number; progress_failed: number; progress_total: number; error: string | null }>>`
        SELECT DISTINCT ON (payload->>'bulkCreditId') id::text, payload->>'bulkCreditId' AS bulk_id, status::text, progress_done, progress_failed, progress_total, error
          FROM jobs WHERE kind = 'bulk_credit' AND payload->>'bulkCreditId' = ANY(${bulks.map((b) => b.id)}::text[])
         ORDER BY payload->>'bulkCreditId', created_at DESC`
    : [];
  const jobOf = new Map(jobs.map((j) => [j.bulk_id, j]));
  return bulks.map((b) => {
    const j = jobOf.get(b.id);
    return {
      id: b.id, name: b.name, status: b.status, currency: b.currency, totalMinor: b.totalMinor.toString(), rule: b.rule,
      percent: b.percent?.toFixed() ?? null, flatMinor: b.flatMinor?.toString() ?? null, capMinor: b.capMinor?.toString() ?? null,
      windowStart: b.windowStart.toISOString(), windowEnd: b.windowEnd.toISOString(), meterKeys: b.meterKeys, regions: b.regions, reason: b.reason, note: b.note,
      preparedById: b.preparedById, preparedBy: staff.get(b.preparedById) ?? "—", decidedBy: b.decidedById ? staff.get(b.decidedById) ?? null : null,
      decisionNote: b.decisionNote, createdAt: b.createdAt.toISOString(), items: b._count.items,
      job: j ? { id: j.id, status: j.status, done: j.progress_done, failed: j.progress_failed, total: j.progress_total, error: j.error } : null,
    };
  });
}

export async function bulkCreditFormOptions() {
  const [meters, regions, currencies] = await Promise.all([
    db.meter.findMany({ orderBy: [{ displayOrder: "asc" }, { key: "asc" }], select: { key: true, name: true, unit: true } }),
    db.$queryRaw<Array<{ region: string }>>`SELECT DISTINCT region FROM customers ORDER BY region`,
    db.$queryRaw<Array<{ currency: string }>>`SELECT DISTINCT currency FROM customers ORDER BY currency`,
  ]);
  return { meters, regions: regions.map((r) => r.region), currencies: currencies.length ? currencies.map((c) => c.currency) : ["USD"] };
}

/** Home page: requests waiting for this approver (not their own), oldest first. */
export async function requestsWaitingFor(actorId: string, limit = 5): Promise<{ rows: RequestRow[]; total: number }> {
  const where: Prisma.CreditRequestWhereInput = { status: "pending", requestedById: { not: actorId } };
  const [rows, total] = await Promise.all([
    db.creditRequest.findMany({ where, include: requestInclude, orderBy: { createdAt: "asc" }, take: limit }),
    db.creditRequest.count({ where }),
  ]);
  return { rows: rows.map(toRequestRow), total };
}

/** Home page: this person's own requests — decided in the last 14 days, and still waiting. */
export async function myRecentRequests(actorId: string, limit = 10): Promise<RequestRow[]> {
  const rows = await db.creditRequest.findMany({
    where: { requestedById: actorId, OR: [{ status: "pending" }, { decidedAt: { gte: new Date(Date.now() - 14 * 86_400_000) } }] },
    include: requestInclude,
    orderBy: [{ decidedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
    take: limit,
  });
  return rows.map(toRequestRow);
}

export async function failedCreditSyncCount(): Promise<number> {
  return db.providerOperation.count({ where: { status: "failed", kind: { in: ["credit.grant", "credit.void"] } } });
}
