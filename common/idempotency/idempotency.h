// Idempotent mutating calls: the first call with a request_id runs and its
// response is stored in the same transaction as its effect; a repeat returns
// the stored response and writes nothing. A request_id reused for a
// different request is refused.
#pragma once

#include <functional>
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

}  // namespace zx::idempotency
