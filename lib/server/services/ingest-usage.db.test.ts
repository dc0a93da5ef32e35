import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/test/db";
import { seedDatabase } from "@/prisma/seed/index";
import { createCustomer, type CreatedCustomer } from "@/prisma/seed/factories";
import { generateApiToken } from "../api-auth";
import { handleUsageIngest } from "./ingest-usage";
import { rollUpThrough } from "./roll-up-usage";

let t: TestDatabase;
let customer: CreatedCustomer;
let token: string;
let revoked: string;
let noScope: string;
const now = new Date();
const iso = (msAgo: number) => new Date(now.getTime() - msAgo).toISOString();

async function addToken(scopes: string[], revokedAt: Date | null = null) {
  const g = generateApiToken();
  const { rows } = await t.pool.query<{ id: string }>("SELECT id::text FROM staff_users WHERE role = 'admin' LIMIT 1");
  await t.pool.query(
    "INSERT INTO api_tokens (id, name, token_hash, prefix, scopes, created_by_id, revoked_at) VALUES (gen_random_uuid(), $1, $2, $3, $4, $5::uuid, $6)",
    [`test ${g.prefix}`, g.hash, g.prefix, scopes, rows[0]!.id, revokedAt],
  );
  return g.token;
}

function post(body: string | Uint8Array, auth: string | null = token, headers: Record<string, string> = {}) {
  return handleUsageIngest(
    t.db,
    new Request("http://localhost/api/v1/usage", {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...headers },
      body: body as BodyInit,
    }),
    now,
  );
}
const send = (events: unknown[], auth: string | null = token) => post(JSON.stringify({ events }), auth);

/** Row counts and rollup sums once the roll-up job has folded in everything stored so far. */
async function counts() {
  await rollUpThrough(t.db);
  const { rows } = await t.pool.query<{ events: string; ops: string; hourly: string; daily: string }>(
    `SELECT (SELECT count(*) FROM usage_events)::text AS events,
            (SELECT count(*) FROM provider_operations WHERE kind = 'usage.forward')::text AS ops,
            (SELECT coalesce(sum(quantity), 0) FROM usage_hourly WHERE customer_id = $1::uuid)::text AS hourly,
            (SELECT coalesce(sum(quantity), 0) FROM usage_daily WHERE customer_id = $1::uuid)::text AS daily`,
    [customer.id],
  );
  return rows[0]!;
}

const ev = (id: string, extra: Record<string, unknown> = {}) => ({
  id, customer: customer.platformId, meter: "bandwidth_gb", timestamp: iso(3_600_000), quantity: "1.5", ...extra,
});

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDatabase(t.url, { customers: 3, days: 2 });
  customer = await createCustomer(t.pool, { name: "Ingest Test Co" });
  token = await addToken(["usage:write"]);
  revoked = await addToken(["usage:write"], new Date());
  noScope = await addToken([]);
}, 120_000);
afterAll(async () => {
  await t.drop();
});

describe("POST /api/v1/usage: request-level refusals write nothing", () => {
  it.each([
    ["missing token", () => send([ev("a1")], null), 401],
    ["revoked token", () => send([ev("a1")], revoked), 401],
    ["garbage token", () => send([ev("a1")], "mdk_notarealtoken"), 401],
    ["token without the scope", () => send([ev("a1")], noScope), 403],
    ["malformed JSON", () => post('{"events": [{"id": "a1",'), 400],
    ["NaN literal (not JSON)", () => post(`{"events":[{"id":"a1","customer":"x","meter":"m","timestamp":"${iso(0)}","quantity":NaN}]}`), 400],
    ["not an events envelope", () => post(JSON.stringify([ev("a1")])), 400],
    ["empty batch", () => send([]), 400],
    ["over 5,000 events", () => send(Array.from({ length: 5001 }, (_, i) => ev(`big-${i}`))), 400],
    ["a 10 MB body", () => post(new Uint8Array(10 * 1024 * 1024).fill(32)), 413],
    ["a body that lies about its length", () => post(JSON.stringify({ events: [ev("a1", { pad: "x".repeat(3 * 1024 * 1024) })] }), token, { "content-length": "100" }), 413],
  ])("%s", async (_name, call, status) => {
    const before = await counts();
    const res = await call();
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(body.error.code).toBeTruthy();
    expect(await counts()).toEqual(before);
  });
});

