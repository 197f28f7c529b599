#include "services/employment/api/event_handlers.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/time/time.h"
#include "services/employment/domain/employment.h"
#include "services/employment/store/employment_store.h"
#include "zx/monitoring/v1/lifecycle.pb.h"

namespace zx::employment {

absl::Status HandleMonitoringEvent(pqxx::transaction_base& tx, const zx::common::v1::Event& event) {
  std::string household;
  bool monitored = false;
  std::optional<std::string> eliminated_on;
  if (event.type() == "monitoring.object_confirmed") {
    zx::monitoring::v1::ObjectConfirmed confirmed;
    if (!event.payload().UnpackTo(&confirmed)) {
      return absl::InvalidArgumentError(
          "monitoring.object_confirmed payload is not ObjectConfirmed");
    }
    household = confirmed.household_id();
    monitored = true;
  } else if (event.type() == "monitoring.risk_eliminated") {
    zx::monitoring::v1::RiskEliminated eliminated;
    if (!event.payload().UnpackTo(&eliminated)) {
      return absl::InvalidArgumentError("monitoring.risk_eliminated payload is not RiskEliminated");
    }
    household = eliminated.household_id();
    eliminated_on = FormatDate(
        absl::ToCivilDay(time::FromProto(eliminated.eliminated_at()), absl::LocalTimeZone()));
  } else {
    return absl::OkStatus();  // not ours
  }
  if (household.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(event.type(), " event ", event.id(), " names no household"));
  }
  SetHouseholdStatus(tx, household, monitored, eliminated_on);
  for (auto& w : WorkersOfHousehold(tx, household)) {
    if (w.flags().monitored_household() == monitored) continue;
    w.mutable_flags()->set_monitored_household(monitored);
    UpsertWorker(tx, w);
  }
  return absl::OkStatus();
}

}  // namespace zx::employment
