// One mapping between absl::Status (used everywhere inside zhenxing) and
// grpc::Status (the wire). Field violations travel as the standard
// google.rpc.BadRequest detail in the `grpc-status-details-bin` trailer, so
// any gRPC client, in any language, can read which field failed and why.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace zx::errors {

struct FieldViolation {
  std::string field;        // dotted path in the request, e.g. "household.village_code"
  std::string description;  // why, in words the caller can act on
};

// INVALID_ARGUMENT carrying every violation; the message names the fields.
absl::Status InvalidArgument(std::vector<FieldViolation> violations);
absl::Status InvalidField(std::string field, std::string description);

// Violations attached to a status (empty when none).
std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status);

// Collects violations while validating a request; `ToStatus()` is OK when none.
// At most kMaxViolations are listed (then one "request" entry counting the
// rest), so a request with thousands of bad rows cannot produce an error
// trailer larger than gRPC's metadata limit.
class Validator {
 public:
  static constexpr size_t kMaxViolations = 20;

  void Add(std::string field, std::string description);
  // Adds `field`'s violation when `status` is not OK, using its message.
  void Check(std::string field, const absl::Status& status);
  // The free CheckText / CheckCount below, adding the violation under `field`.
  void CheckText(std::string field, std::string_view value, size_t max_bytes);
  void CheckCount(std::string field, size_t count, size_t max_count);
  // A record id: "<prefix>-" and 20 lower-case hex digits (common/base/ids.h).
  void CheckId(std::string field, std::string_view id, std::string_view prefix);
  bool ok() const { return violations_.empty(); }
  absl::Status ToStatus() const;

 private:
  std::vector<FieldViolation> violations_;
  size_t not_listed_ = 0;
};

// ---- Input limits (docs/ARCHITECTURE.md §16) --------------------------------

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// INVALID_ARGUMENT naming `field` when `value` is longer than `max_bytes` or
// not valid UTF-8. Protobuf already rejects invalid UTF-8 in proto3 `string`
// fields while parsing; this is for the length, and for text that arrives any
// other way (bytes fields, metadata, files).
absl::Status CheckText(std::string_view field, std::string_view value, size_t max_bytes);

// INVALID_ARGUMENT naming `field` when a repeated field has more than
// `max_count` entries.
absl::Status CheckCount(std::string_view field, size_t count, size_t max_count);

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Returns a new status with `prefix: ` before the message, keeping payloads.
absl::Status Annotate(const absl::Status& status, std::string_view prefix);

}  // namespace zx::errors
