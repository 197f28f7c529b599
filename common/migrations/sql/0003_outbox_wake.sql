-- The relay is woken in-process after a commit that appended events
-- (common/events: pg::AfterCommit), not by NOTIFY: PostgreSQL lets only one
-- NOTIFY-sending transaction commit at a time, which serialized every
-- event-writing path of the database. Idle relays poll.
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
DROP FUNCTION IF EXISTS outbox_notify();
