// Recomputes the finance review queue: for every customer with an active subscription, the
// provider's upcoming-invoice preview (one call per customer, a few at a time), Meterdesk's own
// ("shadow") preview (computeAllPreviews, one pass for everyone), the last invoice total and the
// anomaly flags, upserted into invoice_preview_snapshots on (customer_id, period_start). Runs as
// a Job (kind "preview_recompute") in batches, with progress on the job row for the page to poll.
// No "server-only" (the worker and the dev launcher run it); the one audited step, requesting a
// recompute, loads the audit module lazily so importing this file outside Next stays safe.
import { trimDecimalText, utcDayKey, type InvoicePreview } from "@/lib/billing";
import { toUpcomingInvoiceDto, type UpcomingInvoiceDto } from "@/components/invoices/types";
import type { BillingProvider, ProviderInvoicePreview } from "@/lib/providers/types";
import { Prisma } from "@/lib/generated/prisma/client";
import { bulkExecute, bulkRead, type Db } from "../db/client";
import { prepareAllPreviews, type ActivityOptions, type BatchPreview, type PreviewSubject } from "../billing/batch-previews";
import { checkCustomerAnomalies, loadAnomalyThresholds, type AnomalyFlag, type AnomalyThresholds, type PreviewInput } from "../billing/anomaly-check";
import { assertCan, type Role } from "@/lib/auth/permissions";
import { rollUpThrough } from "./roll-up-usage";

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
      data: {
        status: "succeeded",
        finishedAt: clock(),
        lockedUntil: null,
        progressFailed: result.providerErrors,
        result: { ...result, at: at.toISOString(), provider: provider.kind },
      },
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
 * For the dev launcher: queue and run one recompute when the queue is empty (a fresh database)
 * or was last computed with another billing provider (the launcher switched the console to
 * another one), so the queue shows this provider's previews from the start. Returns null when
 * nothing was needed.
 */
