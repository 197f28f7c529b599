// IngestSurvey: monthly survey and department rows in bulk, over one
// bidirectional stream. Each request message is applied in one transaction
// (every row of it wholly or not at all) and answered by one response with
// a result per row; the rows are matched to households by the keyed hash of
// a member's ID number, each against the caller's jurisdiction.
#include <map>

#include "absl/strings/str_cat.h"
#include "common/id_card/id_card.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/pg/pg.h"
#include "common/server/batch_stream.h"
#include "common/time/time.h"
#include "services/monitoring/api/monitoring_service.h"
#include "services/monitoring/domain/survey.h"

namespace zx::monitoring {
namespace {

using time::Today;

constexpr char kNotInJurisdiction[] =
    "no person with this ID number is registered in your jurisdiction";

// Applies one message's rows inside `tx`; fills one result per row.
absl::Status ApplyRows(pqxx::transaction_base& tx, const server::Runtime& rt,
                       const auth::Principal& principal, const v1::IngestSurveyRequest& request,
                       v1::IngestSurveyResponse& response, int64_t& accepted) {
  response.Clear();
  const absl::Time t0 = absl::Now();
  const absl::CivilDay today = Today();
  const int n = request.rows_size();
  std::vector<v1::SurveyRowResult*> results(n);
  std::vector<std::string> hashes;
  std::vector<int> hashed_rows;  // row index of each hash
  for (int i = 0; i < n; ++i) {
    const v1::SurveyRow& row = request.rows(i);
    results[i] = response.add_results();
    results[i]->set_row_number(row.row_number());
    if (auto bad = ValidateSurveyRow(row, today, absl::StrCat("rows[", i, "].")); bad) {
      results[i]->set_outcome(v1::ROW_OUTCOME_REJECTED);
      results[i]->set_field(bad->field);
      results[i]->set_reason(bad->reason);
      continue;
    }
    hashes.push_back(pg::HexBytes(rt.vault->LookupHash(id_card::Normalize(row.id_number()))));
    hashed_rows.push_back(i);
  }
  const absl::Time t1 = absl::Now();
  // Match by keyed hash, then check each household's village against the
  // caller: a row outside it reads exactly like an unknown number.
  std::vector<std::string> households(n), villages(n);
  if (!hashes.empty()) {
    for (const auto& m : tx.exec_params("SELECT u.i, p.household_id, h.village_code "
                                        "FROM unnest($1::text[]) WITH ORDINALITY AS u(hash, i) "
                                        "JOIN persons p ON p.id_lookup = decode(u.hash, 'hex') "
                                        "JOIN households h ON h.household_id = p.household_id",
                                        pg::ArrayLiteral(hashes))) {
      const int i = hashed_rows[m[0].as<int>() - 1];
      auto village = division::Code::Parse(m[2].as<std::string>());
      if (!village.ok() || !auth::Authorize(principal, "monitoring.survey.ingest", *village).ok()) {
        continue;
      }
      households[i] = m[1].as<std::string>();
      villages[i] = m[2].as<std::string>();
    }
  }
  const absl::Time t2 = absl::Now();
  std::vector<int> candidates;
  std::vector<std::string> numbers, ids, months, sources;
  for (int i : hashed_rows) {
    if (households[i].empty()) {
      results[i]->set_outcome(v1::ROW_OUTCOME_REJECTED);
      results[i]->set_field(absl::StrCat("rows[", i, "].id_number"));
      results[i]->set_reason(kNotInJurisdiction);
      continue;
    }
    const v1::SurveyRow& row = request.rows(i);
    candidates.push_back(i);
    numbers.push_back(std::to_string(row.row_number()));
    ids.push_back(households[i]);
    months.push_back(row.month() + "-01");
    sources.push_back(std::to_string(static_cast<int>(row.source())));
  }
  if (candidates.empty()) return absl::OkStatus();
  // The ledger decides which rows are new: a retried row (same batch and
  // row number) and a second survey of a household-month are not.
  std::map<int64_t, bool> inserted;
  for (const auto& r : tx.exec_params(
           "INSERT INTO survey_rows (batch_id, row_number, household_id, month, source) "
           "SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::date[], $5::smallint[]) "
           "ON CONFLICT DO NOTHING RETURNING row_number",
           request.batch_id(), pg::ArrayLiteral(numbers), pg::ArrayLiteral(ids),
           pg::ArrayLiteral(months), pg::ArrayLiteral(sources))) {
    inserted[r[0].as<int64_t>()] = true;
  }
  const absl::Time t3 = absl::Now();
  std::map<int64_t, std::pair<std::string, std::string>> earlier;  // row -> (household, month)
  if (inserted.size() < candidates.size()) {
    for (const auto& r : tx.exec_params(
             "SELECT row_number, household_id, to_char(month, 'YYYY-MM') FROM survey_rows "
             "WHERE batch_id = $1 AND row_number = ANY($2::bigint[])",
             request.batch_id(), pg::ArrayLiteral(numbers))) {
      earlier[r[0].as<int64_t>()] = {r[1].as<std::string>(), r[2].as<std::string>()};
    }
  }
  using IncomeRow =
      std::tuple<std::string, std::string, int, int, std::string, int64_t, std::string>;
  using ExpenseRow =
      std::tuple<std::string, std::string, int, int, std::string, int64_t, std::string>;
  std::vector<IncomeRow> income;
  std::vector<ExpenseRow> expenses;
  std::map<int64_t, int> first_of_number;  // a row number used twice in one message
  for (int i : candidates) {
    const v1::SurveyRow& row = request.rows(i);
    v1::SurveyRowResult& result = *results[i];
    const bool is_first = first_of_number.emplace(row.row_number(), i).second;
    if (inserted.count(row.row_number()) && is_first) {
      result.set_outcome(v1::ROW_OUTCOME_ACCEPTED);
      result.set_household_id(households[i]);
      ++accepted;
      const std::string ref = absl::StrCat("survey:", request.batch_id(), ":", row.row_number());
      const SurveyRecords records = RecordsOf(row);
      for (const auto& [kind, fen] : records.income) {
        income.emplace_back(NewId("ir"), households[i], kind, row.source(), row.month() + "-01",
                            fen, ref);
      }
      for (const auto& [kind, fen] : records.expenses) {
        expenses.emplace_back(NewId("er"), households[i], kind, row.source(), row.month() + "-01",
                              fen, ref);
      }
      continue;
    }
    auto before = earlier.find(row.row_number());
    if (before != earlier.end() && before->second.first == households[i] &&
        before->second.second == row.month() && !inserted.count(row.row_number())) {
      result.set_outcome(v1::ROW_OUTCOME_ALREADY_ACCEPTED);
      result.set_household_id(households[i]);
      continue;
    }
    result.set_outcome(v1::ROW_OUTCOME_REJECTED);
    if (before != earlier.end()) {
      result.set_field(absl::StrCat("rows[", i, "].row_number"));
      result.set_reason("is already used in this batch by another row");
    } else {
      result.set_field(absl::StrCat("rows[", i, "].month"));
      result.set_reason(absl::StrCat("the household was already surveyed for ", row.month(),
                                     " from this source; correct it with RecordIncome"));
    }
  }
  if (!income.empty()) {
    auto written = pg::CopyRows(
        tx, "income_records",
        {"record_id", "household_id", "kind", "source", "month", "amount_fen", "source_ref"},
        income);
    if (!written.ok()) return written.status();
  }
  if (!expenses.empty()) {
    auto written = pg::CopyRows(
        tx, "expense_records",
        {"record_id", "household_id", "kind", "source", "month", "amount_fen", "note"}, expenses);
    if (!written.ok()) return written.status();
  }
  auto ms = [](absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d)); };
  logging::Debug("survey_message", {{"rows", std::to_string(n)},
                                    {"validate_ms", ms(t1 - t0)},
                                    {"match_ms", ms(t2 - t1)},
                                    {"ledger_ms", ms(t3 - t2)},
                                    {"records_ms", ms(absl::Now() - t3)}});
  return absl::OkStatus();
}

}  // namespace

