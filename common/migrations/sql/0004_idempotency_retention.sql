-- Idempotency records are purged after the configured retention
-- (--idempotency-retention-days), oldest first. A B-tree, not BRIN: BRIN
-- ranges only widen, so once purged space is reused every range would match
-- the cutoff and each purge would scan the table.
CREATE INDEX idempotency_created_at ON idempotency (created_at);
