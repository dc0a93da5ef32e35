// Billing health: what /settings, the admin home and /api/metrics show about the provider
// connection and the outbox. Figures come from the database, so every web instance reports the
// same numbers whichever process did the work.
import type { Db } from "../db/client";
import { outboxStats, type OutboxStats } from "../outbox/stats";
import type { BillingProvider } from "@/lib/providers/types";
import { usageRollupBacklog } from "../services/roll-up-usage";

export type BillingHealth = {
  provider: string;
  outbox: OutboxStats;
  lastHour: { completed: number; failed: number; retried: number; errorRate: number; avgCompletionSeconds: number | null };
  lastSuccessAt: string | null;
  /** Seconds since the newest hourly usage bucket (how far behind usage ingest is). */
  usageLagSeconds: number | null;
  /** Stored usage events the roll-up job has not folded into the rollups yet. */
  rollup: { pendingEvents: number; oldestPendingAgeSeconds: number };
  check: { ok: boolean; latencyMs: number; detail?: string };
};

export async function billingHealth(db: Db, provider: BillingProvider, now = new Date()): Promise<BillingHealth> {
  const since = new Date(now.getTime() - 3_600_000);
  const [outbox, [hour], [last], [usage], backlog, check] = await Promise.all([
    outboxStats(db, now),
    db.$queryRaw<Array<{ completed: bigint; failed: bigint; retried: bigint; avg_seconds: number | null }>>`
      SELECT count(*) FILTER (WHERE status = 'succeeded')::bigint AS completed,
             count(*) FILTER (WHERE status = 'failed')::bigint AS failed,
             count(*) FILTER (WHERE attempts > 1)::bigint AS retried,
             avg(extract(epoch FROM completed_at - created_at)) FILTER (WHERE status = 'succeeded')::float8 AS avg_seconds
        FROM provider_operations WHERE updated_at >= ${since}`,
    db.$queryRaw<Array<{ at: Date | null }>>`SELECT max(completed_at) AS at FROM provider_operations WHERE status = 'succeeded'`,
    db.$queryRaw<Array<{ newest: Date | null }>>`SELECT max(bucket_start) AS newest FROM usage_hourly`,
    usageRollupBacklog(db),
    provider.healthCheck().catch((e: unknown) => ({ ok: false, latencyMs: 0, detail: e instanceof Error ? e.message : String(e) })),
  ]);
  const completed = Number(hour?.completed ?? 0);
  const failed = Number(hour?.failed ?? 0);
  const retried = Number(hour?.retried ?? 0);
  const total = completed + failed;
  return {
    provider: provider.kind,
    outbox,
    lastHour: { completed, failed, retried, errorRate: total ? (failed + retried) / total : 0, avgCompletionSeconds: hour?.avg_seconds ?? null },
    lastSuccessAt: last?.at?.toISOString() ?? null,
    usageLagSeconds: usage?.newest ? Math.max(0, Math.round((now.getTime() - usage.newest.getTime()) / 1000) - 3600) : null,
    rollup: {
      pendingEvents: backlog.events,
      oldestPendingAgeSeconds: backlog.oldestReceivedAt ? Math.max(0, Math.round((now.getTime() - backlog.oldestReceivedAt.getTime()) / 1000)) : 0,
    },
    check,
  };
}

/** Prometheus text exposition format. */
export function toPrometheus(h: BillingHealth): string {
  const lines: string[] = [];
  const metric = (name: string, help: string, type: "gauge" | "counter", samples: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${Number.isFinite(value) ? value : 0}`);
  };
  const p = `provider="${h.provider}"`;
  metric("meterdesk_outbox_depth", "Provider operations not yet done (pending and in flight).", "gauge", [[`{${p}}`, h.outbox.depth]]);
  metric("meterdesk_outbox_in_flight", "Provider operations being sent now.", "gauge", [[`{${p}}`, h.outbox.inFlight]]);
  metric("meterdesk_outbox_oldest_pending_age_seconds", "Age of the oldest operation not yet done.", "gauge", [[`{${p}}`, (h.outbox.oldestPendingAgeMs ?? 0) / 1000]]);
  metric(
    "meterdesk_outbox_failed",
    "Provider operations that failed permanently, by kind (shown in the console for retry).",
    "gauge",
    Object.entries(h.outbox.failuresByKind).map(([kind, n]) => [`{${p},kind="${kind}"}`, n] as [string, number]),
  );
  metric("meterdesk_provider_error_rate", "Share of the last hour's operations that failed or needed a retry.", "gauge", [[`{${p}}`, h.lastHour.errorRate]]);
  metric("meterdesk_provider_operation_seconds", "Average time from enqueue to provider confirmation over the last hour.", "gauge", [[`{${p}}`, h.lastHour.avgCompletionSeconds ?? 0]]);
  metric("meterdesk_provider_health_check_latency_ms", "Latency of the provider health check made for this scrape.", "gauge", [[`{${p}}`, h.check.latencyMs]]);
  metric("meterdesk_provider_up", "1 when the provider health check succeeded.", "gauge", [[`{${p}}`, h.check.ok ? 1 : 0]]);
  metric("meterdesk_usage_rollup_pending_events", "Stored usage events not yet in the hourly and daily rollups.", "gauge", [[``, h.rollup.pendingEvents]]);
  metric("meterdesk_usage_rollup_oldest_pending_age_seconds", "Age of the oldest usage event not yet rolled up.", "gauge", [[``, h.rollup.oldestPendingAgeSeconds]]);
  metric("meterdesk_usage_ingest_lag_seconds", "How far the newest complete hour of usage is behind now.", "gauge", [[``, h.usageLagSeconds ?? 0]]);
  return `${lines.join("\n")}\n`;
}
