-- Micro-credit (扶贫小额信贷): one repayment plan per household. The terms are
-- kept; the schedule is computed from them (domain/credit.h), so it is never
-- stored twice. 0007 and 0008 are reserved by other work in progress.
CREATE TABLE loans (
  loan_id             text        PRIMARY KEY,
  household_id        text        NOT NULL REFERENCES households,
  measure_id          text        NOT NULL REFERENCES assistance_measures,
  object_id           text        NOT NULL,
  principal_fen       bigint      NOT NULL CHECK (principal_fen > 0),
  term_months         smallint    NOT NULL CHECK (term_months > 0),
  annual_rate_bp      integer     NOT NULL CHECK (annual_rate_bp >= 0),
  subsidy_share_bp    integer     NOT NULL CHECK (subsidy_share_bp BETWEEN 0 AND 10000),
  subsidy_until_month date        CHECK (extract(day FROM subsidy_until_month) = 1),
  disbursed_on        date        NOT NULL,
  first_due_on        date        NOT NULL CHECK (first_due_on > disbursed_on
                                                  AND extract(day FROM first_due_on) <= 28),
  repayment_kind      smallint    NOT NULL,
  total_due_fen       bigint      NOT NULL CHECK (total_due_fen > 0),
  lender              text        NOT NULL,
  linked_record_id    text        NOT NULL DEFAULT '',
  description         text        NOT NULL,
  added_by            text        NOT NULL,  -- the principal
  added               bytea       NOT NULL,  -- zx.common.v1.AuditStamp as the API shows it
  added_at            timestamptz NOT NULL DEFAULT now(),
  -- The only column that changes: set once, by the repayment that settles it.
  repaid_fen          bigint      NOT NULL DEFAULT 0 CHECK (repaid_fen BETWEEN 0 AND total_due_fen),
  settled_on          date
);
-- One active plan per household (逐户制定还款计划).
CREATE UNIQUE INDEX loans_one_active_per_household ON loans (household_id)
  WHERE settled_on IS NULL;
CREATE INDEX loans_active_first_due ON loans (first_due_on) WHERE settled_on IS NULL;

-- Repayments are append-only: a mistake is corrected by the bank's records,
-- never by editing history here.
CREATE TABLE loan_repayments (
  repayment_id text        PRIMARY KEY,
  loan_id      text        NOT NULL REFERENCES loans,
  amount_fen   bigint      NOT NULL CHECK (amount_fen > 0),
  paid_on      date        NOT NULL,
  recorded_by  text        NOT NULL,  -- the principal
  recorded     bytea       NOT NULL,  -- zx.common.v1.AuditStamp as the API shows it
  recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX loan_repayments_loan ON loan_repayments (loan_id, paid_on, recorded_at);
CREATE TRIGGER loan_repayments_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON loan_repayments
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_history_change();
