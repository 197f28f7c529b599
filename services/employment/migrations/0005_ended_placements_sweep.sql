-- 两不拖欠 of ended placements (CheckOverdueWages): the sweep read every
-- ended placement of the division on every call (no index covers status 4:
-- placements_division is only for statuses 1-3) and the unpaid months of
-- each, so its cost grew with every placement that ever ended.
--
-- An ended placement whose months from its start to its end are all paid
-- can owe nothing again (no wage is removed, an ended placement does not
-- change, months after the end are never owed): the sweep marks it settled
-- when it finds it so, and the index below holds only the ended placements
-- that may still owe wages. Rows ended before this migration start
-- unsettled and are marked on the first sweep that finds them paid up.
ALTER TABLE placements ADD COLUMN wages_settled boolean NOT NULL DEFAULT false;
CREATE INDEX placements_ended_unsettled ON placements (division_code text_pattern_ops)
  WHERE status = 4 AND job_kind IN (1, 3) AND start_date IS NOT NULL AND NOT wages_settled;
