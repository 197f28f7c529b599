-- Idempotency records are purged after the configured retention
-- (--idempotency-retention-days). created_at follows insertion order, so a
-- BRIN index finds the expired blocks at almost no cost to each insert.
CREATE INDEX idempotency_created_at ON idempotency USING brin (created_at);
