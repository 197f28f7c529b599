-- Bulk registration (ImportHouseholds): every accepted row, so a retried
-- stream registers nothing twice. row_digest is a keyed hash of the row as
-- sent (it holds ID numbers): the same row number with other contents is
-- refused rather than answered with the first row's household.
CREATE TABLE household_import_rows (
  batch_id     text        NOT NULL,
  row_number   bigint      NOT NULL,
  household_id text        NOT NULL REFERENCES households,
  row_digest   bytea       NOT NULL,
  accepted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (batch_id, row_number)
);
