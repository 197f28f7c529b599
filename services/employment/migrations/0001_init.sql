-- The employment schema starts with the shared tables only (outbox, processed
-- events, idempotency: common/migrations). Domain tables arrive with its issue.
SELECT 1;
