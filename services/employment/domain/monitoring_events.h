// Decoding of the monitoring events the employment service consumes. Pure,
// so the consumer (api/event_handlers.cc) and the fuzz target share it.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "zx/common/v1/event.pb.h"

namespace zx::employment {

// What a monitoring event says about a household's workers.
struct HouseholdStatusChange {
  std::string household_id;  // never empty
  bool monitored = false;    // the monitored-household priority flag
  // "YYYY-MM-DD" (local time zone) for "monitoring.risk_eliminated".
  std::optional<std::string> eliminated_on;
  // When monitoring decided it (the event's occurred_at, RFC 3339 UTC), or
  // "-infinity" when the event carries no usable time. Events may be applied
  // out of order (several consumers, retries): an older decision never
  // overwrites a newer one.
  std::string as_of = "-infinity";
  // The household's village as the event names it ("" when it names none).
  std::string village_code;
};

// "monitoring.object_confirmed" -> monitored; "monitoring.risk_eliminated"
// -> not monitored, with the date; nullopt for other types. INVALID_ARGUMENT
// when the payload is not the type's message, names no household, or (for
// risk_eliminated) has no eliminated_at in 1900..9999.
absl::StatusOr<std::optional<HouseholdStatusChange>> DecodeMonitoringEvent(
    const zx::common::v1::Event& event);

}  // namespace zx::employment
