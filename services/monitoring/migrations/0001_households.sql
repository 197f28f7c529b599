-- Household registry (seed of the monitoring issue).
CREATE TABLE households (
  household_id text        PRIMARY KEY CHECK (household_id ~ '^hh-[0-9a-f]{20}$'),
  village_code text        NOT NULL CHECK (village_code ~ '^[0-9]{12}$'),
  category     smallint    NOT NULL,     -- zx.monitoring.v1.HouseholdCategory
  relocated    boolean     NOT NULL DEFAULT false,
  member_count smallint    NOT NULL CHECK (member_count BETWEEN 1 AND 20),
  synthetic    boolean     NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now()
);
-- Listing by any division level is a prefix range over the village code.
CREATE INDEX households_village ON households (village_code text_pattern_ops, household_id);
