-- The sandbox's batch previews sum one billing period of its usage copy for every customer. Its
-- rows are laid out customer by customer, so a plain index on day still visits nearly every heap
-- page; an index holding the summed columns lets that read be an index-only scan.
DROP INDEX "sandbox_usage_daily_day_idx";
CREATE INDEX "sandbox_usage_daily_day_provider_customer_id_meter_key_quan_idx" ON "sandbox_usage_daily"("day", "provider_customer_id", "meter_key", "quantity");
