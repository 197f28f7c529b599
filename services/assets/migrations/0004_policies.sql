-- Published assets policies (RULES: every figure a versioned default, set per
-- division and year, inherited down the levels). Append-only: a new version
-- supersedes, nothing is rewritten.
CREATE TABLE policies (
  seq                 bigserial   PRIMARY KEY,
  owner_division_code text        NOT NULL CHECK (owner_division_code ~ '^[0-9]{12}$'),
  year                integer     NOT NULL,
  version             text        NOT NULL,
  body                bytea       NOT NULL,  -- zx.assets.v1.AssetsPolicy
  published_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (owner_division_code, year, version)
);
CREATE TRIGGER policies_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON policies
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();
