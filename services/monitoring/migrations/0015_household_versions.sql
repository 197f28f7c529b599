-- GetHousehold answers from each instance's in-memory copy of the registry
-- (store/household_cache_refresh.cc). Two columns let the copy follow the
-- table: `version`, raised by every update, so an older copy of a row never
-- replaces a newer one; and `changed_txid`, the transaction that last wrote
-- the row, so a poll reads only the rows of transactions that its previous
-- snapshot could not see (those at or above that snapshot's xmin).
ALTER TABLE households ADD COLUMN version bigint NOT NULL DEFAULT 1;
-- Rows already here are read by the first full load; 0 keeps the ALTER
-- from rewriting the table. New writes are stamped by the trigger below.
ALTER TABLE households ADD COLUMN changed_txid bigint NOT NULL DEFAULT 0;
CREATE INDEX households_changed_txid ON households (changed_txid);

CREATE FUNCTION households_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.household_id <> OLD.household_id THEN
      RAISE EXCEPTION 'a household id never changes (%)', OLD.household_id
        USING ERRCODE = 'restrict_violation';
    END IF;
    NEW.version := OLD.version + 1;
  ELSE
    NEW.version := 1;
  END IF;
  -- Whatever a statement supplied: a stamp below a poll's horizon would be
  -- missed by every poll.
  NEW.changed_txid := pg_current_xact_id()::text::bigint;
  RETURN NEW;
END
$$;
-- A trigger, not the statements: an insert or update by hand is followed too.
CREATE TRIGGER households_stamp_change BEFORE INSERT OR UPDATE ON households
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
