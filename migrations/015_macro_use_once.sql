-- A macro applied with an Idempotency-Key is counted once however often the
-- request is retried: the use keeps the update ID the key made.
ALTER TABLE macro_uses ADD COLUMN update_id text;
CREATE UNIQUE INDEX macro_uses_update_idx ON macro_uses (update_id) WHERE update_id IS NOT NULL;
