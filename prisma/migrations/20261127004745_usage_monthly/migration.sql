-- Meterdesk's daily rollups per customer, meter and UTC month as running totals, kept by the
-- triggers of the previous migration on usage_daily (whose writes are the roll-up job's upserts
-- above all): the review queue's batch previews read a billing period's usage, and which of its
-- days had data, from at most two rows per customer and meter instead of every day of it.

-- CreateTable
CREATE TABLE "usage_monthly" (
    "month" DATE NOT NULL,
    "customer_id" UUID NOT NULL,
    "meter_id" UUID NOT NULL,
    "through" DECIMAL(24,6)[],
    "day_bits" BIGINT NOT NULL,
    "min_day" DECIMAL(24,6) NOT NULL,
    "max_day" DECIMAL(24,6) NOT NULL,

    CONSTRAINT "usage_monthly_pkey" PRIMARY KEY ("month","customer_id","meter_id")
);

CREATE TRIGGER usage_daily_monthly_insert AFTER INSERT ON "usage_daily" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION monthly_totals_sync('usage_monthly', 'customer_id', 'meter_id', 'uuid');
CREATE TRIGGER usage_daily_monthly_update AFTER UPDATE ON "usage_daily" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION monthly_totals_sync('usage_monthly', 'customer_id', 'meter_id', 'uuid');
CREATE TRIGGER usage_daily_monthly_delete AFTER DELETE ON "usage_daily" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION monthly_totals_sync('usage_monthly', 'customer_id', 'meter_id', 'uuid');
CREATE TRIGGER usage_daily_monthly_truncate AFTER TRUNCATE ON "usage_daily"
  FOR EACH STATEMENT EXECUTE FUNCTION monthly_totals_clear('usage_monthly');

-- The rows already there.
SELECT monthly_totals_rebuild('usage_monthly', 'usage_daily', 'customer_id', 'meter_id', 'uuid',
                              array_agg(customer_id::text), array_agg(meter_id::text), array_agg(month))
  FROM (SELECT DISTINCT customer_id, meter_id, date_trunc('month', day)::date AS month FROM usage_daily) k;
