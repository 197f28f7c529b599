-- 一户一策: the measures of each monitoring object's assistance plan.
CREATE TABLE assistance_measures (
  measure_id       text        PRIMARY KEY,
  household_id     text        NOT NULL REFERENCES households,
  object_id        text        NOT NULL,
  kind             smallint    NOT NULL,
  description      text        NOT NULL,
  linked_record_id text        NOT NULL DEFAULT '',
  added_by         text        NOT NULL,
  added_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assistance_measures_household ON assistance_measures (household_id, added_at);
