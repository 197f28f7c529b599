-- Sudden events (突发事件): an illness, accident or disaster that struck a
-- household. The latest within the policy's sudden_event_days makes the
-- household at least ORANGE. Appended, never edited.
CREATE TABLE sudden_events (
  event_id     text        PRIMARY KEY,
  household_id text        NOT NULL REFERENCES households,
  kind         smallint    NOT NULL CHECK (kind BETWEEN 1 AND 4),
  occurred_on  date        NOT NULL,
  note         text        NOT NULL DEFAULT '',
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sudden_events_household_day ON sudden_events (household_id, occurred_on DESC);