export async function ensurePreviewsComputed(db: Db, provider: BillingProvider, opts: RecomputeOptions = {}) {
  const [any] = await db.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one FROM invoice_preview_snapshots LIMIT 1`;
  const [last] = await db.$queryRaw<Array<{ provider: string | null }>>`
    SELECT result ->> 'provider' AS provider FROM jobs
     WHERE kind = ${PREVIEW_RECOMPUTE_KIND} AND status = 'succeeded' ORDER BY finished_at DESC NULLS LAST LIMIT 1`;
  const reason = !any ? "first start" : last?.provider && last.provider !== provider.kind ? `provider changed from ${last.provider} to ${provider.kind}` : null;
  if (!reason) return null;
  const [active] = await db.$queryRaw<Array<{ one: number }>>`SELECT 1 AS one FROM subscriptions WHERE status = 'active' LIMIT 1`;
  if (!active) return null;
  const running = await db.job.findFirst({ where: { kind: PREVIEW_RECOMPUTE_KIND, status: { in: ["queued", "running"] } } });
  const job = running ?? (await db.job.create({ data: { kind: PREVIEW_RECOMPUTE_KIND, payload: { reason } } }));
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

// The lines as they are: the rules only read kind, description, meter and amount.
const toInput = (p: InvoicePreview | ProviderInvoicePreview): PreviewInput => ({
  currency: p.currency,
  lines: p.lines,
  subtotalMinor: p.subtotalMinor,
  creditsAppliedMinor: p.creditsAppliedMinor,
  totalMinor: p.totalMinor,
});

export async function recomputePreviews(db: Db, provider: BillingProvider, at: Date, opts: RecomputeOptions = {}): Promise<RecomputeResult> {
  // Usage stored so far goes into the rollups first. The watermark, read before the passes,
  // tells the queue which events each snapshot cannot include (those at or above it): should
  // the roll-up not catch up (a long transaction elsewhere), the snapshots say stale, not wrong.
  await rollUpThrough(db, { timeoutMs: 15_000 }).catch((error) => console.warn(`[preview recompute] ${error instanceof Error ? error.message : String(error)}`));
  const [mark] = await db.$queryRaw<Array<{ watermark: string }>>`SELECT rolled_up_below::text AS watermark FROM usage_rollup_state WHERE id = 1`;
  const watermark = mark?.watermark ?? null;
  // One pass prices everyone and reads what the rules need from the same usage; a provider with
  // a batch form answers for everyone in one call alongside it; otherwise each batch asks
  // customer by customer.
  const thresholdsP = loadAnomalyThresholds(db);
  const customersP = db.$queryRaw<Array<{ id: string; provider_customer_id: string | null; created_at: Date }>>`
    SELECT c.id::text, c.provider_customer_id, c.created_at FROM customers c
     WHERE EXISTS (SELECT 1 FROM subscriptions s WHERE s.customer_id = c.id AND s.status = 'active')`.then((rows) => new Map(rows.map((c) => [c.id, c])));
  const preparedP = thresholdsP.then((t) => prepareAllPreviews(db, at, { activity: activityFor(t) }));
  // The context's queries run while this process prices.
  const contextsP = Promise.all([preparedP, customersP, thresholdsP]).then(([p, c, t]) => loadAnomalyContexts(db, p.subjects, c, t, at));
  // A provider's batch answer is turned into what the snapshots store as soon as it arrives,
  // while the database still runs the shadow pass.
  const prefetchedP = provider.getUpcomingInvoices ? allProviderPreviews(db, provider, at).then(providerSides) : Promise.resolve(null);
  // Observed in the loop below; until then a failure must not count as unhandled.
  contextsP.catch(() => {});
  prefetchedP.catch(() => {});
  const [prepared, thresholds, customers] = await Promise.all([preparedP, thresholdsP, customersP]);
  const total = prepared.subjects.length;
  const batchSize = opts.batchSize ?? 500;
  const result: RecomputeResult = { customers: total, flagged: 0, providerErrors: 0, byFlag: {} };
  await opts.onProgress?.(0, total);
  // Batches are priced one after another while the database stores the previous ones (two
  // writes at a time): pricing, the context's queries and the writes overlap. Progress is
  // reported in order.
  const priced = prepared.priceInBatches(batchSize);
  const writing: Array<Promise<void>> = [];
  let reported: Promise<void> = Promise.resolve();
  try {
    for (let i = 0, k = 0; i < total; i += batchSize, k++) {
      const batch = await priced[k]!;
      const [contexts, prefetched] = await Promise.all([contextsP, prefetchedP]);
      const providerPreviews = prefetched
        ? batch.map((b): ProviderSide => {
            const pcid = customers.get(b.customerId)?.provider_customer_id;
            if (!pcid) return providerSide({ error: "The customer is not linked to the billing provider." });
            return prefetched.get(pcid) ?? providerSide({ error: "The provider has no upcoming invoice for this customer." });
          })
        : (await providerPreviewsFor(provider, batch, customers, at, opts.concurrency ?? 8)).map(providerSide);
      const rows = batch.map((b, j) => snapshotRow(b, providerPreviews[j]!, contexts.get(b.customerId), thresholds, at));
      for (const r of rows) {
        if (r.flags.length) result.flagged++;
        if (r.providerError) result.providerErrors++;
        for (const f of r.flags) result.byFlag[f.code] = (result.byFlag[f.code] ?? 0) + 1;
      }
      const written = upsertSnapshots(db, rows, at, watermark);
      const done = Math.min(i + batch.length, total);
      reported = Promise.all([reported, written]).then(() => opts.onProgress?.(done, total));
      // Observed below (shift or allSettled); until then a failure must not count as unhandled.
      reported.catch(() => {});
      writing.push(reported);
      if (writing.length >= 2) await writing.shift();
    }
  } finally {
    // Settle every write before returning or rethrowing (no write left running unobserved).
    const settled = await Promise.allSettled(writing);
    const failed = settled.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
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
  provider: ProviderSide;
  shadowPreview: UpcomingInvoiceDto & { anomalies: AnomalyFlag[] };
  flags: AnomalyFlag[];
  providerError: boolean;
};

type ProviderAnswer = ProviderInvoicePreview | { error: string };

/** A provider's answer for one customer: what the rules read, and the JSON the snapshot stores. */
type ProviderSide = { input: PreviewInput | null; error: string | null; json: string; lines: UpcomingInvoiceDto["lines"] | null };

function providerSide(answer: ProviderAnswer): ProviderSide {
  if ("error" in answer) return { input: null, error: answer.error, json: JSON.stringify({ error: answer.error }), lines: null };
  const dto = toUpcomingInvoiceDto(answer);
  return { input: toInput(answer), error: null, json: JSON.stringify(dto), lines: dto.lines };
}

/** providerSide for a whole batch answer, letting the event loop turn every few hundred. */
async function providerSides(answers: Map<string, ProviderAnswer>): Promise<Map<string, ProviderSide>> {
  const out = new Map<string, ProviderSide>();
  let n = 0;
  for (const [pcid, answer] of answers) {
    if (++n % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    out.set(pcid, providerSide(answer));
  }
  return out;
}

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

function snapshotRow(b: BatchPreview, fromProvider: ProviderSide, ctx: AnomalyContext | undefined, t: AnomalyThresholds, at: Date): SnapshotRow {
  const shadow = toInput(b.preview);
  const provided = fromProvider.input;
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
    provider: fromProvider,
    // The flags' explanations travel with Meterdesk's own preview (the snapshot's `flags` column holds the codes).
    shadowPreview: { ...shadowDto, anomalies: flags },
    flags,
    providerError: fromProvider.error !== null,
  };
}

// ---------------------------------------------------------------------------------------------
// What the rules need besides the previews, for everyone at once.

export type AnomalyContext = {
  lastInvoiceMinor: bigint | null;
  creditsGrantedMinor: bigint;
  usageByMeter: Record<string, string>;
  daysWithData: string[];
  history: { days: number; daysWithData: number };
  dailyByMeter: Record<string, Array<{ day: string; quantity: string }>>;
};

/**
 * What the shadow pass reads besides usage, for the spike rule: the days before the period that
 * the trailing median may draw on, and which meters could have spiked (a period day above the
 * minimum and above k × the smallest day: necessary, since the median is never below the smallest).
 */
export const activityFor = (t: AnomalyThresholds): ActivityOptions => ({
  lookbackDays: t.usageSpike.trailingDays,
  jumpAbove: t.usageSpike.minQuantity,
  jumpTimes: t.usageSpike.multiplier,
});

/**
 * The rules' context for every customer of a shadow pass run with `activity: activityFor(t)`:
 * usage per meter and days with data come from that pass; then a few set-based queries for
 * everyone: credits granted in the period, the last invoice, the history of the few customers
 * with days missing, and the daily series of the few meters that could have spiked.
 */
export async function loadAnomalyContexts(
  db: Db,
  previews: PreviewSubject[],
  customers: Map<string, { created_at: Date }>,
  t: AnomalyThresholds,
  at: Date,
): Promise<Map<string, AnomalyContext>> {
  const contexts = new Map<string, AnomalyContext>();
  if (previews.length === 0) return contexts;
  const ids = previews.map((b) => b.customerId);
  const pstartTs = previews.map((b) => b.period.start);
  const today = Math.floor(at.getTime() / DAY_MS) * DAY_MS;

  const dayKey = dayKeyCache();
  const history = { ids: [] as string[], hstart: [] as string[], pstart: [] as string[] };
  const spikes = { ids: [] as string[], meters: [] as string[], wstart: [] as string[], wstartMs: [] as number[], pend: [] as string[] };
  for (const b of previews) {
    const activity = b.activity;
    if (!activity) throw new Error("loadAnomalyContexts needs previews computed with `activity`");
    const first = Math.floor(b.period.start.getTime() / DAY_MS) * DAY_MS;
    const pstart = dayKey(b.period.start.getTime());
    contexts.set(b.customerId, {
      lastInvoiceMinor: null,
      creditsGrantedMinor: BigInt(0),
      usageByMeter: activity.usageByMeter,
      daysWithData: daysOf(first, activity.dayBits, dayKey),
      history: { days: 0, daysWithData: 0 },
      dailyByMeter: {},
    });
    // "Usually has data" needs the history only when enough complete days of the period are
    // missing for the rule to flag; otherwise it has nothing to flag, whatever the history.
    const cutoff = Math.min(b.period.end.getTime(), today);
    const elapsed = cutoff > b.period.start.getTime() ? Math.ceil((cutoff - first) / DAY_MS) : 0;
    if (elapsed - countBits(activity.dayBits, elapsed) >= Math.max(1, t.missingUsageDays.minMissingDays)) {
      // History window: historyDays before the period, not before the customer existed.
      const from = b.period.start.getTime() - t.missingUsageDays.historyDays * DAY_MS;
      const created = customers.get(b.customerId)?.created_at;
      const createdDay = created ? Math.ceil(created.getTime() / DAY_MS) * DAY_MS : from;
      history.ids.push(b.customerId);
      history.hstart.push(utcDayKey(new Date(Math.max(from, createdDay))));
      history.pstart.push(pstart);
    }
    for (const meterKey of activity.jumps) {
      spikes.ids.push(b.customerId);
      spikes.meters.push(meterKey);
      const wstart = first - t.usageSpike.trailingDays * DAY_MS;
      spikes.wstart.push(dayKey(wstart));
      spikes.wstartMs.push(wstart);
      spikes.pend.push(dayKey(b.period.end.getTime()));
    }
  }

  const [historyRows, credits, last, seriesRows] = await Promise.all([
    history.ids.length
      ? bulkRead<{ customer_id: string; n: number }>(db, Prisma.sql`
          WITH c AS (SELECT * FROM unnest(${history.ids}::uuid[], ${history.hstart}::date[], ${history.pstart}::date[]) AS t(customer_id, hstart, pstart))
          SELECT c.customer_id::text AS customer_id, count(DISTINCT d.day)::int AS n
            FROM c JOIN usage_daily d ON d.customer_id = c.customer_id AND d.day >= c.hstart AND d.day < c.pstart
           GROUP BY c.customer_id`)
      : Promise.resolve([]),
    // int8 columns come as strings from the pool: read with BigInt() below.
    bulkRead<{ customer_id: string; granted: bigint | string }>(db, Prisma.sql`
      WITH c AS (SELECT * FROM unnest(${ids}::uuid[], ${pstartTs}::timestamptz[]) AS t(customer_id, pstart))
      SELECT c.customer_id::text AS customer_id, sum(l.amount_minor)::bigint AS granted
        FROM c JOIN credit_ledger_entries l ON l.customer_id = c.customer_id AND l.kind = 'grant' AND l.created_at >= c.pstart AND l.created_at < ${at}
       GROUP BY c.customer_id`),
    bulkRead<{ customer_id: string; total_minor: bigint | string; currency: string }>(db, Prisma.sql`
      SELECT DISTINCT ON (customer_id) customer_id::text AS customer_id, total_minor, currency FROM invoices
       WHERE customer_id = ANY(${ids}::uuid[]) AND status IN ('issued', 'paid')
       ORDER BY customer_id, period_start DESC`),
    // Each series as one string of "day offset from wstart, quantity" pairs, in day order.
    spikes.ids.length
      ? bulkRead<{ n: number; series: string }>(db, Prisma.sql`
          WITH c AS (
            SELECT * FROM unnest(${spikes.ids}::uuid[], ${spikes.meters}::text[], ${spikes.wstart}::date[], ${spikes.pend}::date[])
                   WITH ORDINALITY AS t(customer_id, meter_key, wstart, pend, n)
          )
          SELECT c.n::int AS n, s.series
            FROM c JOIN meters m ON m.key = c.meter_key
           CROSS JOIN LATERAL (
             SELECT string_agg((d.day - c.wstart)::text || ' ' || d.quantity::text, ',' ORDER BY d.day) AS series
               FROM usage_daily d
              WHERE d.customer_id = c.customer_id AND d.meter_id = m.id AND d.day >= c.wstart AND d.day < c.pend
           ) s
           WHERE s.series IS NOT NULL`)
      : Promise.resolve([]),
  ]);

  const historyStart = new Map(history.ids.map((id, i) => [id, [history.hstart[i]!, history.pstart[i]!] as const]));
  const counted = new Map(historyRows.map((r) => [r.customer_id, r.n]));
  for (const [id, [hstart, pstart]] of historyStart) {
    const days = Math.max(0, Math.round((Date.parse(`${pstart}T00:00:00Z`) - Date.parse(`${hstart}T00:00:00Z`)) / DAY_MS));
    contexts.get(id)!.history = { days, daysWithData: counted.get(id) ?? 0 };
  }
  for (const c of credits) {
    const ctx = contexts.get(c.customer_id);
    if (ctx) ctx.creditsGrantedMinor = BigInt(c.granted);
  }
  const currencyOf = new Map(previews.map((b) => [b.customerId, b.currency]));
  for (const l of last) {
    const ctx = contexts.get(l.customer_id);
    // An invoice in another currency is no baseline for this one.
    if (ctx && l.currency === currencyOf.get(l.customer_id)) ctx.lastInvoiceMinor = BigInt(l.total_minor);
  }
  const spike = spikeTest(t);
  for (const { n, series } of seriesRows) {
    const i = n - 1;
    const ctx = contexts.get(spikes.ids[i]!);
    const points = series.split(",").map((p) => {
      const space = p.indexOf(" ");
      return { offset: Number(p.slice(0, space)), quantity: p.slice(space + 1) };
    });
    // Only the series with a spike on a day of the period reach the rule (which words the flag).
    if (ctx && spike(points)) {
      const wstart = spikes.wstartMs[i]!;
      ctx.dailyByMeter[spikes.meters[i]!] = points.map((p) => ({ day: dayKey(wstart + p.offset * DAY_MS), quantity: trimDecimalText(p.quantity) }));
    }
  }
  return contexts;
}

/** Day keys of the set bits, bit i being `first` + i days, in order. */
function daysOf(first: number, bits: bigint, dayKey: (ms: number) => string): string[] {
  const days: string[] = [];
  for (let i = 0, rest = bits; rest !== BigInt(0); i++, rest >>= BigInt(1)) if (rest & BigInt(1)) days.push(dayKey(first + i * DAY_MS));
  return days;
}

/** utcDayKey of an instant, remembered: the periods of all customers share a few dozen days. */
function dayKeyCache(): (ms: number) => string {
  const keys = new Map<number, string>();
  return (ms) => {
    let key = keys.get(ms);
    if (key === undefined) keys.set(ms, (key = utcDayKey(new Date(ms))));
    return key;
  };
}

/** How many of the lowest `n` bits are set. */
function countBits(bits: bigint, n: number): number {
  let count = 0;
  for (let i = 0, rest = bits; i < n && rest !== BigInt(0); i++, rest >>= BigInt(1)) if (rest & BigInt(1)) count++;
  return count;
}

/**
 * The usage-spike rule's test (lib/billing usageSpike), on integers scaled to the quantities'
 * six decimals, for the days of the period only (offsets from the series' first day, which is
 * `trailingDays` before the period's): a day above `minQuantity` and above `multiplier` × the
 * median of the previous `trailingDays` days present, once `minHistoryDays` days precede it.
 * Exact, so it neither misses a spike nor sends the rule series without one. A value with more
 * decimals than that (no numeric(24,6) quantity has any) says "maybe".
 */
export function spikeTest(t: AnomalyThresholds): (points: Array<{ offset: number; quantity: string }>) => boolean {
  const { multiplier, minQuantity, trailingDays, minHistoryDays } = t.usageSpike;
  const k = scaled(multiplier);
  const min = scaled(minQuantity);
  const unit = scaled("1")!;
  const two = BigInt(2);
  // Floating point first, for speed: a day is passed over only when it is below the bound by far
  // more than the rounding of doubles (a relative 1e-9 against 1e-16); any other day is decided
  // on the exact integers.
  const kf = Number(multiplier);
  const minf = Number(minQuantity);
  const below = (x: number, bound: number) => x <= bound * (1 - 1e-9);
  return (points) => {
    if (k === null || min === null) return true;
    const f = points.map((p) => Number(p.quantity));
    // Not a plain decimal: say "maybe", as the exact test does for a value it cannot read.
    if (f.some((x) => Number.isNaN(x))) return true;
    let exact: Array<bigint | null> | null = null;
    for (let i = Math.max(1, minHistoryDays); i < f.length; i++) {
      if (points[i]!.offset < trailingDays || below(f[i]!, minf)) continue;
      const from = Math.max(0, i - trailingDays);
      // The median is never below the smallest day: most days fail already against that.
      let smallest = f[from]!;
      for (let j = from + 1; j < i; j++) if (f[j]! < smallest) smallest = f[j]!;
      if (below(f[i]!, kf * smallest)) continue;
      const window = f.slice(from, i).sort((a, b) => a - b);
      const mid = Math.floor(window.length / 2);
      const median = window.length % 2 === 1 ? window[mid]! : (window[mid - 1]! + window[mid]!) / 2;
      if (below(f[i]!, kf * median)) continue;
      exact ??= points.map((p) => scaled(p.quantity));
      if (exactSpike(exact, points, i)) return true;
    }
    return false;
  };

  /** The rule at day i, exactly: q > min and q > k × the median of the window, in millionths. */
  function exactSpike(q: Array<bigint | null>, points: Array<{ offset: number }>, i: number): boolean {
    const from = Math.max(0, i - trailingDays);
    const window: bigint[] = [];
    for (let j = from; j < i; j++) {
      const v = q[j];
      if (v === null || v === undefined) return true;
      window.push(v);
    }
    const v = q[i];
    if (v === null || v === undefined) return true;
    if (points[i]!.offset < trailingDays || v <= min!) return false;
    window.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const mid = Math.floor(window.length / 2);
    // q > k × median, with median = w[mid] or (w[mid − 1] + w[mid]) / 2, all in millionths.
    return window.length % 2 === 1 ? v * unit > k! * window[mid]! : two * v * unit > k! * (window[mid - 1]! + window[mid]!);
  }
}

/** A plain non-negative decimal string as an integer of millionths; null beyond six decimals. */
function scaled(text: string): bigint | null {
  const dot = text.indexOf(".");
  // numeric(24,6) text: six decimals exactly.
  if (dot > 0 && text.length - dot === 7 && /^\d+\.\d{6}$/.test(text)) return BigInt(text.slice(0, dot) + text.slice(dot + 1));
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return null;
  const fraction = (m[2] ?? "").replace(/0+$/, "");
  if (fraction.length > 6) return null;
  return BigInt(m[1]! + fraction.padEnd(6, "0"));
}

/**
 * One statement per batch, each value a parameter of its own (the previews as json text, which
 * the database only validates). Most of the time the provider's lines and Meterdesk's are the
 * same: then Meterdesk's preview is stored without them, marked `linesAsProvider` (readers take
 * the provider's lines; see getCustomerPreviewFlags), so each snapshot keeps one copy of its lines.
 */
async function upsertSnapshots(db: Db, rows: SnapshotRow[], at: Date, watermark: string | null): Promise<void> {
  if (rows.length === 0) return;
  const params: unknown[] = [at.toISOString(), watermark];
  const values: string[] = [];
  for (const r of rows) {
    const { lines: shadowLines, ...shadow } = r.shadowPreview;
    const shadowJson =
      r.provider.lines && sameLines(shadowLines, r.provider.lines)
        ? withMember(JSON.stringify(shadow), "linesAsProvider", "true")
        : withMember(JSON.stringify(shadow), "lines", JSON.stringify(shadowLines));
    const n = params.length;
    values.push(
      `($${n + 1}::uuid, $${n + 2}::timestamptz, $${n + 3}::timestamptz, $${n + 4}, $${n + 5}::bigint, $${n + 6}::bigint, $${n + 7}::bigint, $${n + 8}::bigint, $${n + 9}::json, $${n + 10}::json, $${n + 11}::text[])`,
    );
    params.push(
      r.customerId,
      r.periodStart.toISOString(),
      r.periodEnd.toISOString(),
      r.currency,
      r.invoice.subtotalMinor.toString(),
      r.invoice.creditsAppliedMinor.toString(),
      r.invoice.totalMinor.toString(),
      r.lastInvoiceMinor === null ? null : r.lastInvoiceMinor.toString(),
      r.provider.json,
      shadowJson,
      r.flags.map((f) => f.code),
    );
  }
  await bulkExecute(
    db,
    `INSERT INTO invoice_preview_snapshots (id, customer_id, period_start, period_end, currency, subtotal_minor, credits_minor, total_minor,
                                            last_invoice_minor, provider_preview, shadow_preview, flags, computed_at, rollup_watermark)
     SELECT gen_random_uuid(), r.*, $1::timestamptz, $2::xid8
       FROM (VALUES ${values.join(",\n")}) AS r(customer_id, period_start, period_end, currency, subtotal_minor, credits_minor, total_minor,
                                               last_invoice_minor, provider_preview, shadow_preview, flags)
     ON CONFLICT (customer_id, period_start) DO UPDATE SET
       period_end = EXCLUDED.period_end, currency = EXCLUDED.currency, subtotal_minor = EXCLUDED.subtotal_minor,
       credits_minor = EXCLUDED.credits_minor, total_minor = EXCLUDED.total_minor, last_invoice_minor = EXCLUDED.last_invoice_minor,
       provider_preview = EXCLUDED.provider_preview, shadow_preview = EXCLUDED.shadow_preview, flags = EXCLUDED.flags,
       computed_at = EXCLUDED.computed_at, rollup_watermark = EXCLUDED.rollup_watermark`,
    params,
  );
}

/** Whether two lists of lines would serialise the same (every field of every line and breakdown row). */
function sameLines(a: UpcomingInvoiceDto["lines"], b: UpcomingInvoiceDto["lines"]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.kind !== y.kind || x.description !== y.description || x.meterKey !== y.meterKey || x.quantity !== y.quantity || x.amountMinor !== y.amountMinor) return false;
    if (x.breakdown.length !== y.breakdown.length) return false;
    for (let j = 0; j < x.breakdown.length; j++) {
      const p = x.breakdown[j]!;
      const q = y.breakdown[j]!;
      if (p.label !== q.label || p.quantity !== q.quantity || p.unitPrice !== q.unitPrice || p.amount !== q.amount) return false;
    }
  }
  return true;
}

/** Adds `"key": json` to the JSON text of an object that has other members. */
function withMember(objectJson: string, key: string, json: string): string {
  return `${objectJson.slice(0, -1)},${JSON.stringify(key)}:${json}}`;
}
