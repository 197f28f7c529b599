// SQL of the federation service (migrations/0002_federation.sql). Every
// function runs inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "zx/federation/v1/federation.pb.h"

namespace zx::federation::store {

namespace v1 = zx::federation::v1;

// ---- Delivery ----------------------------------------------------------------
void EnsureLink(pqxx::transaction_base& tx, const std::string& peer);
// Takes the peer's next sequence (locking its link until commit, so
// sequences follow commit order), stamps `envelope` and queues it.
int64_t Enqueue(pqxx::transaction_base& tx, const std::string& peer, v1::Envelope envelope);

struct LinkState {
  int64_t last_seq = 0;
  int64_t acked_seq = 0;
  int attempts = 0;
  std::string last_error;
  std::optional<double> delivered_at;  // Unix seconds
};
std::optional<LinkState> LoadLink(pqxx::transaction_base& tx, const std::string& peer);
// Up to `limit` queued envelopes after `after`, in order.
std::vector<v1::Envelope> LoadQueued(pqxx::transaction_base& tx, const std::string& peer,
                                     int64_t after, int limit);
// The peer applied everything up to `seq`: drop those, reset the failures.
// DATA_LOSS, deleting nothing, when `seq` is beyond what this side ever
// queued for the peer (this side was restored behind it).
absl::Status MarkDelivered(pqxx::transaction_base& tx, const std::string& peer, int64_t seq);
void RecordFailure(pqxx::transaction_base& tx, const std::string& peer, const std::string& error);

// Receiver side: the last sequence applied from `sender`, locked.
int64_t LockInbox(pqxx::transaction_base& tx, const std::string& sender);
void SetInbox(pqxx::transaction_base& tx, const std::string& sender, int64_t seq);
int64_t LoadInbox(pqxx::transaction_base& tx, const std::string& sender);

// ---- Reports -------------------------------------------------------------------
std::optional<v1::Report> LoadReport(pqxx::transaction_base& tx, const std::string& division,
                                     const std::string& period, bool for_update);
void SaveReport(pqxx::transaction_base& tx, const v1::Report& report);
std::vector<v1::Report> LoadReports(pqxx::transaction_base& tx,
                                    const std::vector<std::string>& divisions,
                                    const std::string& period, bool for_update);

// ---- Policies ------------------------------------------------------------------
// Inserts the release unless it is known; true when it was new.
bool SaveRelease(pqxx::transaction_base& tx, const v1::PolicyRelease& release);
std::optional<v1::PolicyRelease> LoadRelease(pqxx::transaction_base& tx, const std::string& owner,
                                             const std::string& version);
void SaveAck(pqxx::transaction_base& tx, const std::string& owner, const std::string& version,
             const v1::PolicyAck& ack);

// ---- Directives ----------------------------------------------------------------
void SaveDirective(pqxx::transaction_base& tx, const std::string& direction,
                   const v1::Directive& directive);
struct StoredDirective {
  std::string direction;  // "issued" or "received"
  v1::Directive directive;
};
std::optional<StoredDirective> LoadDirective(pqxx::transaction_base& tx, const std::string& id,
                                             bool for_update);
std::vector<StoredDirective> ListDirectives(pqxx::transaction_base& tx,
                                            const std::string& direction, int status);
// Issued directives past their deadline and not completed (locked).
std::vector<v1::Directive> LockOverdue(pqxx::transaction_base& tx, const std::string& today);

// ---- Escalations ---------------------------------------------------------------
void SaveEscalation(pqxx::transaction_base& tx, const std::string& direction,
                    const v1::Escalation& escalation);
struct StoredEscalation {
  std::string direction;  // "raised" or "received"
  v1::Escalation escalation;
};
std::optional<StoredEscalation> LoadEscalation(pqxx::transaction_base& tx, const std::string& id,
                                               bool for_update);
std::vector<StoredEscalation> ListEscalations(pqxx::transaction_base& tx,
                                              const std::string& direction, int status);

}  // namespace zx::federation::store
