#include "services/federation/store/federation_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/pg/pg.h"
#include "common/time/time.h"

namespace zx::federation::store {

void EnsureLink(pqxx::transaction_base& tx, const std::string& peer) {
  tx.exec_params("INSERT INTO peer_links (peer_division) VALUES ($1) ON CONFLICT DO NOTHING", peer);
}

int64_t Enqueue(pqxx::transaction_base& tx, const std::string& peer, v1::Envelope envelope) {
  pqxx::result r = tx.exec_params(
      "UPDATE peer_links SET last_seq = last_seq + 1 WHERE peer_division = $1 "
      "RETURNING last_seq, (now() AT TIME ZONE 'UTC')::text",
      peer);
  if (r.empty()) {
    EnsureLink(tx, peer);
    r = tx.exec_params(
        "UPDATE peer_links SET last_seq = last_seq + 1 WHERE peer_division = $1 "
        "RETURNING last_seq, (now() AT TIME ZONE 'UTC')::text",
        peer);
  }
  const int64_t seq = r[0][0].as<int64_t>();
  envelope.set_seq(seq);
  envelope.set_idempotency_key(absl::StrCat(envelope.sender_division_code(), "/", peer, "/", seq));
  *envelope.mutable_created_at() = time::ToProto(absl::Now());
  pg::ExecPrepared(tx, "fed_enqueue",
                   "INSERT INTO peer_outbox (peer_division, seq, body) VALUES ($1, $2, $3)", peer,
                   seq, pg::MessageBytes(envelope));
  return seq;
}

std::optional<LinkState> LoadLink(pqxx::transaction_base& tx, const std::string& peer) {
  pqxx::result r = tx.exec_params(
      "SELECT last_seq, acked_seq, attempts, last_error, "
      "extract(epoch FROM delivered_at)::float8 "
      "FROM peer_links WHERE peer_division = $1",
      peer);
  if (r.empty()) return std::nullopt;
  LinkState s;
  s.last_seq = r[0][0].as<int64_t>();
  s.acked_seq = r[0][1].as<int64_t>();
  s.attempts = r[0][2].as<int>();
  s.last_error = r[0][3].as<std::string>();
  if (!r[0][4].is_null()) s.delivered_at = r[0][4].as<double>();
  return s;
}

std::vector<v1::Envelope> LoadQueued(pqxx::transaction_base& tx, const std::string& peer,
                                     int64_t after, int limit) {
  pqxx::result r = tx.exec_params(
      "SELECT body FROM peer_outbox WHERE peer_division = $1 AND seq > $2 ORDER BY seq LIMIT $3",
      peer, after, limit);
  std::vector<v1::Envelope> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(pg::ParseMessage<v1::Envelope>(row[0]));
  return out;
}

absl::Status MarkDelivered(pqxx::transaction_base& tx, const std::string& peer, int64_t seq) {
  // The peer can be ahead of what another replica of this side delivered,
  // never ahead of what this side ever queued: then this side's database is
  // older than the peer's (restored from a backup) and its new envelopes
  // reuse sequences the peer took as applied. Deleting them would lose them.
  const auto queued =
      tx.exec_params1("SELECT last_seq FROM peer_links WHERE peer_division = $1 FOR UPDATE",
                      peer)[0]
          .as<int64_t>();
  if (seq > queued) {
    return absl::DataLossError(absl::StrCat(
        "the peer has applied up to seq ", seq, " but this side has queued only up to ", queued,
        ": this side's database is behind the peer's (restored from a backup?); nothing is "
        "deleted until the link is realigned"));
  }
  tx.exec_params(
      "UPDATE peer_links SET acked_seq = GREATEST(acked_seq, LEAST($2, last_seq)), attempts = 0, "
      "last_error = '', delivered_at = now() WHERE peer_division = $1",
      peer, seq);
  tx.exec_params("DELETE FROM peer_outbox WHERE peer_division = $1 AND seq <= $2", peer, seq);
  return absl::OkStatus();
}

void RecordFailure(pqxx::transaction_base& tx, const std::string& peer, const std::string& error) {
  tx.exec_params(
      "UPDATE peer_links SET attempts = attempts + 1, last_error = left($2, 500) "
      "WHERE peer_division = $1",
      peer, error);
}

int64_t LockInbox(pqxx::transaction_base& tx, const std::string& sender) {
  tx.exec_params("INSERT INTO peer_inbox (sender_division) VALUES ($1) ON CONFLICT DO NOTHING",
                 sender);
  return tx
      .exec_params1("SELECT last_seq FROM peer_inbox WHERE sender_division = $1 FOR UPDATE",
                    sender)[0]
      .as<int64_t>();
}

void SetInbox(pqxx::transaction_base& tx, const std::string& sender, int64_t seq) {
  tx.exec_params(
      "UPDATE peer_inbox SET last_seq = $2, received_at = now() WHERE sender_division = $1", sender,
      seq);
}

int64_t LoadInbox(pqxx::transaction_base& tx, const std::string& sender) {
  pqxx::result r =
      tx.exec_params("SELECT last_seq FROM peer_inbox WHERE sender_division = $1", sender);
  return r.empty() ? 0 : r[0][0].as<int64_t>();
}

std::optional<v1::Report> LoadReport(pqxx::transaction_base& tx, const std::string& division,
                                     const std::string& period, bool for_update) {
  pqxx::result r = tx.exec_params(
      absl::StrCat("SELECT body FROM reports WHERE division_code = $1 AND period = $2",
                   for_update ? " FOR UPDATE" : ""),
      division, period);
  if (r.empty()) return std::nullopt;
  return pg::ParseMessage<v1::Report>(r[0][0]);
}

void SaveReport(pqxx::transaction_base& tx, const v1::Report& report) {
  tx.exec_params(
      "INSERT INTO reports (division_code, period, revision, approved, body) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (division_code, period) DO UPDATE SET "
      "revision = EXCLUDED.revision, approved = EXCLUDED.approved, body = EXCLUDED.body",
      report.division_code(), report.period(), report.revision(),
      report.approval() == v1::APPROVAL_STATE_APPROVED, pg::MessageBytes(report));
}

std::vector<v1::Report> LoadReports(pqxx::transaction_base& tx,
                                    const std::vector<std::string>& divisions,
                                    const std::string& period, bool for_update) {
  // A period has one row per child and the instance's own: few rows.
  pqxx::result r =
      tx.exec_params(absl::StrCat("SELECT division_code, body FROM reports WHERE period = $1 "
                                  "ORDER BY division_code",
                                  for_update ? " FOR UPDATE" : ""),
                     period);
  std::vector<v1::Report> out;
  for (const auto& row : r) {
    const std::string division = row[0].as<std::string>();
    if (std::find(divisions.begin(), divisions.end(), division) != divisions.end()) {
      out.push_back(pg::ParseMessage<v1::Report>(row[1]));
    }
  }
  return out;
}

bool SaveRelease(pqxx::transaction_base& tx, const v1::PolicyRelease& release) {
  v1::PolicyRelease stored = release;
  stored.clear_acks();
  pqxx::result r = tx.exec_params(
      "INSERT INTO policy_releases (owner_division, version, body) VALUES ($1, $2, $3) "
      "ON CONFLICT DO NOTHING RETURNING 1",
      release.policy().owner_division_code(), release.policy().version(), pg::MessageBytes(stored));
  return !r.empty();
}

std::optional<v1::PolicyRelease> LoadRelease(pqxx::transaction_base& tx, const std::string& owner,
                                             const std::string& version) {
  pqxx::result r =
      tx.exec_params("SELECT body FROM policy_releases WHERE owner_division = $1 AND version = $2",
                     owner, version);
  if (r.empty()) return std::nullopt;
  auto release = pg::ParseMessage<v1::PolicyRelease>(r[0][0]);
  pqxx::result acks = tx.exec_params(
      "SELECT division_code, extract(epoch FROM applied_at)::float8 FROM policy_acks "
      "WHERE owner_division = $1 AND version = $2 ORDER BY division_code",
      owner, version);
  for (const auto& row : acks) {
    v1::PolicyAck* ack = release.add_acks();
    ack->set_division_code(row[0].as<std::string>());
    const double seconds = row[1].as<double>();
    ack->mutable_applied_at()->set_seconds(static_cast<int64_t>(seconds));
  }
  return release;
}

void SaveAck(pqxx::transaction_base& tx, const std::string& owner, const std::string& version,
             const v1::PolicyAck& ack) {
  tx.exec_params(
      "INSERT INTO policy_acks (owner_division, version, division_code, applied_at) "
      "VALUES ($1, $2, $3, to_timestamp($4)) ON CONFLICT DO NOTHING",
      owner, version, ack.division_code(), static_cast<double>(ack.applied_at().seconds()));
}

void SaveDirective(pqxx::transaction_base& tx, const std::string& direction,
                   const v1::Directive& directive) {
  pg::ExecPrepared(tx, "fed_save_directive",
                   "INSERT INTO directives (directive_id, direction, status, deadline, body) "
                   "VALUES ($1, $2, $3, $4::date, $5) ON CONFLICT (directive_id) DO UPDATE SET "
                   "status = EXCLUDED.status, deadline = EXCLUDED.deadline, body = EXCLUDED.body",
                   directive.directive_id(), direction, static_cast<int>(directive.status()),
                   directive.deadline(), pg::MessageBytes(directive));
}

std::optional<StoredDirective> LoadDirective(pqxx::transaction_base& tx, const std::string& id,
                                             bool for_update) {
  pqxx::result r =
      for_update
          ? pg::ExecPrepared(tx, "fed_lock_directive",
                             "SELECT direction, body FROM directives WHERE directive_id = $1 "
                             "FOR UPDATE",
                             id)
          : pg::ExecPrepared(tx, "fed_load_directive",
                             "SELECT direction, body FROM directives WHERE directive_id = $1", id);
  if (r.empty()) return std::nullopt;
  return StoredDirective{r[0][0].as<std::string>(), pg::ParseMessage<v1::Directive>(r[0][1])};
}

std::vector<StoredDirective> ListDirectives(pqxx::transaction_base& tx,
                                            const std::string& direction, int status) {
  pqxx::result r = tx.exec_params(
      "SELECT direction, body FROM directives WHERE ($1 = '' OR direction = $1) "
      "AND ($2 = 0 OR status = $2) ORDER BY deadline, directive_id LIMIT 1000",
      direction, status);
  std::vector<StoredDirective> out;
  for (const auto& row : r) {
    out.push_back({row[0].as<std::string>(), pg::ParseMessage<v1::Directive>(row[1])});
  }
  return out;
}

std::vector<v1::Directive> LockOverdue(pqxx::transaction_base& tx, const std::string& today) {
  pqxx::result r = tx.exec_params(
      "SELECT body FROM directives WHERE direction = 'issued' AND status NOT IN (4, 5) "
      "AND deadline < $1::date ORDER BY directive_id FOR UPDATE SKIP LOCKED",
      today);
  std::vector<v1::Directive> out;
  for (const auto& row : r) out.push_back(pg::ParseMessage<v1::Directive>(row[0]));
  return out;
}

void SaveEscalation(pqxx::transaction_base& tx, const std::string& direction,
                    const v1::Escalation& escalation) {
  tx.exec_params(
      "INSERT INTO escalations (escalation_id, direction, status, body) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (escalation_id) DO UPDATE SET status = EXCLUDED.status, body = EXCLUDED.body",
      escalation.escalation_id(), direction, static_cast<int>(escalation.status()),
      pg::MessageBytes(escalation));
}

std::optional<StoredEscalation> LoadEscalation(pqxx::transaction_base& tx, const std::string& id,
                                               bool for_update) {
  pqxx::result r = tx.exec_params(
      absl::StrCat("SELECT direction, body FROM escalations WHERE escalation_id = $1",
                   for_update ? " FOR UPDATE" : ""),
      id);
  if (r.empty()) return std::nullopt;
  return StoredEscalation{r[0][0].as<std::string>(), pg::ParseMessage<v1::Escalation>(r[0][1])};
}

std::vector<StoredEscalation> ListEscalations(pqxx::transaction_base& tx,
                                              const std::string& direction, int status) {
  pqxx::result r = tx.exec_params(
      "SELECT direction, body FROM escalations WHERE ($1 = '' OR direction = $1) "
      "AND ($2 = 0 OR status = $2) ORDER BY escalation_id LIMIT 1000",
      direction, status);
  std::vector<StoredEscalation> out;
  for (const auto& row : r) {
    out.push_back({row[0].as<std::string>(), pg::ParseMessage<v1::Escalation>(row[1])});
  }
  return out;
}

}  // namespace zx::federation::store
