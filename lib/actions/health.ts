"use server";

import { actionClient } from "@/lib/server/action-client";
import { db } from "@/lib/server/db";
import { getBillingProvider } from "@/lib/providers";
import { testProviderConnectionSchema } from "./health.schema";

/** Calls the active provider's health check now (reads only; nothing is written). */
export const testProviderConnectionAction = actionClient
  .metadata({ permission: "admin.manage", name: "testProviderConnection" })
  .inputSchema(testProviderConnectionSchema)
  .action(async () => {
    const provider = getBillingProvider(db);
    const started = Date.now();
    try {
      const result = await provider.healthCheck();
      return { provider: provider.kind, ok: result.ok, latencyMs: result.latencyMs, detail: result.detail ?? null, checkedAt: new Date(started).toISOString() };
    } catch (error) {
      return { provider: provider.kind, ok: false, latencyMs: Date.now() - started, detail: error instanceof Error ? error.message : String(error), checkedAt: new Date(started).toISOString() };
    }
  });
