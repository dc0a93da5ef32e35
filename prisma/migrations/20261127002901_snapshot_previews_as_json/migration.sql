-- The review queue's snapshots hold both previews as json, not jsonb: each recompute writes
-- ten thousand of them and every reader takes them whole. json input is only validated, where
-- jsonb is parsed into its binary form: several times the database's work on every write.
ALTER TABLE "invoice_preview_snapshots" ALTER COLUMN "provider_preview" SET DATA TYPE JSON USING "provider_preview"::json,
ALTER COLUMN "shadow_preview" SET DATA TYPE JSON USING "shadow_preview"::json;

-- A type change resets the storage strategy: keep them out of line and uncompressed, as before.
ALTER TABLE "invoice_preview_snapshots" ALTER COLUMN "provider_preview" SET STORAGE EXTERNAL;
ALTER TABLE "invoice_preview_snapshots" ALTER COLUMN "shadow_preview" SET STORAGE EXTERNAL;