grpc::ServerBidiReactor<v1::IngestSurveyRequest, v1::IngestSurveyResponse>*
MonitoringServiceImpl::IngestSurvey(grpc::CallbackServerContext* ctx) {
  using Request = v1::IngestSurveyRequest;
  using Response = v1::IngestSurveyResponse;
  server::Runtime& rt = rt_;
  return new server::BatchStreamReactor<Request, Response>(
      ctx, rt_,
      server::BatchStreamSpec<Request, Response>{
          .action = "monitoring.survey.ingest",
          .max_rows_per_message = kMaxSurveyRowsPerMessage,
          .batch_id = [](const Request& r) -> const std::string& { return r.batch_id(); },
          .row_count = [](const Request& r) { return r.rows_size(); },
          .apply = [&rt](pqxx::transaction_base& tx, const auth::Principal& principal,
                         const Request& r, Response& out) -> absl::StatusOr<int64_t> {
            int64_t accepted = 0;
            if (auto s = ApplyRows(tx, rt, principal, r, out, accepted); !s.ok()) return s;
            return accepted;
          },
          // Unless the first message deferred it, a stream that accepted
          // rows queues a re-assessment and names the job in a last response.
          .close = [&rt](const std::string& batch_id, const Request& first,
                         Response& out) -> absl::StatusOr<bool> {
            if (first.defer_reassessment()) return false;
            absl::Status status = pg::WithTransaction(*rt.pool, [&](pqxx::transaction_base& tx) {
              auto job = CreateReassessmentJob(tx, rt.division, absl::StrCat("survey ", batch_id),
                                               v1::REASSESS_REASON_RECORDS);
              if (!job.ok()) return job.status();
              out.set_reassessment_job_id(job->job_id());
              return absl::OkStatus();
            });
            if (!status.ok()) return status;
            return true;
          }});
}

}  // namespace zx::monitoring
