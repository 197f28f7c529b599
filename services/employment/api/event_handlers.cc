#include "services/employment/api/event_handlers.h"

#include "services/employment/domain/monitoring_events.h"
#include "services/employment/store/employment_store.h"

namespace zx::employment {

absl::Status HandleMonitoringEvent(pqxx::transaction_base& tx, const zx::common::v1::Event& event) {
  auto change = DecodeMonitoringEvent(event);
  if (!change.ok()) return change.status();
  if (!change->has_value()) return absl::OkStatus();  // not ours
  const HouseholdStatusChange& c = **change;
  if (!SetHouseholdStatus(tx, c.household_id, c.monitored, c.eliminated_on, c.as_of,
                          c.village_code)) {
    return absl::OkStatus();  // a later decision is already recorded
  }
  for (auto& w : WorkersOfHousehold(tx, c.household_id)) {
    if (w.flags().monitored_household() == c.monitored) continue;
    w.mutable_flags()->set_monitored_household(c.monitored);
    UpsertWorker(tx, w);
  }
  return absl::OkStatus();
}

}  // namespace zx::employment
