-- Alerts (预警): NEW_RED, OVERDUE_STEP, PLAN_MISSING, SCALE_WARNING and the
-- reserved CREDIT_OVERDUE (zx.monitoring.v1.AlertKind). Append-only: an
-- alert is a record of what the service saw, never changed or removed.
--
-- alert_id order is commit order: every insert first takes
-- pg_advisory_xact_lock(hashtext('zx.alerts.<schema>')), held until commit,
-- so no alert with a smaller id can become visible after a larger one. That
-- is what lets WatchAlerts read `alert_id > cursor` without skipping.
CREATE TABLE alerts (
  alert_id      bigserial   PRIMARY KEY,
  kind          smallint    NOT NULL CHECK (kind BETWEEN 1 AND 5),  -- AlertKind
  division_code text        NOT NULL CHECK (division_code ~ '^[0-9]{12}$'),
  household_id  text        NOT NULL DEFAULT '',
  object_id     text        NOT NULL DEFAULT '',
  -- One alert per key, ever: raising the same alert again (a repeated
  -- scheduler tick, a redelivered event, a second replica) inserts nothing.
  dedupe_key    text        NOT NULL UNIQUE,
  -- SCALE_WARNING: ScaleMetric (1 new RED, 2 new objects); 0 otherwise.
  scale_metric  smallint    NOT NULL DEFAULT 0,
  raised_at     timestamptz NOT NULL,
  alert         bytea       NOT NULL  -- the serialized zx.monitoring.v1.Alert, alert_id unset
);
-- Lists and watches: a division prefix, then ids in order.
CREATE INDEX alerts_division ON alerts (division_code text_pattern_ops, alert_id);
-- M12: NEW_RED alerts per township/county within the window; the last
-- scale warning of a division and metric.
CREATE INDEX alerts_kind_division_raised ON alerts (kind, division_code text_pattern_ops, raised_at);
-- M12: new monitoring objects per township/county within the window.
CREATE INDEX monitoring_objects_village_created
  ON monitoring_objects (village_code text_pattern_ops, created_at);

CREATE TRIGGER alerts_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON alerts
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();
