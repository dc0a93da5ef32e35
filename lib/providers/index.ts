// The provider registry: which BillingProvider Meterdesk talks to, chosen by BILLING_PROVIDER
// (default: the built-in sandbox). No "server-only": the worker and scripts use it.
import type { Db } from "@/lib/server/db/client";
import { readFileSync } from "node:fs";
import { createSandboxProvider } from "./sandbox";
import { createOrbProvider } from "./orb";
import { createMetronomeProvider } from "./metronome";
import { createStripeProvider } from "./stripe";
import type { BillingProvider, ProviderKind } from "./types";

const KINDS: readonly ProviderKind[] = ["sandbox", "orb", "metronome", "stripe"];

export class ProviderNotConfiguredError extends Error {
  constructor(readonly kind: string, detail?: string) {
    super(
      KINDS.includes(kind as ProviderKind)
        ? `BILLING_PROVIDER=${kind}: ${detail ?? "not configured"} (see README, "Billing providers")`
        : `BILLING_PROVIDER=${kind} is not a known billing provider (expected one of ${KINDS.join(", ")})`,
    );
    this.name = "ProviderNotConfiguredError";
  }
}

/** The configured provider kind (BILLING_PROVIDER, default "sandbox"); throws on an unknown name. */
export function configuredProviderKind(env: Record<string, string | undefined> = process.env): ProviderKind {
  const kind = (env.BILLING_PROVIDER ?? "").trim().toLowerCase() || "sandbox";
  if (!KINDS.includes(kind as ProviderKind)) throw new ProviderNotConfiguredError(kind);
  return kind as ProviderKind;
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string, kind: ProviderKind): string {
  const value = env[name];
  if (!value) throw new ProviderNotConfiguredError(kind, `${name} is not set`);
  return value;
}

/**
 * The mapping between Meterdesk's catalog and the provider's (plan versions → provider plans or
 * prices, meters → events/metrics): JSON in <KIND>_CATALOG, or a file named by <KIND>_CATALOG_FILE.
 */
function catalogFor<T>(env: Env, kind: ProviderKind): T {
  const prefix = kind.toUpperCase();
  const file = env[`${prefix}_CATALOG_FILE`];
  const text = file ? readFileSync(file, "utf8") : env[`${prefix}_CATALOG`];
  if (!text) throw new ProviderNotConfiguredError(kind, `${prefix}_CATALOG or ${prefix}_CATALOG_FILE is not set`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ProviderNotConfiguredError(kind, `${prefix}_CATALOG is not valid JSON`);
  }
}

// One retry layer: the outbox worker. SDKs get at most one quick retry and a bounded timeout.
const edge = (env: Env) => ({ timeoutMs: Number(env.PROVIDER_TIMEOUT_MS ?? 10_000), maxRetries: 1 as const });

export function getBillingProvider(db: Db, env: Env = process.env): BillingProvider {
  const kind = configuredProviderKind(env);
  switch (kind) {
    case "sandbox":
      return createSandboxProvider(db);
    case "orb":
      return createOrbProvider({ ...edge(env), apiKey: required(env, "ORB_API_KEY", kind), baseURL: env.ORB_BASE_URL, catalog: catalogFor(env, kind) });
    case "metronome":
      return createMetronomeProvider({
        ...edge(env),
        apiKey: required(env, "METRONOME_BEARER_TOKEN", kind),
        baseURL: env.METRONOME_BASE_URL,
        catalog: catalogFor(env, kind),
      });
    case "stripe": {
      const base = env.STRIPE_BASE_URL ? new URL(env.STRIPE_BASE_URL) : null;
      return createStripeProvider({
        ...edge(env),
        apiKey: required(env, "STRIPE_SECRET_KEY", kind),
        ...(base ? { host: base.hostname, port: Number(base.port || (base.protocol === "http:" ? 80 : 443)), protocol: base.protocol === "http:" ? "http" : "https" } : {}),
        catalog: catalogFor(env, kind),
      });
    }
  }
}
