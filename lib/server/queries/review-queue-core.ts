// The finance review queue (no "server-only": the benchmark runs these queries outside Next): each customer's latest invoice preview snapshot with its flags and
// review status. Filters, sort and page come from the URL (reviewQueueQuerySchema); the CSV export
// runs the same query without the page. Amount filters are in major units of each invoice's
// currency (every catalog currency has two decimals).
import { z } from "zod";
import { Prisma } from "@/lib/generated/prisma/client";
import { currentPlanJoin } from "./current-plan";
import type { Db } from "../db/client";
import { ANOMALY_CODES, ANOMALY_TITLES, type AnomalyFlag } from "../billing/anomaly-check";
import type { UpcomingInvoiceDto } from "@/components/invoices/types";

export const reviewSorts = ["customer", "plan", "subtotal", "credits", "total", "change", "change_pct", "flags", "status"] as const;
const amount = z.string().trim().regex(/^\d{1,12}(\.\d{1,2})?$/).optional().catch(undefined);

export const reviewQueueQuerySchema = z.object({
  flag: z.enum([...ANOMALY_CODES, "any", "none"]).optional().catch(undefined),
  plan: z.string().max(100).optional().catch(undefined),
  status: z.enum(["unreviewed", "reviewed", "held"]).optional().catch(undefined),
  min: amount,
  max: amount,
  sort: z.enum(reviewSorts).catch("flags"),
  dir: z.enum(["asc", "desc"]).catch("desc"),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
  pageSize: z.coerce.number().int().refine((n) => [25, 50, 100].includes(n)).catch(25),
});
export type ReviewQueueQuery = z.infer<typeof reviewQueueQuerySchema>;

export type ReviewQueueRow = {
  customerId: string;
  customerName: string;
  planKey: string | null;
  planName: string | null;
  currency: string;
  periodStart: string;
  periodEnd: string;
  subtotalMinor: string;
  creditsMinor: string;
  totalMinor: string;
  lastInvoiceMinor: string | null;
  changeMinor: string | null;
  /** Percent change vs the last invoice, one decimal; null with no (or a zero) last invoice. */
  changePct: string | null;
  flags: string[];
  status: "unreviewed" | "reviewed" | "held";
  note: string | null;
  reviewer: string | null;
  reviewedAt: string | null;
  computedAt: string;
  stale: boolean;
};

const sortSql: Record<(typeof reviewSorts)[number], Prisma.Sql> = {
  customer: Prisma.sql`c.name`,
  plan: Prisma.sql`cp.plan_name`,
  subtotal: Prisma.sql`s.subtotal_minor`,
  credits: Prisma.sql`s.credits_minor`,
  total: Prisma.sql`s.total_minor`,
  change: Prisma.sql`(s.total_minor - s.last_invoice_minor)`,
  change_pct: Prisma.sql`(s.total_minor - s.last_invoice_minor)::numeric / NULLIF(s.last_invoice_minor, 0)`,
  flags: Prisma.sql`cardinality(s.flags)`,
  status: Prisma.sql`COALESCE(r.status::text, 'unreviewed')`,
};

const latestSnapshots = Prisma.sql`
  latest AS (
    -- Monthly periods: the upcoming invoice's period started within the last 32 days; older
    -- snapshots are history, not the queue.
    SELECT DISTINCT ON (customer_id) * FROM invoice_preview_snapshots
     WHERE period_start > now() - interval '32 days'
     ORDER BY customer_id, period_start DESC
  )`;


function whereFor(q: ReviewQueueQuery): Prisma.Sql {
  const where: Prisma.Sql[] = [];
  if (q.flag === "any") where.push(Prisma.sql`cardinality(s.flags) > 0`);
  else if (q.flag === "none") where.push(Prisma.sql`cardinality(s.flags) = 0`);
  else if (q.flag) where.push(Prisma.sql`${q.flag} = ANY(s.flags)`);
  if (q.plan) where.push(Prisma.sql`cp.plan_key = ${q.plan}`);
  if (q.status) where.push(Prisma.sql`COALESCE(r.status::text, 'unreviewed') = ${q.status}`);
  if (q.min) where.push(Prisma.sql`s.total_minor >= round(${q.min}::numeric * 100)`);
  if (q.max) where.push(Prisma.sql`s.total_minor <= round(${q.max}::numeric * 100)`);
  return where.length ? Prisma.sql`WHERE ${Prisma.join(where, " AND ")}` : Prisma.empty;
}

