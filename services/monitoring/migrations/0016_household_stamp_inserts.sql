-- 0015 stamped only updates: an insert took changed_txid from the column's
-- default, which a statement could override with a value below a poll's
-- horizon (a row every poll would then miss), and version from its default
-- likewise. The trigger now stamps inserts too, whatever the statement
-- supplied, and refuses a changed household id (the copy is keyed by it).
CREATE OR REPLACE FUNCTION households_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
  NEW.changed_txid := pg_current_xact_id()::text::bigint;
  RETURN NEW;
END
$$;
-- A trigger, not the statements: an insert or update by hand is followed too.
DROP TRIGGER households_stamp_change ON households;
CREATE TRIGGER households_stamp_change BEFORE INSERT OR UPDATE ON households
  FOR EACH ROW EXECUTE FUNCTION households_stamp_change();
