// Fault injection for the sandbox provider, so the outbox's retry and exactly-once paths can be
// exercised without a real provider: 500s, 429 with Retry-After, timeouts (applied, then no
// answer) and lost responses (applied, answer dropped). Settings come from the
// sandbox_fault_settings row (id 1; absent = no faults) unless an in-memory override is set.
// A seeded PRNG or a scripted sequence makes runs reproducible.
import type { Db } from "@/lib/server/db/client";

export type SandboxFaults = {
  /** Probability of a 500 before anything is applied. */
  errorRate: number;
  /** Delay before answering, and how long a "timeout" waits before giving up. */
  latencyMs: number;
  /** Probability that the call is applied but its response is lost. */
  lostResponseRate: number;
  /** Probability of a 429 with Retry-After before anything is applied. */
  rateLimitRate: number;
  /** Probability that the call is applied but answers only after the caller's timeout. */
  timeoutRate: number;
  /** Retry-After sent with a 429 (default 1 000 ms). */
  retryAfterMs?: number;
};

/** What happens to one money-changing call. */
export type FaultOutcome = "none" | "error" | "rate_limit" | "timeout" | "lost_response";

export const NO_FAULTS: SandboxFaults = { errorRate: 0, latencyMs: 0, lostResponseRate: 0, rateLimitRate: 0, timeoutRate: 0 };

type FaultState = { faults: SandboxFaults | null; random: () => number; script: FaultOutcome[] };

// Module state: one per process, like the single sandbox "service" it stands for.
const state: FaultState = { faults: null, random: Math.random, script: [] };

/** mulberry32: a tiny seeded PRNG, enough to make fault sequences reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Overrides the database fault settings in this process (null = back to the database row).
 * With `seed`, fault draws come from a seeded PRNG so a run is reproducible.
 */
export function setSandboxFaults(faults: Partial<SandboxFaults> | null, opts: { seed?: number } = {}): void {
  state.faults = faults === null ? null : { ...NO_FAULTS, ...faults };
  state.random = opts.seed === undefined ? Math.random : seededRandom(opts.seed);
}

/** Queues exact outcomes for the next money-changing calls (consumed first, before any rates). */
export function scriptSandboxFaults(outcomes: FaultOutcome[], opts: { latencyMs?: number; retryAfterMs?: number } = {}): void {
  state.script.push(...outcomes);
  if (opts.latencyMs !== undefined || opts.retryAfterMs !== undefined) {
    state.faults = { ...(state.faults ?? NO_FAULTS), ...opts };
  }
}

/** Clears the override and any scripted outcomes. */
export function resetSandboxFaults(): void {
  state.faults = null;
  state.random = Math.random;
  state.script = [];
}

export async function currentFaults(db: Db): Promise<SandboxFaults> {
  if (state.faults) return state.faults;
  const rows = await db.$queryRaw<Array<{ error_rate: string; latency_ms: number; lost_response_rate: string; rate_limit_rate: string }>>`
    SELECT error_rate::text, latency_ms, lost_response_rate::text, rate_limit_rate::text FROM sandbox_fault_settings WHERE id = 1`;
  const row = rows[0];
  if (!row) return NO_FAULTS;
  // Probabilities, not money: a float is the right type here.
  return {
    errorRate: Number(row.error_rate),
    latencyMs: row.latency_ms,
    lostResponseRate: Number(row.lost_response_rate),
    rateLimitRate: Number(row.rate_limit_rate),
    timeoutRate: 0,
  };
}

/** Draws the outcome of one money-changing call. */
export function drawFault(faults: SandboxFaults): FaultOutcome {
  const scripted = state.script.shift();
  if (scripted) return scripted;
  const r = state.random();
  let edge = faults.errorRate;
  if (r < edge) return "error";
  edge += faults.rateLimitRate;
  if (r < edge) return "rate_limit";
  edge += faults.timeoutRate;
  if (r < edge) return "timeout";
  edge += faults.lostResponseRate;
  if (r < edge) return "lost_response";
  return "none";
}
