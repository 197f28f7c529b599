// The employment service's rows of the authorization matrix. Workers live in
// the home village; employers, jobs, runs and policies at the county.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/security/matrix.h"

namespace zx::security {
namespace {

const std::string kEmp = "/zx.employment.v1.EmploymentService/";

std::string Worker(const std::string& household, const std::string& person) {
  return absl::StrCat("request_id: '${RID}' worker { person_id: '", person, "' household_id: '",
                      household, "' division_code: '", kVillage,
                      "' birth_date: '1990-05-01' willingness: WILLINGNESS_LOCAL available: true "
                      "labour_capacity: LABOUR_CAPACITY_FULL local_registration: true "
                      "language_level: 3 flags { lifted_household: true } }");
}

std::string Employer(const std::string& name, const std::string& kind) {
  return absl::StrCat("request_id: '${RID}' employer { name: '", name, "' kind: ", kind,
                      " division_code: '", kCounty, "' }");
}

constexpr char kPolicy[] =
    "request_id: '${RID}' policy { owner_division_code: '653121000000' overdue_wage_day: 15 "
    "post_min_age: 16 post_max_age: 60 transport_min_months: 3 "
    "transport_other_county_fen: 20000 transport_other_prefecture_fen: 30000 "
    "transport_other_province_fen: 60000 weights { monitored_household: 300 "
    "lifted_household: 200 yulu_graduate: 100 relocated_household: 100 wage_per_100_yuan: 5 "
    "in_region_penalty: 100 out_of_region_penalty: 250 preferred_skill: 40 placement: 300 } }";

// The employment service bounds the dates that decide eligibility by its
// (real) clock: a placement starts on duty between its acceptance and today,
// a post's agreement starts near today. The seeds and cases start today.
std::string Today() { return absl::FormatTime("%Y-%m-%d", absl::Now(), absl::LocalTimeZone()); }
std::string YearFromToday() {
  return absl::FormatTime("%Y-%m-%d", absl::Now() + absl::Hours(24 * 364), absl::LocalTimeZone());
}
std::string ThisMonth() { return Today().substr(0, 7); }

}  // namespace

std::vector<SeedStep> EmploymentSeeds() {
  return {
      {kEmp + "UpsertWorker", Worker("${HH}", "${PERSON}"), {{"WORKER", "worker_id"}}},
      {kEmp + "UpsertWorker", Worker("${HH2}", "pe-matrix-2"), {{"WORKER2", "worker_id"}}},
      {kEmp + "UpsertEmployer",
       Employer("疏附县卫星工厂", "EMPLOYER_KIND_ENTERPRISE"),
       {{"EMPLOYER", "employer_id"}}},
      {kEmp + "UpsertEmployer",
       Employer("疏附县林草局", "EMPLOYER_KIND_PUBLIC_BODY"),
       {{"PUBLIC_BODY", "employer_id"}}},
      {kEmp + "UpsertJob",
       absl::StrCat("request_id: '${RID}' job { employer_id: '${EMPLOYER}' title: '缝纫工' "
                    "kind: JOB_KIND_REGULAR location_division_code: '",
                    kCounty, "' monthly_wage_fen: 300000 slots: 1 open: true }"),
       {{"EJOB", "job_id"}}},
      {kEmp + "UpsertJob",
       absl::StrCat("request_id: '${RID}' job { employer_id: '${PUBLIC_BODY}' title: '护林员' "
                    "kind: JOB_KIND_PUBLIC_WELFARE public_welfare_kind: "
                    "PUBLIC_WELFARE_KIND_FOREST_RANGER location_division_code: '",
                    kVillage,
                    "' monthly_wage_fen: 150000 slots: 1 open: true need_ref: '村申请 2026-001' }"),
       {{"PWJOB", "job_id"}}},
      {kEmp + "RunMatching",
       absl::StrCat("request_id: '${RID}' division_code: '", kCounty, "'"),
       {{"RUN", "run_id"}, {"PLACEMENT", "proposals[0].placement_id"}}},
      {kEmp + "AcceptPlacement",
       "request_id: '${RID}' placement_id: '${PLACEMENT}' consent_ref: '同意书 001'",
       {}},
      {kEmp + "StartPlacement",
       absl::StrCat("request_id: '${RID}' placement_id: '${PLACEMENT}' start_date: '", Today(),
                    "'"),
       {}},
      // A worker with no job (E1 one job): filed after the matching run.
      {kEmp + "UpsertWorker", Worker("${HH2}", "pe-matrix-3"), {{"WORKER3", "worker_id"}}},
      {kEmp + "AppointPublicWelfarePost",
       absl::StrCat("request_id: '${RID}' worker_id: '${WORKER3}' job_id: '${PWJOB}' "
                    "agreement_start: '",
                    Today(), "' agreement_end: '", YearFromToday(), "' consent_ref: '协议 002'"),
       {{"POST", "placement_id"}}},
  };
}

std::vector<MatrixCase> EmploymentCases() {
  const std::string c = kCounty;
  return {
      {kEmp + "UpsertWorker", "employment.worker.upsert", Worker("${HH}", "${PERSON}")},
      {kEmp + "GetWorker", "employment.worker.get", "worker_id: '${WORKER}'"},
      {kEmp + "ListWorkers", "employment.worker.list",
       absl::StrCat("division_code: '", c, "' page_size: 10"), c},
      {kEmp + "UpsertEmployer", "employment.employer.upsert",
       Employer("疏附县合作社", "EMPLOYER_KIND_COOPERATIVE"), c},
      {kEmp + "UpsertJob", "employment.job.upsert",
       absl::StrCat("request_id: '${RID}' job { employer_id: '${EMPLOYER}' title: '包装工' "
                    "kind: JOB_KIND_REGULAR location_division_code: '",
                    c, "' monthly_wage_fen: 280000 slots: 1 open: true }"),
       c},
      {kEmp + "GetJob", "employment.job.get", "job_id: '${EJOB}'", c},
      {kEmp + "RunMatching", "employment.matching.run",
       absl::StrCat("request_id: '${RID}' division_code: '", c, "'"), c},
      {kEmp + "GetMatchingRun", "employment.matching.get", "run_id: '${RUN}'", c},
      {kEmp + "AcceptPlacement", "employment.placement.accept",
       "request_id: '${RID}' placement_id: '${PLACEMENT}' consent_ref: '同意书 001'"},
      {kEmp + "StartPlacement", "employment.placement.start",
       absl::StrCat("request_id: '${RID}' placement_id: '${PLACEMENT}' start_date: '", Today(),
                    "'")},
      {kEmp + "GetPlacement", "employment.placement.get", "placement_id: '${PLACEMENT}'"},
      {kEmp + "RecordWage", "employment.wage.record",
       absl::StrCat("request_id: '${RID}' placement_id: '${PLACEMENT}' month: '", ThisMonth(),
                    "' amount_fen: 300000 paid_on: '", Today(), "'")},
      {kEmp + "CheckOverdueWages", "employment.wage.check_overdue",
       absl::StrCat("division_code: '", c, "' as_of: '2026-11-20'"), c},
      {kEmp + "AppointPublicWelfarePost", "employment.post.appoint",
       absl::StrCat("request_id: '${RID}' worker_id: '${WORKER3}' job_id: '${PWJOB}' "
                    "agreement_start: '",
                    Today(), "' agreement_end: '", YearFromToday(), "' consent_ref: '协议 002'")},
      {kEmp + "RecordAttendance", "employment.attendance.record",
       "request_id: '${RID}' placement_id: '${POST}' month: '2026-10' days_on_duty: 22"},
      {kEmp + "PayPostSubsidy", "employment.post.subsidy",
       "request_id: '${RID}' placement_id: '${POST}' month: '2026-10' paid_on: '2026-11-05'"},
      {kEmp + "ReviewPostExit", "employment.post.review_exit",
       "request_id: '${RID}' placement_id: '${POST}' risk_eliminated_on: '2026-09-01' "
       "as_of: '2026-11-20'"},
      {kEmp + "GrantTransportSubsidy", "employment.transport.grant",
       "request_id: '${RID}' placement_id: '${PLACEMENT}' as_of: '2026-10-01'"},
      {kEmp + "PublishPolicy", "employment.policy.publish", kPolicy, c},
      {kEmp + "GetEffectivePolicy", "employment.policy.get",
       absl::StrCat("division_code: '", c, "'"), c},
      {kEmp + "GetEmploymentRollup", "employment.rollup.get",
       absl::StrCat("division_code: '", c, "'"), c},
      // Last: it ends the placement the cases above use.
      {kEmp + "EndPlacement", "employment.placement.end",
       absl::StrCat("request_id: '${RID}' placement_id: '${PLACEMENT}' reason: END_REASON_RESIGNED "
                    "end_date: '",
                    Today(), "'")},
  };
}

}  // namespace zx::security
