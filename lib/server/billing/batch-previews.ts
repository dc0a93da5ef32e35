// Every customer's upcoming invoice in one pass: a handful of set-based queries (subscriptions,
// phases, usage per customer × segment × meter from the monthly running totals, or from the
// daily rollups for the few periods a plan change splits, credits) and pricing in memory.
// Same semantics as computeShadowPreview (customer-billing.ts), which a test checks customer by
// customer; this is what the review queue's recompute and the benchmark run.
import { billingPeriodContaining, previewInvoice, trimDecimalText, utcDayKey, type CreditGrant, type InvoicePreview, type Period } from "@/lib/billing";
import { Prisma } from "@/lib/generated/prisma/client";
import { groupBy } from "@/lib/collections";
import { bulkRead, bulkTransaction, type Db } from "../db/client";
import { loadBillingPlans } from "./catalog";
import { phasesInPeriod, segmentShells, type Phase } from "./customer-billing";

export type BatchPreview = { customerId: string; currency: string; period: Period; preview: InvoicePreview; activity?: PeriodActivity };

/**
 * Read in the same pass over usage as the preview (with `activity`), for the review queue's
 * anomaly rules. Days are the UTC days from the one containing the period's start to the one
 * before the one containing its end: the days the preview prices.
 */
export type PeriodActivity = {
  /** Usage per meter key over the period, every plan segment together (trimmed decimal strings). */
  usageByMeter: Record<string, string>;
  /** Days with any usage row: bit i is the period's i-th day (periods are monthly: i < 32). */
  dayBits: bigint;
  /** Meters whose largest day in the period is above `jumpAbove` and above `jumpTimes` × their smallest day since `lookbackDays` before the period. */
  jumps: string[];
};

export type ActivityOptions = { lookbackDays: number; jumpAbove: string; jumpTimes: string };

type SubRow = { id: string; customer_id: string; billing_anchor: Date; currency: string };

/**
 * Whose copy of usage, credits and scheduled changes to price: Meterdesk's own ("platform": the
 * shadow computation) or the built-in sandbox provider's (its batch upcoming invoices). Both
 * share the catalog, the subscriptions and this code, so they agree exactly when the data does.
 */
export type PreviewSource = "platform" | "sandbox";

function sources(source: PreviewSource, at: Date, only: string[] | null, subIds: string[]) {
  if (source === "platform") {
    return {
      customerFilter: Prisma.empty,
      usage: Prisma.sql`usage_daily`,
      monthly: Prisma.sql`(SELECT u.customer_id, m.key AS meter_key, u.month, u.through, u.day_bits, u.min_day, u.max_day
                             FROM usage_monthly u JOIN meters m ON m.id = u.meter_id)`,
      scheduled: Prisma.sql`
        SELECT subscription_id::text, to_plan_version_id::text, effective_at FROM subscription_changes
         WHERE subscription_id = ANY(${subIds}::uuid[]) AND status = 'scheduled' AND effective_at > ${at}`,
      credits: Prisma.sql`
        SELECT g.id::text AS id, g.customer_id::text AS customer_id, sum(l.amount_minor)::bigint AS remaining, g.currency, g.expires_at, g.created_at
          FROM credit_grants g JOIN credit_ledger_entries l ON l.grant_id = g.id
         WHERE g.status = 'active' AND (${only}::uuid[] IS NULL OR g.customer_id = ANY(${only}::uuid[]))
         GROUP BY g.id HAVING sum(l.amount_minor) > 0`,
    };
  }
  return {
    customerFilter: Prisma.sql`AND c.provider = 'sandbox'`,
    // The sandbox keys its rows by provider customer id and meter key.
    usage: Prisma.sql`(SELECT c.id AS customer_id, m.id AS meter_id, u.day, u.quantity
                         FROM sandbox_usage_daily u
                         JOIN customers c ON c.provider_customer_id = u.provider_customer_id AND c.provider = 'sandbox'
                         JOIN meters m ON m.key = u.meter_key)`,
    scheduled: Prisma.sql`
      SELECT s.id::text AS subscription_id, spc.to_plan_version_id::text, spc.effective_at
        FROM sandbox_plan_changes spc
        JOIN customers c ON c.provider_customer_id = spc.provider_customer_id AND c.provider = 'sandbox'
        JOIN subscriptions s ON s.customer_id = c.id
       WHERE s.id = ANY(${subIds}::uuid[]) AND spc.status = 'scheduled' AND spc.effective_at > ${at}`,
    // Its monthly running totals (sandbox_usage_monthly), by customer id and meter key.
    monthly: Prisma.sql`(SELECT c.id AS customer_id, u.meter_key, u.month, u.through, u.day_bits, u.min_day, u.max_day
                           FROM sandbox_usage_monthly u JOIN customers c ON c.provider_customer_id = u.provider_customer_id AND c.provider = 'sandbox')`,
    credits: Prisma.sql`
      SELECT g.id, c.id::text AS customer_id, (g.amount_minor - g.consumed_minor)::bigint AS remaining, g.currency, g.expires_at, g.created_at
        FROM sandbox_credit_grants g JOIN customers c ON c.provider_customer_id = g.provider_customer_id AND c.provider = 'sandbox'
       WHERE g.voided_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > ${at}) AND g.amount_minor > g.consumed_minor
         AND (${only}::uuid[] IS NULL OR c.id = ANY(${only}::uuid[]))`,
  };
}

