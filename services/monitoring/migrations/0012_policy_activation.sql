-- A policy published ahead of its effective date re-assesses the households
-- it governs when that day comes (RULES M11), not when it is published.
-- Policies published before this migration were applied at publication.
ALTER TABLE policies ADD COLUMN applied boolean NOT NULL DEFAULT true;
CREATE INDEX policies_pending ON policies (effective_from) WHERE NOT applied;
