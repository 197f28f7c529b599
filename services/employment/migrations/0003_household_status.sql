-- The monitoring status of households, kept from monitoring events
-- (monitoring.object_confirmed, monitoring.risk_eliminated): priority flags
-- of their workers and the exit of public-welfare posts (M9b) follow it.
CREATE TABLE household_status (
  household_id       text        PRIMARY KEY,
  monitored          boolean     NOT NULL,
  risk_eliminated_on date,
  updated_at         timestamptz NOT NULL DEFAULT now()
);
