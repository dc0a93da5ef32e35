-- CreateTable
CREATE TABLE "sandbox_idempotency" (
    "key" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sandbox_idempotency_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "sandbox_credit_grants" (
    "id" TEXT NOT NULL,
    "provider_customer_id" TEXT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "consumed_minor" BIGINT NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3),
    "voided_at" TIMESTAMPTZ(3),
    "description" TEXT NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sandbox_credit_grants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sandbox_usage_daily" (
    "provider_customer_id" TEXT NOT NULL,
    "meter_key" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "quantity" DECIMAL(24,6) NOT NULL,

    CONSTRAINT "sandbox_usage_daily_pkey" PRIMARY KEY ("provider_customer_id","meter_key","day")
);

-- CreateTable
CREATE TABLE "sandbox_usage_events" (
    "idempotency_key" TEXT NOT NULL,
    "provider_customer_id" TEXT NOT NULL,
    "meter_key" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "quantity" DECIMAL(24,6) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sandbox_usage_events_pkey" PRIMARY KEY ("idempotency_key")
);

-- CreateTable
CREATE TABLE "sandbox_plan_changes" (
    "id" TEXT NOT NULL,
    "provider_customer_id" TEXT NOT NULL,
    "to_plan_version_id" UUID NOT NULL,
    "timing" TEXT NOT NULL,
    "effective_at" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'scheduled',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sandbox_plan_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sandbox_fault_settings" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "error_rate" DECIMAL(5,4) NOT NULL DEFAULT 0,
    "latency_ms" INTEGER NOT NULL DEFAULT 0,
    "lost_response_rate" DECIMAL(5,4) NOT NULL DEFAULT 0,
    "rate_limit_rate" DECIMAL(5,4) NOT NULL DEFAULT 0,

    CONSTRAINT "sandbox_fault_settings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sandbox_credit_grants_provider_customer_id_created_at_idx" ON "sandbox_credit_grants"("provider_customer_id", "created_at");

-- CreateIndex
CREATE INDEX "sandbox_plan_changes_provider_customer_id_effective_at_idx" ON "sandbox_plan_changes"("provider_customer_id", "effective_at");
