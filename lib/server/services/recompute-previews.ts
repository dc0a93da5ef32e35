// Recomputes the finance review queue: for every customer with an active subscription, the
// provider's upcoming-invoice preview (one call per customer, a few at a time), Meterdesk's own
// ("shadow") preview (computeAllPreviews, one pass for everyone), the last invoice total and the
// anomaly flags, upserted into invoice_preview_snapshots on (customer_id, period_start). Runs as
// a Job (kind "preview_recompute") in batches, with progress on the job row for the page to poll.
// No "server-only" (the worker and the dev launcher run it); the one audited step, requesting a
// recompute, loads the audit module lazily so importing this file outside Next stays safe.
import { trimDecimalText, utcDayKey, type InvoicePreview } from "@/lib/billing";
import { toUpcomingInvoiceDto } from "@/components/invoices/types";
import type { BillingProvider, ProviderInvoicePreview } from "@/lib/providers/types";
import type { Db } from "../db/client";
import { computeAllPreviews, type BatchPreview } from "../billing/batch-previews";
import { checkCustomerAnomalies, loadAnomalyThresholds, type AnomalyFlag, type AnomalyThresholds, type PreviewInput } from "../billing/anomaly-check";
import { assertCan, type Role } from "@/lib/auth/permissions";

export const PREVIEW_RECOMPUTE_KIND = "preview_recompute";
const LOCK_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

