// The provider registry: which BillingProvider Meterdesk talks to, chosen by BILLING_PROVIDER
// (default: the built-in sandbox). No "server-only": the worker and scripts use it.
import type { Db } from "@/lib/server/db/client";
import { createSandboxProvider } from "./sandbox";
import type { BillingProvider, ProviderKind } from "./types";

const KINDS: readonly ProviderKind[] = ["sandbox", "orb", "metronome", "stripe"];

export class ProviderNotConfiguredError extends Error {
  constructor(readonly kind: string) {
    super(
      KINDS.includes(kind as ProviderKind)
        ? `BILLING_PROVIDER=${kind}: the ${kind} adapter is not configured yet; use BILLING_PROVIDER=sandbox (the default)`
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

export function getBillingProvider(db: Db, env: Record<string, string | undefined> = process.env): BillingProvider {
  const kind = configuredProviderKind(env);
  switch (kind) {
    case "sandbox":
      return createSandboxProvider(db);
    default:
      throw new ProviderNotConfiguredError(kind);
  }
}
