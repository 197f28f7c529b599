-- GetHousehold answers from each instance's in-memory copy of the registry
-- (store/household_cache_refresh.cc). Two columns let the copy follow the
-- table: `version`, raised by every update, so an older copy of a row never
-- replaces a newer one; and `changed_txid`, the transaction that last wrote
-- the row, so a poll reads only the rows of transactions that its previous
-- snapshot could not see (those at or above that snapshot's xmin).
ALTER TABLE households ADD COLUMN version bigint NOT NULL DEFAULT 1;
-- Rows already here are read by the first full load; 0 keeps the ALTER
-- from rewriting the table.
ALTER TABLE households ADD COLUMN changed_txid bigint NOT NULL DEFAULT 0;
ALTER TABLE households ALTER COLUMN changed_txid SET DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX households_changed_txid ON households (changed_txid);

CREATE FUNCTION households_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := OLD.version + 1;
  NEW.changed_txid := pg_current_xact_id()::text::bigint;
  RETURN NEW;
END
$$;
-- A trigger, not the UPDATE statements: an update by hand is followed too.
CREATE TRIGGER households_stamp_change BEFORE UPDATE ON households
  FOR EACH ROW EXECUTE FUNCTION households_stamp_change();
-- Households are never removed (their history is evidence), and a copy
-- could not learn of a removal.
CREATE FUNCTION forbid_household_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'households are never removed: % is not allowed', TG_OP
    USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER households_never_removed BEFORE DELETE OR TRUNCATE ON households
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_household_removal();
