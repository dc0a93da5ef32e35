// Usage ingest (POST /api/v1/usage): validate each event on its own, store the good ones once
// (idempotency key = the platform's event id) and queue their forwarding to the billing provider,
// in one statement (so one transaction). The hourly and daily rollups are updated by the roll-up
// job (roll-up-usage.ts), which folds in each stored event exactly once, within about a second
// (the worker runs it, and the route asks for a run after answering). A bad event never blocks
// good ones; a request that is not a batch at all (malformed JSON, too big, too many events) is
// refused whole with nothing written.
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
const EXPONENT = /[eE]/;
const TOO_MANY_FRACTION_DIGITS = /^\d+\.\d{7,}$/;
// Groups: year, month, day, hour, minute, second, fraction, zone.
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export type EventStatus = "accepted" | "duplicate" | "rejected";
export type EventResult = { index: number; id: string | null; status: EventStatus; reason?: string };
export type IngestResult = { accepted: number; duplicates: number; rejected: number; events: EventResult[] };

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A quantity as a canonical decimal string; JSON numbers must print as plain decimals. */
export function parseQuantity(raw: unknown): Parsed<string> {
  // Fast path for the common case (a plain decimal string): nothing to trim or explain.
  if (typeof raw === "string" && DECIMAL.test(raw)) return { ok: true, value: raw };
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
  if (EXPONENT.test(text)) return { ok: false, reason: "quantity must be a plain decimal (no exponent)" };
  if (!DECIMAL.test(text)) {
    return TOO_MANY_FRACTION_DIGITS.test(text)
      ? { ok: false, reason: "quantity has more than 6 fraction digits" }
      : { ok: false, reason: "quantity must be a non-negative decimal with up to 18 integer and 6 fraction digits" };
  }
  return { ok: true, value: text };
}

/**
 * A strict ISO-8601 instant as epoch milliseconds, or null. UTC instants are computed from the
 * regex groups (Date.UTC, extra fraction digits truncated as Date.parse does); other offsets go
 * through Date.parse.
 */
function parseInstant(raw: unknown): number | null {
  if (typeof raw !== "string") return null;
  const m = ISO_INSTANT.exec(raw);
  if (!m) return null;
  const y = +m[1]!, mo = +m[2]!, d = +m[3]!, h = +m[4]!, mi = +m[5]!, s = m[6] === undefined ? 0 : +m[6];
  // A real calendar date (years below 100 are refused: Date.UTC would read them as 19xx).
  if (y < 100 || mo < 1 || mo > 12 || d < 1) return null;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > DAYS_IN_MONTH[mo - 1]! + (leap ? 1 : 0)) return null;
  if (h > 23 || mi > 59 || s > 59) return null;
  if (m[8] === "Z") return Date.UTC(y, mo - 1, d, h, mi, s, m[7] === undefined ? 0 : +m[7].slice(0, 3).padEnd(3, "0"));
  const t = Date.parse(raw);
  return Number.isNaN(t) ? null : t;
}

