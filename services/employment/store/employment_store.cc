#include "services/employment/store/employment_store.h"

#include "absl/strings/str_cat.h"
#include "common/time/time.h"

namespace zx::employment {
namespace {

pqxx::binarystring Bytes(const std::string& s) { return pqxx::binarystring(s.data(), s.size()); }

template <typename Message>
Message Parse(const pqxx::field& field) {
  Message m;
  const pqxx::binarystring b(field);
  m.ParseFromString(b.str());
  return m;
}

// The division's ancestors and itself, as a PostgreSQL text array literal.
std::string AncestorsArray(const division::Code& division) {
  std::string out = "{" + division.str();
  for (auto p = division.Parent(); p; p = p->Parent()) absl::StrAppend(&out, ",", p->str());
  return out + "}";
}

constexpr char kActive[] = "(2, 3)";  // accepted or on duty

}  // namespace

std::string DivisionPattern(const division::Code& division) {
  static constexpr int kDigits[] = {0, 2, 4, 6, 9, 12};
  return division.str().substr(0, kDigits[static_cast<int>(division.level())]) + "%";
}

// ---- Workers, employers, jobs -----------------------------------------------------------

void UpsertWorker(pqxx::transaction_base& tx, const v1::Worker& w) {
  const bool able = w.labour_capacity() != v1::LABOUR_CAPACITY_NONE;
  const bool priority = w.flags().monitored_household() || w.flags().lifted_household();
  tx.exec_params(
      "INSERT INTO workers (worker_id, person_id, household_id, division_code, available, able, "
      "priority, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "ON CONFLICT (worker_id) DO UPDATE SET person_id = EXCLUDED.person_id, "
      "household_id = EXCLUDED.household_id, division_code = EXCLUDED.division_code, "
      "available = EXCLUDED.available, able = EXCLUDED.able, priority = EXCLUDED.priority, "
      "body = EXCLUDED.body, updated_at = now()",
      w.worker_id(), w.person_id(), w.household_id(), w.division_code(), w.available(), able,
      priority, Bytes(w.SerializeAsString()));
}

std::optional<v1::Worker> FindWorker(pqxx::transaction_base& tx, const std::string& worker_id) {
  const auto r = tx.exec_params("SELECT body FROM workers WHERE worker_id = $1", worker_id);
  if (r.empty()) return std::nullopt;
  return Parse<v1::Worker>(r[0][0]);
}

std::vector<v1::Worker> ListWorkers(pqxx::transaction_base& tx, const division::Code& division,
                                    const std::string& after, int limit) {
  const auto r = tx.exec_params(
      "SELECT body FROM workers WHERE division_code LIKE $1 AND worker_id > $2 "
      "ORDER BY worker_id LIMIT $3",
      DivisionPattern(division), after, limit);
  std::vector<v1::Worker> out;
  for (const auto& row : r) out.push_back(Parse<v1::Worker>(row[0]));
  return out;
}

void UpsertEmployer(pqxx::transaction_base& tx, const v1::Employer& e) {
  tx.exec_params(
      "INSERT INTO employers (employer_id, division_code, kind, body) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (employer_id) DO UPDATE SET division_code = EXCLUDED.division_code, "
      "kind = EXCLUDED.kind, body = EXCLUDED.body",
      e.employer_id(), e.division_code(), static_cast<int>(e.kind()), Bytes(e.SerializeAsString()));
}

std::optional<v1::Employer> FindEmployer(pqxx::transaction_base& tx, const std::string& id) {
  const auto r = tx.exec_params("SELECT body FROM employers WHERE employer_id = $1", id);
  if (r.empty()) return std::nullopt;
  return Parse<v1::Employer>(r[0][0]);
}

void UpsertJob(pqxx::transaction_base& tx, const v1::Job& j, const std::string& owner) {
  v1::Job stored = j;
  stored.clear_filled();
  tx.exec_params(
      "INSERT INTO jobs (job_id, employer_id, owner_division, location, kind, open, slots, body) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (job_id) DO UPDATE SET "
      "employer_id = EXCLUDED.employer_id, owner_division = EXCLUDED.owner_division, "
      "location = EXCLUDED.location, kind = EXCLUDED.kind, open = EXCLUDED.open, "
      "slots = EXCLUDED.slots, body = EXCLUDED.body",
      j.job_id(), j.employer_id(), owner, j.location_division_code(), static_cast<int>(j.kind()),
      j.open(), j.slots(), Bytes(stored.SerializeAsString()));
}

std::optional<v1::Job> FindJob(pqxx::transaction_base& tx, const std::string& job_id, bool lock) {
  const auto r = tx.exec_params(
      absl::StrCat("SELECT body, (SELECT count(*) FROM placements p WHERE p.job_id = j.job_id "
                   "AND p.status IN ",
                   kActive, ") FROM jobs j WHERE job_id = $1", lock ? " FOR UPDATE" : ""),
      job_id);
  if (r.empty()) return std::nullopt;
  auto job = Parse<v1::Job>(r[0][0]);
  job.set_filled(r[0][1].as<int>());
  return job;
}

// ---- Matching ---------------------------------------------------------------------------

MatchingData LoadMatchingData(pqxx::transaction_base& tx, const division::Code& division) {
  const std::string pattern = DivisionPattern(division);
  // A new run supersedes the open proposals of the division's workers
  // (ended with reason OTHER; the body is the API's view, so it changes too).
  for (const auto& row : tx.exec_params(
           "SELECT body FROM placements WHERE status = 1 AND division_code LIKE $1 FOR UPDATE",
           pattern)) {
    auto p = Parse<v1::Placement>(row[0]);
    p.set_status(v1::PLACEMENT_STATUS_ENDED);
    p.set_end_reason(v1::END_REASON_OTHER);
    v1::Reason* r = p.add_reasons();
    r->set_rule("E1.superseded");
    r->set_detail("a newer matching run replaced this proposal");
    UpdatePlacement(tx, p);
  }
  MatchingData out;
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT w.body, w.updated_at::text FROM workers w WHERE w.division_code "
                        "LIKE $1 AND w.available AND w.able AND NOT EXISTS (SELECT 1 FROM "
                        "placements p WHERE p.worker_id = w.worker_id AND p.status IN ",
                        kActive, ") ORDER BY w.worker_id"),
           pattern)) {
    out.workers.push_back(Parse<v1::Worker>(row[0]));
    out.worker_stamps.push_back(row[1].as<std::string>());
  }
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT j.body, (SELECT count(*) FROM placements p WHERE p.job_id = "
                        "j.job_id AND p.status IN ",
                        kActive,
                        ") FROM jobs j WHERE j.open AND j.kind IN (1, 3) AND "
                        "(j.owner_division LIKE $1 OR j.owner_division = ANY($2::text[]) "
                        // Jobs partner provinces posted for everyone here.
                        " OR j.owner_division ~ '^[0-9]{2}0{10}$') "
                        "ORDER BY j.job_id"),
           pattern, AncestorsArray(division))) {
    auto job = Parse<v1::Job>(row[0]);
    job.set_filled(row[1].as<int>());
    out.jobs.push_back(std::move(job));
  }
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT DISTINCT household_id FROM placements WHERE division_code LIKE $1 "
                        "AND status IN ",
                        kActive),
           pattern)) {
    out.covered_households.push_back(row[0].as<std::string>());
  }
  return out;
}

