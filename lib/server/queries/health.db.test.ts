import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { billingHealth, toPrometheus } from "./health";
import type { BillingProvider } from "@/lib/providers/types";

let t: TestDatabase;
const provider = { kind: "sandbox", healthCheck: async () => ({ ok: true, latencyMs: 3 }) } as unknown as BillingProvider;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

describe("billing health", () => {
  it("reports outbox depth, age, failures and error rate, and renders Prometheus text", async () => {
    const now = new Date("2026-11-20T12:00:00Z");
    const insert = (key: string, status: string, attempts: number, createdAt: string, completedAt: string | null, kind = "credit.grant") =>
      t.pool.query(
        `INSERT INTO provider_operations (id, provider, kind, idempotency_key, payload, status, attempts, created_at, updated_at, completed_at)
         VALUES (gen_random_uuid(), 'sandbox', $1, $2, '{}', $3::"OperationStatus", $4, $5, $6, $7)`,
        [kind, key, status, attempts, createdAt, completedAt ?? createdAt, completedAt],
      );
    await insert("a", "pending", 0, "2026-11-20T11:50:00Z", null);
    await insert("b", "in_flight", 1, "2026-11-20T11:58:00Z", null);
    await insert("c", "succeeded", 1, "2026-11-20T11:30:00Z", "2026-11-20T11:30:04Z");
    await insert("d", "succeeded", 3, "2026-11-20T11:40:00Z", "2026-11-20T11:40:10Z");
    await insert("e", "failed", 8, "2026-11-20T11:00:00Z", "2026-11-20T11:45:00Z", "credit.void");

    const h = await billingHealth(t.db, provider, now);
    expect(h.rollup).toEqual({ pendingEvents: 0, oldestPendingAgeSeconds: 0 });
    expect(h.outbox).toMatchObject({ depth: 2, inFlight: 1, failed: 1, failuresByKind: { "credit.void": 1 } });
    expect(h.outbox.oldestPendingAgeMs).toBe(10 * 60_000);
    expect(h.lastHour).toMatchObject({ completed: 2, failed: 1, retried: 2 });
    expect(h.lastHour.errorRate).toBeCloseTo(3 / 3); // one failed + two that needed a retry, over three finished
    expect(h.lastHour.avgCompletionSeconds).toBeCloseTo(7);

    const text = toPrometheus(h);
    expect(text).toContain('meterdesk_outbox_depth{provider="sandbox"} 2');
    expect(text).toContain('meterdesk_outbox_oldest_pending_age_seconds{provider="sandbox"} 600');
    expect(text).toContain('meterdesk_outbox_failed{provider="sandbox",kind="credit.void"} 1');
    expect(text).toContain('meterdesk_provider_up{provider="sandbox"} 1');
    expect(text).toContain("meterdesk_usage_rollup_pending_events 0");
    for (const line of text.trim().split("\n")) expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? -?[\d.e+-]+)$/);
  });
});
