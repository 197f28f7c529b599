-- Master-ledger totals are exact at any size: every amount a request carries
-- is capped at 1e12 fen, but a county's total of many assets, and rows from
-- before the cap, need not fit in bigint; a bigint column made the
-- compactor's `value_fen + excluded.value_fen` fail on every run once it
-- overflowed, leaving the deltas unfolded forever. Readers saturate the sums
-- they report at the bigint limits.
ALTER TABLE ledger_totals ALTER COLUMN value_fen TYPE numeric;
ALTER TABLE ledger_deltas ALTER COLUMN value_fen TYPE numeric;
