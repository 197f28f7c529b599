-- Monitoring objects (监测对象), their history and clues (RULES M6–M9a).
-- Nothing here is ever deleted: an object that leaves monitoring keeps its
-- row and its steps; a closed clue keeps its object in state closed_no_risk.

-- One row per monitoring object. `snapshot` is the full domain object
-- (zx.monitoring.v1.MonitoringObjectSnapshot: review round, objections,
-- history); the other columns are copies for queries. Transitions lock the
-- row (SELECT ... FOR UPDATE), so concurrent steps on one object serialize.
CREATE TABLE monitoring_objects (
  object_id    text        PRIMARY KEY CHECK (object_id ~ '^mo-[0-9a-f]{20}$'),
  household_id text        NOT NULL REFERENCES households,
  village_code text        NOT NULL CHECK (village_code ~ '^[0-9]{12}$'),
  state        text        NOT NULL,  -- lifecycle::StateName: "clue", "county_confirmed", ...
  object_type  text,                  -- lifecycle::ObjectTypeName once confirmed
  step_count   integer     NOT NULL CHECK (step_count >= 0),
  -- Earliest pending time limit (lifecycle::DueDeadlines), for the deadline
  -- scheduler; NULL when nothing is due.
  next_due_at  timestamptz,
  snapshot     bytea       NOT NULL,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
-- A household has at most one open object: a clue on a household with an
-- open object is recorded against it.
CREATE UNIQUE INDEX monitoring_objects_open ON monitoring_objects (household_id)
  WHERE state <> 'closed_no_risk';
CREATE INDEX monitoring_objects_household ON monitoring_objects (household_id, created_at);
CREATE INDEX monitoring_objects_village_state
  ON monitoring_objects (village_code text_pattern_ops, state);
CREATE INDEX monitoring_objects_next_due ON monitoring_objects (next_due_at)
  WHERE next_due_at IS NOT NULL;

-- Append-only: one row per step of an object's history, in order.
CREATE TABLE object_steps (
  step_id        bigserial   PRIMARY KEY,
  object_id      text        NOT NULL REFERENCES monitoring_objects,
  household_id   text        NOT NULL REFERENCES households,
  sequence       integer     NOT NULL CHECK (sequence >= 1),  -- 1-based within the object
  action         text        NOT NULL,  -- lifecycle::ActionName
  from_state     text        NOT NULL,
  to_state       text        NOT NULL,
  actor_user_id  text        NOT NULL,
  actor_role     text        NOT NULL,
  actor_division text        NOT NULL,
  at             timestamptz NOT NULL,
  reason         text        NOT NULL,
  approved       boolean     NOT NULL,
  detail         text        NOT NULL DEFAULT '',
  request_id     text        NOT NULL,
  UNIQUE (object_id, sequence)
);
CREATE INDEX object_steps_household ON object_steps (household_id, at, step_id);

-- Every clue, with the object it was recorded against.
CREATE TABLE clues (
  clue_id          text        PRIMARY KEY CHECK (clue_id ~ '^cl-[0-9a-f]{20}$'),
  household_id     text        NOT NULL REFERENCES households,
  object_id        text        NOT NULL REFERENCES monitoring_objects,
  way              smallint    NOT NULL,  -- zx.monitoring.v1.ClueWay
  description      text        NOT NULL,
  found_at         timestamptz NOT NULL,
  raised_at        timestamptz NOT NULL,
  raised_by_user   text        NOT NULL,
  raised_by_role   text        NOT NULL,
  raised_by_division text      NOT NULL,
  duplicate        boolean     NOT NULL,
  object_state     text        NOT NULL,  -- the object's state when the clue was recorded
  request_id       text        NOT NULL
);
CREATE INDEX clues_household ON clues (household_id, raised_at);

-- The history is evidence: steps and clues are never changed or removed.
CREATE FUNCTION forbid_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER object_steps_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON object_steps
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();
CREATE TRIGGER clues_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON clues
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();
