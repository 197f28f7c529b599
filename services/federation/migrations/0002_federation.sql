-- Federation service (issue 7): the per-peer delivery outbox and inbox,
-- reports and approvals, policy releases and acknowledgements, directives.
-- Protos are kept whole in `body`; the columns beside them are what queries
-- filter on.

-- One row per peer this instance sends to: the next sequence to hand out
-- and the last the peer acknowledged. Taking a sequence locks the row, so
-- sequences follow commit order and have no gaps.
CREATE TABLE peer_links (
  peer_division  text    PRIMARY KEY CHECK (peer_division ~ '^[0-9]{12}$'),
  last_seq       bigint  NOT NULL DEFAULT 0,
  acked_seq      bigint  NOT NULL DEFAULT 0 CHECK (acked_seq <= last_seq),
  attempts       integer NOT NULL DEFAULT 0,  -- failures since the last success
  last_error     text    NOT NULL DEFAULT '',
  delivered_at   timestamptz
);

-- Messages waiting for delivery, in order per peer (deleted once the peer
-- acknowledged them).
CREATE TABLE peer_outbox (
  peer_division text   NOT NULL REFERENCES peer_links,
  seq           bigint NOT NULL CHECK (seq > 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  body          bytea  NOT NULL,  -- zx.federation.v1.Envelope
  PRIMARY KEY (peer_division, seq)
);

-- The last sequence applied from each sender: the receiver's de-duplication.
CREATE TABLE peer_inbox (
  sender_division text   PRIMARY KEY CHECK (sender_division ~ '^[0-9]{12}$'),
  last_seq        bigint NOT NULL DEFAULT 0,
  received_at     timestamptz NOT NULL DEFAULT now()
);

-- Reports: this instance's own (division = own) and its children's, the
-- latest revision per period; approved ones are locked.
CREATE TABLE reports (
  division_code text    NOT NULL CHECK (division_code ~ '^[0-9]{12}$'),
  period        text    NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
  revision      integer NOT NULL CHECK (revision > 0),
  approved      boolean NOT NULL DEFAULT false,
  body          bytea   NOT NULL,  -- zx.federation.v1.Report
  PRIMARY KEY (division_code, period)
);

-- Policies published here or received from above, with who applied them.
CREATE TABLE policy_releases (
  owner_division text NOT NULL,
  version        text NOT NULL,
  body           bytea NOT NULL,  -- zx.federation.v1.PolicyRelease (acks kept in policy_acks)
  PRIMARY KEY (owner_division, version)
);
CREATE TABLE policy_acks (
  owner_division text NOT NULL,
  version        text NOT NULL,
  division_code  text NOT NULL,
  applied_at     timestamptz NOT NULL,
  PRIMARY KEY (owner_division, version, division_code)
);

-- Directives issued here and received from above (same id on both sides).
CREATE TABLE directives (
  directive_id    text PRIMARY KEY CHECK (directive_id ~ '^dr-[0-9a-f]{20}$'),
  direction       text NOT NULL CHECK (direction IN ('issued', 'received')),
  status          integer NOT NULL,  -- zx.federation.v1.DirectiveStatus
  deadline        date NOT NULL,
  body            bytea NOT NULL     -- zx.federation.v1.Directive
);
CREATE INDEX directives_open ON directives (deadline) WHERE status NOT IN (4, 5);
