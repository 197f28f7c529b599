-- Assets service (issue 4): project library, assets (the master ledger),
-- sub-ledger entries (一总四分), the append-only journal, income,
-- distributions and disposals. Protos are kept whole in `body` (as the API
-- shows them); the columns beside them are what queries filter and sum on.

CREATE FUNCTION forbid_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TABLE projects (
  project_id    text        PRIMARY KEY CHECK (project_id ~ '^pj-[0-9a-f]{20}$'),
  division_code text        NOT NULL CHECK (division_code ~ '^[0-9]{12}$'),
  year          integer     NOT NULL CHECK (year BETWEEN 2013 AND 2100),
  category      smallint    NOT NULL CHECK (category > 0),
  status        smallint    NOT NULL CHECK (status BETWEEN 1 AND 5),
  total_fen     bigint      NOT NULL CHECK (total_fen > 0),
  body          bytea       NOT NULL,  -- zx.assets.v1.Project
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_year_division ON projects (year, division_code text_pattern_ops);

-- Project status changes, append-only (who, when, from, to, why).
CREATE TABLE project_journal (
  seq        bigserial   PRIMARY KEY,
  project_id text        NOT NULL REFERENCES projects,
  from_status smallint   NOT NULL,
  to_status  smallint    NOT NULL,
  actor      bytea       NOT NULL,  -- zx.common.v1.AuditStamp
  reason     text        NOT NULL,
  request_id text        NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER project_journal_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON project_journal
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();

-- The master ledger (总账): one row per asset, its current state. Changed only
-- together with a journal entry (journal_seq names it).
CREATE TABLE assets (
  asset_id               text     PRIMARY KEY CHECK (asset_id ~ '^as-[0-9a-f]{20}$'),
  project_id             text     NOT NULL REFERENCES projects,
  location_division_code text     NOT NULL CHECK (location_division_code ~ '^[0-9]{12}$'),
  asset_class            smallint NOT NULL CHECK (asset_class BETWEEN 1 AND 3),
  asset_type             smallint NOT NULL CHECK (asset_type > 0),
  state                  smallint NOT NULL CHECK (state BETWEEN 1 AND 6),
  original_value_fen     bigint   NOT NULL CHECK (original_value_fen > 0),
  owner_level            smallint NOT NULL CHECK (owner_level BETWEEN 1 AND 4),
  owner_id               text     NOT NULL,
  owner_division_code    text     NOT NULL CHECK (owner_division_code ~ '^[0-9]{12}$'),
  journal_seq            bigint   NOT NULL,
  body                   bytea    NOT NULL  -- zx.assets.v1.Asset
);
CREATE INDEX assets_location ON assets (location_division_code text_pattern_ops, asset_id);

-- Funding of each asset by source (for ledger totals by source).
CREATE TABLE asset_funding (
  asset_id   text     NOT NULL REFERENCES assets,
  line_no    smallint NOT NULL,
  source     smallint NOT NULL CHECK (source > 0),
  amount_fen bigint   NOT NULL CHECK (amount_fen > 0),
  PRIMARY KEY (asset_id, line_no)
);

-- The four sub-ledgers (分账): department, township, village, household. Each
-- live asset has one entry, in the sub-ledger of its owner level, kept by the
-- owner's division. Reconcile compares them with the master and the journal.
CREATE TABLE ledger_entries (
  asset_id               text     NOT NULL REFERENCES assets,
  ledger_kind            smallint NOT NULL CHECK (ledger_kind BETWEEN 2 AND 5),
  ledger_division_code   text     NOT NULL CHECK (ledger_division_code ~ '^[0-9]{12}$'),
  owner_id               text     NOT NULL,
  location_division_code text     NOT NULL,
  value_fen              bigint   NOT NULL,
  disposed               boolean  NOT NULL DEFAULT false,
  PRIMARY KEY (asset_id, ledger_kind)
);
CREATE INDEX ledger_entries_kind_division
  ON ledger_entries (ledger_kind, ledger_division_code text_pattern_ops, asset_id);
CREATE INDEX ledger_entries_location ON ledger_entries (location_division_code text_pattern_ops);

-- The journal: every change of an asset, before and after, never rewritten.
CREATE TABLE asset_journal (
  seq             bigserial   PRIMARY KEY,
  asset_id        text        NOT NULL REFERENCES assets DEFERRABLE INITIALLY DEFERRED,
  action          text        NOT NULL,
  actor           bytea       NOT NULL,  -- zx.common.v1.AuditStamp
  actor_level     smallint    NOT NULL,
  value_fen       bigint      NOT NULL,  -- after
  state           smallint    NOT NULL,  -- after
  before          bytea,                 -- zx.assets.v1.Asset; NULL for "register"
  after           bytea       NOT NULL,
  reason          text        NOT NULL DEFAULT '',
  request_id      text        NOT NULL,
  at              timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX asset_journal_asset ON asset_journal (asset_id, seq);
CREATE INDEX asset_journal_at ON asset_journal (at);
CREATE TRIGGER asset_journal_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON asset_journal
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();

CREATE TABLE income_records (
  income_id  text        PRIMARY KEY,
  asset_id   text        NOT NULL REFERENCES assets,
  period     text        NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
  kind       smallint    NOT NULL,
  amount_fen bigint      NOT NULL CHECK (amount_fen > 0),
  body       bytea       NOT NULL,  -- zx.assets.v1.IncomeRecord
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX income_records_asset_period ON income_records (asset_id, period);
CREATE TRIGGER income_records_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON income_records
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();

CREATE TABLE distributions (
  distribution_id text        PRIMARY KEY,
  asset_id        text        NOT NULL REFERENCES assets,
  period          text        NOT NULL,
  amount_fen      bigint      NOT NULL CHECK (amount_fen > 0),
  body            bytea       NOT NULL,  -- zx.assets.v1.Distribution
  at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX distributions_asset_period ON distributions (asset_id, period);
CREATE TABLE distribution_lines (
  line_id         text     PRIMARY KEY,
  distribution_id text     NOT NULL REFERENCES distributions,
  use             smallint NOT NULL CHECK (use BETWEEN 1 AND 99),  -- A5: no forbidden use
  household_id    text,
  village_code    text,
  amount_fen      bigint   NOT NULL CHECK (amount_fen >= 0)
);
CREATE TRIGGER distributions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON distributions
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();
CREATE TRIGGER distribution_lines_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
  ON distribution_lines FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();

-- Disposals: the body carries the approval chain; one open disposal per asset.
CREATE TABLE disposals (
  disposal_id text        PRIMARY KEY CHECK (disposal_id ~ '^dp-[0-9a-f]{20}$'),
  asset_id    text        NOT NULL REFERENCES assets,
  status      smallint    NOT NULL CHECK (status BETWEEN 1 AND 5),
  body        bytea       NOT NULL,  -- zx.assets.v1.Disposal
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX disposals_one_open_per_asset ON disposals (asset_id) WHERE status IN (1, 2, 3);

-- Proceeds of disposed collective assets, credited to the village (A6).
CREATE TABLE village_credits (
  disposal_id  text        PRIMARY KEY REFERENCES disposals,
  village_code text        NOT NULL,
  amount_fen   bigint      NOT NULL CHECK (amount_fen >= 0),
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER village_credits_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON village_credits
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();
