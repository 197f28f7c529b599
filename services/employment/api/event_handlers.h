// Events of other services the employment service consumes.
#pragma once

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "zx/common/v1/event.pb.h"

namespace zx::employment {

// "monitoring.object_confirmed": the household's workers get the monitored
// priority flag. "monitoring.risk_eliminated": the flag goes and the date is
// kept for the orderly exit of public-welfare posts (M9b). Other types are
// ignored. Idempotent: applying an event twice leaves the same state.
absl::Status HandleMonitoringEvent(pqxx::transaction_base& tx, const zx::common::v1::Event& event);

}  // namespace zx::employment
