-- The tamper-evident audit log (docs/ARCHITECTURE.md §17). Each entry holds
-- the BLAKE2b-256 hash of its canonical encoding, which starts with the
-- previous entry's hash (common/audit/audit.h): VerifyAuditChain re-hashes
-- the chain and names the first entry that was edited, deleted or inserted.
CREATE TABLE audit_log (
  seq                bigint      PRIMARY KEY CHECK (seq > 0),
  at                 timestamptz NOT NULL,
  request_id         text        NOT NULL,
  user_id            text        NOT NULL,
  role               text        NOT NULL,
  principal_division text        NOT NULL,
  department         text        NOT NULL,
  kind               text        NOT NULL CHECK (kind IN ('write', 'refusal', 'read')),
  action             text        NOT NULL,
  method             text        NOT NULL,
  resource_division  text        NOT NULL,
  resource_id        text        NOT NULL,
  purpose            text        NOT NULL,
  personal_data_read boolean     NOT NULL,
  result_code        integer     NOT NULL,
  result_message     text        NOT NULL,
  prev_hash          bytea       NOT NULL CHECK (length(prev_hash) = 32),
  hash               bytea       NOT NULL CHECK (length(hash) = 32)
);

-- The newest entry: deleting the last entries of the log leaves the head
-- pointing past them, so that is detected too. One row, moved by each
-- append batch under SELECT ... FOR UPDATE (which also orders replicas).
CREATE TABLE audit_head (
  one       boolean PRIMARY KEY DEFAULT true CHECK (one),
  last_seq  bigint  NOT NULL,
  last_hash bytea   NOT NULL CHECK (length(last_hash) = 32)
);
INSERT INTO audit_head (last_seq, last_hash) VALUES (0, decode(repeat('00', 32), 'hex'));

-- Append-only: the service never changes or removes an entry. (A superuser
-- can disable the trigger; the hash chain is what detects that.)
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_head_keep BEFORE DELETE OR TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