export type RecomputeOptions = {
  /** Customers per batch (provider calls, context queries, one upsert, one progress update). */
  batchSize?: number;
  /** Provider calls in flight at once. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => Promise<void> | void;
};

export type RecomputeResult = { customers: number; flagged: number; providerErrors: number; byFlag: Record<string, number> };

type Actor = { id: string; email: string; role: Role };

/**
 * Queues a recompute, or returns the one already queued or running (so a double click starts one
 * job). Audited. The caller starts it (the worker, or `after()` in the action).
 */
export async function requestPreviewRecompute(db: Db, actor: Actor, opts: { now?: Date } = {}): Promise<{ jobId: string; created: boolean; auditId: string | null }> {
  assertCan(actor, "invoices.review");
  const now = opts.now ?? new Date();
  const { recordAudit } = await import("../audit");
  return db.$transaction(async (tx) => {
    // One recompute at a time: serialise requests on a transaction-scoped advisory lock.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('preview_recompute'))`;
    const existing = await tx.job.findFirst({
      where: { kind: PREVIEW_RECOMPUTE_KIND, OR: [{ status: "queued" }, { status: "running", lockedUntil: { gt: now } }] },
      orderBy: { createdAt: "desc" },
    });
    if (existing) return { jobId: existing.id, created: false, auditId: null };
    const job = await tx.job.create({ data: { kind: PREVIEW_RECOMPUTE_KIND, payload: {}, createdById: actor.id } });
    const audit = await recordAudit(tx, actor as never, { action: "invoice_previews.recompute_requested", targetType: "job", targetId: job.id });
    return { jobId: job.id, created: true, auditId: audit.id.toString() };
  });
}

/**
 * Runs a queued preview_recompute job (or resumes one whose worker stopped: its lock ran out).
 * Safe to call from several places at once: only one claims it.
 */
export async function runPreviewRecomputeJob(db: Db, provider: BillingProvider, jobId: string, opts: RecomputeOptions & { now?: () => Date } = {}) {
  const clock = opts.now ?? (() => new Date());
  const lockUntil = () => new Date(clock().getTime() + LOCK_MS);
  const claimed = await db.job.updateMany({
    where: {
      id: jobId,
      kind: PREVIEW_RECOMPUTE_KIND,
      OR: [{ status: "queued" }, { status: "running", OR: [{ lockedUntil: null }, { lockedUntil: { lt: clock() } }] }],
    },
    data: { status: "running", startedAt: clock(), lockedUntil: lockUntil(), error: null, progressDone: 0, progressFailed: 0 },
  });
  if (claimed.count !== 1) return { status: "not_runnable" as const };
  const job = await db.job.findUniqueOrThrow({ where: { id: jobId } });
  const payloadAt = (job.payload as { at?: string } | null)?.at;
  const at = payloadAt ? new Date(payloadAt) : clock();
  try {
    const result = await recomputePreviews(db, provider, at, {
      ...opts,
      onProgress: async (done, total) => {
        await db.job.update({ where: { id: jobId }, data: { progressDone: done, progressTotal: total, lockedUntil: lockUntil() } });
        await opts.onProgress?.(done, total);
      },
    });
    await db.job.update({
      where: { id: jobId },
      data: { status: "succeeded", finishedAt: clock(), lockedUntil: null, progressFailed: result.providerErrors, result: { ...result, at: at.toISOString() } },
    });
    return { status: "succeeded" as const, ...result };
  } catch (error) {
    console.error(`[preview recompute ${jobId}] failed:`, error);
    const message = error instanceof Error ? error.message : String(error);
    await db.job.update({ where: { id: jobId }, data: { status: "failed", finishedAt: clock(), lockedUntil: null, error: message.slice(0, 2000) } });
    return { status: "failed" as const, error: message };
  }
}

/**
 * For the dev launcher: when no snapshot exists yet (a fresh database), queue and run one
 * recompute so the queue is populated on the first start. Returns null when nothing was needed.
 */
export async function ensurePreviewsComputed(db: Db, provider: BillingProvider, opts: RecomputeOptions = {}) {
  const [any] = await db.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one FROM invoice_preview_snapshots LIMIT 1`;
  if (any) return null;
  const [active] = await db.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one FROM subscriptions WHERE status = 'active' LIMIT 1`;
  if (!active) return null;
  const running = await db.job.findFirst({ where: { kind: PREVIEW_RECOMPUTE_KIND, status: { in: ["queued", "running"] } } });
  const job = running ?? (await db.job.create({ data: { kind: PREVIEW_RECOMPUTE_KIND, payload: { reason: "first start" } } }));
  return runPreviewRecomputeJob(db, provider, job.id, opts);
}

// ---------------------------------------------------------------------------------------------

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const toInput = (p: InvoicePreview | ProviderInvoicePreview): PreviewInput => ({
  currency: p.currency,
  lines: p.lines.map((l) => ({ kind: l.kind, description: l.description, meterKey: l.meterKey ?? null, amountMinor: l.amountMinor })),
  subtotalMinor: p.subtotalMinor,
  creditsAppliedMinor: p.creditsAppliedMinor,
  totalMinor: p.totalMinor,
});

export async function recomputePreviews(db: Db, provider: BillingProvider, at: Date, opts: RecomputeOptions = {}): Promise<RecomputeResult> {
  // A provider with a batch form answers for everyone in one call, alongside the shadow pass;
  // otherwise each batch asks customer by customer.
  const [shadows, thresholds, prefetched] = await Promise.all([
    computeAllPreviews(db, at),
    loadAnomalyThresholds(db),
    provider.getUpcomingInvoices ? allProviderPreviews(db, provider, at) : Promise.resolve(null),
  ]);
  const batchSize = opts.batchSize ?? 250;
  const result: RecomputeResult = { customers: shadows.length, flagged: 0, providerErrors: 0, byFlag: {} };
  await opts.onProgress?.(0, shadows.length);
  for (let i = 0; i < shadows.length; i += batchSize) {
    const batch = shadows.slice(i, i + batchSize);
    const rows = await computeBatch(db, provider, batch, thresholds, at, opts.concurrency ?? 8, prefetched);
    await upsertSnapshots(db, rows, at);
    for (const r of rows) {
      if (r.flags.length) result.flagged++;
      if (r.providerError) result.providerErrors++;
      for (const f of r.flags) result.byFlag[f.code] = (result.byFlag[f.code] ?? 0) + 1;
    }
    await opts.onProgress?.(Math.min(i + batch.length, shadows.length), shadows.length);
  }
  return result;
}

type SnapshotRow = {
  customerId: string;
  periodStart: Date;
  periodEnd: Date;
  currency: string;
  invoice: PreviewInput;
  lastInvoiceMinor: bigint | null;
  providerPreview: unknown;
  shadowPreview: unknown;
  flags: AnomalyFlag[];
  providerError: boolean;
};

type ProviderAnswer = ProviderInvoicePreview | { error: string };

/** The provider's previews for a batch, one call per customer (for providers without a batch form). */
async function providerPreviewsFor(
  provider: BillingProvider,
  batch: BatchPreview[],
  customers: Map<string, { provider_customer_id: string | null }>,
  at: Date,
  concurrency: number,
): Promise<ProviderAnswer[]> {
  const refs = batch.map((b) => ({ customerId: b.customerId, providerCustomerId: customers.get(b.customerId)?.provider_customer_id ?? null }));
  const unlinked = { error: "The customer is not linked to the billing provider." };
  return mapLimit(refs, concurrency, async (r): Promise<ProviderAnswer> => {
    if (r.providerCustomerId === null) return unlinked;
    try {
      return await provider.getUpcomingInvoice({ customerId: r.customerId, providerCustomerId: r.providerCustomerId }, at);
    } catch (error) {
      return { error: error instanceof Error ? error.message.slice(0, 500) : String(error) };
    }
  });
}

async function allProviderPreviews(db: Db, provider: BillingProvider, at: Date): Promise<Map<string, ProviderAnswer>> {
  const refs = await db.$queryRaw<Array<{ customerId: string; providerCustomerId: string }>>`
    SELECT c.id::text AS "customerId", c.provider_customer_id AS "providerCustomerId"
      FROM customers c JOIN subscriptions s ON s.customer_id = c.id AND s.status = 'active'
     WHERE c.provider_customer_id IS NOT NULL`;
  try {
    return await provider.getUpcomingInvoices!(refs, at);
  } catch (error) {
    const message = error instanceof Error ? error.message.slice(0, 500) : String(error);
    return new Map(refs.map((r) => [r.providerCustomerId, { error: message }]));
  }
}

async function computeBatch(
  db: Db,
  provider: BillingProvider,
  batch: BatchPreview[],
  t: AnomalyThresholds,
  at: Date,
  concurrency: number,
  prefetched: Map<string, ProviderAnswer> | null,
): Promise<SnapshotRow[]> {
  const ids = batch.map((b) => b.customerId);
  const customers = new Map(
    (await db.$queryRaw<Array<{ id: string; provider_customer_id: string | null; created_at: Date }>>`
      SELECT id::text, provider_customer_id, created_at FROM customers WHERE id = ANY(${ids}::uuid[])`).map((c) => [c.id, c]),
  );
  const [providerPreviews, context] = await Promise.all([
    prefetched
      ? Promise.resolve(
          batch.map((b): ProviderAnswer => {
            const pcid = customers.get(b.customerId)?.provider_customer_id;
            if (!pcid) return { error: "The customer is not linked to the billing provider." };
            return prefetched.get(pcid) ?? { error: "The provider has no upcoming invoice for this customer." };
          }),
        )
      : providerPreviewsFor(provider, batch, customers, at, concurrency),
    loadAnomalyContext(db, batch, customers, t, at),
  ]);

  return batch.map((b, i) => {
    const fromProvider = providerPreviews[i]!;
    const providerOk = !("error" in fromProvider);
    const shadow = toInput(b.preview);
    const provided = providerOk ? toInput(fromProvider) : null;
    const ctx = context.get(b.customerId);
    const flags = checkCustomerAnomalies(
      {
        currency: b.currency,
        period: b.period,
        asOf: at,
        provider: provided,
        shadow,
        lastInvoiceTotalMinor: ctx?.lastInvoiceMinor ?? null,
        creditsGrantedMinor: ctx?.creditsGrantedMinor ?? BigInt(0),
        usageByMeter: ctx?.usageByMeter ?? {},
        daysWithData: ctx?.daysWithData ?? [],
        history: ctx?.history ?? { days: 0, daysWithData: 0 },
        dailyByMeter: ctx?.dailyByMeter ?? {},
      },
      t,
    );
    const shadowDto = toUpcomingInvoiceDto({
      ...b.preview,
      periodStart: b.period.start,
      periodEnd: b.period.end,
      lines: b.preview.lines,
      asOf: at,
    });
    return {
      customerId: b.customerId,
      periodStart: b.period.start,
      periodEnd: b.period.end,
      currency: b.currency,
      invoice: provided ?? shadow,
      lastInvoiceMinor: ctx?.lastInvoiceMinor ?? null,
      providerPreview: providerOk ? toUpcomingInvoiceDto(fromProvider) : { error: fromProvider.error },
      // The flags' explanations travel with Meterdesk's own preview (the snapshot's `flags` column holds the codes).
      shadowPreview: { ...shadowDto, anomalies: flags },
      flags,
      providerError: !providerOk,
    };
  });
}

type Context = {
  lastInvoiceMinor: bigint | null;
  creditsGrantedMinor: bigint;
  usageByMeter: Record<string, string>;
  daysWithData: string[];
  history: { days: number; daysWithData: number };
  dailyByMeter: Record<string, Array<{ day: string; quantity: string }>>;
};

/** Everything the rules need besides the previews, for a batch of customers, in four set-based queries. */
async function loadAnomalyContext(
  db: Db,
  batch: BatchPreview[],
  customers: Map<string, { created_at: Date }>,
  t: AnomalyThresholds,
  at: Date,
): Promise<Map<string, Context>> {
  const ids = batch.map((b) => b.customerId);
  const pstart = batch.map((b) => utcDayKey(b.period.start));
  const pend = batch.map((b) => utcDayKey(b.period.end));
  const pstartTs = batch.map((b) => b.period.start);
  // History window for "usually has data": historyDays before the period, not before the customer existed.
  const hstart = batch.map((b) => {
    const from = b.period.start.getTime() - t.missingUsageDays.historyDays * DAY_MS;
    const created = customers.get(b.customerId)?.created_at;
    const createdDay = created ? Math.ceil(created.getTime() / DAY_MS) * DAY_MS : from;
    return utcDayKey(new Date(Math.max(from, createdDay)));
  });
  const wstart = batch.map((b) => utcDayKey(new Date(b.period.start.getTime() - t.usageSpike.trailingDays * DAY_MS)));
  const { multiplier, minQuantity, minHistoryDays, trailingDays } = t.usageSpike;
  const minPrev = Math.min(minHistoryDays, trailingDays);

  const [usage, credits, last, spikes] = await Promise.all([
    // Per customer and meter, the period's usage; per customer, the period's days with data and
    // how many history days had any (counted in SQL: shipping every day string was the slow part).
    db.$queryRaw<Array<{ customer_id: string; meter_key: string | null; period_quantity: string | null; period_days: string[] | null; history_count: number | null }>>`
      WITH c AS (SELECT * FROM unnest(${ids}::uuid[], ${pstart}::date[], ${pend}::date[], ${hstart}::date[]) AS t(customer_id, pstart, pend, hstart)),
      u AS (
        SELECT c.customer_id, c.pstart, d.meter_id, d.day, d.quantity
          FROM c JOIN usage_daily d ON d.customer_id = c.customer_id AND d.day >= LEAST(c.hstart, c.pstart) AND d.day < c.pend
      )
      SELECT u.customer_id::text AS customer_id, m.key AS meter_key, trim_scale(sum(u.quantity))::text AS period_quantity,
             NULL::text[] AS period_days, NULL::int AS history_count
        FROM u JOIN meters m ON m.id = u.meter_id WHERE u.day >= u.pstart
       GROUP BY u.customer_id, m.key
      UNION ALL
      SELECT u.customer_id::text, NULL, NULL,
             array_agg(DISTINCT to_char(u.day, 'YYYY-MM-DD')) FILTER (WHERE u.day >= u.pstart),
             (count(DISTINCT u.day) FILTER (WHERE u.day < u.pstart))::int
        FROM u GROUP BY u.customer_id`,
    db.$queryRaw<Array<{ customer_id: string; granted: bigint }>>`
      WITH c AS (SELECT * FROM unnest(${ids}::uuid[], ${pstartTs}::timestamptz[]) AS t(customer_id, pstart))
      SELECT c.customer_id::text AS customer_id, sum(l.amount_minor)::bigint AS granted
        FROM c JOIN credit_ledger_entries l ON l.customer_id = c.customer_id AND l.kind = 'grant' AND l.created_at >= c.pstart AND l.created_at < ${at}
       GROUP BY c.customer_id`,
    db.$queryRaw<Array<{ customer_id: string; total_minor: bigint; currency: string }>>`
      SELECT DISTINCT ON (customer_id) customer_id::text AS customer_id, total_minor, currency FROM invoices
       WHERE customer_id = ANY(${ids}::uuid[]) AND status IN ('issued', 'paid')
       ORDER BY customer_id, period_start DESC`,
    // Spike candidates: a day in the period above k × the smallest of the trailing days is
    // necessary for it to be above k × their median, so only those series reach the exact rule.
    db.$queryRaw<Array<{ customer_id: string; meter_key: string; days: string[]; quantities: string[] }>>`
      WITH c AS (SELECT * FROM unnest(${ids}::uuid[], ${wstart}::date[], ${pstart}::date[], ${pend}::date[]) AS t(customer_id, wstart, pstart, pend)),
      s AS (
        SELECT d.customer_id, d.meter_id, d.day, d.quantity, c.pstart,
               min(d.quantity) OVER w AS prev_min, count(*) OVER w AS prev_n
          FROM c JOIN usage_daily d ON d.customer_id = c.customer_id AND d.day >= c.wstart AND d.day < c.pend
        WINDOW w AS (PARTITION BY d.customer_id, d.meter_id ORDER BY d.day ROWS BETWEEN ${trailingDays}::int PRECEDING AND 1 PRECEDING)
      ),
      cand AS (
        SELECT DISTINCT customer_id, meter_id FROM s
         WHERE day >= pstart AND quantity > ${minQuantity}::numeric AND prev_n >= ${minPrev}::int AND quantity > ${multiplier}::numeric * prev_min
      )
      SELECT s.customer_id::text AS customer_id, m.key AS meter_key,
             array_agg(to_char(s.day, 'YYYY-MM-DD') ORDER BY s.day) AS days, array_agg(s.quantity::text ORDER BY s.day) AS quantities
        FROM s JOIN cand ON cand.customer_id = s.customer_id AND cand.meter_id = s.meter_id JOIN meters m ON m.id = s.meter_id
       GROUP BY s.customer_id, m.key`,
  ]);

  const byCustomer = new Map<string, Context>();
  batch.forEach((b, i) => {
    const historyDays = Math.max(0, Math.round((Date.parse(`${pstart[i]}T00:00:00Z`) - Date.parse(`${hstart[i]}T00:00:00Z`)) / DAY_MS));
    byCustomer.set(b.customerId, {
      lastInvoiceMinor: null,
      creditsGrantedMinor: BigInt(0),
      usageByMeter: {},
      daysWithData: [],
      history: { days: historyDays, daysWithData: 0 },
      dailyByMeter: {},
    });
  });
  for (const u of usage) {
    const ctx = byCustomer.get(u.customer_id);
    if (!ctx) continue;
    if (u.meter_key !== null) {
      if (u.period_quantity !== null) ctx.usageByMeter[u.meter_key] = u.period_quantity;
    } else {
      ctx.daysWithData = [...(u.period_days ?? [])].sort();
      ctx.history.daysWithData = u.history_count ?? 0;
    }
  }
  const currencyOf = new Map(batch.map((b) => [b.customerId, b.currency]));
  for (const c of credits) {
    const ctx = byCustomer.get(c.customer_id);
    if (ctx) ctx.creditsGrantedMinor = BigInt(c.granted);
  }
  for (const l of last) {
    const ctx = byCustomer.get(l.customer_id);
    // An invoice in another currency is no baseline for this one.
    if (ctx && l.currency === currencyOf.get(l.customer_id)) ctx.lastInvoiceMinor = BigInt(l.total_minor);
  }
  for (const s of spikes) {
    const ctx = byCustomer.get(s.customer_id);
    if (ctx) ctx.dailyByMeter[s.meter_key] = s.days.map((day, i) => ({ day, quantity: trimDecimalText(s.quantities[i]!) }));
  }
  return byCustomer;
}


async function upsertSnapshots(db: Db, rows: SnapshotRow[], at: Date): Promise<void> {
  if (rows.length === 0) return;
  const records = rows.map((r) => ({
    customer_id: r.customerId,
    period_start: r.periodStart.toISOString(),
    period_end: r.periodEnd.toISOString(),
    currency: r.currency,
    subtotal_minor: r.invoice.subtotalMinor.toString(),
    credits_minor: r.invoice.creditsAppliedMinor.toString(),
    total_minor: r.invoice.totalMinor.toString(),
    last_invoice_minor: r.lastInvoiceMinor === null ? null : r.lastInvoiceMinor.toString(),
    provider_preview: r.providerPreview,
    shadow_preview: r.shadowPreview,
    flags: r.flags.map((f) => f.code),
  }));
  await db.$executeRaw`
    INSERT INTO invoice_preview_snapshots (id, customer_id, period_start, period_end, currency, subtotal_minor, credits_minor, total_minor,
                                           last_invoice_minor, provider_preview, shadow_preview, flags, computed_at)
    SELECT gen_random_uuid(), r.customer_id, r.period_start, r.period_end, r.currency, r.subtotal_minor, r.credits_minor, r.total_minor,
           r.last_invoice_minor, r.provider_preview, r.shadow_preview, r.flags, ${at}
      FROM jsonb_to_recordset(${JSON.stringify(records)}::jsonb) AS r(
             customer_id uuid, period_start timestamptz, period_end timestamptz, currency text, subtotal_minor bigint, credits_minor bigint,
             total_minor bigint, last_invoice_minor bigint, provider_preview jsonb, shadow_preview jsonb, flags text[])
    ON CONFLICT (customer_id, period_start) DO UPDATE SET
      period_end = EXCLUDED.period_end, currency = EXCLUDED.currency, subtotal_minor = EXCLUDED.subtotal_minor,
      credits_minor = EXCLUDED.credits_minor, total_minor = EXCLUDED.total_minor, last_invoice_minor = EXCLUDED.last_invoice_minor,
      provider_preview = EXCLUDED.provider_preview, shadow_preview = EXCLUDED.shadow_preview, flags = EXCLUDED.flags,
      computed_at = EXCLUDED.computed_at`;
}
