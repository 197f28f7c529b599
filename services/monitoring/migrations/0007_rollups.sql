-- Roll-ups (汇总), maintained incrementally (services/monitoring/domain/rollup.h).
--
-- Every change to a household appends the difference between its new and its
-- last contribution to rollup_deltas (insert-only: concurrent writers never
-- wait on a shared counter row); a compactor folds the deltas into
-- rollup_counters at every level (village .. region). A read sums the
-- division's counters and its pending deltas in one statement, so it sees
-- one consistent snapshot and never scans households.

-- What the roll-up needs from an assessment without reading its body.
ALTER TABLE household_colours
  ADD COLUMN per_capita_fen bigint,
  ADD COLUMN previous_per_capita_fen bigint;

-- Each household's contribution as last applied ("key=value;...").
CREATE TABLE household_rollup (
  household_id text PRIMARY KEY REFERENCES households,
  village_code text NOT NULL,
  contribution text NOT NULL
);

CREATE TABLE rollup_deltas (
  delta_id     bigserial PRIMARY KEY,
  village_code text      NOT NULL,
  key          text      NOT NULL,
  delta        bigint    NOT NULL
);
CREATE INDEX rollup_deltas_village ON rollup_deltas (village_code text_pattern_ops);

CREATE TABLE rollup_counters (
  division_code text   NOT NULL,
  key           text   NOT NULL,
  value         bigint NOT NULL,
  PRIMARY KEY (division_code, key)
);

-- The counters as they stood when each day was closed (GetRollup as_of).
CREATE TABLE rollup_closings (
  day           date   NOT NULL,
  division_code text   NOT NULL,
  key           text   NOT NULL,
  value         bigint NOT NULL,
  PRIMARY KEY (day, division_code, key)
);
