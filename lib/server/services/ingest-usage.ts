// Usage ingest (POST /api/v1/usage): validate each event on its own, store the good ones once
// (idempotency key = the platform's event id), roll them up hourly and daily, and queue their
// forwarding to the billing provider, all in one statement (so one transaction). A bad event
// never blocks good ones; a request that is not a batch at all (malformed JSON, too big, too many
// events) is refused whole with nothing written.
// No "server-only" or next/*: the ingest benchmark and scripts/send-usage.ts run it outside Next.
import type { Db } from "../db/client";
import { authenticateApiToken } from "../api-auth";

export const MAX_EVENTS = 5_000;
/** Request body limit; larger bodies get 413 before they are read in full. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** How far in the future a timestamp may be (sender clocks drift). */
export const CLOCK_SKEW_MS = 5 * 60_000;
export const DEFAULT_MAX_AGE_DAYS = 35;
export const MAX_AGE_SETTING = "ingest.max_age_days";

const DAY = 86_400_000;
/** numeric(24,6): up to 18 integer digits and 6 fraction digits, no sign, no exponent. */
const DECIMAL = /^\d{1,18}(\.\d{1,6})?$/;
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export type EventStatus = "accepted" | "duplicate" | "rejected";
export type EventResult = { index: number; id: string | null; status: EventStatus; reason?: string };
export type IngestResult = { accepted: number; duplicates: number; rejected: number; events: EventResult[] };

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A quantity as a canonical decimal string; JSON numbers must print as plain decimals. */
export function parseQuantity(raw: unknown): Parsed<string> {
  let text: string;
  if (typeof raw === "number") {
    if (!Number.isFinite(raw)) return { ok: false, reason: "quantity must be a finite number" };
    if (raw < 0) return { ok: false, reason: "quantity must not be negative" };
    if (raw > Number.MAX_SAFE_INTEGER) return { ok: false, reason: "quantity is too large to send as a JSON number; send it as a decimal string" };
    text = String(raw);
  } else if (typeof raw === "string") {
    text = raw.trim();
  } else {
    return { ok: false, reason: "quantity must be a decimal string or a number" };
  }
  if (text.startsWith("-")) return { ok: false, reason: "quantity must not be negative" };
  if (/[eE]/.test(text)) return { ok: false, reason: "quantity must be a plain decimal (no exponent)" };
  if (!DECIMAL.test(text)) {
    return /^\d+\.\d{7,}$/.test(text)
      ? { ok: false, reason: "quantity has more than 6 fraction digits" }
      : { ok: false, reason: "quantity must be a non-negative decimal with up to 18 integer and 6 fraction digits" };
  }
  return { ok: true, value: text };
}

/** A strict ISO-8601 instant with a time zone (Z or ±hh:mm) and a real calendar date. */
export function parseTimestamp(raw: unknown): Date | null {
  if (typeof raw !== "string") return null;
  const m = ISO_INSTANT.exec(raw);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m;
  const probe = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (probe.getUTCFullYear() !== Number(y) || probe.getUTCMonth() !== Number(mo) - 1 || probe.getUTCDate() !== Number(d)) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return null;
  const t = Date.parse(raw);
  return Number.isNaN(t) ? null : new Date(t);
}

/** The envelope `{ events: [...] }`: anything else is a request-level error. */
export function parseEnvelope(body: unknown): Parsed<unknown[]> {
  if (!body || typeof body !== "object" || Array.isArray(body)) return { ok: false, reason: "The body must be a JSON object: { \"events\": [...] }." };
  const events = (body as { events?: unknown }).events;
  if (!Array.isArray(events)) return { ok: false, reason: "`events` must be an array." };
  if (events.length === 0) return { ok: false, reason: "`events` is empty: send at least one event." };
  if (events.length > MAX_EVENTS) return { ok: false, reason: `Too many events: ${events.length} in one batch (the limit is ${MAX_EVENTS}). Split the batch.` };
  return { ok: true, value: events };
}

export async function maxAgeDays(db: Db): Promise<number> {
  const [row] = await db.$queryRaw<Array<{ value: unknown }>>`SELECT value FROM settings WHERE key = ${MAX_AGE_SETTING}`;
  const n = Number(row?.value);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_AGE_DAYS;
}

