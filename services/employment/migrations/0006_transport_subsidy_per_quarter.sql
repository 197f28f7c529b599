-- E4: the transport subsidy is paid quarterly, once per person a quarter.
-- placement_id UNIQUE counted once per placement only: a worker with two
-- placements in one quarter was paid twice. The worker (one per person) and
-- the quarter are kept beside the body so the database holds the rule for
-- every grant from now on; rows granted before this migration get their
-- worker here and no quarter (it is inside their body, which the service
-- reads when it checks a grant, so they count too).
ALTER TABLE transport_subsidies ADD COLUMN worker_id text, ADD COLUMN quarter text;
UPDATE transport_subsidies t SET worker_id = p.worker_id
  FROM placements p WHERE p.placement_id = t.placement_id;
CREATE UNIQUE INDEX transport_subsidies_once_per_quarter ON transport_subsidies (worker_id, quarter)
  WHERE quarter IS NOT NULL;
CREATE INDEX transport_subsidies_worker ON transport_subsidies (worker_id);