/** A strict ISO-8601 instant with a time zone (Z or ±hh:mm) and a real calendar date. */
export function parseTimestamp(raw: unknown): Date | null {
  const ms = parseInstant(raw);
  return ms === null ? null : new Date(ms);
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

type Candidate = { index: number; id: string; customerId: string; meterId: string; at: number; quantity: string };

// PostgreSQL array literals, each sent as one text parameter and cast in SQL: far cheaper than
// handing the driver (and Prisma) thousands of separate array elements. Quoted elements escape
// `"` and `\`; plain ones must already be validated to hold no delimiters (uuids, decimals,
// integers). Text parameters cannot carry NUL, so ids and customers holding one never get here.
const ESCAPED = /["\\]/g;
const quotedArray = (values: readonly string[]) => `{${values.map((v) => `"${v.replace(ESCAPED, "\\$&")}"`).join(",")}}`;
const plainArray = (values: readonly (string | number)[]) => `{${values.join(",")}}`;

/** Customers of the batch (by platform id) and all meters (by key), in one round trip. */
async function loadReferences(db: Db, platformIds: string[]) {
  const rows = await db.$queryRaw<Array<{ kind: "c" | "m"; id: string; key: string }>>`
    SELECT 'c' AS kind, id::text AS id, platform_id AS key FROM customers WHERE platform_id = ANY(${quotedArray(platformIds)}::text[])
    UNION ALL
    SELECT 'm', id::text, key FROM meters`;
  const customerByPlatformId = new Map<string, string>();
  const meterByKey = new Map<string, string>();
  for (const r of rows) (r.kind === "c" ? customerByPlatformId : meterByKey).set(r.key, r.id);
  return { customerByPlatformId, meterByKey };
}

/** Validates and stores a batch. Exported for the benchmark and tests; the route calls handleUsageIngest. */
export async function ingestUsageEvents(db: Db, events: unknown[], opts: { now?: Date; maxAgeDays?: number } = {}): Promise<IngestResult> {
  const now = opts.now ?? new Date();
  const platformIds = new Set<string>();
  for (const e of events) {
    const customer = e && typeof e === "object" ? (e as { customer?: unknown }).customer : null;
    if (typeof customer === "string" && !customer.includes("\0")) platformIds.add(customer);
  }
  const [maxAge, { customerByPlatformId, meterByKey }] = await Promise.all([
    opts.maxAgeDays ?? maxAgeDays(db),
    loadReferences(db, [...platformIds]),
  ]);
  const oldest = now.getTime() - maxAge * DAY;
  const newest = now.getTime() + CLOCK_SKEW_MS;

  const results: EventResult[] = new Array(events.length);
  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  let rejected = 0;
  const reject = (index: number, id: string | null, reason: string) => {
    results[index] = { index, id, status: "rejected", reason };
    rejected += 1;
  };
  for (let index = 0; index < events.length; index++) {
    const raw = events[index];
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
      reject(index, null, "an event must be an object");
      continue;
    }
    const e = raw as Record<string, unknown>;
    const id = typeof e.id === "string" ? e.id : null;
    if (id === null || id.length === 0 || id.length > 255) {
      reject(index, null, "id must be a string of 1–255 characters");
      continue;
    }
    // The first occurrence of an id in a batch is the one that counts, whatever its fate.
    if (seen.has(id)) {
      results[index] = { index, id, status: "duplicate", reason: "the same id appears earlier in this batch" };
      continue;
    }
    seen.add(id);
    if (id.includes("\0")) {
      reject(index, id, "id must not contain NUL characters");
      continue;
    }
    if (id.startsWith("resync:")) {
      reject(index, id, "ids starting with \"resync:\" are reserved for re-syncs");
      continue;
    }
    const customerId = typeof e.customer === "string" ? customerByPlatformId.get(e.customer) : undefined;
    if (!customerId) {
      reject(index, id, typeof e.customer === "string" ? `unknown customer ${JSON.stringify(e.customer.slice(0, 100))}` : "customer must be the platform account id (acct_…)");
      continue;
    }
    const meterId = typeof e.meter === "string" ? meterByKey.get(e.meter) : undefined;
    if (!meterId) {
      reject(index, id, typeof e.meter === "string" ? `unknown meter ${JSON.stringify(e.meter.slice(0, 100))}` : "meter must be a meter key");
      continue;
    }
    const at = parseInstant(e.timestamp);
    if (at === null) {
      reject(index, id, "timestamp must be an ISO-8601 instant with a time zone, e.g. 2026-11-26T10:15:00Z");
      continue;
    }
    if (at > newest) {
      reject(index, id, "timestamp is in the future (more than 5 minutes ahead of the server clock)");
      continue;
    }
    if (at < oldest) {
      reject(index, id, `timestamp is older than ${maxAge} days (the ingest window)`);
      continue;
    }
    const q = parseQuantity(e.quantity);
    if (!q.ok) {
      reject(index, id, q.reason);
      continue;
    }
    candidates.push({ index, id, customerId, meterId, at, quantity: q.value });
  }

  const notInserted = candidates.length === 0 ? new Set<string>() : await insertEvents(db, candidates, now);
  let duplicates = events.length - rejected - candidates.length;
  for (const c of candidates) {
    if (notInserted.has(c.id)) {
      results[c.index] = { index: c.index, id: c.id, status: "duplicate", reason: "already received" };
      duplicates += 1;
    } else {
      results[c.index] = { index: c.index, id: c.id, status: "accepted" };
    }
  }
  return { accepted: candidates.length - notInserted.size, duplicates, rejected, events: results };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One statement, so one transaction: insert the events (ON CONFLICT DO NOTHING) and queue one
 * "usage.forward" outbox operation per customer with the ids INSERT … RETURNING reports as new
 * (a resent event is not returned, so it is neither stored nor forwarded twice; the provider's
 * idempotency key per event is the event id, so forwarding twice posts once). Each row records
 * its transaction (ingest_xid, a column default) for the roll-up job. Returns the ids that were
 * already stored.
 *
 * Cost notes (issue 7): columns travel as array literals unnested in SQL (no JSON to build or
 * parse, no per-element work in the driver), instants as epoch milliseconds (exact, no text);
 * rows go in sorted by (customer, meter, time, id), so the index and foreign-key lookups stay
 * local and concurrent batches take row locks in the same order; the rollups are the roll-up
 * job's (one upsert per touched bucket for all events since its last run, rather than one per
 * bucket per request); the provider comes from an index lookup per customer rather than a join
 * over all customers; and only the ids that were NOT inserted come back (normally none).
 */
async function insertEvents(db: Db, rows: Candidate[], now: Date): Promise<Set<string>> {
  rows.sort((a, b) => byText(a.customerId, b.customerId) || byText(a.meterId, b.meterId) || a.at - b.at || byText(a.id, b.id));
  const keys = quotedArray(rows.map((r) => r.id));
  const customers = plainArray(rows.map((r) => r.customerId));
  const meters = plainArray(rows.map((r) => r.meterId));
  const occurredMs = plainArray(rows.map((r) => r.at));
  const quantities = plainArray(rows.map((r) => r.quantity));
  const out = await db.$queryRaw<Array<{ k: string }>>`
    WITH input AS (
      SELECT k, c, m, timestamptz 'epoch' + ms * interval '1 millisecond' AS o, q
        FROM unnest(${keys}::text[], ${customers}::uuid[], ${meters}::uuid[], ${occurredMs}::int8[], ${quantities}::numeric[]) AS t(k, c, m, ms, q)
    ), ins AS (
      INSERT INTO usage_events (idempotency_key, customer_id, meter_id, occurred_at, quantity, received_at)
      SELECT k, c, m, o, q, ${now} FROM input
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING id, idempotency_key, customer_id
    ), forward AS (
      INSERT INTO provider_operations (id, provider, kind, idempotency_key, customer_id, subject_id, payload, status, next_attempt_at, created_at, updated_at)
      SELECT g.op_id, (SELECT c.provider FROM customers c WHERE c.id = g.customer_id), 'usage.forward', 'usage.forward:' || g.op_id::text,
             g.customer_id, g.first_key, jsonb_build_object('eventIds', g.ids), 'pending', ${now}, ${now}, ${now}
        FROM (SELECT gen_random_uuid() AS op_id, customer_id, min(idempotency_key) AS first_key, jsonb_agg(id::text ORDER BY id) AS ids
                FROM ins GROUP BY customer_id ORDER BY customer_id) g
      RETURNING 1
    )
    SELECT k FROM input WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.idempotency_key = input.k)`;
  return new Set(out.map((r) => r.k));
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
export async function handleUsageIngest(
  db: Db,
  req: Request,
  now = new Date(),
  opts: { onStored?: (accepted: number) => void } = {},
): Promise<Response> {
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
  if (result.accepted > 0) opts.onStored?.(result.accepted);
  return json(200, result);
}