type Candidate = { index: number; id: string; customerId: string; meterId: string; at: Date; quantity: string };

/** Validates and stores a batch. Exported for the benchmark and tests; the route calls handleUsageIngest. */
export async function ingestUsageEvents(db: Db, events: unknown[], opts: { now?: Date; maxAgeDays?: number } = {}): Promise<IngestResult> {
  const now = opts.now ?? new Date();
  const maxAge = opts.maxAgeDays ?? (await maxAgeDays(db));
  const oldest = now.getTime() - maxAge * DAY;
  const newest = now.getTime() + CLOCK_SKEW_MS;

  const platformIds = [...new Set(events.map((e) => (e && typeof e === "object" ? (e as { customer?: unknown }).customer : null)).filter((c): c is string => typeof c === "string"))];
  const [customers, meters] = await Promise.all([
    platformIds.length === 0
      ? Promise.resolve([])
      : db.$queryRaw<Array<{ id: string; platform_id: string }>>`SELECT id::text, platform_id FROM customers WHERE platform_id = ANY(${platformIds}::text[])`,
    db.$queryRaw<Array<{ id: string; key: string }>>`SELECT id::text, key FROM meters`,
  ]);
  const customerByPlatformId = new Map(customers.map((c) => [c.platform_id, c.id]));
  const meterByKey = new Map(meters.map((m) => [m.key, m.id]));

  const results: EventResult[] = new Array(events.length);
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  events.forEach((raw, index) => {
    const reject = (id: string | null, reason: string) => (results[index] = { index, id, status: "rejected", reason });
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) return reject(null, "an event must be an object");
    const e = raw as Record<string, unknown>;
    const id = typeof e.id === "string" ? e.id : null;
    if (id === null || id.length === 0 || id.length > 255) return reject(null, "id must be a string of 1–255 characters");
    // The first occurrence of an id in a batch is the one that counts, whatever its fate.
    if (seen.has(id)) return (results[index] = { index, id, status: "duplicate", reason: "the same id appears earlier in this batch" });
    seen.add(id);
    if (id.startsWith("resync:")) return reject(id, "ids starting with \"resync:\" are reserved for re-syncs");
    const customerId = typeof e.customer === "string" ? customerByPlatformId.get(e.customer) : undefined;
    if (!customerId) return reject(id, typeof e.customer === "string" ? `unknown customer ${JSON.stringify(e.customer.slice(0, 100))}` : "customer must be the platform account id (acct_…)");
    const meterId = typeof e.meter === "string" ? meterByKey.get(e.meter) : undefined;
    if (!meterId) return reject(id, typeof e.meter === "string" ? `unknown meter ${JSON.stringify(e.meter.slice(0, 100))}` : "meter must be a meter key");
    const at = parseTimestamp(e.timestamp);
    if (!at) return reject(id, "timestamp must be an ISO-8601 instant with a time zone, e.g. 2026-11-26T10:15:00Z");
    if (at.getTime() > newest) return reject(id, "timestamp is in the future (more than 5 minutes ahead of the server clock)");
    if (at.getTime() < oldest) return reject(id, `timestamp is older than ${maxAge} days (the ingest window)`);
    const q = parseQuantity(e.quantity);
    if (!q.ok) return reject(id, q.reason);
    candidates.push({ index, id, customerId, meterId, at, quantity: q.value });
  });

  const inserted = candidates.length === 0 ? new Set<string>() : await insertEvents(db, candidates, now);
  for (const c of candidates) {
    results[c.index] = inserted.has(c.id) ? { index: c.index, id: c.id, status: "accepted" } : { index: c.index, id: c.id, status: "duplicate", reason: "already received" };
  }
  const count = (s: EventStatus) => results.filter((r) => r.status === s).length;
  return { accepted: count("accepted"), duplicates: count("duplicate"), rejected: count("rejected"), events: results };
}

/**
 * One statement, so one transaction: insert the events (ON CONFLICT DO NOTHING), then roll up
 * exactly the rows that INSERT … RETURNING reports as new — a resent event is not returned, so it
 * never counts twice in usage_hourly / usage_daily — and queue one "usage.forward" outbox
 * operation per customer with those event ids (the provider's idempotency key per event is the
 * event id, so forwarding twice posts once). Rows are sorted so concurrent batches lock rollup
 * rows in the same order.
 */