void InsertRun(pqxx::transaction_base& tx, const v1::MatchingRun& run) {
  tx.exec_params(
      "INSERT INTO matching_runs (run_id, division_code, snapshot_id, objective, covered_before, "
      "covered_after, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      run.run_id(), run.division_code(), run.snapshot_id(), run.objective(),
      run.households_covered_before(), run.households_covered_after(),
      Bytes(run.SerializeAsString()));
}

std::optional<v1::MatchingRun> FindRun(pqxx::transaction_base& tx, const std::string& run_id) {
  const auto r = tx.exec_params("SELECT body FROM matching_runs WHERE run_id = $1", run_id);
  if (r.empty()) return std::nullopt;
  return Parse<v1::MatchingRun>(r[0][0]);
}

// ---- Placements ------------------------------------------------------------------------------

void InsertPlacement(pqxx::transaction_base& tx, const v1::Placement& p,
                     const std::string& division_code) {
  InsertPlacements(tx, {p}, {division_code});
}

void InsertPlacements(pqxx::transaction_base& tx, const std::vector<v1::Placement>& ps,
                      const std::vector<std::string>& divisions) {
  // Multi-row VALUES in chunks: one round trip per 500 rows.
  constexpr size_t kChunk = 500;
  for (size_t from = 0; from < ps.size(); from += kChunk) {
    std::string sql =
        "INSERT INTO placements (placement_id, worker_id, household_id, job_id, run_id, "
        "division_code, status, job_kind, start_date, body) VALUES ";
    const size_t to = std::min(ps.size(), from + kChunk);
    for (size_t i = from; i < to; ++i) {
      const auto& p = ps[i];
      absl::StrAppend(&sql, i == from ? "" : ",", "(", tx.quote(p.placement_id()), ",",
                      tx.quote(p.worker_id()), ",", tx.quote(p.household_id()), ",",
                      tx.quote(p.job_id()), ",", p.run_id().empty() ? "NULL" : tx.quote(p.run_id()),
                      ",", tx.quote(divisions[i]), ",", static_cast<int>(p.status()), ",",
                      static_cast<int>(p.job_kind()), ",",
                      p.start_date().empty() ? "NULL" : tx.quote(p.start_date()), ",",
                      tx.quote_raw(p.SerializeAsString()), ")");
    }
    tx.exec(sql);
  }
}

