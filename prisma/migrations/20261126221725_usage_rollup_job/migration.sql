-- Usage ingest stores events only; a roll-up job folds them into usage_hourly / usage_daily
-- (lib/server/services/roll-up-usage.ts). Each event records the transaction that stored it;
-- the job takes ranges of transactions that have all finished (below the oldest one still
-- running), so an event is rolled up exactly once: never before its transaction commits, never
-- skipped, never twice (the watermark moves in the same transaction as the rollup updates).

-- Events stored before this migration were rolled up as they arrived: they get transaction 0,
-- below the starting watermark. New rows take the inserting transaction's id.
ALTER TABLE "usage_events" ADD COLUMN "ingest_xid" xid8 NOT NULL DEFAULT '0';
ALTER TABLE "usage_events" ALTER COLUMN "ingest_xid" SET DEFAULT pg_current_xact_id();

CREATE TABLE "usage_rollup_state" (
    "id" SMALLINT NOT NULL DEFAULT 1,
    "rolled_up_below" xid8 NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_rollup_state_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "usage_rollup_state_single_row" CHECK ("id" = 1)
);
INSERT INTO "usage_rollup_state" ("id", "rolled_up_below") VALUES (1, '1');

CREATE INDEX "usage_events_ingest_xid_idx" ON "usage_events"("ingest_xid");