export type PreviewOptions = { customerIds?: string[]; source?: PreviewSource; activity?: ActivityOptions };

export async function computeAllPreviews(db: Db, at: Date, opts: PreviewOptions = {}): Promise<BatchPreview[]> {
  return (await prepareAllPreviews(db, at, opts)).price();
}

/** Customers priced between two turns of the event loop. */
const PRICE_CHUNK = 500;

/** Who is priced, for which period (and, with `activity`, how the period's usage looked). */
export type PreviewSubject = Omit<BatchPreview, "preview">;

export type PreparedPreviews = {
  subjects: PreviewSubject[];
  /** Everyone's previews, in the subjects' order. */
  price: () => Promise<BatchPreview[]>;
  /**
   * The previews in batches of `size`, in the subjects' order: one loop prices a batch, lets the
   * event loop turn (so a caller's writes and queries go out), then prices the next. A pricing
   * error rejects that batch and stops the loop.
   */
  priceInBatches: (size: number) => Array<Promise<BatchPreview[]>>;
};

/**
 * computeAllPreviews in two steps: the queries, then the pricing, so that a caller can start
 * more queries from the subjects while this process prices. Pricing yields to the event loop
 * now and then, so those queries' results come in meanwhile.
 */
export async function prepareAllPreviews(
  db: Db,
  at: Date,
  opts: PreviewOptions = {},
): Promise<PreparedPreviews> {
  const only = opts.customerIds ?? null;
  const source = opts.source ?? "platform";
  const subs = await bulkRead<SubRow>(db, Prisma.sql`
    SELECT DISTINCT ON (s.customer_id) s.id::text AS id, s.customer_id::text AS customer_id, s.billing_anchor, c.currency
      FROM subscriptions s JOIN customers c ON c.id = s.customer_id
     WHERE s.status = 'active' AND (${only}::uuid[] IS NULL OR s.customer_id = ANY(${only}::uuid[])) ${sources(source, at, only, []).customerFilter}
     ORDER BY s.customer_id, s.started_at DESC`);
  if (subs.length === 0) return { subjects: [], price: async () => [], priceInBatches: () => [] };
  const periods = new Map(subs.map((s) => [s.id, billingPeriodContaining(s.billing_anchor, at)]));
  // Periods are at most 31 days long: phases and changes older than that cannot overlap one.
  const horizon = new Date(at.getTime() - 32 * 86_400_000);
  const subIds = subs.map((s) => s.id);
  const from = sources(source, at, only, subIds);
  const [phaseRows, changeRows, plans] = await Promise.all([
    bulkRead<{ subscription_id: string; plan_version_id: string; starts_at: Date; ends_at: Date | null }>(
      db,
      Prisma.sql`
        SELECT subscription_id::text, plan_version_id::text, starts_at, ends_at FROM subscription_phases
         WHERE subscription_id = ANY(${subIds}::uuid[]) AND (ends_at IS NULL OR ends_at > ${horizon}) ORDER BY starts_at`,
    ),
    bulkRead<{ subscription_id: string; to_plan_version_id: string; effective_at: Date }>(db, from.scheduled),
    loadBillingPlans(db),
  ]);
  const applied = groupBy(phaseRows, (r) => r.subscription_id);
  const scheduled = groupBy(changeRows, (r) => r.subscription_id);
  // Periods share a few dozen start and end instants: each day key is computed once.
  const dayKeys = new Map<number, string>();
  const dayKey = (d: Date) => {
    let key = dayKeys.get(d.getTime());
    if (key === undefined) dayKeys.set(d.getTime(), (key = utcDayKey(d)));
    return key;
  };

  // Segment shells per customer, and the arrays that tell SQL which days go to which segment.
  const shells = new Map<string, ReturnType<typeof segmentShells>>();
  const seg = { customer: [] as string[], idx: [] as number[], from: [] as Date[], to: [] as Date[], pstart: [] as Date[], dfrom: [] as string[], dto: [] as string[] };
  for (const sub of subs) {
    const period = periods.get(sub.id)!;
    const phases: Phase[] = phasesInPeriod(
      (applied.get(sub.id) ?? [])
        .filter((p) => p.starts_at < period.end && (p.ends_at === null || p.ends_at > period.start))
        .map((p) => ({ planVersionId: p.plan_version_id, startsAt: p.starts_at, endsAt: p.ends_at })),
      (scheduled.get(sub.id) ?? [])
        .filter((c) => c.effective_at < period.end)
        .map((c) => ({ planVersionId: c.to_plan_version_id, effectiveAt: c.effective_at })),
    );
    const segments = segmentShells({ period, phases, plans });
    shells.set(sub.customer_id, segments);
    segments.forEach((s, i) => {
      seg.customer.push(sub.customer_id);
      seg.idx.push(i);
      // The last segment takes any day after it (as segmentsFor does).
      seg.from.push(i === 0 ? new Date(0) : s.from);
      seg.to.push(i === segments.length - 1 ? new Date("9999-12-31T00:00:00Z") : s.to);
      seg.pstart.push(period.start);
      seg.dfrom.push(dayKey(period.start));
      seg.dto.push(dayKey(period.end));
    });
  }

  const minDay = seg.dfrom.reduce((a, b) => (a < b ? a : b));
  const maxDay = seg.dto.reduce((a, b) => (a > b ? a : b));
  // Most customers have one segment (no plan change this period): their usage is one hash join
  // of the period's days, like a plain aggregation pass. The few with several segments take the
  // per-segment query, which assigns each day to the plan in force when it began.
  const single = { customer: [] as string[], dfrom: [] as string[], dto: [] as string[] };
  const multi = { customer: [] as string[], idx: [] as number[], from: [] as Date[], to: [] as Date[], pstart: [] as Date[], dfrom: [] as string[], dto: [] as string[] };
  seg.customer.forEach((customer, i) => {
    if ((shells.get(customer)?.length ?? 0) === 1) {
      single.customer.push(customer);
      single.dfrom.push(seg.dfrom[i]!);
      single.dto.push(seg.dto[i]!);
    } else {
      multi.customer.push(customer);
      multi.idx.push(seg.idx[i]!);
      multi.from.push(seg.from[i]!);
      multi.to.push(seg.to[i]!);
      multi.pstart.push(seg.pstart[i]!);
      multi.dfrom.push(seg.dfrom[i]!);
      multi.dto.push(seg.dto[i]!);
    }
  });
  type UsageRow = { customer_id: string; idx: number; meter_id: string; quantity: string };
  // Rows of the one-segment pass name the customer by its place in the periods table and the meter by its key.
  type PeriodRow = { n: number; meter_key: string; quantity: string };
  // day_bits is int8: a string from the pool, read with BigInt() below.
  type ActivityRow = { n: number; meter_key: string; quantity: string | null; day_bits: bigint | string | null; jumps: boolean };
  const act = opts.activity;
  if (act && !(Number.isInteger(act.lookbackDays) && act.lookbackDays >= 0)) throw new RangeError("lookbackDays must be a whole number of days");
  // The one-segment pass: the one-segment customers or, with `activity`, everyone.
  const who = act
    ? { customer: subs.map((sub) => sub.customer_id), dfrom: subs.map((sub) => dayKey(periods.get(sub.id)!.start)), dto: subs.map((sub) => dayKey(periods.get(sub.id)!.end)) }
    : single;
  const [firstPass, multiUsage, meterRows, grants] = await Promise.all([
    // With `activity`, the one-segment pass covers every customer (and the days before their
    // period): besides the usage it prices, it tells which days had usage and which meters jumped.
    who.customer.length
      ? bulkTransaction(db, async (read) => {
            // Enough memory to aggregate every customer's period in one pass, not spilled to disk.
            await read(Prisma.sql`SET LOCAL work_mem = '64MB'`);
            // The periods go in a temporary table with statistics: then the planner knows there is
            // one row per customer and hashes them, streaming the monthly rows past (from an unnest
            // it guesses a few hundred distinct customers and hashes the usage instead: slower).
            await read(Prisma.sql`
              CREATE TEMP TABLE preview_periods ON COMMIT DROP AS
              SELECT * FROM unnest(${who.customer}::uuid[], ${who.dfrom}::date[], ${who.dto}::date[]) WITH ORDINALITY AS p(customer_id, day_from, day_to, n)`);
            await read(Prisma.sql`ANALYZE preview_periods`);
            // The monthly running totals: a period's usage in month u is through[hi] − through[lo − 1],
            // days lo to hi being the period's days in that month; a meter counts when one of those
            // days has a row (day_bits), as it would reading the days themselves.
            const lookback = act?.lookbackDays ?? 0;
            const months = Prisma.sql`
              FROM preview_periods p
              JOIN ${from.monthly} u ON u.customer_id = p.customer_id
               AND u.month >= date_trunc('month', (${minDay}::date - ${lookback}::int)::timestamp)::date AND u.month < ${maxDay}::date
               AND u.month >= date_trunc('month', (p.day_from - ${lookback}::int)::timestamp)::date AND u.month < p.day_to
             CROSS JOIN LATERAL (
               SELECT least(greatest(p.day_from - u.month + 1, 1), 32) AS lo,
                      least(greatest(p.day_from - ${lookback}::int - u.month + 1, 1), 32) AS window_lo,
                      least(p.day_to - u.month, 31) AS hi
             ) r
             CROSS JOIN LATERAL (
               SELECT ((1::bigint << r.hi) - 1) & ~((1::bigint << (r.lo - 1)) - 1) AS period_mask,
                      ((1::bigint << r.hi) - 1) & ~((1::bigint << (r.window_lo - 1)) - 1) AS window_mask
             ) b`;
            const periodUsage = Prisma.sql`sum(coalesce(u.through[r.hi], 0) - coalesce(u.through[r.lo - 1], 0))`;
            if (!act) {
              return read<PeriodRow>(Prisma.sql`
                SELECT p.n::int AS n, u.meter_key, ${periodUsage}::text AS quantity ${months}
                 WHERE u.day_bits & b.period_mask <> 0
                 GROUP BY p.n, u.meter_key`);
            }
            // Activity: the period's days with data, shifted from month days to period days (bit i
            // is the period's i-th day); and a meter "jumped" when the largest day of a month the
            // period touches is above the bounds set by the smallest day of any month the window
            // touches. Whole months only widen those bounds: every meter whose period has a day
            // above the same bounds over the window's own days is among them (the prefilter may
            // say yes where the days say no, never the other way).
            return read<ActivityRow>(Prisma.sql`
              SELECT p.n::int AS n, u.meter_key,
                     (${periodUsage} FILTER (WHERE u.day_bits & b.period_mask <> 0))::text AS quantity,
                     bit_or(CASE WHEN u.month >= p.day_from THEN (u.day_bits & b.period_mask) << (u.month - p.day_from)
                                 ELSE (u.day_bits & b.period_mask) >> (p.day_from - u.month) END) FILTER (WHERE u.day_bits & b.period_mask <> 0) AS day_bits,
                     coalesce(max(u.max_day) FILTER (WHERE u.day_bits & b.period_mask <> 0)
                              > greatest(${act.jumpAbove}::numeric, ${act.jumpTimes}::numeric * min(u.min_day) FILTER (WHERE u.day_bits & b.window_mask <> 0)), false) AS jumps
                ${months}
               WHERE u.day_bits & b.window_mask <> 0
               GROUP BY p.n, u.meter_key`);
          })
      : Promise.resolve([]),
    multi.customer.length
      ? bulkRead<UsageRow>(db, Prisma.sql`
          WITH seg AS (
            SELECT * FROM unnest(${multi.customer}::uuid[], ${multi.idx}::int[], ${multi.from}::timestamptz[], ${multi.to}::timestamptz[],
                                 ${multi.pstart}::timestamptz[], ${multi.dfrom}::date[], ${multi.dto}::date[])
                   AS t(customer_id, idx, seg_from, seg_to, period_start, day_from, day_to)
          )
          SELECT seg.customer_id::text AS customer_id, seg.idx, d.meter_id::text AS meter_id, sum(d.quantity)::text AS quantity
            FROM seg
            JOIN ${from.usage} d ON d.customer_id = seg.customer_id AND d.day >= seg.day_from AND d.day < seg.day_to
             AND greatest(d.day::timestamp AT TIME ZONE 'UTC', seg.period_start) >= seg.seg_from
             AND greatest(d.day::timestamp AT TIME ZONE 'UTC', seg.period_start) < seg.seg_to
           GROUP BY seg.customer_id, seg.idx, d.meter_id`)
      : Promise.resolve([] as UsageRow[]),
    db.$queryRaw<Array<{ id: string; key: string }>>`SELECT id::text, key FROM meters`,
    // remaining is int8: a string from the pool, read with BigInt() below.
    bulkRead<{ id: string; customer_id: string; remaining: bigint | string; currency: string; expires_at: Date | null; created_at: Date }>(db, from.credits),
  ]);
  const meterKeys = new Map(meterRows.map((m) => [m.id, m.key]));
  for (const u of multiUsage) {
    const segment = shells.get(u.customer_id)?.[u.idx];
    if (segment) segment.usageByMeter[meterKeys.get(u.meter_id) ?? u.meter_id] = trimDecimalText(u.quantity);
  }
  if (!act) {
    for (const u of firstPass as PeriodRow[]) {
      const segment = shells.get(who.customer[u.n - 1]!)?.[0];
      if (segment) segment.usageByMeter[u.meter_key] = trimDecimalText(u.quantity);
    }
  }
  const activities = new Map<string, PeriodActivity>();
  for (const a of act ? (firstPass as ActivityRow[]) : []) {
    const customerId = who.customer[a.n - 1]!;
    let activity = activities.get(customerId);
    if (!activity) activities.set(customerId, (activity = { usageByMeter: {}, dayBits: BigInt(0), jumps: [] }));
    if (a.quantity !== null) {
      const quantity = trimDecimalText(a.quantity);
      activity.usageByMeter[a.meter_key] = quantity;
      // One segment: this is the usage the preview prices.
      const segments = shells.get(customerId);
      if (segments?.length === 1) segments[0]!.usageByMeter[a.meter_key] = quantity;
    }
    if (a.day_bits !== null) activity.dayBits |= BigInt(a.day_bits);
    if (a.jumps) activity.jumps.push(a.meter_key);
  }
  const creditsByCustomer = groupBy(grants, (g) => g.customer_id);

  const subjects = subs.map((sub): PreviewSubject => {
    const subject: PreviewSubject = { customerId: sub.customer_id, currency: sub.currency, period: periods.get(sub.id)! };
    if (act) subject.activity = activities.get(sub.customer_id) ?? { usageByMeter: {}, dayBits: BigInt(0), jumps: [] };
    return subject;
  });
  const priceSlice = (start: number, end: number): BatchPreview[] => {
    const out: BatchPreview[] = [];
    for (let i = start; i < Math.min(end, subs.length); i++) {
      const sub = subs[i]!;
      const { period } = subjects[i]!;
      const credits: CreditGrant[] = (creditsByCustomer.get(sub.customer_id) ?? [])
        .filter((g) => g.currency === sub.currency)
        .map((g) => ({ id: g.id, remainingMinor: BigInt(g.remaining), currency: g.currency, expiresAt: g.expires_at, createdAt: g.created_at }));
      const preview = previewInvoice({ customerCurrency: sub.currency, period, segments: shells.get(sub.customer_id)!, credits, at });
      out.push({ ...subjects[i]!, preview });
    }
    return out;
  };
  const priceInBatches = (size: number): Array<Promise<BatchPreview[]>> => {
    const count = Math.ceil(subs.length / size);
    const settle: Array<{ resolve: (b: BatchPreview[]) => void; reject: (e: unknown) => void }> = [];
    const batches = Array.from({ length: count }, (_, k) => new Promise<BatchPreview[]>((resolve, reject) => (settle[k] = { resolve, reject })));
    // A batch the caller never reaches (it stopped at a failed write) must not count as unhandled.
    for (const b of batches) b.catch(() => {});
    void (async () => {
      for (let k = 0; k < count; k++) {
        if (k > 0) await new Promise((resolve) => setImmediate(resolve));
        try {
          settle[k]!.resolve(priceSlice(k * size, (k + 1) * size));
        } catch (error) {
          settle[k]!.reject(error);
          return;
        }
      }
    })();
    return batches;
  };
  const price = async (): Promise<BatchPreview[]> => (await Promise.all(priceInBatches(PRICE_CHUNK))).flat();
  return { subjects, price, priceInBatches };
}

