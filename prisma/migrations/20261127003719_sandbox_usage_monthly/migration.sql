-- The sandbox keeps its usage per customer, meter and UTC month as running totals, as a billing
-- provider keeps period-to-date totals: the batch upcoming invoices then read at most two rows
-- per customer and meter for a billing period instead of every day of it.

-- CreateTable
CREATE TABLE "sandbox_usage_monthly" (
    "month" DATE NOT NULL,
    "provider_customer_id" TEXT NOT NULL,
    "meter_key" TEXT NOT NULL,
    "through" DECIMAL(24,6)[],
    "day_bits" BIGINT NOT NULL,

    CONSTRAINT "sandbox_usage_monthly_pkey" PRIMARY KEY ("month","provider_customer_id","meter_key")
);

-- Concatenates arrays in the aggregate's order.
CREATE AGGREGATE sandbox_numeric_array_cat(numeric[]) (SFUNC = array_cat, STYPE = numeric[], INITCOND = '{}');

-- Rebuilds the monthly rows of the given (customer, meter, month) keys from sandbox_usage_daily,
-- the source of truth: a key whose days are all gone loses its row. Thirty-one running totals:
-- each day's total repeats up to the day before the next day with a row (or to day 31).
CREATE FUNCTION sandbox_usage_monthly_rebuild(customers text[], meters text[], months date[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
  DELETE FROM sandbox_usage_monthly m
   USING unnest(customers, meters, months) AS k(provider_customer_id, meter_key, month)
   WHERE m.month = k.month AND m.provider_customer_id = k.provider_customer_id AND m.meter_key = k.meter_key;
  INSERT INTO sandbox_usage_monthly (month, provider_customer_id, meter_key, through, day_bits)
  SELECT month, provider_customer_id, meter_key,
         array_fill(0::numeric, ARRAY[min(dom) - 1]) || sandbox_numeric_array_cat(array_fill(running, ARRAY[next_dom - dom]) ORDER BY dom),
         bit_or(1::bigint << (dom - 1))
    FROM (
      SELECT month, provider_customer_id, meter_key, dom,
             sum(quantity) OVER w AS running, lead(dom, 1, 32) OVER w AS next_dom
        FROM (
          SELECT k.month, d.provider_customer_id, d.meter_key, extract(day FROM d.day)::int AS dom, d.quantity
            FROM (SELECT DISTINCT * FROM unnest(customers, meters, months) AS k(provider_customer_id, meter_key, month)) k
            JOIN sandbox_usage_daily d
              ON d.provider_customer_id = k.provider_customer_id AND d.meter_key = k.meter_key
             AND d.day >= k.month AND d.day < (k.month + interval '1 month')::date
        ) days
      WINDOW w AS (PARTITION BY month, provider_customer_id, meter_key ORDER BY dom)
    ) running
   GROUP BY month, provider_customer_id, meter_key;
$$;

-- After any statement on sandbox_usage_daily: the months it touched are rebuilt. One rebuild at a
-- time (a transaction-scoped lock): each then reads the days the one before it committed.
CREATE FUNCTION sandbox_usage_monthly_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  customers text[];
  meters text[];
  months date[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(provider_customer_id), array_agg(meter_key), array_agg(month) INTO customers, meters, months
      FROM (SELECT DISTINCT provider_customer_id, meter_key, date_trunc('month', day)::date AS month FROM new_rows) k;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(provider_customer_id), array_agg(meter_key), array_agg(month) INTO customers, meters, months
      FROM (SELECT DISTINCT provider_customer_id, meter_key, date_trunc('month', day)::date AS month FROM old_rows) k;
  ELSE
    SELECT array_agg(provider_customer_id), array_agg(meter_key), array_agg(month) INTO customers, meters, months
      FROM (SELECT provider_customer_id, meter_key, date_trunc('month', day)::date AS month FROM new_rows
            UNION SELECT provider_customer_id, meter_key, date_trunc('month', day)::date FROM old_rows) k;
  END IF;
  IF customers IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext('sandbox_usage_monthly'));
    PERFORM sandbox_usage_monthly_rebuild(customers, meters, months);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION sandbox_usage_monthly_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE sandbox_usage_monthly;
  RETURN NULL;
END $$;

CREATE TRIGGER sandbox_usage_daily_monthly_insert AFTER INSERT ON "sandbox_usage_daily"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sandbox_usage_monthly_sync();
CREATE TRIGGER sandbox_usage_daily_monthly_update AFTER UPDATE ON "sandbox_usage_daily"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sandbox_usage_monthly_sync();
CREATE TRIGGER sandbox_usage_daily_monthly_delete AFTER DELETE ON "sandbox_usage_daily"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sandbox_usage_monthly_sync();
CREATE TRIGGER sandbox_usage_daily_monthly_truncate AFTER TRUNCATE ON "sandbox_usage_daily"
  FOR EACH STATEMENT EXECUTE FUNCTION sandbox_usage_monthly_clear();

-- The rows already there.
SELECT sandbox_usage_monthly_rebuild(array_agg(provider_customer_id), array_agg(meter_key), array_agg(month))
  FROM (SELECT DISTINCT provider_customer_id, meter_key, date_trunc('month', day)::date AS month FROM sandbox_usage_daily) k;
