-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- Trigram search on customers (name, email, platform id, provider id fragments).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('support', 'support_lead', 'finance', 'finance_admin', 'product', 'admin');

-- CreateEnum
CREATE TYPE "CustomerStatus" AS ENUM ('active', 'trialing', 'past_due', 'suspended', 'churned');

-- CreateEnum
CREATE TYPE "ProviderKind" AS ENUM ('sandbox', 'orb', 'metronome', 'stripe');

-- CreateEnum
CREATE TYPE "PlanStatus" AS ENUM ('active', 'archived');

-- CreateEnum
CREATE TYPE "PriceModel" AS ENUM ('per_unit', 'graduated', 'volume', 'package');

-- CreateEnum
CREATE TYPE "SubscriptionStatus" AS ENUM ('active', 'canceled');

-- CreateEnum
CREATE TYPE "PlanChangeTiming" AS ENUM ('immediate', 'period_end', 'on_date');

-- CreateEnum
CREATE TYPE "PlanChangeStatus" AS ENUM ('scheduled', 'applied', 'canceled');

-- CreateEnum
CREATE TYPE "CreditReason" AS ENUM ('outage', 'goodwill', 'billing_error', 'promotion', 'migration');

-- CreateEnum
CREATE TYPE "CreditGrantStatus" AS ENUM ('active', 'voided', 'expired', 'exhausted');

-- CreateEnum
CREATE TYPE "LedgerEntryKind" AS ENUM ('grant', 'consumption', 'expiration', 'void');

-- CreateEnum
CREATE TYPE "CreditRequestStatus" AS ENUM ('pending', 'approved', 'rejected', 'canceled');

-- CreateEnum
CREATE TYPE "BulkCreditStatus" AS ENUM ('draft', 'pending_approval', 'approved', 'rejected', 'running', 'completed');

-- CreateEnum
CREATE TYPE "BulkCreditRule" AS ENUM ('percent_of_cost', 'flat');

-- CreateEnum
CREATE TYPE "InvoiceStatus" AS ENUM ('draft', 'issued', 'paid', 'void');

-- CreateEnum
CREATE TYPE "InvoiceLineKind" AS ENUM ('base', 'usage', 'proration', 'minimum', 'credit', 'adjustment');

-- CreateEnum
CREATE TYPE "ReviewStatus" AS ENUM ('unreviewed', 'reviewed', 'held');

-- CreateEnum
CREATE TYPE "OperationStatus" AS ENUM ('pending', 'in_flight', 'succeeded', 'failed');

-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed');

-- CreateTable
CREATE TABLE "staff_users" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "auth_source" TEXT NOT NULL DEFAULT 'credentials',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_sign_in_at" TIMESTAMPTZ(3),

    CONSTRAINT "staff_users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "role_credit_limits" (
    "role" "Role" NOT NULL,
    "limit_amount" DECIMAL(20,4),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by_id" UUID,

    CONSTRAINT "role_credit_limits_pkey" PRIMARY KEY ("role")
);

