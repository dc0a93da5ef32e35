// Column lists (and array types for unnest) of every table the seed loads, parents first.
import { col, type TableSpec } from "./bulk";

const uuid = "uuid", text = "text", ts = "timestamptz", num = "numeric", int = "int4", big = "int8", bool = "bool", json = "jsonb";
const e = (name: string) => `"${name}"`;

function seriesSql(table: string, timeCol: string, step: string, type: string): string {
  return `INSERT INTO "${table}" ("customer_id", "meter_id", "${timeCol}", "quantity")
    SELECT s.c, s.m, (s.t + (u.i - 1) * ${step})::${type}, u.q::numeric
    FROM unnest($1::uuid[], $2::uuid[], $3::${type}[], $4::text[]) AS s(c, m, t, qs),
         LATERAL unnest(string_to_array(s.qs, ',', '')) WITH ORDINALITY AS u(q, i)
    WHERE u.q IS NOT NULL`;
}

export const TABLES: TableSpec[] = [
  { table: "staff_users", columns: [col("id", uuid), col("email", text), col("name", text), col("role", e("Role")), col("active", bool), col("auth_source", text), col("created_at", ts), col("last_sign_in_at", ts)] },
  { table: "role_credit_limits", columns: [col("role", e("Role")), col("limit_amount", num), col("updated_at", ts)] },
  { table: "settings", columns: [col("key", text), col("value", json), col("updated_at", ts)] },
  { table: "meters", columns: [col("id", uuid), col("key", text), col("name", text), col("unit", text), col("display_order", int)] },
  { table: "plans", columns: [col("id", uuid), col("key", text), col("name", text), col("description", text), col("status", e("PlanStatus")), col("tier", int), col("created_at", ts)] },
  { table: "plan_versions", parents: ["plans"], columns: [col("id", uuid), col("plan_id", uuid), col("version", int), col("currency", text), col("base_fee_minor", big), col("minimum_commitment_minor", big), col("created_at", ts)] },
  { table: "plan_prices", parents: ["plan_versions", "meters"], columns: [col("id", uuid), col("plan_version_id", uuid), col("meter_id", uuid), col("model", e("PriceModel")), col("unit_price", num), col("package_size", num), col("package_price", num), col("included_quantity", num)] },
  { table: "price_tiers", parents: ["plan_prices"], columns: [col("id", uuid), col("price_id", uuid), col("position", int), col("up_to", num), col("unit_price", num), col("flat_fee", num)] },
  { table: "customers", columns: [col("id", uuid), col("platform_id", text), col("name", text), col("email", text), col("region", text), col("status", e("CustomerStatus")), col("provider", e("ProviderKind")), col("provider_customer_id", text), col("currency", text), col("created_at", ts)] },
  { table: "subscriptions", parents: ["customers"], columns: [col("id", uuid), col("customer_id", uuid), col("status", e("SubscriptionStatus")), col("billing_anchor", ts), col("started_at", ts), col("ended_at", ts), col("provider_subscription_id", text)] },
  { table: "subscription_phases", parents: ["subscriptions", "plan_versions"], columns: [col("id", uuid), col("subscription_id", uuid), col("plan_version_id", uuid), col("starts_at", ts), col("ends_at", ts)] },
  { table: "subscription_changes", parents: ["subscriptions", "staff_users"], columns: [col("id", uuid), col("subscription_id", uuid), col("from_plan_version_id", uuid), col("to_plan_version_id", uuid), col("timing", e("PlanChangeTiming")), col("effective_at", ts), col("status", e("PlanChangeStatus")), col("preview", json), col("requested_by_id", uuid), col("request_id", text), col("created_at", ts), col("applied_at", ts)] },
  // Usage goes in as series: one row per (customer, meter) with comma-separated quantities from a
  // start instant ('' = no row that day/hour), expanded by SQL into one row per day or hour.
  { table: "usage_daily", columns: [col("customer_id", uuid), col("meter_id", uuid), col("day", "date"), col("quantity", text)], sql: seriesSql("usage_daily", "day", "interval '1 day'", "date"), chunkRows: 50_000, lane: 1 },
  { table: "usage_hourly", columns: [col("customer_id", uuid), col("meter_id", uuid), col("bucket_start", ts), col("quantity", text)], sql: seriesSql("usage_hourly", "bucket_start", "interval '1 hour'", "timestamptz"), chunkRows: 50_000, lane: 2 },
  { table: "invoices", parents: ["customers"], columns: [col("id", uuid), col("customer_id", uuid), col("number", text), col("period_start", ts), col("period_end", ts), col("currency", text), col("subtotal_minor", big), col("credits_applied_minor", big), col("total_minor", big), col("status", e("InvoiceStatus")), col("issued_at", ts), col("paid_at", ts), col("provider_invoice_id", text), col("created_at", ts)] },
  { table: "invoice_lines", parents: ["invoices"], columns: [col("id", uuid), col("invoice_id", uuid), col("position", int), col("kind", e("InvoiceLineKind")), col("description", text), col("meter_key", text), col("quantity", num), col("unit_price", num), col("amount_minor", big), col("detail", json)] },
  { table: "credit_grants", parents: ["customers", "staff_users"], columns: [col("id", uuid), col("customer_id", uuid), col("currency", text), col("amount_minor", big), col("reason", e("CreditReason")), col("note", text), col("ticket_ref", text), col("expires_at", ts), col("status", e("CreditGrantStatus")), col("issued_by_id", uuid), col("approved_by_id", uuid), col("request_id", text), col("provider_grant_id", text), col("created_at", ts)] },
  { table: "credit_ledger_entries", parents: ["credit_grants", "invoices"], columns: [col("customer_id", uuid), col("grant_id", uuid), col("kind", e("LedgerEntryKind")), col("currency", text), col("amount_minor", big), col("invoice_id", uuid), col("note", text), col("actor_id", uuid), col("created_at", ts)] },
  { table: "credit_requests", parents: ["credit_grants"], columns: [col("id", uuid), col("customer_id", uuid), col("currency", text), col("amount_minor", big), col("reason", e("CreditReason")), col("note", text), col("ticket_ref", text), col("expires_at", ts), col("status", e("CreditRequestStatus")), col("requested_by_id", uuid), col("decided_by_id", uuid), col("decided_at", ts), col("decision_note", text), col("request_id", text), col("grant_id", uuid), col("created_at", ts)] },
];
