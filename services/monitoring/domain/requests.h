// The checks of monitoring requests that need no storage: the handlers
// (api/) run them first, and the fuzz target
// tests/fuzz/monitoring_requests_fuzz.cc runs them on arbitrary input. The
// request_id is checked by the handler (common/idempotency) before these.
#pragma once

#include <string_view>

#include "absl/time/time.h"
#include "common/division/division.h"
#include "common/errors/errors.h"
#include "services/monitoring/domain/lifecycle.h"
#include "zx/monitoring/v1/lifecycle.pb.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

// Free text an official states (reasons, descriptions): required, at most
// this many code points.
inline constexpr int kMaxTextChars = 2000;
// More risk types than exist is a malformed request, not a list to check.
inline constexpr int kMaxRiskTypes = 32;

// The name of the RPC that takes `kind`, for idempotency keys.
std::string_view RpcName(lifecycle::ActionKind kind);

// A lifecycle step: every field the RPC reads is well formed, and every field
// it does not read is unset, so nothing a caller sends is silently ignored.
void ValidateTransition(lifecycle::ActionKind kind, const v1::TransitionRequest& r, absl::Time now,
                        errors::Validator& v);
void Validate(const v1::RaiseClueRequest& req, absl::Time now, errors::Validator& v);
void Validate(const v1::AddAssistanceMeasureRequest& req, errors::Validator& v);
void Validate(const v1::CreateHouseholdRequest& req, const division::Code& instance,
              errors::Validator& v);

}  // namespace zx::monitoring
