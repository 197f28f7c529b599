-- When monitoring decided each recorded status (the event's occurred_at):
-- events can arrive out of order (several consumers per group, retries of a
-- failed entry while later ones go ahead), and an older decision must not
-- overwrite a newer one. Rows recorded before this column count as oldest.
ALTER TABLE household_status ADD COLUMN as_of timestamptz NOT NULL DEFAULT '-infinity';
