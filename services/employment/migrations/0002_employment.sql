-- Employment service (issue 5): workers, employers, jobs, matching runs,
-- placements, wages, public-welfare attendance, overdue-wage alerts,
-- transport subsidies and policies. Protos are kept whole in `body` (as the
-- API shows them); the columns beside them are what queries filter on.

CREATE TABLE workers (
  worker_id     text        PRIMARY KEY CHECK (worker_id ~ '^wk-[0-9a-f]{20}$'),
  person_id     text        NOT NULL UNIQUE,  -- one worker per monitoring person
  household_id  text        NOT NULL,
  division_code text        NOT NULL CHECK (division_code ~ '^[0-9]{12}$'),
  available     boolean     NOT NULL,
  able          boolean     NOT NULL,
  priority      boolean     NOT NULL,  -- monitored or lifted household
  body          bytea       NOT NULL,  -- zx.employment.v1.Worker
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workers_division ON workers (division_code text_pattern_ops);
CREATE INDEX workers_household ON workers (household_id);

CREATE TABLE employers (
  employer_id   text PRIMARY KEY CHECK (employer_id ~ '^em-[0-9a-f]{20}$'),
  division_code text NOT NULL CHECK (division_code ~ '^[0-9]{12}$'),
  kind          smallint NOT NULL CHECK (kind > 0),
  body          bytea NOT NULL  -- zx.employment.v1.Employer
);

CREATE TABLE jobs (
  job_id         text     PRIMARY KEY CHECK (job_id ~ '^jb-[0-9a-f]{20}$'),
  employer_id    text     NOT NULL REFERENCES employers,
  owner_division text     NOT NULL,  -- the employer's division: who may see the job
  location       text     NOT NULL CHECK (location ~ '^[0-9]{12}$'),
  kind           smallint NOT NULL CHECK (kind > 0),
  open           boolean  NOT NULL,
  slots          integer  NOT NULL CHECK (slots > 0),
  body           bytea    NOT NULL  -- zx.employment.v1.Job
);
CREATE INDEX jobs_owner ON jobs (owner_division text_pattern_ops);

CREATE TABLE matching_runs (
  run_id        text        PRIMARY KEY,
  division_code text        NOT NULL,
  snapshot_id   text        NOT NULL,
  objective     bigint      NOT NULL,
  covered_before integer    NOT NULL,
  covered_after integer     NOT NULL,
  body          bytea       NOT NULL,  -- zx.employment.v1.MatchingRun
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE placements (
  placement_id  text        PRIMARY KEY CHECK (placement_id ~ '^pl-[0-9a-f]{20}$'),
  worker_id     text        NOT NULL REFERENCES workers,
  household_id  text        NOT NULL,
  job_id        text        NOT NULL REFERENCES jobs,
  run_id        text,
  division_code text        NOT NULL,  -- the worker's
  status        smallint    NOT NULL CHECK (status BETWEEN 1 AND 4),
  job_kind      smallint    NOT NULL,
  start_date    date,
  body          bytea       NOT NULL,  -- zx.employment.v1.Placement
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX placements_worker ON placements (worker_id);
CREATE INDEX placements_household ON placements (household_id);
CREATE INDEX placements_job ON placements (job_id) WHERE status IN (1, 2, 3);
CREATE INDEX placements_division ON placements (division_code text_pattern_ops) WHERE status IN (1, 2, 3);
-- RULES E2: one public-welfare post per household, held by the database too.
CREATE UNIQUE INDEX placements_one_post_per_household ON placements (household_id)
  WHERE job_kind = 2 AND status IN (2, 3);

CREATE TABLE wages (
  wage_id      text    PRIMARY KEY,
  placement_id text    NOT NULL REFERENCES placements,
  month        text    NOT NULL CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
  amount_fen   bigint  NOT NULL CHECK (amount_fen > 0),
  subsidy      boolean NOT NULL,
  body         bytea   NOT NULL,  -- zx.employment.v1.WageRecord
  UNIQUE (placement_id, month, subsidy)
);

CREATE TABLE attendance (
  placement_id text     NOT NULL REFERENCES placements,
  month        text     NOT NULL,
  days_on_duty smallint NOT NULL CHECK (days_on_duty BETWEEN 0 AND 31),
  body         bytea    NOT NULL,  -- zx.employment.v1.Attendance
  PRIMARY KEY (placement_id, month)
);

CREATE TABLE wage_alerts (
  placement_id text NOT NULL REFERENCES placements,
  month        text NOT NULL,
  raised_on    date NOT NULL,
  body         bytea NOT NULL,  -- zx.employment.v1.OverdueWageAlert
  PRIMARY KEY (placement_id, month)
);

CREATE TABLE transport_subsidies (
  subsidy_id   text   PRIMARY KEY,
  placement_id text   NOT NULL UNIQUE REFERENCES placements,  -- one-time
  amount_fen   bigint NOT NULL,
  body         bytea  NOT NULL  -- zx.employment.v1.TransportSubsidy
);

CREATE TABLE policies (
  seq                 bigserial   PRIMARY KEY,
  owner_division_code text        NOT NULL,
  body                bytea       NOT NULL,  -- zx.employment.v1.EmploymentPolicy
  published_at        timestamptz NOT NULL DEFAULT now()
);
