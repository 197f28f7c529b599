// Idempotent mutating calls: the first call with a request_id runs and its
// response is stored in the same transaction as its effect; a repeat returns
// the stored response and writes nothing. A request_id reused for a
// different request is refused.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>
#include <pqxx/pqxx>

#include "absl/status/status.h"

namespace zx::idempotency {

// Checks the request_id field: 1..128 printable ASCII characters.
absl::Status ValidateRequestId(std::string_view request_id);

// Inside the caller's transaction: if `request_id` was seen, fills `response`
// from the stored one and returns OK without calling `fn`; otherwise runs
// `fn` (which fills `response`) and stores the response. The caller commits
// (or, when this returns an error, rolls back — so a rejected request leaves
// no trace and may be retried).
absl::Status Run(pqxx::transaction_base& tx, std::string_view method, std::string_view request_id,
                 const google::protobuf::Message& request, google::protobuf::Message& response,
                 const std::function<absl::Status()>& fn);

// The batched form of Run, for group commit (server::WriteBatcher), in two
// statements. Lookup reads what the batch's request_ids already did (no
// lock); the caller works the kNew entries, then Record stores their
// responses. A concurrent request with one of the same request_ids that
// commits in between makes Record fail with ABORTED: the caller rolls back
// and works the entries one by one through Run.
struct BatchEntry {
  std::string_view request_id;  // already validated (ValidateRequestId)
  const google::protobuf::Message* request = nullptr;
  google::protobuf::Message* response = nullptr;
  enum class State {
    kNew,            // not seen: work it, then Record
    kReplayed,       // seen before: `response` holds the stored response
    kRefused,        // `status` says why (request_id used for another request)
    kRepeatInBatch,  // a second entry with the same request_id in this batch:
                     // run it again after the commit (it will replay)
  };
  State state = State::kNew;
  absl::Status status;
  std::string request_hash;
};
void Lookup(pqxx::transaction_base& tx, std::string_view method, std::span<BatchEntry> entries);
// Stores the request and response of every kNew entry.
absl::Status Record(pqxx::transaction_base& tx, std::string_view method,
                    std::span<const BatchEntry> entries);

// Deletes up to `limit` records stored more than `retention_days` ago (by
// the database clock) and returns how many. A repeat of a purged request_id
// runs again, so the window must lie beyond every client's retry horizon
// (config idempotency_retention_days). Concurrent purges skip each other's
// rows.
int64_t PurgeOlderThan(pqxx::transaction_base& tx, int retention_days, int limit);

}  // namespace zx::idempotency
