// Events from the other services of this instance, booked as income and
// followed by a re-assessment — inside the consumer's transaction, so the
// effect and the processed-event id commit together (exactly once).
#include "absl/strings/str_cat.h"
#include "common/events/events.h"
#include "common/logging/logging.h"
#include "services/monitoring/api/assessment.h"
#include "services/monitoring/api/monitoring_service.h"
#include "services/monitoring/domain/event_income.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/store/household_store.h"
#include "services/monitoring/store/record_store.h"

namespace zx::monitoring {
namespace {

// What every income event shares: check the figure, book it once (keyed by
// the event id) and re-assess the household. An error is retried by the
// consumer and then dead-lettered: a payload this instance cannot book is a
// data error for operators to look at, never silently dropped.
absl::Status BookEventIncome(pqxx::transaction_base& tx, const server::Runtime& rt,
                             const zx::common::v1::Event& event, const EventIncome& in,
                             AssessLater* later) {
  if (auto s = CheckEventIncome(event, in); !s.ok()) return s;
  // Locked first: booking the income and the assessment then never deadlock
  // with a concurrent event of the same household on another consumer.
  auto household = LockHousehold(tx, in.household_id);
  if (!household) {
    // Retried, then dead-lettered where operators see it: income for a
    // household this instance does not know is a data error to look at.
    return absl::NotFoundError(absl::StrCat(event.type(), " event ", event.id(),
                                            " names unknown household ", in.household_id));
  }
  if (!in.village_code.empty() && in.village_code != household->village_code()) {
    return absl::InvalidArgumentError(absl::StrCat(
        event.type(), " event ", event.id(), " places household ", in.household_id, " in village ",
        in.village_code, ", but it is registered in ", household->village_code()));
  }
  const auto village = division::Code::Parse(household->village_code());
  if (!village.ok() || !rt.division.IsAncestorOrSelfOf(*village)) {
    return absl::InvalidArgumentError(absl::StrCat(event.type(), " event ", event.id(),
                                                   " is for a household outside this instance"));
  }
  v1::IncomeRecord record;
  record.set_record_id(NewId("in"));
  record.set_household_id(in.household_id);
  record.set_kind(in.kind);
  record.set_source(v1::RECORD_SOURCE_EVENT);
  record.set_month(in.month);
  record.set_amount_fen(in.amount_fen);
  record.set_source_ref(event.id());
  record.set_note(in.note);
  if (!InsertIncome(tx, record)) return absl::OkStatus();  // booked before
  v1::IncomeBooked booked;
  booked.set_record_id(record.record_id());
  booked.set_household_id(record.household_id());
  booked.set_source_event_id(event.id());
  booked.set_source_event_type(event.type());
  booked.set_kind(record.kind());
  booked.set_month(record.month());
  booked.set_amount_fen(record.amount_fen());
  auto appended = events::Append(tx, rt.config.instance,
                                 {.type = "monitoring.income_booked",
                                  .division_code = household->village_code(),
                                  .aggregate_id = household->household_id(),
                                  .payload = &booked,
                                  .causation_id = event.id()});
  if (!appended.ok()) return appended.status();
  if (later != nullptr) {
    later->households[household->household_id()] = {*household, event.id()};
    return absl::OkStatus();
  }
  // Any failure now rolls the whole event back, to be retried.
  return ReassessIfPolicyPublished(tx, rt, *household, event.id());
}

class IncomeEventBatch final : public events::BatchWork {
 public:
  IncomeEventBatch(const server::Runtime& rt, IncomeEventHandler handler)
      : rt_(rt), handler_(handler) {}

  // Every household the batch books for, locked in id order before any entry
  // locks its own: two batches naming the same households (a settlement's
  // attributions, a payroll) then queue instead of deadlocking.
  absl::Status Begin(pqxx::transaction_base& tx,
                     std::span<const zx::common::v1::Event> events) override {
    std::vector<std::string> ids;
    for (const auto& event : events) {
      for (auto decode : {&DecodeEmploymentEvent, &DecodeAssetsEvent, &DecodeConsumptionEvent}) {
        auto decoded = decode(event);
        if (decoded.ok() && decoded->has_value()) {
          ids.push_back((*decoded)->household_id);
          break;
        }
      }
    }
    LockHouseholdsInOrder(tx, ids);
    return absl::OkStatus();
  }

  absl::Status Handle(pqxx::transaction_base& tx, const zx::common::v1::Event& event) override {
    // The entry's savepoint may roll its booking back: its household is
    // added only once the handler succeeded.
    AssessLater mine;
    if (auto s = handler_(tx, rt_, event, &mine); !s.ok()) return s;
    for (auto& [id, entry] : mine.households) later_.households[id] = std::move(entry);
    return absl::OkStatus();
  }

  absl::Status Finish(pqxx::transaction_base& tx) override {
    if (later_.households.empty()) return absl::OkStatus();
    std::vector<v1::Household> households;
    std::vector<std::string> causes;
    for (auto& [id, entry] : later_.households) {
      households.push_back(std::move(entry.first));
      causes.push_back(std::move(entry.second));
    }
    return ReassessBatch(tx, rt_, households, causes, /*skip_without_policy=*/true);
  }

 private:
  const server::Runtime& rt_;
  IncomeEventHandler handler_;
  AssessLater later_;
};

}  // namespace

events::BatchWorkFactory IncomeEventWork(const server::Runtime& rt, IncomeEventHandler handler) {
  return [&rt, handler] { return std::make_unique<IncomeEventBatch>(rt, handler); };
}

absl::Status ReassessIfPolicyPublished(pqxx::transaction_base& tx, const server::Runtime& rt,
                                       const v1::Household& household,
                                       const std::string& causation_id) {
  const auto village = *division::Code::Parse(household.village_code());
  auto policy =
      ResolvePublishedPolicy(tx, village, absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()));
  if (absl::IsFailedPrecondition(policy.status())) {
    // No policy yet: the change is recorded; the job that publishing a policy
    // starts will assess the household.
    logging::Warn("assessment_skipped", {{"household_id", household.household_id()},
                                         {"reason", std::string(policy.status().message())}});
    return absl::OkStatus();
  }
  if (!policy.ok()) return policy.status();
  return AssessAndStore(tx, rt, household, causation_id).status();
}

namespace {

// Books the income `decode` read from `event`; OK for types not booked here.
absl::Status BookDecoded(pqxx::transaction_base& tx, const server::Runtime& rt,
                         const zx::common::v1::Event& event,
                         const absl::StatusOr<std::optional<EventIncome>>& decoded,
                         AssessLater* later) {
  if (!decoded.ok()) return decoded.status();
  if (!decoded->has_value()) return absl::OkStatus();  // not ours to book
  return BookEventIncome(tx, rt, event, **decoded, later);
}

}  // namespace

absl::Status HandleEmploymentEvent(pqxx::transaction_base& tx, const server::Runtime& rt,
                                   const zx::common::v1::Event& event, AssessLater* later) {
  return BookDecoded(tx, rt, event, DecodeEmploymentEvent(event), later);
}

absl::Status HandleAssetsEvent(pqxx::transaction_base& tx, const server::Runtime& rt,
                               const zx::common::v1::Event& event, AssessLater* later) {
  return BookDecoded(tx, rt, event, DecodeAssetsEvent(event), later);
}

absl::Status HandleConsumptionEvent(pqxx::transaction_base& tx, const server::Runtime& rt,
                                    const zx::common::v1::Event& event, AssessLater* later) {
  return BookDecoded(tx, rt, event, DecodeConsumptionEvent(event), later);
}

}  // namespace zx::monitoring
