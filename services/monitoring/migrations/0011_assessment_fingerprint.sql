-- What makes an assessment the same result (colour, policy, figures,
-- factors): a re-assessment reaching the same fingerprint records nothing.
ALTER TABLE household_colours ADD COLUMN fingerprint text NOT NULL DEFAULT '';
