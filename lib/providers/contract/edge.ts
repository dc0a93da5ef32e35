// Shared edge helpers for the Orb, Metronome and Stripe adapters: exact money conversion between
// the providers' wire formats and Meterdesk's bigint minor units, the classification of a failed
// call into a ProviderError kind (which decides what the outbox worker does), and a hard deadline
// around every SDK call. No "server-only" and no next/*: the worker imports the adapters.
import { createHash } from "node:crypto";
import { BillingDecimal, currencyInfo, roundToMinorHalfEven, toMajorString } from "@/lib/billing";
import { ProviderError, type ProviderKind } from "../types";

// ---------------------------------------------------------------------------------------------
// Money at the edge
// ---------------------------------------------------------------------------------------------

const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/** A decimal string in major units ("12.345", Orb's amounts) → minor units, rounded once, half-even. */
export function majorDecimalToMinor(value: string, currency: string): bigint {
  if (!PLAIN_DECIMAL.test(value)) throw new ProviderError("permanent", `not a decimal amount: ${JSON.stringify(value)}`);
  return roundToMinorHalfEven(value, currency);
}

/**
 * A JSON number from a provider → its decimal string, without ever doing arithmetic on the float.
 * `String(n)` is the shortest text that round-trips to the same double, which for a value that
 * was written as a decimal with ≤ 15 significant digits is that decimal. Larger or exponent-form
 * numbers have already lost digits in transit: they are refused rather than guessed.
 */
export function jsonNumberToDecimal(n: unknown, what = "amount"): string {
  if (typeof n !== "number" || !Number.isFinite(n)) throw new ProviderError("permanent", `${what} is not a finite number: ${String(n)}`);
  const text = String(n);
  if (!PLAIN_DECIMAL.test(text)) throw new ProviderError("permanent", `${what} ${text} cannot be represented exactly`);
  const digits = text.replace(/^-/, "").replace(".", "").replace(/^0+/, "");
  if (digits.length > 15) throw new ProviderError("permanent", `${what} ${text} has more than 15 significant digits and may have lost precision`);
  return text;
}

/** A provider number already in minor units (Metronome cents, Stripe integers) → bigint, half-even if fractional. */
export function minorNumberToMinor(n: unknown, what = "amount"): bigint {
  const text = jsonNumberToDecimal(n, what);
  return BigInt(new BillingDecimal(text).toDecimalPlaces(0, BillingDecimal.ROUND_HALF_EVEN).toFixed(0));
}

/** A provider number in major units (Orb ledger amounts) → minor units, rounded once, half-even. */
export function majorNumberToMinor(n: unknown, currency: string, what = "amount"): bigint {
  return roundToMinorHalfEven(jsonNumberToDecimal(n, what), currency);
}

/**
 * Minor units → the JSON number an SDK's types demand, for amounts in major units (Orb ledger).
 * The number is built from the exact decimal string and checked to print back as that string,
 * so what goes on the wire is the exact amount (guards against > 15 significant digits).
 */
export function minorToMajorNumber(amountMinor: bigint, currency: string): number {
  const text = toMajorString({ amountMinor, currency });
  const canonical = currencyInfo(currency).minorUnit === 0 ? text : text.replace(/\.?0+$/, "");
  const n = Number(canonical);
  if (String(n) !== canonical) throw new ProviderError("permanent", `amount ${text} ${currency} cannot be sent exactly as a JSON number`);
  return n;
}

/** Minor units → a JSON integer (Stripe's amounts, Metronome's cents), refusing anything not exact. */
export function minorToIntegerNumber(amountMinor: bigint): number {
  const n = Number(amountMinor);
  if (!Number.isSafeInteger(n) || BigInt(n) !== amountMinor) throw new ProviderError("permanent", `amount ${amountMinor} is too large to send exactly`);
  return n;
}

/** A quantity number from a provider → decimal string (usage read-back). */
export function quantityFromNumber(n: unknown): string {
  return jsonNumberToDecimal(n, "quantity");
}

// ---------------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------------

/** Retry-After: delta-seconds or an HTTP date → milliseconds (undefined when absent or unreadable). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export type FailureShape =
  | { type: "status"; status: number; retryAfter?: string | null; idempotencyConflict?: boolean; message: string }
  | { type: "timeout"; message: string }
  | { type: "connection"; message: string }
  | { type: "bad_response"; message: string };

/**
 * The one table that turns a failed call into what the outbox does next. `write` = the call may
 * change money: when such a call's answer is lost (timeout, reset, unreadable body, a gateway
 * 5xx) it may have been applied, so it is `unknown_outcome` and must be replayed with the same key.
 */