describe("per-event validation", () => {
  it("rejects bad events with reasons and still stores the good one", async () => {
    const before = await counts();
    const res = await send([
      ev("v-nan", { quantity: "NaN" }),
      ev("v-neg", { quantity: "-1" }),
      ev("v-neg-number", { quantity: -1 }),
      ev("v-huge", { quantity: "1e309" }),
      ev("v-exp", { quantity: "1e3" }),
      ev("v-digits", { quantity: "0.1234567" }),
      ev("v-meter", { meter: "teleportation_minutes" }),
      ev("v-customer", { customer: "acct_nobody" }),
      ev("v-future", { timestamp: "2099-01-01T00:00:00Z" }),
      ev("v-old", { timestamp: iso(40 * 86_400_000) }),
      ev("v-nozone", { timestamp: "2026-01-01T00:00:00" }),
      ev("v-feb30", { timestamp: "2026-02-30T00:00:00Z" }),
      ev("v-good", { quantity: 2.25 }),
      ev("v-good", { quantity: "100" }),
      { id: "" },
      "not an object",
    ]);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.accepted).toBe(1);
    expect(body.duplicates).toBe(1);
    expect(body.rejected).toBe(14);
    const byId = Object.fromEntries(body.events.filter((e: { id: string | null }) => e.id).map((e: { id: string }) => [e.id, e]));
    expect(byId["v-nan"].status).toBe("rejected");
    expect(byId["v-huge"].reason).toMatch(/exponent/);
    expect(byId["v-neg"].reason).toMatch(/negative/);
    expect(byId["v-meter"].reason).toMatch(/unknown meter/);
    expect(byId["v-future"].reason).toMatch(/future/);
    expect(byId["v-old"].reason).toMatch(/older than 35 days/);
    expect(body.events[12]).toMatchObject({ id: "v-good", status: "accepted" });
    expect(body.events[13]).toMatchObject({ id: "v-good", status: "duplicate" });
    const after = await counts();
    expect(Number(after.events) - Number(before.events)).toBe(1);
    expect(Number(after.daily) - Number(before.daily)).toBeCloseTo(2.25, 6);
    expect(Number(after.ops) - Number(before.ops)).toBe(1);
  });

  it("accepts a JSON number 1e309 only as a rejection (it parses to Infinity)", async () => {
    const res = await post(`{"events":[{"id":"inf","customer":"${customer.platformId}","meter":"bandwidth_gb","timestamp":"${iso(0)}","quantity":1e309}]}`);
    const body = await res.json();
    expect(body.events[0]).toMatchObject({ status: "rejected", reason: expect.stringMatching(/finite/) });
  });
});

describe("idempotency and rollups", () => {
  it("counts a resent batch once, forwards once, and rollups equal the sum of events", async () => {
    const batch = Array.from({ length: 40 }, (_, i) => ev(`r-${i}`, { timestamp: iso((i % 5) * 3_600_000 + 60_000), quantity: `${i}.125` }));
    const first = await (await send(batch)).json();
    expect(first.accepted).toBe(40);
    const mid = await counts();
    const again = await (await send(batch)).json();
    expect(again).toMatchObject({ accepted: 0, duplicates: 40, rejected: 0 });
    expect(again.events.every((e: { reason?: string }) => e.reason === "already received")).toBe(true);
    expect(await counts()).toEqual(mid);
    // A batch mixing new and resent events adds only the new ones.
    const mixed = await (await send([...batch.slice(0, 5), ev("r-new", { quantity: "7" })])).json();
    expect(mixed).toMatchObject({ accepted: 1, duplicates: 5 });
    await rollUpThrough(t.db);

    const { rows } = await t.pool.query<{ events: string; hourly: string; daily: string; bad_hours: string; bad_days: string }>(
      `WITH e AS (SELECT * FROM usage_events WHERE customer_id = $1::uuid)
       SELECT (SELECT sum(quantity) FROM e)::text AS events,
              (SELECT sum(quantity) FROM usage_hourly WHERE customer_id = $1::uuid)::text AS hourly,
              (SELECT sum(quantity) FROM usage_daily WHERE customer_id = $1::uuid)::text AS daily,
              (SELECT count(*) FROM (SELECT meter_id, date_trunc('hour', occurred_at, 'UTC') h, sum(quantity) q FROM e GROUP BY 1, 2) x
                 JOIN usage_hourly u ON u.customer_id = $1::uuid AND u.meter_id = x.meter_id AND u.bucket_start = x.h WHERE u.quantity <> x.q)::text AS bad_hours,
              (SELECT count(*) FROM (SELECT meter_id, (occurred_at AT TIME ZONE 'UTC')::date d, sum(quantity) q FROM e GROUP BY 1, 2) x
                 JOIN usage_daily u ON u.customer_id = $1::uuid AND u.meter_id = x.meter_id AND u.day = x.d WHERE u.quantity <> x.q)::text AS bad_days`,
      [customer.id],
    );
    expect(rows[0]!.hourly).toBe(rows[0]!.events);
    expect(rows[0]!.daily).toBe(rows[0]!.events);
    expect(rows[0]!.bad_hours).toBe("0");
    expect(rows[0]!.bad_days).toBe("0");

    // Every stored event is named by exactly one usage.forward operation.
    const { rows: fwd } = await t.pool.query<{ named: string; distinct_named: string; events: string }>(
      `SELECT count(*)::text AS named, count(DISTINCT x)::text AS distinct_named, (SELECT count(*) FROM usage_events)::text AS events
         FROM provider_operations o, jsonb_array_elements_text(o.payload -> 'eventIds') x WHERE o.kind = 'usage.forward'`,
    );
    expect(fwd[0]!.named).toBe(fwd[0]!.events);
    expect(fwd[0]!.distinct_named).toBe(fwd[0]!.events);
  });

  it("stamps last_used_at on the token", async () => {
    const { rows } = await t.pool.query("SELECT count(*)::int AS n FROM api_tokens WHERE last_used_at IS NOT NULL");
    expect(rows[0].n).toBeGreaterThanOrEqual(1);
  });
});
