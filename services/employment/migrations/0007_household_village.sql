-- The village monitoring's events name for a household (ObjectConfirmed /
-- RiskEliminated village_code): UpsertWorker refuses to file a worker under
-- a household known to lie in another county (a county could otherwise file
-- its worker under another county's household, and block that household's
-- post through placements_one_post_per_household). Empty until an event
-- naming it is recorded; households no event named stay unchecked.
ALTER TABLE household_status ADD COLUMN village_code text NOT NULL DEFAULT '';
