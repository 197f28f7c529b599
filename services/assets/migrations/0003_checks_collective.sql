-- Books against reality (账实相符: inspections) and against certificates
-- (账证相符), and collective income from sources other than the ledger's
-- assets (村级集体经济). All append-only: a later record supersedes.

CREATE TABLE inspections (
  inspection_id text        PRIMARY KEY,
  asset_id      text        NOT NULL REFERENCES assets,
  result        smallint    NOT NULL CHECK (result BETWEEN 1 AND 3),
  inspected_on  date        NOT NULL,
  body          bytea       NOT NULL,  -- zx.assets.v1.Inspection
  at            timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX inspections_asset ON inspections (asset_id, inspected_on, at);
CREATE TRIGGER inspections_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON inspections
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();

CREATE TABLE certificates (
  certificate_id text        PRIMARY KEY,
  asset_id       text        NOT NULL REFERENCES assets,
  body           bytea       NOT NULL,  -- zx.assets.v1.Certificate
  at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificates_asset ON certificates (asset_id);
CREATE TRIGGER certificates_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON certificates
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();

CREATE TABLE collective_incomes (
  income_id    text        PRIMARY KEY,
  village_code text        NOT NULL CHECK (village_code ~ '^[0-9]{9}[0-9]{3}$'),
  year         integer     NOT NULL,
  amount_fen   bigint      NOT NULL CHECK (amount_fen > 0),
  body         bytea       NOT NULL,  -- zx.assets.v1.CollectiveIncome
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX collective_incomes_year_village ON collective_incomes (year, village_code);
CREATE TRIGGER collective_incomes_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
  ON collective_incomes FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();
