-- Transactional outbox: written in the same transaction as the change it
-- describes; the relay publishes unpublished rows to Redis in id order.
CREATE TABLE outbox (
  id            bigserial PRIMARY KEY,
  event_id      text        NOT NULL UNIQUE,
  event_type    text        NOT NULL,
  aggregate_id  text        NOT NULL,
  division_code text        NOT NULL,
  event         bytea       NOT NULL,  -- serialized zx.common.v1.Event
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at  timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- One row per relayed batch: the outbox id range and the Redis stream id of
-- its last entry. If the stream's last id falls behind (Redis lost data),
-- the relay re-publishes the batches after it.
CREATE TABLE outbox_batches (
  last_id      bigint      PRIMARY KEY,
  first_id     bigint      NOT NULL,
  stream_ms    bigint      NOT NULL,
  stream_seq   bigint      NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_batches_stream_id ON outbox_batches (stream_ms, stream_seq);

-- Wakes the relay (LISTEN) as soon as a writing transaction commits.
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('zx_outbox_' || TG_TABLE_SCHEMA, '');
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Consumer side: an event's effect and its id commit together, so a
-- redelivered event is recognised and skipped (exactly-once in effect).
CREATE TABLE processed_events (
  consumer_group text        NOT NULL,
  event_id       text        NOT NULL,
  processed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);

-- Idempotent mutating calls: a repeated request_id returns the stored response.
CREATE TABLE idempotency (
  request_id   text        PRIMARY KEY,
  method       text        NOT NULL,
  request_hash bytea       NOT NULL,
  response     bytea,
  created_at   timestamptz NOT NULL DEFAULT now()
);
