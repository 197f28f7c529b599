-- Persons: personal data never in clear. ID number and name are sealed
-- (libsodium secretbox; key id kept for rotation); the keyed hash finds a
-- person by ID number; the masked forms are what most callers see.
CREATE TABLE persons (
  person_id        text        PRIMARY KEY CHECK (person_id ~ '^ps-[0-9a-f]{20}$'),
  household_id     text        NOT NULL REFERENCES households,
  id_key_id        text        NOT NULL,
  id_sealed        bytea       NOT NULL,
  id_lookup        bytea       NOT NULL,
  id_masked        text        NOT NULL,
  name_key_id      text        NOT NULL,
  name_sealed      bytea       NOT NULL,
  name_masked      text        NOT NULL,
  sex              smallint    NOT NULL,
  birth_date       date        NOT NULL,
  relation         smallint    NOT NULL,
  labour_capacity  smallint    NOT NULL,
  health           smallint    NOT NULL,
  disability_grade smallint    NOT NULL DEFAULT 0 CHECK (disability_grade BETWEEN 0 AND 4),
  in_school        boolean     NOT NULL DEFAULT false,
  medical_insured  boolean     NOT NULL DEFAULT false,
  employed         boolean     NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now()
);
-- One registration per ID number in an instance.
CREATE UNIQUE INDEX persons_id_lookup ON persons (id_lookup);
CREATE INDEX persons_household ON persons (household_id);

-- Income by the four kinds (M5), per month, with where it came from.
CREATE TABLE income_records (
  record_id    text        PRIMARY KEY,
  household_id text        NOT NULL REFERENCES households,
  kind         smallint    NOT NULL,
  source       smallint    NOT NULL,
  month        date        NOT NULL CHECK (extract(day FROM month) = 1),
  amount_fen   bigint      NOT NULL,
  source_ref   text        NOT NULL DEFAULT '',
  note         text        NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX income_records_household_month ON income_records (household_id, month);
-- An event from another service is booked once, whatever its redelivery.
CREATE UNIQUE INDEX income_records_event ON income_records (source_ref)
  WHERE source = 3 AND source_ref <> '';

-- Production costs and compliant rigid out-of-pocket spending.
CREATE TABLE expense_records (
  record_id    text        PRIMARY KEY,
  household_id text        NOT NULL REFERENCES households,
  kind         smallint    NOT NULL,
  source       smallint    NOT NULL,
  month        date        NOT NULL CHECK (extract(day FROM month) = 1),
  amount_fen   bigint      NOT NULL CHECK (amount_fen >= 0),
  note         text        NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX expense_records_household_month ON expense_records (household_id, month);

-- 两不愁三保障及饮水安全: current status per household (history in the journal).
CREATE TABLE guarantees (
  household_id         text        PRIMARY KEY REFERENCES households,
  food_clothing        smallint    NOT NULL,
  compulsory_education smallint    NOT NULL,
  basic_medical        smallint    NOT NULL,
  safe_housing         smallint    NOT NULL,
  safe_water           smallint    NOT NULL,
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Published policies (monitoring line, colour rules), versioned, never edited.
CREATE TABLE policies (
  owner_division_code text        NOT NULL,
  version             text        NOT NULL,
  year                int         NOT NULL,
  effective_from      date        NOT NULL,
  body                bytea       NOT NULL,  -- zx.monitoring.v1.MonitoringPolicy
  published_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_division_code, version)
);

-- Every assessment is kept (explainable later); the current colour per
-- household is kept apart for quick reads and change detection.
CREATE TABLE assessments (
  assessment_id  bigserial   PRIMARY KEY,
  household_id   text        NOT NULL REFERENCES households,
  colour         smallint    NOT NULL,
  policy_version text        NOT NULL,
  body           bytea       NOT NULL,  -- zx.monitoring.v1.Assessment
  assessed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assessments_household ON assessments (household_id, assessment_id);

CREATE TABLE household_colours (
  household_id  text        PRIMARY KEY REFERENCES households,
  colour        smallint    NOT NULL,
  assessment_id bigint      NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
