-- Bulk survey ingest (IngestSurvey): every accepted row, so a retried stream
-- applies nothing twice and a household-month is surveyed once per source.
CREATE TABLE survey_rows (
  batch_id     text        NOT NULL,
  row_number   bigint      NOT NULL,
  household_id text        NOT NULL REFERENCES households,
  month        date        NOT NULL,
  source       smallint    NOT NULL,
  accepted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (batch_id, row_number)
);
CREATE UNIQUE INDEX survey_rows_household_month ON survey_rows (household_id, month, source);
