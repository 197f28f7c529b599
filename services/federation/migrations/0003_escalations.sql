-- Escalations (up): raised here to the parent, and received from children.
CREATE TABLE escalations (
  escalation_id text PRIMARY KEY CHECK (escalation_id ~ '^es-[0-9a-f]{20}$'),
  direction     text NOT NULL CHECK (direction IN ('raised', 'received')),
  status        integer NOT NULL,  -- zx.federation.v1.EscalationStatus
  body          bytea NOT NULL     -- zx.federation.v1.Escalation
);
