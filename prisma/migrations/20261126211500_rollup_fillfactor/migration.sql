-- Rollups are updated in place by every ingest batch (quantity += new usage). Leaving a fifth of
-- each page free lets PostgreSQL make those updates heap-only (HOT): no index entry is written,
-- since no indexed column changes. Applies to pages written from now on.
ALTER TABLE "usage_hourly" SET (fillfactor = 80);
ALTER TABLE "usage_daily" SET (fillfactor = 80);
