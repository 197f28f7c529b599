#include "services/employment/domain/monitoring_events.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/time/time.h"
#include "services/employment/domain/employment.h"
#include "zx/monitoring/v1/lifecycle.pb.h"

namespace zx::employment {
namespace {

// 1900-01-01 .. 9999-12-30 (UTC): four-digit years in any local time zone,
// inside the range of google.protobuf.Timestamp.
constexpr int64_t kMinTimestampSeconds = -2'208'988'800;
constexpr int64_t kMaxTimestampSeconds = 253'402'214'399;

bool InRange(const google::protobuf::Timestamp& at) {
  return at.seconds() >= kMinTimestampSeconds && at.seconds() <= kMaxTimestampSeconds &&
         at.nanos() >= 0 && at.nanos() <= 999'999'999;
}

}  // namespace

absl::StatusOr<std::optional<HouseholdStatusChange>> DecodeMonitoringEvent(
    const zx::common::v1::Event& event) {
  HouseholdStatusChange change;
  if (event.type() == "monitoring.object_confirmed") {
    zx::monitoring::v1::ObjectConfirmed confirmed;
    if (!event.payload().UnpackTo(&confirmed)) {
      return absl::InvalidArgumentError(
          "monitoring.object_confirmed payload is not ObjectConfirmed");
    }
    change.household_id = confirmed.household_id();
    change.village_code = confirmed.village_code();
    change.monitored = true;
  } else if (event.type() == "monitoring.risk_eliminated") {
    zx::monitoring::v1::RiskEliminated eliminated;
    if (!event.payload().UnpackTo(&eliminated)) {
      return absl::InvalidArgumentError("monitoring.risk_eliminated payload is not RiskEliminated");
    }
    change.household_id = eliminated.household_id();
    change.village_code = eliminated.village_code();
    // Kept in a DATE column: a missing or out-of-range time would store
    // 1970-01-01 or a date PostgreSQL cannot read (found by fuzzing).
    const auto& at = eliminated.eliminated_at();
    if (!eliminated.has_eliminated_at() || !InRange(at)) {
      return absl::InvalidArgumentError(absl::StrCat("monitoring.risk_eliminated event ",
                                                     event.id(),
                                                     " has no valid eliminated_at (1900..9999)"));
    }
    change.eliminated_on = FormatDate(absl::ToCivilDay(time::FromProto(at), absl::LocalTimeZone()));
  } else {
    return std::nullopt;  // not ours
  }
  if (change.household_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(event.type(), " event ", event.id(), " names no household"));
  }
  if (event.has_occurred_at() && InRange(event.occurred_at())) {
    change.as_of = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time::FromProto(event.occurred_at()),
                                    absl::UTCTimeZone());
  }
  return change;
}

}  // namespace zx::employment