async function insertEvents(db: Db, rows: Candidate[], now: Date): Promise<Set<string>> {
  const sorted = [...rows].sort((a, b) => a.customerId.localeCompare(b.customerId) || a.meterId.localeCompare(b.meterId) || a.at.getTime() - b.at.getTime());
  const out = await db.$queryRaw<Array<{ idempotency_key: string }>>`
    WITH input AS (
      SELECT * FROM json_to_recordset(${JSON.stringify(sorted.map((r) => ({ k: r.id, c: r.customerId, m: r.meterId, o: r.at.toISOString(), q: r.quantity })))}::json)
               AS t(k text, c uuid, m uuid, o timestamptz, q numeric)
    ), ins AS (
      INSERT INTO usage_events (idempotency_key, customer_id, meter_id, occurred_at, quantity, received_at)
      SELECT k, c, m, o, q, ${now} FROM input
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING id, idempotency_key, customer_id, meter_id, occurred_at, quantity
    ), hourly AS (
      INSERT INTO usage_hourly (customer_id, meter_id, bucket_start, quantity)
      SELECT customer_id, meter_id, date_trunc('hour', occurred_at, 'UTC'), sum(quantity) FROM ins GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (customer_id, meter_id, bucket_start) DO UPDATE SET quantity = usage_hourly.quantity + EXCLUDED.quantity
      RETURNING 1
    ), daily AS (
      INSERT INTO usage_daily (customer_id, meter_id, day, quantity)
      SELECT customer_id, meter_id, (occurred_at AT TIME ZONE 'UTC')::date, sum(quantity) FROM ins GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (customer_id, meter_id, day) DO UPDATE SET quantity = usage_daily.quantity + EXCLUDED.quantity
      RETURNING 1
    ), forward AS (
      INSERT INTO provider_operations (id, provider, kind, idempotency_key, customer_id, subject_id, payload, status, next_attempt_at, created_at, updated_at)
      SELECT g.op_id, c.provider, 'usage.forward', 'usage.forward:' || g.op_id::text, g.customer_id, g.first_key,
             jsonb_build_object('eventIds', g.ids), 'pending', ${now}, ${now}, ${now}
        FROM (SELECT gen_random_uuid() AS op_id, customer_id, min(idempotency_key) AS first_key, jsonb_agg(id::text ORDER BY id) AS ids
                FROM ins GROUP BY customer_id) g
        JOIN customers c ON c.id = g.customer_id
      RETURNING 1
    )
    SELECT idempotency_key FROM ins`;
  return new Set(out.map((r) => r.idempotency_key));
}

export type ReadBodyResult = { ok: true; text: string } | { ok: false };

/** Reads at most `limit` bytes: a declared or actual larger body stops early (413). */
export async function readBodyLimited(req: Request, limit = MAX_BODY_BYTES): Promise<ReadBodyResult> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) return { ok: false };
  if (!req.body) return { ok: true, text: "" };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return { ok: false };
    }
    chunks.push(value);
  }
  return { ok: true, text: Buffer.concat(chunks).toString("utf8") };
}

const json = (status: number, body: unknown) => Response.json(body, { status, headers: { "cache-control": "no-store" } });
const refuse = (status: number, code: string, message: string) => json(status, { error: { code, message } });

/** The whole HTTP exchange of POST /api/v1/usage (plain Request/Response, so tests call it directly). */
export async function handleUsageIngest(db: Db, req: Request, now = new Date()): Promise<Response> {
  const auth = await authenticateApiToken(db, req.headers.get("authorization"), "usage:write", now);
  if (!auth.ok) return refuse(auth.status, auth.code, auth.message);
  const body = await readBodyLimited(req);
  if (!body.ok) return refuse(413, "PAYLOAD_TOO_LARGE", `The body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB. Send at most ${MAX_EVENTS} events per request.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.text);
  } catch {
    return refuse(400, "MALFORMED_JSON", "The body is not valid JSON. Nothing was stored.");
  }
  const envelope = parseEnvelope(parsed);
  if (!envelope.ok) return refuse(400, "INVALID_BATCH", `${envelope.reason} Nothing was stored.`);
  const result = await ingestUsageEvents(db, envelope.value, { now });
  return json(200, result);
}
