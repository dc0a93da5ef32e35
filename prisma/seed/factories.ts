// Test helpers: create one fresh customer (with an active subscription on a plan, and
// optionally some daily usage) in a migrated, seeded database. Each call makes unique ids.
import { randomBytes, randomUUID } from "node:crypto";
import type pg from "pg";

export type CreateCustomerInput = {
  name?: string;
  email?: string;
  /** Plan key from the catalog (default "pro"). */
  planKey?: string;
  region?: string;
  /** Defaults to USD; EUR needs a plan with an EUR version (pro, team). */
  currency?: "USD" | "EUR";
  status?: "active" | "trialing" | "past_due" | "suspended" | "churned";
  /** Subscription start / billing anchor (default: UTC midnight 40 days ago). */
  startedAt?: Date;
  /** Daily usage for the last N UTC days (up to today) on the given meters. */
  usage?: { days: number; meterKeys?: string[]; perDay?: string };
};

export type CreatedCustomer = {
  id: string;
  platformId: string;
  name: string;
  email: string;
  region: string;
  currency: string;
  providerCustomerId: string;
  subscriptionId: string;
  planVersionId: string;
  planKey: string;
  billingAnchor: Date;
};

const DAY = 86_400_000;
const b36 = (n: number) => Array.from(randomBytes(n), (b) => (b % 36).toString(36)).join("");

export async function createCustomer(client: pg.ClientBase | pg.Pool, input: CreateCustomerInput = {}): Promise<CreatedCustomer> {
  const planKey = input.planKey ?? "pro";
  const currency = input.currency ?? "USD";
  const version = await client.query<{ id: string }>(
    `SELECT v."id" FROM "plan_versions" v JOIN "plans" p ON p."id" = v."plan_id"
     WHERE p."key" = $1 AND v."currency" = $2 ORDER BY v."version" DESC LIMIT 1`,
    [planKey, currency],
  );
  if (!version.rows[0]) throw new Error(`createCustomer: no ${currency} version of plan "${planKey}" (is the database seeded?)`);
  const tag = b36(6);
  const name = input.name ?? `Test Customer ${tag}`;
  const created: CreatedCustomer = {
    id: randomUUID(),
    platformId: `acct_t${b36(7)}`,
    name,
    email: input.email ?? `billing@test-${tag}.example`,
    region: input.region ?? "us-east",
    currency,
    providerCustomerId: `sbx_cus_t${b36(9)}`,
    subscriptionId: randomUUID(),
    planVersionId: version.rows[0].id,
    planKey,
    billingAnchor: input.startedAt ?? new Date(Math.floor(Date.now() / DAY) * DAY - 40 * DAY),
  };
  const anchor = created.billingAnchor.toISOString();
  await client.query(
    `INSERT INTO "customers" ("id", "platform_id", "name", "email", "region", "status", "provider", "provider_customer_id", "currency", "created_at")
     VALUES ($1, $2, $3, $4, $5, $6, 'sandbox', $7, $8, $9)`,
    [created.id, created.platformId, name, created.email, created.region, input.status ?? "active", created.providerCustomerId, currency, anchor],
  );
  await client.query(
    `INSERT INTO "subscriptions" ("id", "customer_id", "status", "billing_anchor", "started_at", "provider_subscription_id")
     VALUES ($1, $2, 'active', $3, $3, $4)`,
    [created.subscriptionId, created.id, anchor, `sbx_sub_t${b36(9)}`],
  );
  await client.query(
    `INSERT INTO "subscription_phases" ("id", "subscription_id", "plan_version_id", "starts_at") VALUES ($1, $2, $3, $4)`,
    [randomUUID(), created.subscriptionId, created.planVersionId, anchor],
  );
  if (input.usage && input.usage.days > 0) {
    const meterKeys = input.usage.meterKeys ?? ["compute_small_hours", "bandwidth_gb", "build_minutes"];
    // One bulk statement: every (meter, day) pair for the last N UTC days.
    await client.query(
      `INSERT INTO "usage_daily" ("customer_id", "meter_id", "day", "quantity")
       SELECT $1, m."id", d::date, $4::numeric
       FROM "meters" m, generate_series((now() AT TIME ZONE 'UTC')::date - ($3::int - 1), (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d
       WHERE m."key" = ANY($2::text[])`,
      [created.id, meterKeys, input.usage.days, input.usage.perDay ?? "10.5"],
    );
  }
  return created;
}
