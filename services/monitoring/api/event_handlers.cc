// Events from the other services of this instance, booked as income and
// followed by a re-assessment — inside the consumer's transaction, so the
// effect and the processed-event id commit together (exactly once).
#include <map>
#include <set>
#include <span>

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

// household id -> the household and the event that caused its last change:
// what a batch re-assesses at its end.
using AssessLater = std::map<std::string, std::pair<v1::Household, std::string>>;

// The income record `event` books for `household` (locked by the caller;
// null when unknown), after checking the figure and that the household is
// the one the event means and lies inside this instance.
absl::StatusOr<v1::IncomeRecord> IncomeRecordFor(const server::Runtime& rt,
                                                 const zx::common::v1::Event& event,
                                                 const EventIncome& in,
                                                 const v1::Household* household) {
  if (auto s = CheckEventIncome(event, in); !s.ok()) return s;
  if (household == nullptr) {
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
  if (!in.worker_division.empty()) {
    // Wages: refused like a village mismatch above (retried, then
    // dead-lettered, never booked) unless the worker's division, where its
    // writer was authorized, holds the household.
    const auto worker_division = division::Code::Parse(in.worker_division);  // checked
    if (!worker_division.ok() || !worker_division->IsAncestorOrSelfOf(*village)) {
      return absl::InvalidArgumentError(absl::StrCat(
          event.type(), " event ", event.id(), " pays a worker of ", in.worker_division,
          " as household ", in.household_id, " of village ", household->village_code()));
    }
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
  return record;
}

v1::IncomeBooked BookedFrom(const v1::IncomeRecord& record, const zx::common::v1::Event& event) {
  v1::IncomeBooked booked;
  booked.set_record_id(record.record_id());
  booked.set_household_id(record.household_id());
  booked.set_source_event_id(event.id());
  booked.set_source_event_type(event.type());
  booked.set_kind(record.kind());
  booked.set_month(record.month());
  booked.set_amount_fen(record.amount_fen());
  return booked;
}

events::NewEvent IncomeBookedEvent(const v1::Household& household, const v1::IncomeBooked& booked,
                                   const zx::common::v1::Event& cause) {
  return {.type = "monitoring.income_booked",
          .division_code = household.village_code(),
          .aggregate_id = household.household_id(),
          .payload = &booked,
          .causation_id = cause.id()};
}

// One event on its own (the consumer's entry-by-entry retry): the household
// locked, the income booked once, the household added to `later`.
absl::Status BookOne(pqxx::transaction_base& tx, const server::Runtime& rt,
                     const zx::common::v1::Event& event, IncomeDecoder decode, AssessLater& later) {
  auto decoded = decode(event);
  if (!decoded.ok()) return decoded.status();
  if (!decoded->has_value()) return absl::OkStatus();  // not ours to book
  const EventIncome& in = **decoded;
  auto household = LockHousehold(tx, in.household_id);
  auto record = IncomeRecordFor(rt, event, in, household ? &*household : nullptr);
  if (!record.ok()) return record.status();
  if (!InsertIncome(tx, *record)) return absl::OkStatus();  // booked before
  const v1::IncomeBooked booked = BookedFrom(*record, event);
  auto appended =
      events::Append(tx, rt.config.instance, IncomeBookedEvent(*household, booked, event));
  if (!appended.ok()) return appended.status();
  later[household->household_id()] = {*household, event.id()};
  return absl::OkStatus();
}

class IncomeEventBatch final : public events::BatchWork {
 public:
  IncomeEventBatch(const server::Runtime& rt, IncomeDecoder decode) : rt_(rt), decode_(decode) {}

  bool HandlesAll() const override { return true; }

  // Every household of the batch locked in id order first: two batches
  // naming the same households (a settlement's attributions, a payroll) then
  // queue instead of deadlocking. Any entry's error fails the whole batch,
  // which the consumer then retries entry by entry (Handle).
  absl::Status HandleAll(pqxx::transaction_base& tx,
                         std::span<const zx::common::v1::Event> events) override {
    std::vector<std::pair<const zx::common::v1::Event*, EventIncome>> incomes;
    std::vector<std::string> ids;
    for (const auto& event : events) {
      auto decoded = decode_(event);
      if (!decoded.ok()) return decoded.status();
      if (!decoded->has_value()) continue;  // not ours to book
      ids.push_back((*decoded)->household_id);
      incomes.emplace_back(&event, **std::move(decoded));
    }
    const std::map<std::string, v1::Household> households = LockHouseholdsInOrder(tx, ids);
    std::vector<v1::IncomeRecord> records;
    records.reserve(incomes.size());
    for (const auto& [event, in] : incomes) {
      auto found = households.find(in.household_id);
      auto record =
          IncomeRecordFor(rt_, *event, in, found == households.end() ? nullptr : &found->second);
      if (!record.ok()) return record.status();
      records.push_back(*std::move(record));
    }
    const std::set<std::string> inserted = InsertIncomes(tx, records);
    std::vector<v1::IncomeBooked> booked;
    booked.reserve(records.size());  // NewEvent points into it
    std::vector<events::NewEvent> out;
    for (size_t i = 0; i < records.size(); ++i) {
      if (!inserted.contains(records[i].record_id())) continue;  // booked before
      const zx::common::v1::Event& event = *incomes[i].first;
      const v1::Household& household = households.at(records[i].household_id());
      booked.push_back(BookedFrom(records[i], event));
      out.push_back(IncomeBookedEvent(household, booked.back(), event));
      later_[household.household_id()] = {household, event.id()};
    }
    return events::AppendMany(tx, rt_.config.instance, out).status();
  }

  absl::Status Handle(pqxx::transaction_base& tx, const zx::common::v1::Event& event) override {
    return BookOne(tx, rt_, event, decode_, later_);
  }

  absl::Status Finish(pqxx::transaction_base& tx) override {
    if (later_.empty()) return absl::OkStatus();
    std::vector<v1::Household> households;
    std::vector<std::string> causes;
    for (auto& [id, entry] : later_) {
      households.push_back(std::move(entry.first));
      causes.push_back(std::move(entry.second));
    }
    return ReassessBatch(tx, rt_, households, causes, /*skip_without_policy=*/true);
  }

 private:
  const server::Runtime& rt_;
  IncomeDecoder decode_;
  AssessLater later_;
};

}  // namespace

events::BatchWorkFactory IncomeEventWork(const server::Runtime& rt, IncomeDecoder decode) {
  return [&rt, decode] { return std::make_unique<IncomeEventBatch>(rt, decode); };
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

}  // namespace zx::monitoring