export function classifyFailure(provider: ProviderKind, write: boolean, f: FailureShape): ProviderError {
  const lost = write ? "unknown_outcome" : "transient";
  const msg = `${provider}: ${f.message}`;
  if (f.type === "timeout" || f.type === "connection" || f.type === "bad_response") return new ProviderError(lost, msg, { provider });
  const { status } = f;
  const details = { status, provider };
  if (status === 429) return new ProviderError("transient", msg, { ...details, retryAfterMs: parseRetryAfter(f.retryAfter) ?? 1000 });
  if (status === 409 || f.idempotencyConflict) return new ProviderError("conflict", msg, details);
  if (status === 404) return new ProviderError("not_found", msg, details);
  if (status === 408) return new ProviderError(lost, msg, details);
  // 503 is "not now" (nothing was done); other 5xx may hide an applied write.
  if (status === 503) return new ProviderError("transient", msg, details);
  if (status >= 500) return new ProviderError(lost, msg, details);
  return new ProviderError("permanent", msg, details);
}

// ---------------------------------------------------------------------------------------------
// Deadlines and keys
// ---------------------------------------------------------------------------------------------

export type EdgeConfig = {
  /** Per-attempt timeout given to the SDK. */
  timeoutMs: number;
  /** SDK-level retries: 0 or 1 (the outbox worker is the retry layer). */
  maxRetries: 0 | 1;
};

/** A bound on the whole call (all SDK attempts, body read included), so nothing can hang. */
export function overallDeadlineMs(cfg: EdgeConfig): number {
  return cfg.timeoutMs * (cfg.maxRetries + 1) + 2_000 * cfg.maxRetries + 1_000;
}

export class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "DeadlineExceeded";
  }
}

/** Runs `call` with an AbortSignal that fires after `ms`; rejects with DeadlineExceeded then. */
export async function withDeadline<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new DeadlineExceeded(ms));
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A stable key for a batch (usage ingest): the same events give the same key. */
export function batchKey(prefix: string, keys: readonly string[]): string {
  const digest = createHash("sha256").update([...keys].sort().join("\n")).digest("hex").slice(0, 40);
  return `${prefix}:${digest}`;
}

/** Idempotency keys derived from Meterdesk's key for the sub-steps of one operation. */
export function subKey(key: string, step: string): string {
  return `${key}:${step}`;
}

export function isTrue(header: string | null | undefined): boolean {
  return (header ?? "").trim().toLowerCase() === "true";
}

// ---------------------------------------------------------------------------------------------
// Stainless SDKs (orb-billing, @metronome/sdk) share one error hierarchy; each passes its classes.
// ---------------------------------------------------------------------------------------------

type ErrorClass = abstract new (...args: never[]) => Error;

export type StainlessErrorClasses = {
  APIError: ErrorClass;
  APIUserAbortError: ErrorClass;
  APIConnectionError: ErrorClass;
  APIConnectionTimeoutError: ErrorClass;
};

/** Any failure of a Stainless SDK call → ProviderError (already-mapped errors pass through). */
export function classifyStainlessError(provider: ProviderKind, write: boolean, error: unknown, c: StainlessErrorClasses): ProviderError {
  if (error instanceof ProviderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof DeadlineExceeded || error instanceof c.APIUserAbortError || error instanceof c.APIConnectionTimeoutError) {
    return classifyFailure(provider, write, { type: "timeout", message: `timed out (${message})` });
  }
  if (error instanceof c.APIConnectionError) return classifyFailure(provider, write, { type: "connection", message: `connection failed (${message})` });
  if (error instanceof c.APIError) {
    const e = error as Error & { status?: number; headers?: Headers };
    if (typeof e.status !== "number") return classifyFailure(provider, write, { type: "connection", message });
    return classifyFailure(provider, write, { type: "status", status: e.status, retryAfter: e.headers?.get("retry-after"), message });
  }
  // A 2xx whose body could not be read or parsed (SyntaxError from response.json(), a reset mid-body).
  return classifyFailure(provider, write, { type: "bad_response", message: `unreadable answer (${message})` });
}