std::optional<v1::Placement> FindPlacement(pqxx::transaction_base& tx, const std::string& id,
                                           bool lock) {
  const auto r = tx.exec_params(absl::StrCat("SELECT body FROM placements WHERE placement_id = $1",
                                             lock ? " FOR UPDATE" : ""),
                                id);
  if (r.empty()) return std::nullopt;
  return Parse<v1::Placement>(r[0][0]);
}

void UpdatePlacement(pqxx::transaction_base& tx, const v1::Placement& p) {
  tx.exec_params(
      "UPDATE placements SET status = $2, start_date = $3::date, body = $4, updated_at = now() "
      "WHERE placement_id = $1",
      p.placement_id(), static_cast<int>(p.status()),
      p.start_date().empty() ? std::optional<std::string>() : p.start_date(),
      Bytes(p.SerializeAsString()));
}

bool HouseholdHoldsPost(pqxx::transaction_base& tx, const std::string& household_id) {
  return !tx.exec_params(absl::StrCat("SELECT 1 FROM placements WHERE household_id = $1 AND "
                                      "job_kind = 2 AND status IN ",
                                      kActive),
                         household_id)
              .empty();
}

bool WorkerHoldsRegularJob(pqxx::transaction_base& tx, const std::string& worker_id) {
  return !tx.exec_params(
                "SELECT 1 FROM placements WHERE worker_id = $1 AND job_kind = 1 AND status = 3",
                worker_id)
              .empty();
}

bool LockWorker(pqxx::transaction_base& tx, const std::string& worker_id) {
  return !tx.exec_params("SELECT 1 FROM workers WHERE worker_id = $1 FOR UPDATE", worker_id)
              .empty();
}

std::vector<v1::Placement> ActivePlacementsOfWorker(pqxx::transaction_base& tx,
                                                    const std::string& worker_id) {
  std::vector<v1::Placement> out;
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT body FROM placements WHERE worker_id = $1 AND status IN ", kActive,
                        " ORDER BY placement_id"),
           worker_id)) {
    out.push_back(Parse<v1::Placement>(row[0]));
  }
  return out;
}

