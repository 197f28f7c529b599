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
class Validator {
 public:
  void Add(std::string field, std::string description);
  // Adds `field`'s violation when `status` is not OK, using its message.
  void Check(std::string field, const absl::Status& status);
  bool ok() const { return violations_.empty(); }
  absl::Status ToStatus() const;

 private:
  std::vector<FieldViolation> violations_;
};

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Returns a new status with `prefix: ` before the message, keeping payloads.
absl::Status Annotate(const absl::Status& status, std::string_view prefix);

}  // namespace zx::errors
