-- A snapshot records the usage roll-up watermark it was computed at (see roll-up-usage.ts): the
-- review queue marks it stale exactly when a usage event of the customer was stored by a
-- transaction at or above it, that is, one the snapshot's usage did not include.
ALTER TABLE "invoice_preview_snapshots" ADD COLUMN "rollup_watermark" xid8;

-- The previews are rewritten whole on every recompute and read one at a time: keep their JSON
-- uncompressed (TOAST compression cost more CPU at write than it saves in reads).
ALTER TABLE "invoice_preview_snapshots" ALTER COLUMN "provider_preview" SET STORAGE EXTERNAL;
ALTER TABLE "invoice_preview_snapshots" ALTER COLUMN "shadow_preview" SET STORAGE EXTERNAL;

-- The sandbox's batch previews read one billing period of its usage copy for every customer:
-- by day, as usage_daily is.
CREATE INDEX "sandbox_usage_daily_day_idx" ON "sandbox_usage_daily"("day");