type RawRow = {
  customer_id: string; customer_name: string; plan_key: string | null; plan_name: string | null; currency: string;
  period_start: Date; period_end: Date; subtotal_minor: bigint; credits_minor: bigint; total_minor: bigint; last_invoice_minor: bigint | null;
  change_pct: string | null; flags: string[]; status: string | null; note: string | null; reviewer: string | null; reviewed_at: Date | null; computed_at: Date;
  rollup_watermark: string | null;
};

function selectSql(q: ReviewQueueQuery, limit: Prisma.Sql): Prisma.Sql {
  const direction = q.dir === "asc" ? Prisma.sql`ASC` : Prisma.sql`DESC`;
  return Prisma.sql`
    WITH ${latestSnapshots}
    SELECT s.customer_id::text AS customer_id, c.name AS customer_name, cp.plan_key, cp.plan_name, s.currency,
           s.period_start, s.period_end, s.subtotal_minor, s.credits_minor, s.total_minor, s.last_invoice_minor,
           round((s.total_minor - s.last_invoice_minor)::numeric * 100 / NULLIF(s.last_invoice_minor, 0), 1)::text AS change_pct,
           s.flags, r.status::text AS status, r.note, st.name AS reviewer, r.reviewed_at, s.computed_at, s.rollup_watermark::text AS rollup_watermark
      FROM latest s
      JOIN customers c ON c.id = s.customer_id
      ${currentPlanJoin}
      LEFT JOIN invoice_reviews r ON r.customer_id = s.customer_id AND r.period_start = s.period_start
      LEFT JOIN staff_users st ON st.id = r.reviewer_id
      ${whereFor(q)}
     ORDER BY ${sortSql[q.sort]} ${direction} NULLS LAST, c.name, s.customer_id
     ${limit}`;
}

function toRow(r: RawRow, stale: boolean): ReviewQueueRow {
  return {
    customerId: r.customer_id,
    customerName: r.customer_name,
    planKey: r.plan_key,
    planName: r.plan_name,
    currency: r.currency,
    periodStart: r.period_start.toISOString(),
    periodEnd: r.period_end.toISOString(),
    subtotalMinor: r.subtotal_minor.toString(),
    creditsMinor: r.credits_minor.toString(),
    totalMinor: r.total_minor.toString(),
    lastInvoiceMinor: r.last_invoice_minor === null ? null : r.last_invoice_minor.toString(),
    changeMinor: r.last_invoice_minor === null ? null : (r.total_minor - r.last_invoice_minor).toString(),
    changePct: r.change_pct,
    flags: r.flags,
    status: (r.status ?? "unreviewed") as ReviewQueueRow["status"],
    note: r.note,
    reviewer: r.reviewer,
    reviewedAt: r.reviewed_at?.toISOString() ?? null,
    computedAt: r.computed_at.toISOString(),
    stale,
  };
}

export type ReviewQueueSummary = {
  total: number;
  byFlag: Array<{ code: string; title: string; count: number }>;
  byStatus: Record<"unreviewed" | "reviewed" | "held", number>;
  needingReview: number;
  flagged: number;
  lastComputedAt: string | null;
};

export type CustomerPreviewFlags = {
  periodStart: string;
  periodEnd: string;
  computedAt: string;
  currency: string;
  flags: AnomalyFlag[];
  provider: UpcomingInvoiceDto | { error: string };
  shadow: UpcomingInvoiceDto;
  review: { status: string; note: string | null; reviewer: string | null; reviewedAt: string | null } | null;
  stale: boolean;
};

