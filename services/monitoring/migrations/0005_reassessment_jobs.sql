-- Bulk re-assessment jobs: resumable (cursor), shared by replicas (the worker
-- locks a job row with SKIP LOCKED), kept after they finish.
CREATE TABLE reassessment_jobs (
  job_id           text        PRIMARY KEY,
  division_code    text        NOT NULL,
  village_prefix   text        NOT NULL,
  state            smallint    NOT NULL,  -- zx.monitoring.v1.JobState
  households_total bigint      NOT NULL,
  households_done  bigint      NOT NULL DEFAULT 0,
  cursor_household text        NOT NULL DEFAULT '',
  cause            text        NOT NULL,
  error            text        NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE INDEX reassessment_jobs_running ON reassessment_jobs (created_at) WHERE state = 1;
-- Jobs iterate households by id within a division prefix.
CREATE INDEX households_id_village ON households (household_id, village_code);
