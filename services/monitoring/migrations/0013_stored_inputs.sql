-- The risk inputs of each household's current assessment (domain
-- EncodeInputs), so that a re-assessment after a change of policy figures
-- alone applies the new figures without loading the records again; ''
-- means: recompute from the records.
ALTER TABLE household_colours ADD COLUMN inputs text NOT NULL DEFAULT '';

-- Why a job runs: 1 = records may have changed (every household's inputs
-- are recomputed from its records), 2 = policy figures only (stored inputs
-- are re-used where they are still current).
ALTER TABLE reassessment_jobs ADD COLUMN reason smallint NOT NULL DEFAULT 1;
