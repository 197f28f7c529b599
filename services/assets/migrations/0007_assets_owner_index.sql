-- GetLedger as of a past time selects a sub-ledger's assets by their owner's
-- division, as the ledger now does (ledger_entries.ledger_division_code).
CREATE INDEX assets_owner ON assets (owner_division_code text_pattern_ops, asset_id);