std::vector<v1::Placement> RegularJobsOfWorker(pqxx::transaction_base& tx,
                                               const std::string& worker_id) {
  std::vector<v1::Placement> out;
  for (const auto& row : tx.exec_params(
           "SELECT body FROM placements WHERE worker_id = $1 AND job_kind = 1 AND status IN (3, 4) "
           "AND start_date IS NOT NULL ORDER BY placement_id",
           worker_id)) {
    out.push_back(Parse<v1::Placement>(row[0]));
  }
  return out;
}

// ---- Wages, attendance, alerts, subsidies
// --------------------------------------------------------

void InsertWage(pqxx::transaction_base& tx, const v1::WageRecord& w) {
  tx.exec_params(
      "INSERT INTO wages (wage_id, placement_id, month, amount_fen, subsidy, body) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      w.wage_id(), w.placement_id(), w.month(), w.amount_fen(), w.subsidy(),
      Bytes(w.SerializeAsString()));
}

std::vector<std::string> PaidMonths(pqxx::transaction_base& tx, const std::string& placement_id) {
  std::vector<std::string> out;
  for (const auto& row :
       tx.exec_params("SELECT month FROM wages WHERE placement_id = $1", placement_id)) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

void UpsertAttendance(pqxx::transaction_base& tx, const v1::Attendance& a) {
  tx.exec_params(
      "INSERT INTO attendance (placement_id, month, days_on_duty, body) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (placement_id, month) DO UPDATE SET days_on_duty = EXCLUDED.days_on_duty, "
      "body = EXCLUDED.body",
      a.placement_id(), a.month(), a.days_on_duty(), Bytes(a.SerializeAsString()));
}

bool MonthPaid(pqxx::transaction_base& tx, const std::string& placement_id,
               const std::string& month) {
  return !tx.exec_params("SELECT 1 FROM wages WHERE placement_id = $1 AND month = $2", placement_id,
                         month)
              .empty();
}

std::optional<int> DaysOnDuty(pqxx::transaction_base& tx, const std::string& placement_id,
                              const std::string& month) {
  const auto r =
      tx.exec_params("SELECT days_on_duty FROM attendance WHERE placement_id = $1 AND month = $2",
                     placement_id, month);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<int>();
}

std::vector<v1::Placement> OnDutyPlacements(pqxx::transaction_base& tx,
                                            const division::Code& division) {
  std::vector<v1::Placement> out;
  for (const auto& row :
       tx.exec_params("SELECT body FROM placements WHERE status = 3 AND job_kind IN (1, 3) AND "
                      "division_code LIKE $1 ORDER BY placement_id",
                      DivisionPattern(division))) {
    out.push_back(Parse<v1::Placement>(row[0]));
  }
  return out;
}

const char kEndedPlacementsQuery[] =
    "SELECT body FROM placements WHERE status = 4 AND job_kind IN (1, 3) AND start_date IS NOT "
    "NULL AND NOT wages_settled AND start_date < $2::date AND division_code LIKE $1 ORDER BY "
    "placement_id";

std::vector<v1::Placement> EndedPlacements(pqxx::transaction_base& tx,
                                           const division::Code& division,
                                           const std::string& before) {
  std::vector<v1::Placement> out;
  for (const auto& row : tx.exec_params(kEndedPlacementsQuery, DivisionPattern(division), before)) {
    out.push_back(Parse<v1::Placement>(row[0]));
  }
  return out;
}

void MarkWagesSettled(pqxx::transaction_base& tx, const std::string& placement_id) {
  tx.exec_params(
      "UPDATE placements SET wages_settled = true WHERE placement_id = $1 AND status = 4",
      placement_id);
}

bool RecordAlert(pqxx::transaction_base& tx, v1::OverdueWageAlert& a) {
  const auto r = tx.exec_params(
      "INSERT INTO wage_alerts (placement_id, month, raised_on, body) VALUES ($1, $2, $3::date, "
      "$4) ON CONFLICT DO NOTHING RETURNING 1",
      a.placement_id(), a.month(), a.raised_on(), Bytes(a.SerializeAsString()));
  if (!r.empty()) return true;
  const auto stored = tx.exec_params(
      "SELECT raised_on::text, body FROM wage_alerts WHERE placement_id = $1 AND month = $2",
      a.placement_id(), a.month());
  if (stored.empty()) return false;  // not visible yet: a concurrent check is recording it
  auto recorded = Parse<v1::OverdueWageAlert>(stored[0][1]);
  if (recorded.placement_id() == a.placement_id() && recorded.month() == a.month()) {
    a = std::move(recorded);
  } else {
    a.set_raised_on(stored[0][0].as<std::string>());
  }
  return false;
}

void InsertTransportSubsidy(pqxx::transaction_base& tx, const v1::TransportSubsidy& s,
                            const std::string& worker_id) {
  tx.exec_params(
      "INSERT INTO transport_subsidies (subsidy_id, placement_id, amount_fen, body, worker_id, "
      "quarter) VALUES ($1, $2, $3, $4, $5, $6)",
      s.subsidy_id(), s.placement_id(), s.amount_fen(), Bytes(s.SerializeAsString()), worker_id,
      s.quarter());
}

std::vector<v1::TransportSubsidy> TransportSubsidiesOfWorker(pqxx::transaction_base& tx,
                                                             const std::string& worker_id) {
  std::vector<v1::TransportSubsidy> out;
  for (const auto& row : tx.exec_params(
           "SELECT t.body FROM transport_subsidies t WHERE t.worker_id = $1 OR t.placement_id IN "
           "(SELECT placement_id FROM placements WHERE worker_id = $1) ORDER BY t.subsidy_id",
           worker_id)) {
    out.push_back(Parse<v1::TransportSubsidy>(row[0]));
  }
  return out;
}

// ---- Household status -------------------------------------------------------------------

bool SetHouseholdStatus(pqxx::transaction_base& tx, const std::string& household_id, bool monitored,
                        const std::optional<std::string>& eliminated_on, const std::string& as_of,
                        const std::string& village_code) {
  return tx.exec_params(
               "INSERT INTO household_status (household_id, monitored, risk_eliminated_on, "
               "as_of, village_code) VALUES ($1, $2, $3::date, $4::timestamptz, $5) ON CONFLICT "
               "(household_id) DO UPDATE SET monitored = EXCLUDED.monitored, risk_eliminated_on = "
               "EXCLUDED.risk_eliminated_on, as_of = EXCLUDED.as_of, village_code = "
               "coalesce(nullif(EXCLUDED.village_code, ''), household_status.village_code), "
               "updated_at = now() WHERE household_status.as_of <= EXCLUDED.as_of",
               household_id, monitored, eliminated_on, as_of, village_code)
             .affected_rows() == 1;
}

std::optional<std::string> HouseholdVillage(pqxx::transaction_base& tx,
                                            const std::string& household_id) {
  const auto r = tx.exec_params(
      "SELECT village_code FROM household_status WHERE household_id = $1 AND village_code <> ''",
      household_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

std::optional<std::string> RiskEliminatedOn(pqxx::transaction_base& tx,
                                            const std::string& household_id) {
  const auto r = tx.exec_params(
      "SELECT risk_eliminated_on::text FROM household_status WHERE household_id = $1 AND "
      "risk_eliminated_on IS NOT NULL",
      household_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

std::optional<bool> HouseholdMonitored(pqxx::transaction_base& tx,
                                       const std::string& household_id) {
  const auto r = tx.exec_params("SELECT monitored FROM household_status WHERE household_id = $1",
                                household_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<bool>();
}

std::vector<v1::Worker> WorkersOfHousehold(pqxx::transaction_base& tx,
                                           const std::string& household_id) {
  std::vector<v1::Worker> out;
  for (const auto& row : tx.exec_params(
           "SELECT body FROM workers WHERE household_id = $1 ORDER BY worker_id FOR UPDATE",
           household_id)) {
    out.push_back(Parse<v1::Worker>(row[0]));
  }
  return out;
}

// ---- Policy and roll-ups ------------------------------------------------------------------

void InsertPolicy(pqxx::transaction_base& tx, const v1::EmploymentPolicy& p) {
  tx.exec_params("INSERT INTO policies (owner_division_code, body) VALUES ($1, $2)",
                 p.owner_division_code(), Bytes(p.SerializeAsString()));
}

std::optional<v1::EmploymentPolicy> LoadPolicyFor(pqxx::transaction_base& tx,
                                                  const division::Code& division) {
  const auto r = tx.exec_params(
      "SELECT body FROM policies WHERE owner_division_code = ANY($1::text[]) "
      "ORDER BY length(rtrim(owner_division_code, '0')) DESC, seq DESC LIMIT 1",
      AncestorsArray(division));
  if (r.empty()) return std::nullopt;
  return Parse<v1::EmploymentPolicy>(r[0][0]);
}

v1::EmploymentRollup LoadRollup(pqxx::transaction_base& tx, const division::Code& division) {
  const std::string pattern = DivisionPattern(division);
  v1::EmploymentRollup out;
  out.set_division_code(division.str());
  const auto w = tx.exec_params(
      "SELECT count(*) FILTER (WHERE able), count(*) FILTER (WHERE able AND priority), "
      "count(DISTINCT household_id) FILTER (WHERE able), "
      "count(*) FILTER (WHERE able AND priority AND EXISTS (SELECT 1 FROM placements p WHERE "
      "p.worker_id = w.worker_id AND p.status = 3)), "
      "count(DISTINCT household_id) FILTER (WHERE able AND NOT EXISTS (SELECT 1 FROM placements "
      "p WHERE p.household_id = w.household_id AND p.status = 3)) "
      "FROM workers w WHERE division_code LIKE $1",
      pattern)[0];
  out.set_able_workers(w[0].as<int>());
  out.set_able_priority_workers(w[1].as<int>());
  out.set_households_with_able_worker(w[2].as<int>());
  out.set_employed_priority_workers(w[3].as<int>());
  out.set_households_without_employed(w[4].as<int>());
  if (out.able_priority_workers() > 0) {
    out.set_employment_rate_bp(static_cast<int>(int64_t{10000} * out.employed_priority_workers() /
                                                out.able_priority_workers()));
  }
  for (const auto& row : tx.exec_params(
           "SELECT p.division_code, j.body, p.job_kind FROM placements p JOIN jobs j USING "
           "(job_id) WHERE p.status = 3 AND p.division_code LIKE $1",
           pattern)) {
    const auto job = Parse<v1::Job>(row[1]);
    switch (
        ReachOf(row[0].as<std::string>(), job.location_division_code(), job.partner_province())) {
      case v1::WILLINGNESS_LOCAL:
        out.set_employed_local(out.employed_local() + 1);
        break;
      case v1::WILLINGNESS_IN_REGION:
        out.set_employed_in_region(out.employed_in_region() + 1);
        break;
      default:
        out.set_employed_out_of_region(out.employed_out_of_region() + 1);
    }
    if (row[2].as<int>() == v1::JOB_KIND_PUBLIC_WELFARE)
      out.set_posts_filled(out.posts_filled() + 1);
  }
  const auto m = tx.exec_params(
      "SELECT coalesce((SELECT sum(g.amount_fen) FROM wages g JOIN placements p USING "
      "(placement_id) WHERE p.division_code LIKE $1), 0), "
      "(SELECT count(*) FROM wage_alerts a JOIN placements p USING (placement_id) WHERE "
      "p.division_code LIKE $1 AND NOT EXISTS (SELECT 1 FROM wages g WHERE g.placement_id = "
      "a.placement_id AND g.month = a.month))",
      pattern)[0];
  out.set_wages_paid_fen(m[0].as<int64_t>());
  out.set_open_overdue_alerts(m[1].as<int>());
  *out.mutable_at() = time::ToProto(absl::Now());
  return out;
}

}  // namespace zx::employment