-- CreateTable
CREATE TABLE "settings" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_by_id" UUID,

    CONSTRAINT "settings_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "customers" (
    "id" UUID NOT NULL,
    "platform_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "region" TEXT NOT NULL,
    "status" "CustomerStatus" NOT NULL DEFAULT 'active',
    "provider" "ProviderKind" NOT NULL DEFAULT 'sandbox',
    "provider_customer_id" TEXT,
    "currency" CHAR(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "meters" (
    "id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "display_order" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "meters_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "plans" (
    "id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "status" "PlanStatus" NOT NULL DEFAULT 'active',
    "tier" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "plans_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "plan_versions" (
    "id" UUID NOT NULL,
    "plan_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "base_fee_minor" BIGINT NOT NULL,
    "minimum_commitment_minor" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "plan_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "plan_prices" (
    "id" UUID NOT NULL,
    "plan_version_id" UUID NOT NULL,
    "meter_id" UUID NOT NULL,
    "model" "PriceModel" NOT NULL,
    "unit_price" DECIMAL(20,10),
    "package_size" DECIMAL(20,6),
    "package_price" DECIMAL(20,10),
    "included_quantity" DECIMAL(20,6) NOT NULL DEFAULT 0,

    CONSTRAINT "plan_prices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "price_tiers" (
    "id" UUID NOT NULL,
    "price_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "up_to" DECIMAL(20,6),
    "unit_price" DECIMAL(20,10) NOT NULL,
    "flat_fee" DECIMAL(20,10),

    CONSTRAINT "price_tiers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscriptions" (
    "id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "status" "SubscriptionStatus" NOT NULL DEFAULT 'active',
    "billing_anchor" TIMESTAMPTZ(3) NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "provider_subscription_id" TEXT,

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscription_phases" (
    "id" UUID NOT NULL,
    "subscription_id" UUID NOT NULL,
    "plan_version_id" UUID NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3),

    CONSTRAINT "subscription_phases_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscription_changes" (
    "id" UUID NOT NULL,
    "subscription_id" UUID NOT NULL,
    "from_plan_version_id" UUID NOT NULL,
    "to_plan_version_id" UUID NOT NULL,
    "timing" "PlanChangeTiming" NOT NULL,
    "effective_at" TIMESTAMPTZ(3) NOT NULL,
    "status" "PlanChangeStatus" NOT NULL DEFAULT 'scheduled',
    "preview" JSONB,
    "requested_by_id" UUID,
    "request_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "applied_at" TIMESTAMPTZ(3),
    "canceled_at" TIMESTAMPTZ(3),

    CONSTRAINT "subscription_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_events" (
    "id" BIGSERIAL NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "customer_id" UUID NOT NULL,
    "meter_id" UUID NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "quantity" DECIMAL(24,6) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_hourly" (
    "customer_id" UUID NOT NULL,
    "meter_id" UUID NOT NULL,
    "bucket_start" TIMESTAMPTZ(3) NOT NULL,
    "quantity" DECIMAL(24,6) NOT NULL,

    CONSTRAINT "usage_hourly_pkey" PRIMARY KEY ("customer_id","meter_id","bucket_start")
);

-- CreateTable
CREATE TABLE "usage_daily" (
    "customer_id" UUID NOT NULL,
    "meter_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "quantity" DECIMAL(24,6) NOT NULL,

    CONSTRAINT "usage_daily_pkey" PRIMARY KEY ("customer_id","meter_id","day")
);

-- CreateTable
CREATE TABLE "credit_grants" (
    "id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "reason" "CreditReason" NOT NULL,
    "note" TEXT NOT NULL,
    "ticket_ref" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "status" "CreditGrantStatus" NOT NULL DEFAULT 'active',
    "issued_by_id" UUID,
    "approved_by_id" UUID,
    "request_id" TEXT NOT NULL,
    "provider_grant_id" TEXT,
    "bulk_credit_item_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "credit_grants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "credit_ledger_entries" (
    "id" BIGSERIAL NOT NULL,
    "customer_id" UUID NOT NULL,
    "grant_id" UUID NOT NULL,
    "kind" "LedgerEntryKind" NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "invoice_id" UUID,
    "note" TEXT,
    "actor_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "credit_ledger_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "credit_requests" (
    "id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "reason" "CreditReason" NOT NULL,
    "note" TEXT NOT NULL,
    "ticket_ref" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "status" "CreditRequestStatus" NOT NULL DEFAULT 'pending',
    "requested_by_id" UUID NOT NULL,
    "decided_by_id" UUID,
    "decided_at" TIMESTAMPTZ(3),
    "decision_note" TEXT,
    "request_id" TEXT NOT NULL,
    "grant_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "credit_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "bulk_credits" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "window_end" TIMESTAMPTZ(3) NOT NULL,
    "meter_keys" TEXT[],
    "regions" TEXT[],
    "rule" "BulkCreditRule" NOT NULL,
    "percent" DECIMAL(7,4),
    "flat_minor" BIGINT,
    "cap_minor" BIGINT,
    "currency" CHAR(3) NOT NULL,
    "reason" "CreditReason" NOT NULL DEFAULT 'outage',
    "note" TEXT NOT NULL,
    "status" "BulkCreditStatus" NOT NULL DEFAULT 'draft',
    "total_minor" BIGINT NOT NULL DEFAULT 0,
    "prepared_by_id" UUID NOT NULL,
    "decided_by_id" UUID,
    "decided_at" TIMESTAMPTZ(3),
    "decision_note" TEXT,
    "request_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bulk_credits_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "bulk_credit_items" (
    "id" UUID NOT NULL,
    "bulk_credit_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "cost_minor" BIGINT NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "grant_id" UUID,

    CONSTRAINT "bulk_credit_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoices" (
    "id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "number" TEXT NOT NULL,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "period_end" TIMESTAMPTZ(3) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "subtotal_minor" BIGINT NOT NULL,
    "credits_applied_minor" BIGINT NOT NULL DEFAULT 0,
    "total_minor" BIGINT NOT NULL,
    "status" "InvoiceStatus" NOT NULL DEFAULT 'issued',
    "issued_at" TIMESTAMPTZ(3),
    "paid_at" TIMESTAMPTZ(3),
    "provider_invoice_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invoices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice_lines" (
    "id" UUID NOT NULL,
    "invoice_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "kind" "InvoiceLineKind" NOT NULL,
    "description" TEXT NOT NULL,
    "meter_key" TEXT,
    "quantity" DECIMAL(24,6),
    "unit_price" DECIMAL(20,10),
    "amount_minor" BIGINT NOT NULL,
    "detail" JSONB,

    CONSTRAINT "invoice_lines_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice_preview_snapshots" (
    "id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "period_end" TIMESTAMPTZ(3) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "subtotal_minor" BIGINT NOT NULL,
    "credits_minor" BIGINT NOT NULL,
    "total_minor" BIGINT NOT NULL,
    "last_invoice_minor" BIGINT,
    "provider_preview" JSONB NOT NULL,
    "shadow_preview" JSONB NOT NULL,
    "flags" TEXT[],
    "computed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invoice_preview_snapshots_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice_reviews" (
    "id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "status" "ReviewStatus" NOT NULL DEFAULT 'unreviewed',
    "note" TEXT,
    "reviewer_id" UUID,
    "reviewed_at" TIMESTAMPTZ(3),

    CONSTRAINT "invoice_reviews_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_operations" (
    "id" UUID NOT NULL,
    "provider" "ProviderKind" NOT NULL,
    "kind" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "customer_id" UUID,
    "subject_id" TEXT,
    "payload" JSONB NOT NULL,
    "status" "OperationStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_until" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "provider_reference" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "provider_operations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "jobs" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'queued',
    "payload" JSONB NOT NULL DEFAULT '{}',
    "progress_done" INTEGER NOT NULL DEFAULT 0,
    "progress_total" INTEGER NOT NULL DEFAULT 0,
    "progress_failed" INTEGER NOT NULL DEFAULT 0,
    "result" JSONB,
    "error" TEXT,
    "created_by_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "locked_until" TIMESTAMPTZ(3),

    CONSTRAINT "jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_id" UUID,
    "actor_email" TEXT NOT NULL,
    "actor_role" TEXT,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT,
    "customer_id" UUID,
    "before" JSONB,
    "after" JSONB,
    "reason" TEXT,
    "request_id" TEXT,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "scopes" TEXT[],
    "created_by_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_events" (
    "provider" "ProviderKind" NOT NULL,
    "event_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "payload" JSONB NOT NULL,

    CONSTRAINT "webhook_events_pkey" PRIMARY KEY ("provider","event_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "staff_users_email_key" ON "staff_users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "customers_platform_id_key" ON "customers"("platform_id");

-- CreateIndex
CREATE INDEX "customers_name_trgm" ON "customers" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "customers_email_trgm" ON "customers" USING GIN ("email" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "customers_platform_id_trgm" ON "customers" USING GIN ("platform_id" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "customers_provider_customer_id_trgm" ON "customers" USING GIN ("provider_customer_id" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "customers_status_name_idx" ON "customers"("status", "name");

-- CreateIndex
CREATE INDEX "customers_region_name_idx" ON "customers"("region", "name");

-- CreateIndex
CREATE INDEX "customers_name_id_idx" ON "customers"("name", "id");

-- CreateIndex
CREATE INDEX "customers_created_at_idx" ON "customers"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "customers_provider_provider_customer_id_key" ON "customers"("provider", "provider_customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "meters_key_key" ON "meters"("key");

-- CreateIndex
CREATE UNIQUE INDEX "plans_key_key" ON "plans"("key");

-- CreateIndex
CREATE UNIQUE INDEX "plan_versions_plan_id_version_currency_key" ON "plan_versions"("plan_id", "version", "currency");

-- CreateIndex
CREATE UNIQUE INDEX "plan_prices_plan_version_id_meter_id_key" ON "plan_prices"("plan_version_id", "meter_id");

-- CreateIndex
CREATE UNIQUE INDEX "price_tiers_price_id_position_key" ON "price_tiers"("price_id", "position");

-- CreateIndex
CREATE INDEX "subscriptions_customer_id_status_idx" ON "subscriptions"("customer_id", "status");

-- CreateIndex
CREATE INDEX "subscription_phases_subscription_id_starts_at_idx" ON "subscription_phases"("subscription_id", "starts_at");

-- CreateIndex
CREATE INDEX "subscription_phases_plan_version_id_starts_at_idx" ON "subscription_phases"("plan_version_id", "starts_at");

-- CreateIndex
CREATE UNIQUE INDEX "subscription_changes_request_id_key" ON "subscription_changes"("request_id");

-- CreateIndex
CREATE INDEX "subscription_changes_subscription_id_effective_at_idx" ON "subscription_changes"("subscription_id", "effective_at");

-- CreateIndex
CREATE INDEX "subscription_changes_status_effective_at_idx" ON "subscription_changes"("status", "effective_at");

-- CreateIndex
CREATE INDEX "subscription_changes_created_at_idx" ON "subscription_changes"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "usage_events_idempotency_key_key" ON "usage_events"("idempotency_key");

-- CreateIndex
CREATE INDEX "usage_events_customer_id_meter_id_occurred_at_idx" ON "usage_events"("customer_id", "meter_id", "occurred_at");

-- CreateIndex
CREATE INDEX "usage_hourly_bucket_start_idx" ON "usage_hourly"("bucket_start");

-- CreateIndex
CREATE INDEX "usage_daily_day_idx" ON "usage_daily"("day");

-- CreateIndex
CREATE UNIQUE INDEX "credit_grants_request_id_key" ON "credit_grants"("request_id");

-- CreateIndex
CREATE UNIQUE INDEX "credit_grants_bulk_credit_item_id_key" ON "credit_grants"("bulk_credit_item_id");

-- CreateIndex
CREATE INDEX "credit_grants_customer_id_created_at_idx" ON "credit_grants"("customer_id", "created_at");

-- CreateIndex
CREATE INDEX "credit_grants_created_at_idx" ON "credit_grants"("created_at");

-- CreateIndex
CREATE INDEX "credit_ledger_entries_customer_id_created_at_idx" ON "credit_ledger_entries"("customer_id", "created_at");

-- CreateIndex
CREATE INDEX "credit_ledger_entries_grant_id_idx" ON "credit_ledger_entries"("grant_id");

-- CreateIndex
CREATE UNIQUE INDEX "credit_requests_request_id_key" ON "credit_requests"("request_id");

-- CreateIndex
CREATE UNIQUE INDEX "credit_requests_grant_id_key" ON "credit_requests"("grant_id");

-- CreateIndex
CREATE INDEX "credit_requests_status_created_at_idx" ON "credit_requests"("status", "created_at");

-- CreateIndex
CREATE INDEX "credit_requests_customer_id_created_at_idx" ON "credit_requests"("customer_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "bulk_credits_request_id_key" ON "bulk_credits"("request_id");

-- CreateIndex
CREATE INDEX "bulk_credits_status_created_at_idx" ON "bulk_credits"("status", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "bulk_credit_items_grant_id_key" ON "bulk_credit_items"("grant_id");

-- CreateIndex
CREATE UNIQUE INDEX "bulk_credit_items_bulk_credit_id_customer_id_key" ON "bulk_credit_items"("bulk_credit_id", "customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "invoices_number_key" ON "invoices"("number");

-- CreateIndex
CREATE INDEX "invoices_customer_id_period_start_idx" ON "invoices"("customer_id", "period_start" DESC);

-- CreateIndex
CREATE INDEX "invoices_period_start_idx" ON "invoices"("period_start");

-- CreateIndex
CREATE UNIQUE INDEX "invoices_customer_id_period_start_key" ON "invoices"("customer_id", "period_start");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_lines_invoice_id_position_key" ON "invoice_lines"("invoice_id", "position");

-- CreateIndex
CREATE INDEX "invoice_preview_snapshots_period_start_total_minor_idx" ON "invoice_preview_snapshots"("period_start", "total_minor");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_preview_snapshots_customer_id_period_start_key" ON "invoice_preview_snapshots"("customer_id", "period_start");

-- CreateIndex
CREATE INDEX "invoice_reviews_period_start_status_idx" ON "invoice_reviews"("period_start", "status");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_reviews_customer_id_period_start_key" ON "invoice_reviews"("customer_id", "period_start");

-- CreateIndex
CREATE UNIQUE INDEX "provider_operations_idempotency_key_key" ON "provider_operations"("idempotency_key");

-- CreateIndex
CREATE INDEX "provider_operations_status_next_attempt_at_idx" ON "provider_operations"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "provider_operations_customer_id_created_at_idx" ON "provider_operations"("customer_id", "created_at");

-- CreateIndex
CREATE INDEX "provider_operations_subject_id_idx" ON "provider_operations"("subject_id");

-- CreateIndex
CREATE INDEX "jobs_status_created_at_idx" ON "jobs"("status", "created_at");

-- CreateIndex
CREATE INDEX "jobs_kind_created_at_idx" ON "jobs"("kind", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "audit_events_hash_key" ON "audit_events"("hash");

-- CreateIndex
CREATE INDEX "audit_events_customer_id_id_idx" ON "audit_events"("customer_id", "id" DESC);

-- CreateIndex
CREATE INDEX "audit_events_actor_email_id_idx" ON "audit_events"("actor_email", "id" DESC);

-- CreateIndex
CREATE INDEX "audit_events_action_id_idx" ON "audit_events"("action", "id" DESC);

-- CreateIndex
CREATE INDEX "audit_events_occurred_at_idx" ON "audit_events"("occurred_at");

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");

-- AddForeignKey
ALTER TABLE "plan_versions" ADD CONSTRAINT "plan_versions_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plans"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "plan_prices" ADD CONSTRAINT "plan_prices_plan_version_id_fkey" FOREIGN KEY ("plan_version_id") REFERENCES "plan_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "plan_prices" ADD CONSTRAINT "plan_prices_meter_id_fkey" FOREIGN KEY ("meter_id") REFERENCES "meters"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "price_tiers" ADD CONSTRAINT "price_tiers_price_id_fkey" FOREIGN KEY ("price_id") REFERENCES "plan_prices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscription_phases" ADD CONSTRAINT "subscription_phases_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscription_phases" ADD CONSTRAINT "subscription_phases_plan_version_id_fkey" FOREIGN KEY ("plan_version_id") REFERENCES "plan_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscription_changes" ADD CONSTRAINT "subscription_changes_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscription_changes" ADD CONSTRAINT "subscription_changes_requested_by_id_fkey" FOREIGN KEY ("requested_by_id") REFERENCES "staff_users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_grants" ADD CONSTRAINT "credit_grants_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_grants" ADD CONSTRAINT "credit_grants_issued_by_id_fkey" FOREIGN KEY ("issued_by_id") REFERENCES "staff_users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_ledger_entries" ADD CONSTRAINT "credit_ledger_entries_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_ledger_entries" ADD CONSTRAINT "credit_ledger_entries_grant_id_fkey" FOREIGN KEY ("grant_id") REFERENCES "credit_grants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_requests" ADD CONSTRAINT "credit_requests_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_requests" ADD CONSTRAINT "credit_requests_requested_by_id_fkey" FOREIGN KEY ("requested_by_id") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_requests" ADD CONSTRAINT "credit_requests_decided_by_id_fkey" FOREIGN KEY ("decided_by_id") REFERENCES "staff_users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bulk_credit_items" ADD CONSTRAINT "bulk_credit_items_bulk_credit_id_fkey" FOREIGN KEY ("bulk_credit_id") REFERENCES "bulk_credits"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "invoices"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_preview_snapshots" ADD CONSTRAINT "invoice_preview_snapshots_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_reviews" ADD CONSTRAINT "invoice_reviews_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "staff_users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------
-- What schema.prisma cannot say.
-- ---------------------------------------------------------------------------

-- Money posted is never zero or negative where it must not be.
ALTER TABLE "credit_grants" ADD CONSTRAINT "credit_grants_amount_positive" CHECK ("amount_minor" > 0);
ALTER TABLE "credit_requests" ADD CONSTRAINT "credit_requests_amount_positive" CHECK ("amount_minor" > 0);
ALTER TABLE "bulk_credit_items" ADD CONSTRAINT "bulk_credit_items_amount_nonnegative" CHECK ("amount_minor" >= 0);
ALTER TABLE "credit_ledger_entries" ADD CONSTRAINT "credit_ledger_entries_sign" CHECK (
  ("kind" = 'grant' AND "amount_minor" > 0) OR ("kind" <> 'grant' AND "amount_minor" < 0)
);
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_quantity_nonnegative" CHECK ("quantity" >= 0);
ALTER TABLE "usage_hourly" ADD CONSTRAINT "usage_hourly_quantity_nonnegative" CHECK ("quantity" >= 0);
ALTER TABLE "usage_daily" ADD CONSTRAINT "usage_daily_quantity_nonnegative" CHECK ("quantity" >= 0);
ALTER TABLE "subscription_phases" ADD CONSTRAINT "subscription_phases_interval" CHECK ("ends_at" IS NULL OR "ends_at" > "starts_at");
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_period" CHECK ("period_end" > "period_start");

-- Maker-checker: nobody decides their own request, whatever the application does.
ALTER TABLE "credit_requests" ADD CONSTRAINT "credit_requests_not_self_decided" CHECK ("decided_by_id" IS NULL OR "decided_by_id" <> "requested_by_id");
ALTER TABLE "credit_requests" ADD CONSTRAINT "credit_requests_decision_complete" CHECK (
  ("status" IN ('pending', 'canceled')) OR ("decided_by_id" IS NOT NULL AND "decided_at" IS NOT NULL)
);
ALTER TABLE "credit_grants" ADD CONSTRAINT "credit_grants_not_self_approved" CHECK ("approved_by_id" IS NULL OR "approved_by_id" <> "issued_by_id");
ALTER TABLE "bulk_credits" ADD CONSTRAINT "bulk_credits_not_self_decided" CHECK ("decided_by_id" IS NULL OR "decided_by_id" <> "prepared_by_id");

-- Append-only tables: the ledger and the audit trail refuse UPDATE and DELETE.
CREATE FUNCTION meterdesk_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "credit_ledger_entries_append_only" BEFORE UPDATE OR DELETE ON "credit_ledger_entries"
  FOR EACH ROW EXECUTE FUNCTION meterdesk_refuse_change();
CREATE TRIGGER "credit_ledger_entries_no_truncate" BEFORE TRUNCATE ON "credit_ledger_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION meterdesk_refuse_change();
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION meterdesk_refuse_change();
CREATE TRIGGER "audit_events_no_truncate" BEFORE TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION meterdesk_refuse_change();

-- The audit chain. Each event's hash covers the previous event's hash and its own content,
-- in one canonical text form computed here, so the verifier (audit:verify) recomputes it with
-- the same function. Inserts are serialised by a transaction-scoped advisory lock, and the
-- id is drawn after the lock so that id order is chain order.
CREATE FUNCTION meterdesk_audit_hash(e "audit_events") RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(concat_ws(chr(31),
    e."prev_hash",
    e."id"::text,
    to_char(e."occurred_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    coalesce(e."actor_id"::text, ''),
    e."actor_email",
    coalesce(e."actor_role", ''),
    e."action",
    e."target_type",
    coalesce(e."target_id", ''),
    coalesce(e."customer_id"::text, ''),
    coalesce(e."before"::jsonb::text, 'null'),
    coalesce(e."after"::jsonb::text, 'null'),
    coalesce(e."reason", ''),
    coalesce(e."request_id", '')
  ), 'UTF8')), 'hex')
$$;

CREATE FUNCTION meterdesk_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7283001);
  NEW."id" := nextval(pg_get_serial_sequence('audit_events', 'id'));
  SELECT "hash" INTO NEW."prev_hash" FROM "audit_events" ORDER BY "id" DESC LIMIT 1;
  NEW."prev_hash" := coalesce(NEW."prev_hash", '');
  NEW."hash" := meterdesk_audit_hash(NEW);
  RETURN NEW;
END;
$$;

CREATE TRIGGER "audit_events_chain" BEFORE INSERT ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION meterdesk_audit_chain();
