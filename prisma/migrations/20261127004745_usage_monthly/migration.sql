-- The daily rollups per customer, meter and UTC month as running totals, kept by triggers on
-- usage_daily: the review queue's batch previews read a billing period's usage, and which of
-- its days had data, from at most two rows per customer and meter instead of every day of it.
-- Derived data, rebuilt from usage_daily for every month a statement touches.

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

-- Rebuilds the monthly rows of the given (customer, meter, month) keys from usage_daily: a key
-- whose days are all gone loses its row. As sandbox_usage_monthly_rebuild, plus the month's
-- smallest and largest day.
CREATE FUNCTION usage_monthly_rebuild(customers uuid[], meters uuid[], months date[]) RETURNS void
LANGUAGE sql VOLATILE AS $$
  DELETE FROM usage_monthly m
   USING unnest(customers, meters, months) AS k(customer_id, meter_id, month)
   WHERE m.month = k.month AND m.customer_id = k.customer_id AND m.meter_id = k.meter_id;
  INSERT INTO usage_monthly (month, customer_id, meter_id, through, day_bits, min_day, max_day)
  SELECT month, customer_id, meter_id,
         array_fill(0::numeric, ARRAY[min(dom) - 1]) || sandbox_numeric_array_cat(array_fill(running, ARRAY[next_dom - dom]) ORDER BY dom),
         bit_or(1::bigint << (dom - 1)), min(quantity), max(quantity)
    FROM (
      SELECT month, customer_id, meter_id, dom, quantity,
             sum(quantity) OVER w AS running, lead(dom, 1, 32) OVER w AS next_dom
        FROM (
          SELECT k.month, d.customer_id, d.meter_id, extract(day FROM d.day)::int AS dom, d.quantity
            FROM (SELECT DISTINCT * FROM unnest(customers, meters, months) AS k(customer_id, meter_id, month)) k
            JOIN usage_daily d
              ON d.customer_id = k.customer_id AND d.meter_id = k.meter_id
             AND d.day >= k.month AND d.day < (k.month + interval '1 month')::date
        ) days
      WINDOW w AS (PARTITION BY month, customer_id, meter_id ORDER BY dom)
    ) running
   GROUP BY month, customer_id, meter_id;
$$;

-- After any statement on usage_daily (the roll-up job's upserts, above all): the months it
-- touched are rebuilt, one rebuild at a time (each then reads what the one before committed).
CREATE FUNCTION usage_monthly_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  customers uuid[];
  meters uuid[];
  months date[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(customer_id), array_agg(meter_id), array_agg(month) INTO customers, meters, months
      FROM (SELECT DISTINCT customer_id, meter_id, date_trunc('month', day)::date AS month FROM new_rows) k;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(customer_id), array_agg(meter_id), array_agg(month) INTO customers, meters, months
      FROM (SELECT DISTINCT customer_id, meter_id, date_trunc('month', day)::date AS month FROM old_rows) k;
  ELSE
    SELECT array_agg(customer_id), array_agg(meter_id), array_agg(month) INTO customers, meters, months
      FROM (SELECT customer_id, meter_id, date_trunc('month', day)::date AS month FROM new_rows
            UNION SELECT customer_id, meter_id, date_trunc('month', day)::date FROM old_rows) k;
  END IF;
  IF customers IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext('usage_monthly'));
    PERFORM usage_monthly_rebuild(customers, meters, months);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION usage_monthly_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE usage_monthly;
  RETURN NULL;
END $$;

CREATE TRIGGER usage_daily_monthly_insert AFTER INSERT ON "usage_daily"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_monthly_sync();
CREATE TRIGGER usage_daily_monthly_update AFTER UPDATE ON "usage_daily"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_monthly_sync();
CREATE TRIGGER usage_daily_monthly_delete AFTER DELETE ON "usage_daily"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_monthly_sync();
CREATE TRIGGER usage_daily_monthly_truncate AFTER TRUNCATE ON "usage_daily"
  FOR EACH STATEMENT EXECUTE FUNCTION usage_monthly_clear();

-- The rows already there.
SELECT usage_monthly_rebuild(array_agg(customer_id), array_agg(meter_id), array_agg(month))
  FROM (SELECT DISTINCT customer_id, meter_id, date_trunc('month', day)::date AS month FROM usage_daily) k;
