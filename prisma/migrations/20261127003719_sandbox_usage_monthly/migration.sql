-- Monthly running totals, kept by triggers from daily rows: first for the sandbox, which keeps
-- them as a billing provider keeps period-to-date totals (its batch upcoming invoices then read
-- at most two rows per customer and meter for a billing period instead of every day of it).
-- The functions are generic: the next migration puts Meterdesk's own usage_daily under them.

-- CreateTable
CREATE TABLE "sandbox_usage_monthly" (
    "month" DATE NOT NULL,
    "provider_customer_id" TEXT NOT NULL,
    "meter_key" TEXT NOT NULL,
    "through" DECIMAL(24,6)[],
    "day_bits" BIGINT NOT NULL,
    "min_day" DECIMAL(24,6) NOT NULL,
    "max_day" DECIMAL(24,6) NOT NULL,

    CONSTRAINT "sandbox_usage_monthly_pkey" PRIMARY KEY ("month","provider_customer_id","meter_key")
);

-- Concatenates arrays in the aggregate's order.
CREATE AGGREGATE numeric_array_cat(numeric[]) (SFUNC = array_cat, STYPE = numeric[], INITCOND = '{}');

-- Rebuilds the rows of `monthly` for the given (customer, meter, month) keys from the rows of
-- `daily` (the source of truth): a key whose days are all gone loses its row. Each row holds
-- thirty-one running totals (each day's total repeats up to the day before the next day with a
-- row, or to day 31), a bit per day with a row, and the month's smallest and largest day.
-- Keys come as text and are cast to `key_type`, the key columns' type.
CREATE FUNCTION monthly_totals_rebuild(monthly text, daily text, customer_col text, meter_col text, key_type text,
                                       customers text[], meters text[], months date[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format(
    'DELETE FROM %1$I m USING unnest($1::%4$s[], $2::%4$s[], $3) AS k(c, mt, month)
      WHERE m.month = k.month AND m.%2$I = k.c AND m.%3$I = k.mt',
    monthly, customer_col, meter_col, key_type)
  USING customers, meters, months;
  EXECUTE format(
    'INSERT INTO %1$I (month, %2$I, %3$I, through, day_bits, min_day, max_day)
     SELECT month, c, mt,
            array_fill(0::numeric, ARRAY[min(dom) - 1]) || numeric_array_cat(array_fill(running, ARRAY[next_dom - dom]) ORDER BY dom),
            bit_or(1::bigint << (dom - 1)), min(quantity), max(quantity)
       FROM (
         SELECT month, c, mt, dom, quantity, sum(quantity) OVER w AS running, lead(dom, 1, 32) OVER w AS next_dom
           FROM (
             SELECT k.month, k.c, k.mt, extract(day FROM d.day)::int AS dom, d.quantity
               FROM (SELECT DISTINCT * FROM unnest($1::%4$s[], $2::%4$s[], $3) AS k(c, mt, month)) k
               JOIN %5$I d ON d.%2$I = k.c AND d.%3$I = k.mt AND d.day >= k.month AND d.day < (k.month + interval ''1 month'')::date
           ) days
         WINDOW w AS (PARTITION BY month, c, mt ORDER BY dom)
       ) running
      GROUP BY month, c, mt',
    monthly, customer_col, meter_col, key_type, daily)
  USING customers, meters, months;
END $$;

-- After any statement on a daily table: the months it touched are rebuilt, one rebuild at a time
-- per monthly table (a transaction-scoped lock: each then reads what the one before committed).
-- Arguments: the monthly table, the customer and meter key columns, and their type.
CREATE FUNCTION monthly_totals_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  keys text := format('SELECT %I::text AS c, %I::text AS mt, date_trunc(''month'', day)::date AS month FROM ', TG_ARGV[1], TG_ARGV[2]);
  customers text[];
  meters text[];
  months date[];
BEGIN
  EXECUTE 'SELECT array_agg(c), array_agg(mt), array_agg(month) FROM (SELECT DISTINCT * FROM (' ||
          CASE TG_OP WHEN 'INSERT' THEN keys || 'new_rows'
                     WHEN 'DELETE' THEN keys || 'old_rows'
                     ELSE keys || 'new_rows UNION ALL ' || keys || 'old_rows' END ||
          ') touched) k'
    INTO customers, meters, months;
  IF customers IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtext(TG_ARGV[0]));
    PERFORM monthly_totals_rebuild(TG_ARGV[0], TG_TABLE_NAME, TG_ARGV[1], TG_ARGV[2], TG_ARGV[3], customers, meters, months);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION monthly_totals_clear() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('TRUNCATE %I', TG_ARGV[0]);
  RETURN NULL;
END $$;

CREATE TRIGGER sandbox_usage_daily_monthly_insert AFTER INSERT ON "sandbox_usage_daily" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION monthly_totals_sync('sandbox_usage_monthly', 'provider_customer_id', 'meter_key', 'text');
CREATE TRIGGER sandbox_usage_daily_monthly_update AFTER UPDATE ON "sandbox_usage_daily" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION monthly_totals_sync('sandbox_usage_monthly', 'provider_customer_id', 'meter_key', 'text');
CREATE TRIGGER sandbox_usage_daily_monthly_delete AFTER DELETE ON "sandbox_usage_daily" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION monthly_totals_sync('sandbox_usage_monthly', 'provider_customer_id', 'meter_key', 'text');
CREATE TRIGGER sandbox_usage_daily_monthly_truncate AFTER TRUNCATE ON "sandbox_usage_daily"
  FOR EACH STATEMENT EXECUTE FUNCTION monthly_totals_clear('sandbox_usage_monthly');

-- The rows already there.
SELECT monthly_totals_rebuild('sandbox_usage_monthly', 'sandbox_usage_daily', 'provider_customer_id', 'meter_key', 'text',
                              array_agg(provider_customer_id), array_agg(meter_key), array_agg(month))
  FROM (SELECT DISTINCT provider_customer_id, meter_key, date_trunc('month', day)::date AS month FROM sandbox_usage_daily) k;