export type RecomputeJobDto = { id: string; status: string; progressDone: number; progressTotal: number; progressFailed: number; error: string | null; finishedAt: string | null };

/** The queue's reads over a given client (the app passes its own; the benchmark its). */
export function createReviewQueueQueries(db: Db) {
  /**
   * Customers whose snapshot predates their latest usage or credit ledger entry: a daily rollup
   * of a later day, a usage event received after it or not yet rolled up when it read the rollups
   * (stored by a transaction at or above its roll-up watermark), or a later ledger entry.
   */
  async function staleCustomers(rows: Array<Pick<RawRow, "customer_id" | "computed_at" | "rollup_watermark">>): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const ids = rows.map((r) => r.customer_id);
    const computed = rows.map((r) => r.computed_at);
    const watermarks = rows.map((r) => r.rollup_watermark);
    const stale = await db.$queryRaw<Array<{ customer_id: string }>>`
      SELECT t.customer_id::text AS customer_id
        FROM unnest(${ids}::uuid[], ${computed}::timestamptz[], ${watermarks}::xid8[]) AS t(customer_id, computed_at, watermark)
       WHERE EXISTS (SELECT 1 FROM usage_daily d WHERE d.customer_id = t.customer_id AND d.day > (t.computed_at AT TIME ZONE 'UTC')::date)
          OR EXISTS (SELECT 1 FROM usage_events e WHERE e.customer_id = t.customer_id AND (e.received_at > t.computed_at OR e.ingest_xid >= t.watermark))
          OR EXISTS (SELECT 1 FROM credit_ledger_entries l WHERE l.customer_id = t.customer_id AND l.created_at > t.computed_at)`;
    return new Set(stale.map((s) => s.customer_id));
  }

  async function getReviewQueue(q: ReviewQueueQuery): Promise<{ rows: ReviewQueueRow[]; total: number }> {
    const offset = (q.page - 1) * q.pageSize;
    const [raw, count] = await Promise.all([
      db.$queryRaw<RawRow[]>(selectSql(q, Prisma.sql`LIMIT ${q.pageSize} OFFSET ${offset}`)),
      db.$queryRaw<Array<{ n: bigint }>>`
        WITH ${latestSnapshots}
        SELECT count(*) AS n FROM latest s JOIN customers c ON c.id = s.customer_id
          ${q.plan ? currentPlanJoin : Prisma.empty}
          LEFT JOIN invoice_reviews r ON r.customer_id = s.customer_id AND r.period_start = s.period_start
          ${whereFor(q)}`,
    ]);
    const stale = await staleCustomers(raw);
    return { rows: raw.map((r) => toRow(r, stale.has(r.customer_id))), total: Number(count[0]?.n ?? 0) };
  }


  /** Every row the filters select (sorted as on screen), for the CSV export. */
  async function exportReviewQueue(q: ReviewQueueQuery, limit = 100_000): Promise<ReviewQueueRow[]> {
    const raw = await db.$queryRaw<RawRow[]>(selectSql(q, Prisma.sql`LIMIT ${limit}`));
    const stale = new Set<string>();
    for (let i = 0; i < raw.length; i += 500) for (const id of await staleCustomers(raw.slice(i, i + 500))) stale.add(id);
    return raw.map((r) => toRow(r, stale.has(r.customer_id)));
  }

  async function reviewQueueSummary(): Promise<ReviewQueueSummary> {
    const [flags, statuses] = await Promise.all([
      db.$queryRaw<Array<{ code: string; n: bigint }>>`
        WITH ${latestSnapshots} SELECT unnest(flags) AS code, count(*) AS n FROM latest GROUP BY 1`,
      db.$queryRaw<Array<{ status: string; flagged: boolean; n: bigint; last: Date | null }>>`
        WITH ${latestSnapshots}
        SELECT COALESCE(r.status::text, 'unreviewed') AS status, cardinality(s.flags) > 0 AS flagged, count(*) AS n, max(s.computed_at) AS last
          FROM latest s LEFT JOIN invoice_reviews r ON r.customer_id = s.customer_id AND r.period_start = s.period_start
         GROUP BY 1, 2`,
    ]);
    const counts = new Map(flags.map((f) => [f.code, Number(f.n)]));
    const byStatus = { unreviewed: 0, reviewed: 0, held: 0 };
    let needingReview = 0;
    let flagged = 0;
    let last: Date | null = null;
    for (const s of statuses) {
      byStatus[s.status as keyof typeof byStatus] += Number(s.n);
      if (s.flagged && s.status !== "reviewed") needingReview += Number(s.n);
      if (s.flagged) flagged += Number(s.n);
      if (s.last && (!last || s.last > last)) last = s.last;
    }
    return {
      total: byStatus.unreviewed + byStatus.reviewed + byStatus.held,
      byFlag: ANOMALY_CODES.map((code) => ({ code, title: ANOMALY_TITLES[code], count: counts.get(code) ?? 0 })),
      byStatus,
      needingReview,
      flagged,
      lastComputedAt: last?.toISOString() ?? null,
    };
  }


  /** The customer's latest snapshot with its flags explained, for the customer's Invoices tab. */
  async function getCustomerPreviewFlags(customerId: string): Promise<CustomerPreviewFlags | null> {
    type StoredShadow = Omit<UpcomingInvoiceDto, "lines"> & { lines?: UpcomingInvoiceDto["lines"]; linesAsProvider?: true; anomalies?: AnomalyFlag[] };
    const [row] = await db.$queryRaw<Array<RawRow & { provider_preview: UpcomingInvoiceDto | { error: string }; shadow_preview: StoredShadow }>>`
      SELECT s.customer_id::text AS customer_id, s.period_start, s.period_end, s.currency, s.computed_at, s.rollup_watermark::text AS rollup_watermark, s.flags,
             s.provider_preview, s.shadow_preview, r.status::text AS status, r.note, st.name AS reviewer, r.reviewed_at
        FROM invoice_preview_snapshots s
        LEFT JOIN invoice_reviews r ON r.customer_id = s.customer_id AND r.period_start = s.period_start
        LEFT JOIN staff_users st ON st.id = r.reviewer_id
       WHERE s.customer_id = ${customerId}::uuid
       ORDER BY s.period_start DESC LIMIT 1`;
    if (!row) return null;
    const stale = await staleCustomers([row]);
    // Meterdesk's lines are stored only when they differ from the provider's (recompute-previews.ts).
    const { anomalies, linesAsProvider, lines, ...rest } = row.shadow_preview;
    const shadow: UpcomingInvoiceDto = { ...rest, lines: lines ?? (linesAsProvider && "lines" in row.provider_preview ? row.provider_preview.lines : []) };
    return {
      periodStart: row.period_start.toISOString(),
      periodEnd: row.period_end.toISOString(),
      computedAt: row.computed_at.toISOString(),
      currency: row.currency,
      flags: anomalies ?? [],
      provider: row.provider_preview,
      shadow,
      review: row.status ? { status: row.status, note: row.note, reviewer: row.reviewer, reviewedAt: row.reviewed_at?.toISOString() ?? null } : null,
      stale: stale.has(row.customer_id),
    };
  }


  /** The latest preview recompute job, for the page's progress panel. */
  async function latestRecomputeJob(): Promise<RecomputeJobDto | null> {
    const job = await db.job.findFirst({ where: { kind: "preview_recompute" }, orderBy: { createdAt: "desc" } });
    return job
      ? { id: job.id, status: job.status, progressDone: job.progressDone, progressTotal: job.progressTotal, progressFailed: job.progressFailed, error: job.error, finishedAt: job.finishedAt?.toISOString() ?? null }
      : null;
  }

  async function reviewPlanOptions() {
    return db.plan.findMany({ select: { key: true, name: true, status: true }, orderBy: [{ tier: "asc" }, { name: "asc" }] });
  }

  return { getReviewQueue, exportReviewQueue, reviewQueueSummary, getCustomerPreviewFlags, latestRecomputeJob, reviewPlanOptions };
}
