// Events from the other services of this instance, booked as income and
// followed by a re-assessment — inside the consumer's transaction, so the
// effect and the processed-event id commit together (exactly once).
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "services/monitoring/api/monitoring_service.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/store/household_store.h"
#include "services/monitoring/store/record_store.h"
#include "zx/employment/v1/employment.pb.h"

namespace zx::monitoring {

absl::Status HandleEmploymentEvent(pqxx::transaction_base& tx, const server::Runtime& rt,
                                   const zx::common::v1::Event& event) {
  if (event.type() != "employment.wage_paid") return absl::OkStatus();  // not ours to book
  zx::employment::v1::WagePaid wage;
  if (!event.payload().UnpackTo(&wage)) {
    return absl::InvalidArgumentError("employment.wage_paid payload is not a WagePaid");
  }
  absl::CivilMonth month;
  if (!IsHouseholdId(wage.household_id()) || !absl::ParseCivilTime(wage.month(), &month) ||
      wage.amount_fen() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("wage event ", event.id(), " has a bad household, month or amount"));
  }
  auto household = FindHousehold(tx, wage.household_id());
  if (!household) {
    // Retried, then dead-lettered where operators see it: a wage for a
    // household this instance does not know is a data error to look at.
    return absl::NotFoundError(
        absl::StrCat("wage event ", event.id(), " names unknown household ", wage.household_id()));
  }
  v1::IncomeRecord record;
  record.set_record_id(NewId("in"));
  record.set_household_id(wage.household_id());
  record.set_kind(v1::INCOME_KIND_WAGE);
  record.set_source(v1::RECORD_SOURCE_EVENT);
  record.set_month(wage.month());
  record.set_amount_fen(wage.amount_fen());
  record.set_source_ref(event.id());
  record.set_note(absl::StrCat("placement ", wage.placement_id()));
  if (!InsertIncome(tx, record)) return absl::OkStatus();  // booked before
  const auto village = *division::Code::Parse(household->village_code());
  auto policy =
      ResolvePublishedPolicy(tx, village, absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()));
  if (absl::IsFailedPrecondition(policy.status())) {
    // No policy yet: the income is booked; the job that publishing a policy
    // starts will assess the household.
    logging::Warn("assessment_skipped", {{"household_id", wage.household_id()},
                                         {"reason", std::string(policy.status().message())}});
    return absl::OkStatus();
  }
  if (!policy.ok()) return policy.status();
  // Any failure now rolls the whole event back, to be retried.
  return AssessAndStore(tx, rt, *household, event.id()).status();
}

}  // namespace zx::monitoring
