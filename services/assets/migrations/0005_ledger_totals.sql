-- Master-ledger totals per county (GetLedger at county level and above reads
-- these instead of summing every asset). A change appends delta rows in its
-- own transaction (no hot row to queue on); the compactor folds them into
-- ledger_totals every second; a reader sums both in one snapshot.
-- dim: 1 class, 2 type, 3 funding source; count of assets (class, type) or
-- of funding lines (source).
CREATE TABLE ledger_totals (
  county_code text     NOT NULL,
  dim         smallint NOT NULL CHECK (dim BETWEEN 1 AND 3),
  key         smallint NOT NULL,
  count       bigint   NOT NULL,
  value_fen   bigint   NOT NULL,
  PRIMARY KEY (county_code, dim, key)
);
CREATE TABLE ledger_deltas (
  id          bigserial PRIMARY KEY,
  county_code text      NOT NULL,
  dim         smallint  NOT NULL CHECK (dim BETWEEN 1 AND 3),
  key         smallint  NOT NULL,
  count       bigint    NOT NULL,
  value_fen   bigint    NOT NULL
);
CREATE INDEX ledger_deltas_county ON ledger_deltas (county_code text_pattern_ops);

-- Assets registered before this migration.
INSERT INTO ledger_totals (county_code, dim, key, count, value_fen)
SELECT substr(location_division_code, 1, 6) || '000000', 1, asset_class, count(*),
       sum(original_value_fen)
FROM assets WHERE state <> 6 GROUP BY 1, 3;
INSERT INTO ledger_totals (county_code, dim, key, count, value_fen)
SELECT substr(location_division_code, 1, 6) || '000000', 2, asset_type, count(*),
       sum(original_value_fen)
FROM assets WHERE state <> 6 GROUP BY 1, 3;
INSERT INTO ledger_totals (county_code, dim, key, count, value_fen)
SELECT substr(a.location_division_code, 1, 6) || '000000', 3, f.source, count(*),
       sum(f.amount_fen)
FROM assets a JOIN asset_funding f USING (asset_id) WHERE a.state <> 6 GROUP BY 1, 3;
