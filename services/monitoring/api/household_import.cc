// ImportHouseholds: households with their members in bulk, over one
// bidirectional stream (common/server/batch_stream.h). Each message is one
// transaction: the rows' households, members (sealed as AddPerson seals
// them), roll-up contributions and monitoring.household_registered events
// are written by COPY, so a county's registry loads at bulk speed.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/events/events.h"
#include "common/logging/logging.h"
#include "common/personal_data/personal_data.h"
#include "common/pg/pg.h"
#include "common/server/batch_stream.h"
#include "common/time/time.h"
#include "services/monitoring/api/monitoring_service.h"
#include "services/monitoring/domain/household_import.h"
#include "services/monitoring/store/rollup_store.h"

namespace zx::monitoring {
namespace {

constexpr char kAction[] = "monitoring.household.import";

// A row that passed validation and the caller's jurisdiction.
struct Candidate {
  int index;
  ImportedHousehold h;
  std::string digest;                // keyed hash of the row as sent, hex
  std::vector<std::string> lookups;  // keyed hash of each member's ID number, hex
};

void Reject(v1::SurveyRowResult& result, std::string field, std::string reason) {
  result.set_outcome(v1::ROW_OUTCOME_REJECTED);
  result.set_field(std::move(field));
  result.set_reason(std::move(reason));
}

std::string Index(int i) { return absl::StrCat("rows[", i, "]."); }

// Applies one message inside `tx`; returns the households registered.
absl::StatusOr<int64_t> ApplyRows(pqxx::transaction_base& tx, const server::Runtime& rt,
                                  const auth::Principal& principal,
                                  const v1::ImportHouseholdsRequest& request,
                                  v1::ImportHouseholdsResponse& response) {
  response.Clear();
  const absl::Time t0 = absl::Now();
  const personal_data::Vault& vault = *rt.vault;
  const absl::CivilDay today = time::Today();
  const int n = request.rows_size();
  std::vector<v1::SurveyRowResult*> results(n);
  std::vector<Candidate> candidates;
  std::set<int64_t> numbers_seen;
  for (int i = 0; i < n; ++i) {
    const v1::HouseholdImportRow& row = request.rows(i);
    results[i] = response.add_results();
    results[i]->set_row_number(row.row_number());
    auto validated = ValidateImportRow(row, rt.division, today, Index(i));
    if (auto* bad = std::get_if<RowViolation>(&validated)) {
      Reject(*results[i], bad->field, bad->reason);
      continue;
    }
    auto& h = std::get<ImportedHousehold>(validated);
    const auto village = *division::Code::Parse(h.household.village_code());
    if (!auth::Authorize(principal, kAction, village).ok()) {
      Reject(*results[i], Index(i) + "household.village_code", "is outside your jurisdiction");
      continue;
    }
    if (!numbers_seen.insert(row.row_number()).second) {
      Reject(*results[i], Index(i) + "row_number", "is used by another row of this message");
      continue;
    }
    candidates.push_back(
        {i, std::move(h), pg::HexBytes(vault.LookupHash(row.SerializeAsString())), {}});
  }
  const absl::Time t1 = absl::Now();
  // A row this batch accepted before is answered with its household; the
  // same number with other contents is a mistake of the caller.
  std::map<int64_t, std::pair<std::string, std::string>> earlier;  // row -> (household, digest)
  if (!candidates.empty()) {
    std::vector<std::string> numbers;
    for (const Candidate& c : candidates) {
      numbers.push_back(std::to_string(request.rows(c.index).row_number()));
    }
    for (const auto& r : tx.exec_params(
             "SELECT row_number, household_id, encode(row_digest, 'hex') "
             "FROM household_import_rows WHERE batch_id = $1 AND row_number = ANY($2::bigint[])",
             request.batch_id(), pg::ArrayLiteral(numbers))) {
      earlier[r[0].as<int64_t>()] = {r[1].as<std::string>(), r[2].as<std::string>()};
    }
  }
  std::vector<Candidate> fresh;
  std::map<std::string, int> row_of_lookup;  // one registration per ID number, in this message too
  for (Candidate& c : candidates) {
    v1::SurveyRowResult& result = *results[c.index];
    if (auto before = earlier.find(request.rows(c.index).row_number()); before != earlier.end()) {
      if (before->second.second == c.digest) {
        result.set_outcome(v1::ROW_OUTCOME_ALREADY_ACCEPTED);
        result.set_household_id(before->second.first);
      } else {
        Reject(result, Index(c.index) + "row_number",
               "is already used in this batch by another row");
      }
      continue;
    }
    bool twice = false;
    for (size_t j = 0; j < c.h.normalized_ids.size() && !twice; ++j) {
      c.lookups.push_back(pg::HexBytes(vault.LookupHash(c.h.normalized_ids[j])));
      auto [at, inserted] = row_of_lookup.emplace(c.lookups.back(), c.index);
      if (!inserted) {
        Reject(result, absl::StrCat(Index(c.index), "persons[", j, "].id_number"),
               absl::StrCat("is also a member in rows[", at->second, "] of this message"));
        twice = true;
      }
    }
    if (!twice) fresh.push_back(std::move(c));
  }
  // Members already registered in this instance (not saying where: the other
  // registration may lie outside the caller's jurisdiction).
  std::set<std::string> registered;
  if (!fresh.empty()) {
    std::vector<std::string> lookups;
    for (const Candidate& c : fresh) {
      lookups.insert(lookups.end(), c.lookups.begin(), c.lookups.end());
    }
    for (const auto& r : tx.exec_params("SELECT u.h FROM unnest($1::text[]) AS u(h) "
                                        "JOIN persons p ON p.id_lookup = decode(u.h, 'hex')",
                                        pg::ArrayLiteral(lookups))) {
      registered.insert(r[0].as<std::string>());
    }
  }
  const absl::Time t2 = absl::Now();
  using LedgerRow = std::tuple<std::string, int64_t, std::string, std::string>;
  using HouseholdRow = std::tuple<std::string, std::string, int, bool, int, bool, std::string>;
  using PersonRow = std::tuple<std::string, std::string, std::string, std::string, std::string,
                               std::string, std::string, std::string, std::string, int, int, int,
                               int, int, int, bool, bool, bool>;
  std::vector<LedgerRow> ledger;
  std::vector<HouseholdRow> households;
  std::vector<PersonRow> persons;
  using GuaranteeRow = std::tuple<std::string, int, int, int, int, int>;
  std::vector<GuaranteeRow> guarantees;
  std::vector<std::string> ids;
  std::vector<v1::HouseholdRegistered> payloads;
  const absl::Time now = absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
  const std::string created_at = absl::FormatTime(absl::RFC3339_full, now, absl::UTCTimeZone());
  for (Candidate& c : fresh) {
    const v1::HouseholdImportRow& row = request.rows(c.index);
    v1::SurveyRowResult& result = *results[c.index];
    bool taken = false;
    for (size_t j = 0; j < c.lookups.size() && !taken; ++j) {
      if (registered.count(c.lookups[j])) {
        Reject(result, absl::StrCat(Index(c.index), "persons[", j, "].id_number"),
               "a person with this ID number is already registered in this instance");
        taken = true;
      }
    }
    if (taken) continue;
    v1::Household h = std::move(c.h.household);
    h.set_household_id(NewId("hh"));
    *h.mutable_created_at() = time::ToProto(now);
    ledger.emplace_back(request.batch_id(), row.row_number(), h.household_id(), "\\x" + c.digest);
    households.emplace_back(h.household_id(), h.village_code(), static_cast<int>(h.category()),
                            h.relocated(), h.member_count(), h.synthetic(), created_at);
    for (int j = 0; j < row.persons_size(); ++j) {
      const v1::Person& p = row.persons(j);
      const id_card::IdCardInfo& info = c.h.members[j];
      const auto sealed_id = vault.Seal(c.h.normalized_ids[j]);
      const auto sealed_name = vault.Seal(p.name());
      persons.emplace_back(NewId("ps"), h.household_id(), sealed_id.key_id,
                           tx.esc_raw(sealed_id.ciphertext), "\\x" + c.lookups[j],
                           personal_data::MaskIdNumber(c.h.normalized_ids[j]), sealed_name.key_id,
                           tx.esc_raw(sealed_name.ciphertext), personal_data::MaskName(p.name()),
                           info.sex == id_card::Sex::kMale ? v1::SEX_MALE : v1::SEX_FEMALE,
                           static_cast<int>(info.birth_date.year()), static_cast<int>(p.relation()),
                           static_cast<int>(p.labour_capacity()), static_cast<int>(p.health()),
                           p.disability_grade(), p.in_school(), p.medical_insured(), p.employed());
    }
    if (row.has_guarantees()) {
      const v1::Guarantees& g = row.guarantees();
      guarantees.emplace_back(h.household_id(), g.food_clothing(), g.compulsory_education(),
                              g.basic_medical(), g.safe_housing(), g.safe_water());
    }
    result.set_outcome(v1::ROW_OUTCOME_ACCEPTED);
    result.set_household_id(h.household_id());
    ids.push_back(h.household_id());
    payloads.emplace_back();
    *payloads.back().mutable_household() = std::move(h);
  }
  if (ids.empty()) return 0;
  // The ledger last (it refers to the households): a concurrent stream of
  // the same batch makes its COPY fail on the primary key, and the whole
  // message with it.
  if (auto w = pg::CopyRows(tx, "households",
                            {"household_id", "village_code", "category", "relocated",
                             "member_count", "synthetic", "created_at"},
                            households);
      !w.ok()) {
    return w.status();
  }
  if (auto w = pg::CopyRows(tx, "persons",
                            {"person_id", "household_id", "id_key_id", "id_sealed", "id_lookup",
                             "id_masked", "name_key_id", "name_sealed", "name_masked", "sex",
                             "birth_year", "relation", "labour_capacity", "health",
                             "disability_grade", "in_school", "medical_insured", "employed"},
                            persons);
      !w.ok()) {
    return w.status();
  }
  if (auto w = pg::CopyRows(tx, "guarantees",
                            {"household_id", "food_clothing", "compulsory_education",
                             "basic_medical", "safe_housing", "safe_water"},
                            guarantees);
      !w.ok()) {
    return w.status();
  }
  if (auto w = pg::CopyRows(tx, "household_import_rows",
                            {"batch_id", "row_number", "household_id", "row_digest"}, ledger);
      !w.ok()) {
    return w.status();
  }
  const absl::Time t3 = absl::Now();
  if (auto s = RefreshRollup(tx, ids); !s.ok()) return s;
  std::vector<events::NewEvent> registered_events;
  registered_events.reserve(payloads.size());
  for (const v1::HouseholdRegistered& payload : payloads) {
    registered_events.push_back({.type = "monitoring.household_registered",
                                 .division_code = payload.household().village_code(),
                                 .aggregate_id = payload.household().household_id(),
                                 .payload = &payload,
                                 .causation_id = request.batch_id()});
  }
  if (auto appended = events::AppendMany(tx, rt.config.instance, registered_events);
      !appended.ok()) {
    return appended.status();
  }
  auto ms = [](absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d)); };
  logging::Debug("import_message", {{"rows", std::to_string(n)},
                                    {"validate_ms", ms(t1 - t0)},
                                    {"match_ms", ms(t2 - t1)},
                                    {"copy_ms", ms(t3 - t2)},
                                    {"rollup_events_ms", ms(absl::Now() - t3)}});
  return static_cast<int64_t>(ids.size());
}

}  // namespace

grpc::ServerBidiReactor<v1::ImportHouseholdsRequest, v1::ImportHouseholdsResponse>*
MonitoringServiceImpl::ImportHouseholds(grpc::CallbackServerContext* ctx) {
  using Request = v1::ImportHouseholdsRequest;
  using Response = v1::ImportHouseholdsResponse;
  server::Runtime& rt = rt_;
  return new server::BatchStreamReactor<Request, Response>(
      ctx, rt_,
      server::BatchStreamSpec<Request, Response>{
          .action = kAction,
          .max_rows_per_message = kMaxImportRowsPerMessage,
          .batch_id = [](const Request& r) -> const std::string& { return r.batch_id(); },
          .row_count = [](const Request& r) { return r.rows_size(); },
          .apply = [&rt](pqxx::transaction_base& tx, const auth::Principal& principal,
                         const Request& r,
                         Response& out) { return ApplyRows(tx, rt, principal, r, out); },
          .close = nullptr});
}

}  // namespace zx::monitoring
