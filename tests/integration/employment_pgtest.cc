// Issue 5, the employment service in-process over real gRPC, on a real
// PostgreSQL and Redis:
//  1. 50 workers from 30 households and 40 slots of mixed kinds: matching
//     covers every household that can be covered (an independent exact
//     bound: maximum bipartite matching of households to slots, computed
//     here from CheckEligible), never breaks willingness, its proposals name
//     their rules; accepted placements and paid wages reach the running
//     monitoring service, which books them as wage income;
//  2. public-welfare rules: a cadre's relative, a second post in a household
//     and age 61 are refused with the rule and write nothing; a subsidy for a
//     month without attendance is refused; risk elimination ends a post only
//     after its agreement;
//  3. the overdue-wage alert fires on the configured day; a transport
//     subsidy is refused at 2 months and granted at 3.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/server/server.h"
#include "common/testing/stack.h"
#include "common/time/time.h"
#include "services/employment/api/employment_service.h"
#include "services/employment/api/event_handlers.h"
#include "services/employment/domain/employment.h"
#include "services/employment/store/employment_store.h"
#include "services/monitoring/api/monitoring_service.h"
#include "zx/employment/v1/employment.grpc.pb.h"
#include "zx/monitoring/v1/lifecycle.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::employment {
namespace {

namespace mv1 = zx::monitoring::v1;
using S = v1::EmploymentService::Stub;

constexpr char kCountyCode[] = "653121000000";
constexpr char kTownship[] = "653121101000";
constexpr char kVillage[] = "653121101201";
constexpr char kOtherCountyCode[] = "653122000000";
constexpr char kCounty[] = "dev.653121000000.county_official.co1";
constexpr char kOtherCounty[] = "dev.653122000000.county_official.co9";

grpc::Status Refused(grpc::StatusCode code, const grpc::Status& s, const std::string& needle) {
  EXPECT_EQ(s.error_code(), code) << s.error_message();
  EXPECT_NE(s.error_message().find(needle), std::string::npos) << s.error_message();
  return s;
}

class EmploymentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("employment_it");
    namespace_ = absl::StrCat("zx:it-employment:",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto config = stack.ServiceConfig("employment", db_);
    config.redis_namespace = namespace_;
    auto server = server::Server::Start(EmploymentSpec(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::EmploymentService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (monitoring_) monitoring_->Shutdown(absl::Seconds(1));
    if (server_) server_->Shutdown(absl::Seconds(1));
    SetEmploymentClockForTesting(nullptr);
  }

  void StartMonitoring() {
    auto& stack = zx::testing::Stack::Get();
    auto config = stack.ServiceConfig("monitoring", db_);
    config.redis_namespace = namespace_;
    auto server = server::Server::Start(zx::monitoring::MonitoringSpec(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    monitoring_ = std::move(*server);
    households_ = mv1::MonitoringService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(monitoring_->grpc_port()),
                            grpc::InsecureChannelCredentials()));
  }

  template <typename Stub, typename Method, typename Request, typename Response>
  grpc::Status Call(Stub* stub, Method method, const Request& req, Response* resp,
                    const std::string& token = kCounty) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return (stub->*method)(&ctx, req, resp);
  }
  template <typename Method, typename Request, typename Response>
  grpc::Status E(Method method, const Request& req, Response* resp,
                 const std::string& token = kCounty) {
    return Call(stub_.get(), method, req, resp, token);
  }

  // The service's today from now on (an injected clock at noon local time).
  void SetToday(const std::string& day) {
    const auto d = ParseDate(day);
    ASSERT_TRUE(d) << day;
    const absl::Time t = absl::FromCivil(
        absl::CivilSecond(d->year(), d->month(), d->day(), 12, 0, 0), absl::LocalTimeZone());
    if (clock_) {
      clock_->Set(t);
    } else {
      clock_ = std::make_unique<time::FakeClock>(t);
      SetEmploymentClockForTesting(clock_.get());
    }
  }

  // Runs `fn` on `day` by the service's clock — what was done that day:
  // accepting and starting a placement, appointing a post — then returns to
  // the time before (the injected today, or the real clock). Start dates and
  // agreement starts are bounded by the day they are recorded on.
  void OnDay(const std::string& day, const std::function<void()>& fn) {
    const std::optional<absl::Time> before =
        clock_ ? std::optional<absl::Time>(clock_->Now()) : std::nullopt;
    SetToday(day);
    fn();
    if (before) {
      clock_->Set(*before);
    } else {
      SetEmploymentClockForTesting(nullptr);
      clock_.reset();
    }
  }

  int64_t Query(const std::string& sql) { return zx::testing::QueryInt(db_, sql); }
  void Exec(const std::string& sql) {
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }

  // Hands `event` to the service's monitoring-event handler in a transaction
  // of its own, as the consumer would.
  void HandleInOwnTransaction(const zx::common::v1::Event& event) {
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec("SET LOCAL search_path TO employment");
    const auto s = HandleMonitoringEvent(tx, event);
    ASSERT_TRUE(s.ok()) << s;
    tx.commit();
  }
  int64_t WaitFor(const std::string& sql, int64_t want) {
    return zx::testing::WaitForInt(db_, sql, want);
  }

  std::string Census() {
    std::string out;
    for (const char* t :
         {"workers", "employers", "jobs", "placements", "wages", "attendance", "wage_alerts",
          "transport_subsidies", "matching_runs", "idempotency", "outbox"}) {
      absl::StrAppend(&out, t, "=", Query(absl::StrCat("SELECT count(*) FROM employment.", t)),
                      " ");
    }
    absl::StrAppend(&out, "status_sum=", Query("SELECT sum(status) FROM employment.placements"));
    return out;
  }

  std::string CreateHousehold(const std::string& rid) {
    mv1::CreateHouseholdRequest req;
    req.set_request_id(rid);
    req.mutable_household()->set_village_code(kVillage);
    req.mutable_household()->set_category(mv1::HOUSEHOLD_CATEGORY_LIFTED);
    req.mutable_household()->set_member_count(4);
    mv1::Household out;
    const auto s =
        Call(households_.get(), &mv1::MonitoringService::Stub::CreateHousehold, req, &out, kCounty);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.household_id();
  }

  v1::Worker Worker(const std::string& rid, const std::string& household, int n,
                    v1::Willingness willingness,
                    const std::function<void(v1::Worker&)>& change = nullptr) {
    v1::UpsertWorkerRequest req;
    req.set_request_id(rid);
    auto* w = req.mutable_worker();
    w->set_person_id(absl::StrCat("pe-", household.substr(3), "-", n));
    w->set_household_id(household);
    w->set_division_code(kVillage);
    w->set_birth_date("1990-05-01");
    w->set_willingness(willingness);
    w->set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
    w->set_available(true);
    w->set_local_registration(true);
    w->set_language_level(3);
    w->mutable_flags()->set_lifted_household(true);
    if (change) change(*w);
    v1::Worker out;
    const auto s = E(&S::UpsertWorker, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  v1::Employer Employer(const std::string& rid, v1::EmployerKind kind,
                        const std::string& division = kCountyCode) {
    v1::UpsertEmployerRequest req;
    req.set_request_id(rid);
    auto* e = req.mutable_employer();
    e->set_name("雇主 " + rid);
    e->set_kind(kind);
    e->set_division_code(division);
    if (kind == v1::EMPLOYER_KIND_PARTNER_PROVINCE) e->set_partner_province("44");
    if (kind == v1::EMPLOYER_KIND_ASSISTANCE_WORKSHOP) e->set_lifted_workers(6);
    v1::Employer out;
    const auto s = E(&S::UpsertEmployer, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  v1::Job Job(const std::string& rid, const v1::Employer& employer, v1::JobKind kind,
              const std::string& location, int slots, int64_t wage_fen,
              const std::function<void(v1::Job&)>& change = nullptr) {
    v1::UpsertJobRequest req;
    req.set_request_id(rid);
    auto* j = req.mutable_job();
    j->set_employer_id(employer.employer_id());
    j->set_title("岗位 " + rid);
    j->set_kind(kind);
    j->set_location_division_code(location);
    j->set_partner_province(employer.kind() == v1::EMPLOYER_KIND_PARTNER_PROVINCE);
    j->set_monthly_wage_fen(wage_fen);
    j->set_slots(slots);
    j->set_open(true);
    if (kind == v1::JOB_KIND_PUBLIC_WELFARE) {
      j->set_public_welfare_kind(v1::PUBLIC_WELFARE_KIND_FOREST_RANGER);
      j->set_need_ref("村申请 2026-001，乡审核");
    }
    if (change) change(*j);
    v1::Job out;
    const auto s = E(&S::UpsertJob, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // A public-welfare post (800 yuan a month) held by a new worker of
  // `household` with the agreement [start, end].
  v1::Placement AppointPost(const std::string& rid, const std::string& household,
                            const std::string& start, const std::string& end) {
    const auto body = Employer("e-" + rid, v1::EMPLOYER_KIND_PUBLIC_BODY);
    const auto post = Job("j-" + rid, body, v1::JOB_KIND_PUBLIC_WELFARE, kVillage, 1, 80'000);
    const auto w = Worker("w-" + rid, household, 1, v1::WILLINGNESS_LOCAL);
    v1::AppointPublicWelfarePostRequest req;
    req.set_request_id(rid);
    req.set_worker_id(w.worker_id());
    req.set_job_id(post.job_id());
    req.set_agreement_start(start);
    req.set_agreement_end(end);
    req.set_consent_ref("聘用协议 " + rid);
    v1::Placement out;
    OnDay(start, [&] {  // appointed on the agreement's first day
      const auto s = E(&S::AppointPublicWelfarePost, req, &out);
      EXPECT_TRUE(s.ok()) << s.error_message();
    });
    return out;
  }

  // Accepted and started on `start_date`.
  v1::Placement Advance(const std::string& placement_id, const std::string& start_date) {
    v1::Placement out;
    OnDay(start_date, [&] { out = AdvanceToday(placement_id, start_date); });
    return out;
  }
  v1::Placement AdvanceToday(const std::string& placement_id, const std::string& start_date) {
    v1::AcceptPlacementRequest accept;
    accept.set_request_id("acc-" + placement_id);
    accept.set_placement_id(placement_id);
    accept.set_consent_ref("同意书 " + placement_id);
    v1::Placement out;
    auto s = E(&S::AcceptPlacement, accept, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.status(), v1::PLACEMENT_STATUS_ACCEPTED);
    v1::StartPlacementRequest start;
    start.set_request_id("start-" + placement_id);
    start.set_placement_id(placement_id);
    start.set_start_date(start_date);
    s = E(&S::StartPlacement, start, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.status(), v1::PLACEMENT_STATUS_ON_DUTY);
    return out;
  }

  // `n` regular placements (an enterprise's job in the county, 3,000 yuan a
  // month), each of a worker of its own household (hh-...`first` on),
  // matched, accepted and on duty since `start_date`.
  std::vector<v1::Placement> RegularPlacements(const std::string& rid, int n, int first,
                                               const std::string& start_date) {
    const auto enterprise = Employer("e-" + rid, v1::EMPLOYER_KIND_ENTERPRISE);
    Job("j-" + rid, enterprise, v1::JOB_KIND_REGULAR, kCountyCode, n, 300'000);
    for (int i = 0; i < n; ++i) {
      Worker(absl::StrCat("w-", rid, "-", i),
             absl::StrCat("hh-", absl::Dec(first + i, absl::kZeroPad20)), 1, v1::WILLINGNESS_LOCAL);
    }
    v1::RunMatchingRequest run_req;
    run_req.set_request_id("run-" + rid);
    run_req.set_division_code(kCountyCode);
    v1::MatchingRun run;
    const auto s = E(&S::RunMatching, run_req, &run);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(run.proposals_size(), n);
    std::vector<v1::Placement> out;
    for (const auto& p : run.proposals()) out.push_back(Advance(p.placement_id(), start_date));
    return out;
  }
  grpc::Status PayWage(const std::string& rid, const v1::Placement& p, const std::string& month,
                       const std::string& paid_on) {
    v1::RecordWageRequest wage;
    wage.set_request_id(rid);
    wage.set_placement_id(p.placement_id());
    wage.set_month(month);
    wage.set_amount_fen(300'000);
    wage.set_paid_on(paid_on);
    v1::WageRecord rec;
    return E(&S::RecordWage, wage, &rec);
  }
  grpc::Status End(const std::string& rid, const v1::Placement& p, const std::string& end_date) {
    v1::EndPlacementRequest end;
    end.set_request_id(rid);
    end.set_placement_id(p.placement_id());
    end.set_reason(v1::END_REASON_RESIGNED);
    end.set_end_date(end_date);
    v1::Placement out;
    return E(&S::EndPlacement, end, &out);
  }

  // A worker (with its own household) and a regular job with a proposal
  // of the job to the worker, as a matching run leaves them.
  struct Proposal {
    v1::Worker worker;
    v1::Job job;
    std::string placement_id;
  };
  Proposal Propose(const std::string& rid, int household) {
    Proposal out;
    const auto enterprise = Employer("e-" + rid, v1::EMPLOYER_KIND_ENTERPRISE);
    out.job = Job("j-" + rid, enterprise, v1::JOB_KIND_REGULAR, kCountyCode, 1, 300'000);
    out.worker = Worker("w-" + rid, absl::StrCat("hh-", absl::Dec(household, absl::kZeroPad20)), 1,
                        v1::WILLINGNESS_LOCAL);
    v1::RunMatchingRequest run_req;
    run_req.set_request_id("run-" + rid);
    run_req.set_division_code(kCountyCode);
    v1::MatchingRun run;
    const auto s = E(&S::RunMatching, run_req, &run);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& p : run.proposals()) {
      if (p.worker_id() == out.worker.worker_id()) out.placement_id = p.placement_id();
    }
    EXPECT_FALSE(out.placement_id.empty());
    return out;
  }
  grpc::Status Accept(const std::string& rid, const std::string& placement_id) {
    v1::AcceptPlacementRequest accept;
    accept.set_request_id(rid);
    accept.set_placement_id(placement_id);
    accept.set_consent_ref("同意书 " + rid);
    v1::Placement out;
    return E(&S::AcceptPlacement, accept, &out);
  }
  grpc::Status Appoint(const std::string& rid, const v1::Worker& w, const v1::Job& post,
                       const std::string& start, const std::string& end,
                       v1::Placement* out = nullptr) {
    v1::AppointPublicWelfarePostRequest req;
    req.set_request_id(rid);
    req.set_worker_id(w.worker_id());
    req.set_job_id(post.job_id());
    req.set_agreement_start(start);
    req.set_agreement_end(end);
    req.set_consent_ref("聘用协议 " + rid);
    v1::Placement ignored;
    return E(&S::AppointPublicWelfarePost, req, out ? out : &ignored);
  }

  std::string db_;
  std::string namespace_;
  std::unique_ptr<time::FakeClock> clock_;  // SetToday
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<server::Server> monitoring_;
  std::unique_ptr<S> stub_;
  std::unique_ptr<mv1::MonitoringService::Stub> households_;
};

// The exact bound, independent of the service's matching code: a maximum
// bipartite matching (augmenting paths) of households to job slots that one
// of their workers is eligible for (the proto-level CheckEligible).
int MaxCoverableHouseholds(const std::vector<v1::Worker>& workers,
                           const std::vector<v1::Job>& jobs) {
  std::map<std::string, std::set<int>> slots_of;  // household -> slot indices
  std::vector<int> slot_job;
  for (size_t j = 0; j < jobs.size(); ++j) {
    for (int k = 0; k < jobs[j].slots(); ++k) slot_job.push_back(static_cast<int>(j));
  }
  for (const auto& w : workers) {
    slots_of[w.household_id()];
    for (size_t s = 0; s < slot_job.size(); ++s) {
      if (CheckEligible(w, jobs[slot_job[s]]).ok()) slots_of[w.household_id()].insert(s);
    }
  }
  std::vector<int> owner(slot_job.size(), -1);
  std::vector<std::set<int>> adj;
  for (auto& [h, s] : slots_of) adj.push_back(s);
  std::vector<int> seen(slot_job.size(), -1);
  std::function<bool(int, int)> augment = [&](int h, int stamp) {
    for (int s : adj[h]) {
      if (seen[s] == stamp) continue;
      seen[s] = stamp;
      if (owner[s] < 0 || augment(owner[s], stamp)) {
        owner[s] = h;
        return true;
      }
    }
    return false;
  };
  int matched = 0;
  for (int h = 0; h < static_cast<int>(adj.size()); ++h) matched += augment(h, h) ? 1 : 0;
  return matched;
}

// Acceptance criterion 1.
TEST_F(EmploymentTest, ScenarioMatchingCoversHouseholdsAndWagesReachMonitoring) {
  ASSERT_NO_FATAL_FAILURE(StartMonitoring());
  std::vector<std::string> hh;
  for (int i = 0; i < 30; ++i) hh.push_back(CreateHousehold(absl::StrCat("h", i)));

  // 50 workers: households 0..19 have two, 20..29 one. Willingness cycles
  // local / in-region / out-of-region; some weld, some are weak labour.
  std::vector<v1::Worker> workers;
  const v1::Willingness will[] = {v1::WILLINGNESS_LOCAL, v1::WILLINGNESS_LOCAL,
                                  v1::WILLINGNESS_IN_REGION, v1::WILLINGNESS_OUT_OF_REGION};
  int n = 0;
  for (int i = 0; i < 30; ++i) {
    for (int k = 0; k < (i < 20 ? 2 : 1); ++k, ++n) {
      workers.push_back(Worker(absl::StrCat("w", n), hh[i], k, will[n % 4], [&](v1::Worker& w) {
        if (n % 3 == 0) w.add_skills("welding");
        if (n % 7 == 0) w.set_labour_capacity(v1::LABOUR_CAPACITY_PARTIAL);
        if (n % 5 == 0) w.mutable_flags()->set_monitored_household(true);
      }));
    }
  }
  ASSERT_EQ(workers.size(), 50u);

  // 40 slots of mixed kinds and employers.
  const auto enterprise = Employer("e-ent", v1::EMPLOYER_KIND_ENTERPRISE);
  const auto workshop = Employer("e-ws", v1::EMPLOYER_KIND_ASSISTANCE_WORKSHOP, kVillage);
  EXPECT_TRUE(workshop.certified());  // E3: ≥ 5 lifted workers
  const auto coop = Employer("e-coop", v1::EMPLOYER_KIND_COOPERATIVE, kTownship);
  const auto partner = Employer("e-partner", v1::EMPLOYER_KIND_PARTNER_PROVINCE);
  // Local slots are scarce (14 for 16 local-only households, 8 of them for
  // welders): coverage depends on who takes which slot.
  std::vector<v1::Job> jobs = {
      Job("j-weld", enterprise, v1::JOB_KIND_REGULAR, kCountyCode, 8, 450'000,
          [](v1::Job& j) { j.add_required_skills("welding"); }),
      Job("j-ws", workshop, v1::JOB_KIND_REGULAR, kVillage, 4, 250'000,
          [](v1::Job& j) { j.set_light_work(true); }),
      Job("j-relief", coop, v1::JOB_KIND_WORK_RELIEF, kTownship, 2, 200'000),
      Job("j-region", enterprise, v1::JOB_KIND_REGULAR, kOtherCountyCode, 10, 380'000),
      Job("j-partner", partner, v1::JOB_KIND_REGULAR, "440000000000", 16, 600'000,
          [](v1::Job& j) { j.add_preferred_skills("welding"); })};
  int slots = 0;
  for (const auto& j : jobs) slots += j.slots();
  ASSERT_EQ(slots, 40);

  v1::RunMatchingRequest run_req;
  run_req.set_request_id("run-1");
  run_req.set_division_code(kCountyCode);
  v1::MatchingRun run;
  auto s = E(&S::RunMatching, run_req, &run);
  ASSERT_TRUE(s.ok()) << s.error_message();

  const int bound = MaxCoverableHouseholds(workers, jobs);
  // The greedy baseline: each worker in turn takes the best-paid eligible job
  // with a free slot.
  int greedy = 0;
  {
    std::vector<int> free;
    for (const auto& j : jobs) free.push_back(j.slots());
    std::set<std::string> hh_covered;
    for (const auto& w : workers) {
      int best = -1;
      for (size_t j = 0; j < jobs.size(); ++j) {
        if (free[j] > 0 && CheckEligible(w, jobs[j]).ok() &&
            (best < 0 || jobs[j].monthly_wage_fen() > jobs[best].monthly_wage_fen())) {
          best = static_cast<int>(j);
        }
      }
      if (best >= 0) {
        --free[best];
        hh_covered.insert(w.household_id());
      }
    }
    greedy = static_cast<int>(hh_covered.size());
  }
  std::set<std::string> covered;
  std::map<std::string, int> per_job;
  std::map<std::string, v1::Worker> by_id;
  std::map<std::string, v1::Job> job_by_id;
  for (const auto& w : workers) by_id[w.worker_id()] = w;
  for (const auto& j : jobs) job_by_id[j.job_id()] = j;
  int coverage_reasons = 0;
  for (const auto& p : run.proposals()) {
    covered.insert(p.household_id());
    ++per_job[p.job_id()];
    const auto& w = by_id.at(p.worker_id());
    const auto& j = job_by_id.at(p.job_id());
    // Never beyond willingness, computed here from the codes.
    const bool same_county =
        w.division_code().substr(0, 6) == j.location_division_code().substr(0, 6);
    const bool same_region = !j.partner_province() && w.division_code().substr(0, 2) ==
                                                          j.location_division_code().substr(0, 2);
    if (w.willingness() == v1::WILLINGNESS_LOCAL) {
      EXPECT_TRUE(same_county) << p.worker_id();
    }
    if (w.willingness() == v1::WILLINGNESS_IN_REGION) {
      EXPECT_TRUE(same_region) << p.worker_id();
    }
    EXPECT_TRUE(CheckEligible(w, j).ok()) << CheckEligible(w, j);
    std::set<std::string> rules;
    for (const auto& r : p.reasons()) rules.insert(r.rule());
    EXPECT_TRUE(rules.count("E1.willingness") && rules.count("E1.requirements") &&
                rules.count("E1.slots") && rules.count("E1.wage"));
    coverage_reasons += rules.count("E1.household_coverage");
  }
  for (const auto& j : jobs) EXPECT_LE(per_job[j.job_id()], j.slots());
  std::cout << "criterion 1: households=" << run.households_total()
            << " covered_before=" << run.households_covered_before()
            << " covered_after=" << run.households_covered_after() << " exact_bound=" << bound
            << " greedy=" << greedy << " proposals=" << run.proposals_size()
            << " edges=" << run.candidate_edges() << " objective=" << run.objective()
            << " snapshot=" << run.snapshot_id() << "\n";
  std::cout << "criterion 1: first proposal reasons:";
  for (const auto& r : run.proposals(0).reasons())
    std::cout << " [" << r.rule() << ": " << r.detail() << "]";
  std::cout << "\n";
  EXPECT_EQ(run.households_covered_after(), bound);
  EXPECT_EQ(static_cast<int>(covered.size()), bound);
  EXPECT_EQ(coverage_reasons, bound);
  EXPECT_LT(bound, 30);  // the scenario is tight: not every household can be covered
  EXPECT_GE(run.households_covered_after(), greedy);
  EXPECT_EQ(run.households_total(), 30);

  // The run is recorded and readable; a repeat returns it unchanged.
  v1::MatchingRun again;
  ASSERT_TRUE(E(&S::RunMatching, run_req, &again).ok());
  EXPECT_EQ(again.run_id(), run.run_id());
  v1::GetMatchingRunRequest get;
  get.set_run_id(run.run_id());
  ASSERT_TRUE(E(&S::GetMatchingRun, get, &again).ok());
  EXPECT_EQ(again.snapshot_id(), run.snapshot_id());
  EXPECT_EQ(Query("SELECT count(*) FROM employment.placements WHERE status = 1"),
            run.proposals_size());

  // Three placements accepted and on duty; a month's wage paid for each.
  std::map<std::string, int64_t> paid;
  for (int i = 0; i < 3; ++i) {
    const auto& p = run.proposals(i);
    Advance(p.placement_id(), "2026-09-01");
    v1::RecordWageRequest wage;
    wage.set_request_id("wage-" + p.placement_id());
    wage.set_placement_id(p.placement_id());
    wage.set_month("2026-09");
    wage.set_amount_fen(job_by_id.at(p.job_id()).monthly_wage_fen());
    wage.set_paid_on("2026-10-05");
    v1::WageRecord rec;
    s = E(&S::RecordWage, wage, &rec);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_FALSE(rec.event_id().empty());
    paid[p.household_id()] += wage.amount_fen();
    // A repeat pays nothing more.
    ASSERT_TRUE(E(&S::RecordWage, wage, &rec).ok());
  }
  EXPECT_EQ(Query("SELECT count(*) FROM employment.outbox WHERE event_type = "
                  "'employment.wage_paid'"),
            3);
  {
    // Each names the worker's division, which monitoring checks the
    // household's village against.
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    for (const auto& row : tx.exec("SELECT event FROM employment.outbox WHERE event_type = "
                                   "'employment.wage_paid'")) {
      const pqxx::binarystring bytes(row[0]);
      zx::common::v1::Event event;
      ASSERT_TRUE(event.ParseFromString(bytes.str()));
      v1::WagePaid payload;
      ASSERT_TRUE(event.payload().UnpackTo(&payload));
      EXPECT_EQ(payload.division_code(), kVillage);
    }
  }
  std::string in_list;
  for (const auto& [h, amount] : paid)
    absl::StrAppend(&in_list, in_list.empty() ? "" : ",", "'", h, "'");
  const std::string booked = absl::StrCat(
      "SELECT count(*) FROM monitoring.income_records WHERE kind = 1 AND household_id IN (",
      in_list, ")");
  ASSERT_EQ(WaitFor(booked, 3), 3);
  for (const auto& [h, amount] : paid) {
    EXPECT_EQ(Query("SELECT sum(amount_fen) FROM monitoring.income_records WHERE kind = 1 AND "
                    "household_id = '" +
                    h + "'"),
              amount);
  }
  std::cout << "criterion 1: monitoring booked " << Query(booked)
            << " wage income records for the 3 paid placements\n";

  v1::GetEmploymentRollupRequest rr;
  rr.set_division_code(kCountyCode);
  v1::EmploymentRollup rollup;
  ASSERT_TRUE(E(&S::GetEmploymentRollup, rr, &rollup).ok());
  EXPECT_EQ(rollup.able_workers(), 50);
  EXPECT_EQ(rollup.employed_local() + rollup.employed_in_region() + rollup.employed_out_of_region(),
            3);
  EXPECT_EQ(rollup.wages_paid_fen(), [&] {
    int64_t t = 0;
    for (const auto& [h, a] : paid) t += a;
    return t;
  }());

  // A second run counts the employed households as covered and supersedes
  // the first run's open proposals.
  run_req.set_request_id("run-2");
  v1::MatchingRun run2;
  ASSERT_TRUE(E(&S::RunMatching, run_req, &run2).ok());
  EXPECT_EQ(run2.households_covered_before(), static_cast<int>(paid.size()));
  EXPECT_EQ(run2.households_total(), 30);
  v1::GetPlacementRequest gp;
  gp.set_placement_id(run.proposals(3).placement_id());
  v1::Placement old;
  ASSERT_TRUE(E(&S::GetPlacement, gp, &old).ok());
  EXPECT_EQ(old.status(), v1::PLACEMENT_STATUS_ENDED);
  EXPECT_EQ(old.reasons(old.reasons_size() - 1).rule(), "E1.superseded");
  std::cout << "criterion 1: second run covered_before=" << run2.households_covered_before()
            << " covered_after=" << run2.households_covered_after() << "\n";

  // Another county sees nothing of it.
  v1::GetWorkerRequest gw;
  gw.set_worker_id(workers[0].worker_id());
  v1::Worker w;
  Refused(grpc::StatusCode::PERMISSION_DENIED, E(&S::GetWorker, gw, &w, kOtherCounty), "");
}

// Acceptance criterion 2.
TEST_F(EmploymentTest, PublicWelfarePostRules) {
  // Today by the server's clock: the day of the last review (a later as_of is
  // refused).
  ASSERT_NO_FATAL_FAILURE(SetToday("2027-04-01"));
  const auto body = Employer("e-forest", v1::EMPLOYER_KIND_PUBLIC_BODY);
  const auto post = Job("j-forest", body, v1::JOB_KIND_PUBLIC_WELFARE, kVillage, 5, 80'000);
  const std::string h1 = "hh-00000000000000000001", h2 = "hh-00000000000000000002",
                    h3 = "hh-00000000000000000003";
  const auto a = Worker("a", h1, 1, v1::WILLINGNESS_LOCAL);
  const auto a_sibling = Worker("a2", h1, 2, v1::WILLINGNESS_LOCAL);
  const auto relative =
      Worker("rel", h2, 1, v1::WILLINGNESS_LOCAL, [](v1::Worker& w) { w.set_cadre_family(true); });
  const auto old = Worker("old", h3, 1, v1::WILLINGNESS_LOCAL,
                          [](v1::Worker& w) { w.set_birth_date("1965-03-01"); });

  // Appointed on the agreement's first day.
  const auto appoint = [&](const std::string& rid, const v1::Worker& w, v1::Placement* out,
                           const std::string& start = "2026-04-01",
                           const std::string& end = "2027-03-31") {
    v1::AppointPublicWelfarePostRequest req;
    req.set_request_id(rid);
    req.set_worker_id(w.worker_id());
    req.set_job_id(post.job_id());
    req.set_agreement_start(start);
    req.set_agreement_end(end);
    req.set_consent_ref("聘用协议 " + rid);
    grpc::Status s;
    OnDay(start, [&] { s = E(&S::AppointPublicWelfarePost, req, out); });
    return s;
  };
  v1::Placement held;
  auto s = appoint("ap-a", a, &held);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(held.status(), v1::PLACEMENT_STATUS_ON_DUTY);

  const auto census = Census();
  v1::Placement out;
  std::cout << "criterion 2: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION, appoint("ap-rel", relative, &out),
                       "E2.village_cadre")
                   .error_message()
            << "\n";
  std::cout << "criterion 2: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION, appoint("ap-a2", a_sibling, &out),
                       "E2.one_per_household")
                   .error_message()
            << "\n";
  std::cout << "criterion 2: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION, appoint("ap-old", old, &out),
                       "E2.age")
                   .error_message()
            << "\n";
  // Bad input names the field.
  v1::AppointPublicWelfarePostRequest bad;
  bad.set_request_id("ap-bad");
  bad.set_worker_id(a.worker_id());
  bad.set_job_id(post.job_id());
  bad.set_agreement_start("2026-04-01");
  bad.set_agreement_end("2026-13-01");
  OnDay("2026-04-01", [&] {
    Refused(grpc::StatusCode::INVALID_ARGUMENT, E(&S::AppointPublicWelfarePost, bad, &out),
            "agreement_end");
  });
  EXPECT_EQ(Census(), census);

  // 在岗领补: attendance in April, none in May, zero days in June.
  v1::RecordAttendanceRequest att;
  att.set_request_id("att-04");
  att.set_placement_id(held.placement_id());
  att.set_month("2026-04");
  att.set_days_on_duty(22);
  v1::Attendance attendance;
  ASSERT_TRUE(E(&S::RecordAttendance, att, &attendance).ok());
  att.set_request_id("att-06");
  att.set_month("2026-06");
  att.set_days_on_duty(0);
  ASSERT_TRUE(E(&S::RecordAttendance, att, &attendance).ok());
  v1::PayPostSubsidyRequest pay;
  pay.set_request_id("pay-04");
  pay.set_placement_id(held.placement_id());
  pay.set_month("2026-04");
  pay.set_paid_on("2026-05-05");
  v1::WageRecord rec;
  s = E(&S::PayPostSubsidy, pay, &rec);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(rec.amount_fen(), 80'000);
  EXPECT_TRUE(rec.subsidy());
  const auto census2 = Census();
  pay.set_request_id("pay-05");
  pay.set_month("2026-05");
  std::cout << "criterion 2: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION, E(&S::PayPostSubsidy, pay, &rec),
                       "E2.attendance")
                   .error_message()
            << "\n";
  pay.set_request_id("pay-06");
  pay.set_month("2026-06");
  Refused(grpc::StatusCode::FAILED_PRECONDITION, E(&S::PayPostSubsidy, pay, &rec), "E2.attendance");
  EXPECT_EQ(Census(), census2);

  // Risk eliminated in August: the post continues until the agreement ends.
  v1::ReviewPostExitRequest review;
  review.set_request_id("rev-1");
  review.set_placement_id(held.placement_id());
  review.set_risk_eliminated_on("2026-08-15");
  review.set_as_of("2026-09-01");
  v1::PostExitDecision decision;
  ASSERT_TRUE(E(&S::ReviewPostExit, review, &decision).ok());
  std::cout << "criterion 2: review 2026-09-01 exit=" << decision.exit()
            << " rule=" << decision.rule() << " detail=" << decision.detail() << "\n";
  EXPECT_FALSE(decision.exit());
  EXPECT_EQ(decision.rule(), "M9b");
  EXPECT_EQ(decision.placement().status(), v1::PLACEMENT_STATUS_ON_DUTY);
  review.set_request_id("rev-2");
  review.set_as_of("2027-04-01");
  ASSERT_TRUE(E(&S::ReviewPostExit, review, &decision).ok());
  std::cout << "criterion 2: review 2027-04-01 exit=" << decision.exit()
            << " rule=" << decision.rule() << " detail=" << decision.detail() << "\n";
  EXPECT_TRUE(decision.exit());
  EXPECT_EQ(decision.reason(), v1::END_REASON_RISK_ELIMINATED);
  EXPECT_EQ(decision.placement().status(), v1::PLACEMENT_STATUS_ENDED);
  // The household may hold a post again.
  s = appoint("ap-a2-later", a_sibling, &out, "2027-04-01", "2028-03-31");
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// Acceptance criterion 3.
TEST_F(EmploymentTest, OverdueWageAlertAndTransportSubsidy) {
  v1::PublishPolicyRequest pol;
  pol.set_request_id("pol-1");
  pol.mutable_policy()->set_owner_division_code(kCountyCode);
  pol.mutable_policy()->set_overdue_wage_day(10);
  v1::EmploymentPolicy policy;
  ASSERT_TRUE(E(&S::PublishPolicy, pol, &policy).ok());
  EXPECT_EQ(policy.post_max_age(), 60);  // unset fields keep the defaults

  const auto partner = Employer("e-partner", v1::EMPLOYER_KIND_PARTNER_PROVINCE);
  Job("j-gd", partner, v1::JOB_KIND_REGULAR, "440000000000", 1, 500'000);
  Worker("far", "hh-00000000000000000009", 1, v1::WILLINGNESS_OUT_OF_REGION);
  v1::RunMatchingRequest run_req;
  run_req.set_request_id("run-gd");
  run_req.set_division_code(kCountyCode);
  v1::MatchingRun run;
  ASSERT_TRUE(E(&S::RunMatching, run_req, &run).ok());
  ASSERT_EQ(run.proposals_size(), 1);
  const auto placement = Advance(run.proposals(0).placement_id(), "2026-08-01");

  v1::RecordWageRequest wage;
  wage.set_request_id("wage-08");
  wage.set_placement_id(placement.placement_id());
  wage.set_month("2026-08");
  wage.set_amount_fen(500'000);
  wage.set_paid_on("2026-09-05");
  v1::WageRecord rec;
  ASSERT_TRUE(E(&S::RecordWage, wage, &rec).ok());

  v1::CheckOverdueWagesRequest check;
  check.set_division_code(kCountyCode);
  check.set_as_of("2026-10-09");
  v1::CheckOverdueWagesResponse alerts;
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  std::cout << "criterion 3: as_of 2026-10-09 overdue_day=" << alerts.overdue_day()
            << " alerts=" << alerts.alerts_size() << "\n";
  EXPECT_EQ(alerts.overdue_day(), 10);
  EXPECT_EQ(alerts.alerts_size(), 0);
  check.set_as_of("2026-10-10");
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  ASSERT_EQ(alerts.alerts_size(), 1);
  std::cout << "criterion 3: as_of 2026-10-10 alerts=" << alerts.alerts_size()
            << " month=" << alerts.alerts(0).month() << " rule=" << alerts.alerts(0).rule() << "\n";
  EXPECT_EQ(alerts.alerts(0).month(), "2026-09");
  EXPECT_EQ(alerts.new_alerts(), 1);
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  EXPECT_EQ(alerts.new_alerts(), 0);  // raised once
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wage_alerts"), 1);

  v1::GrantTransportSubsidyRequest grant;
  grant.set_request_id("ts-2m");
  grant.set_placement_id(placement.placement_id());
  grant.set_as_of("2026-10-01");
  v1::TransportSubsidy subsidy;
  const auto census = Census();
  std::cout << "criterion 3: at 2 months: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION,
                       E(&S::GrantTransportSubsidy, grant, &subsidy), "E4.months_in_work")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);
  grant.set_request_id("ts-3m");
  grant.set_as_of("2026-11-01");
  auto s = E(&S::GrantTransportSubsidy, grant, &subsidy);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::cout << "criterion 3: at " << subsidy.months_in_work() << " months granted "
            << subsidy.amount_fen() << " fen, destination "
            << v1::Destination_Name(subsidy.destination()) << ", " << subsidy.quarter() << "\n";
  EXPECT_EQ(subsidy.months_in_work(), 3);
  EXPECT_EQ(subsidy.amount_fen(), 60'000);
  EXPECT_EQ(subsidy.destination(), v1::DESTINATION_OTHER_PROVINCE);
  // One-time.
  grant.set_request_id("ts-again");
  Refused(grpc::StatusCode::ALREADY_EXISTS, E(&S::GrantTransportSubsidy, grant, &subsidy), "");
}

// Bad input names the field and writes nothing.
TEST_F(EmploymentTest, InvalidInputNamesTheField) {
  const auto census = Census();
  v1::UpsertWorkerRequest req;
  req.set_request_id("bad-1");
  auto* w = req.mutable_worker();
  w->set_person_id("65312119900501123X");
  w->set_household_id("hh-00000000000000000001");
  w->set_division_code(kVillage);
  w->set_birth_date("1990-05-01");
  w->set_willingness(v1::WILLINGNESS_LOCAL);
  w->set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
  v1::Worker out;
  Refused(grpc::StatusCode::INVALID_ARGUMENT, E(&S::UpsertWorker, req, &out), "worker.person_id");
  w->set_person_id("pe-1");
  w->set_division_code("653122101201");
  Refused(grpc::StatusCode::INVALID_ARGUMENT, E(&S::UpsertWorker, req, &out),
          "worker.division_code");
  v1::RunMatchingRequest run;
  run.set_request_id("r");
  run.set_division_code(kOtherCountyCode);
  v1::MatchingRun mr;
  Refused(grpc::StatusCode::INVALID_ARGUMENT, E(&S::RunMatching, run, &mr), "division_code");
  EXPECT_EQ(Census(), census);
}

// Monitoring events keep the priority flag and the M9b exit current.
TEST_F(EmploymentTest, MonitoringEventsKeepFlagsAndPostExit) {
  // Today by the server's clock: the day of the last review.
  ASSERT_NO_FATAL_FAILURE(SetToday("2027-01-01"));
  const std::string h = "hh-00000000000000000042";
  const auto body = Employer("e-road", v1::EMPLOYER_KIND_PUBLIC_BODY);
  const auto post = Job("j-road", body, v1::JOB_KIND_PUBLIC_WELFARE, kVillage, 2, 70'000);
  const auto w = Worker("w-road", h, 1, v1::WILLINGNESS_LOCAL);
  ASSERT_FALSE(w.flags().monitored_household());
  v1::AppointPublicWelfarePostRequest req;
  req.set_request_id("ap-road");
  req.set_worker_id(w.worker_id());
  req.set_job_id(post.job_id());
  req.set_agreement_start("2026-01-01");
  req.set_agreement_end("2026-12-31");
  req.set_consent_ref("协议");
  v1::Placement held;
  OnDay("2026-01-01",  // appointed on the agreement's first day
        [&] { ASSERT_TRUE(E(&S::AppointPublicWelfarePost, req, &held).ok()); });

  const auto apply = [&](const std::string& type, const google::protobuf::Message& payload) {
    zx::common::v1::Event event;
    event.set_id("ev-" + type);
    event.set_type(type);
    event.mutable_payload()->PackFrom(payload);
    HandleInOwnTransaction(event);
  };
  zx::monitoring::v1::ObjectConfirmed confirmed;
  confirmed.set_household_id(h);
  apply("monitoring.object_confirmed", confirmed);
  apply("monitoring.object_confirmed", confirmed);  // again: the same state
  v1::GetWorkerRequest get;
  get.set_worker_id(w.worker_id());
  v1::Worker out;
  ASSERT_TRUE(E(&S::GetWorker, get, &out).ok());
  EXPECT_TRUE(out.flags().monitored_household());

  zx::monitoring::v1::RiskEliminated eliminated;
  eliminated.set_household_id(h);
  *eliminated.mutable_eliminated_at() =
      time::ToProto(absl::FromCivil(absl::CivilDay(2026, 8, 15), absl::LocalTimeZone()));
  apply("monitoring.risk_eliminated", eliminated);
  ASSERT_TRUE(E(&S::GetWorker, get, &out).ok());
  EXPECT_FALSE(out.flags().monitored_household());

  v1::ReviewPostExitRequest review;
  review.set_request_id("rev-road-1");
  review.set_placement_id(held.placement_id());
  review.set_as_of("2026-10-01");
  v1::PostExitDecision decision;
  ASSERT_TRUE(E(&S::ReviewPostExit, review, &decision).ok());
  EXPECT_FALSE(decision.exit()) << decision.detail();
  EXPECT_NE(decision.detail().find("2026-08-15"), std::string::npos) << decision.detail();
  review.set_request_id("rev-road-2");
  review.set_as_of("2027-01-01");
  ASSERT_TRUE(E(&S::ReviewPostExit, review, &decision).ok());
  EXPECT_TRUE(decision.exit()) << decision.detail();
  EXPECT_EQ(decision.reason(), v1::END_REASON_RISK_ELIMINATED);
}

// Monitoring's decisions may arrive out of order (several consumers, a
// retried entry behind later ones): the one decided last holds.
TEST_F(EmploymentTest, AnOlderMonitoringDecisionArrivingLateChangesNothing) {
  const std::string h = "hh-00000000000000000043";
  const auto w = Worker("w-late", h, 1, v1::WILLINGNESS_LOCAL);
  const absl::Time t0 =
      absl::FromCivil(absl::CivilSecond(2026, 9, 1, 8, 0, 0), absl::UTCTimeZone());
  int n = 0;
  const auto apply = [&](const std::string& type, const google::protobuf::Message& payload,
                         absl::Time occurred_at) {
    zx::common::v1::Event event;
    event.set_id(absl::StrCat("ev-late-", ++n));
    event.set_type(type);
    *event.mutable_occurred_at() = time::ToProto(occurred_at);
    event.mutable_payload()->PackFrom(payload);
    HandleInOwnTransaction(event);
  };
  v1::GetWorkerRequest get;
  get.set_worker_id(w.worker_id());
  const auto monitored = [&] {
    v1::Worker out;
    EXPECT_TRUE(E(&S::GetWorker, get, &out).ok());
    return out.flags().monitored_household();
  };
  zx::monitoring::v1::ObjectConfirmed confirmed;
  confirmed.set_household_id(h);
  zx::monitoring::v1::RiskEliminated eliminated;
  eliminated.set_household_id(h);
  *eliminated.mutable_eliminated_at() = time::ToProto(t0 + absl::Hours(24 * 30));

  // Eliminated a month after confirmation, but the confirmation arrives last.
  apply("monitoring.risk_eliminated", eliminated, t0 + absl::Hours(24 * 30));
  EXPECT_FALSE(monitored());
  apply("monitoring.object_confirmed", confirmed, t0);
  EXPECT_FALSE(monitored()) << "the older confirmation must not undo the elimination";
  EXPECT_EQ(Query("SELECT count(*) FROM employment.household_status WHERE monitored"), 0);

  // Confirmed again later (the household fell back into risk): monitored.
  apply("monitoring.object_confirmed", confirmed, t0 + absl::Hours(24 * 60));
  EXPECT_TRUE(monitored());
  EXPECT_EQ(Query("SELECT count(*) FROM employment.household_status WHERE monitored AND "
                  "risk_eliminated_on IS NULL"),
            1);
}

// 在岗领补 (E2): a post holder is paid only through PayPostSubsidy, which
// checks attendance; RecordWage refuses the post (no pay without attendance,
// no second payment of a month), while 以工代赈 wages go through RecordWage.
TEST_F(EmploymentTest, RecordWageRefusesAPublicWelfarePost) {
  const auto held = AppointPost("ap-rw", "hh-00000000000000000051", "2026-04-01", "2027-03-31");
  ASSERT_EQ(held.job_kind(), v1::JOB_KIND_PUBLIC_WELFARE);

  v1::RecordWageRequest wage;
  wage.set_request_id("rw-05");
  wage.set_placement_id(held.placement_id());
  wage.set_month("2026-05");  // no attendance recorded
  wage.set_amount_fen(80'000);
  wage.set_paid_on("2026-06-05");
  v1::WageRecord rec;
  auto census = Census();
  std::cout << "post via RecordWage, no attendance: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION, E(&S::RecordWage, wage, &rec),
                       "PayPostSubsidy")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);

  // The subsidy of April (attendance recorded) is paid once; RecordWage of
  // the same month is refused, not a second payment.
  v1::RecordAttendanceRequest att;
  att.set_request_id("rw-att-04");
  att.set_placement_id(held.placement_id());
  att.set_month("2026-04");
  att.set_days_on_duty(20);
  v1::Attendance attendance;
  ASSERT_TRUE(E(&S::RecordAttendance, att, &attendance).ok());
  v1::PayPostSubsidyRequest pay;
  pay.set_request_id("rw-pay-04");
  pay.set_placement_id(held.placement_id());
  pay.set_month("2026-04");
  pay.set_paid_on("2026-05-05");
  auto s = E(&S::PayPostSubsidy, pay, &rec);
  ASSERT_TRUE(s.ok()) << s.error_message();
  census = Census();
  wage.set_request_id("rw-04");
  wage.set_month("2026-04");
  Refused(grpc::StatusCode::FAILED_PRECONDITION, E(&S::RecordWage, wage, &rec), "E2.attendance");
  EXPECT_EQ(Census(), census);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wages WHERE placement_id = '" +
                  held.placement_id() + "'"),
            1);

  // 以工代赈 pays wages as usual.
  const auto coop = Employer("e-coop-rw", v1::EMPLOYER_KIND_COOPERATIVE, kTownship);
  Job("j-relief-rw", coop, v1::JOB_KIND_WORK_RELIEF, kTownship, 1, 200'000);
  Worker("w-relief-rw", "hh-00000000000000000052", 1, v1::WILLINGNESS_LOCAL);
  v1::RunMatchingRequest run_req;
  run_req.set_request_id("run-rw");
  run_req.set_division_code(kCountyCode);
  v1::MatchingRun run;
  ASSERT_TRUE(E(&S::RunMatching, run_req, &run).ok());
  ASSERT_EQ(run.proposals_size(), 1);
  const auto relief = Advance(run.proposals(0).placement_id(), "2026-04-01");
  ASSERT_EQ(relief.job_kind(), v1::JOB_KIND_WORK_RELIEF);
  wage.set_request_id("rw-relief-04");
  wage.set_placement_id(relief.placement_id());
  wage.set_amount_fen(200'000);
  s = E(&S::RecordWage, wage, &rec);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(rec.subsidy());
}

// Attendance and post subsidies only for months inside the agreement.
TEST_F(EmploymentTest, AttendanceAndPostSubsidyOnlyInsideTheAgreement) {
  const auto held = AppointPost("ap-in", "hh-00000000000000000053", "2026-04-15", "2026-09-30");
  v1::RecordAttendanceRequest att;
  att.set_placement_id(held.placement_id());
  att.set_days_on_duty(20);
  v1::Attendance attendance;
  v1::PayPostSubsidyRequest pay;
  pay.set_placement_id(held.placement_id());
  pay.set_paid_on("2026-11-05");
  v1::WageRecord rec;

  auto census = Census();
  for (const char* month : {"2026-03", "2026-10"}) {
    att.set_request_id(absl::StrCat("in-att-", month));
    att.set_month(month);
    const auto s = Refused(grpc::StatusCode::FAILED_PRECONDITION,
                           E(&S::RecordAttendance, att, &attendance), "month");
    std::cout << "attendance " << month << ": " << s.error_message() << "\n";
    EXPECT_NE(s.error_message().find("2026-04-15"), std::string::npos) << s.error_message();
    EXPECT_NE(s.error_message().find("2026-09-30"), std::string::npos) << s.error_message();
    pay.set_request_id(absl::StrCat("in-pay-", month));
    pay.set_month(month);
    const auto p =
        Refused(grpc::StatusCode::FAILED_PRECONDITION, E(&S::PayPostSubsidy, pay, &rec), "month");
    std::cout << "subsidy " << month << ": " << p.error_message() << "\n";
    EXPECT_NE(p.error_message().find("2026-04-15"), std::string::npos) << p.error_message();
    EXPECT_NE(p.error_message().find("2026-09-30"), std::string::npos) << p.error_message();
  }
  // A month that has not begun is refused before the agreement is looked at.
  att.set_request_id("in-att-2030-01");
  att.set_month("2030-01");
  Refused(grpc::StatusCode::INVALID_ARGUMENT, E(&S::RecordAttendance, att, &attendance), "month");
  pay.set_request_id("in-pay-2030-01");
  pay.set_month("2030-01");
  Refused(grpc::StatusCode::FAILED_PRECONDITION, E(&S::PayPostSubsidy, pay, &rec), "2026-09-30");
  EXPECT_EQ(Census(), census);

  // Attendance of an outside month already on record (written before the
  // check) still pays nothing: the subsidy checks the month itself.
  Exec("INSERT INTO employment.attendance (placement_id, month, days_on_duty, body) VALUES ('" +
       held.placement_id() + "', '2026-10', 21, '')");
  census = Census();
  pay.set_request_id("in-pay-recorded-10");
  pay.set_month("2026-10");
  Refused(grpc::StatusCode::FAILED_PRECONDITION, E(&S::PayPostSubsidy, pay, &rec), "month");
  EXPECT_EQ(Census(), census);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wages"), 0);

  // The first and the last month of the agreement are inside it.
  for (const char* month : {"2026-04", "2026-09"}) {
    att.set_request_id(absl::StrCat("in-att-ok-", month));
    att.set_month(month);
    auto s = E(&S::RecordAttendance, att, &attendance);
    EXPECT_TRUE(s.ok()) << month << ": " << s.error_message();
    pay.set_request_id(absl::StrCat("in-pay-ok-", month));
    pay.set_month(month);
    s = E(&S::PayPostSubsidy, pay, &rec);
    EXPECT_TRUE(s.ok()) << month << ": " << s.error_message();
  }
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wages"), 2);
}

// E4's "≥ 3 months in work" is counted to a date no later than today: a
// future `as_of` is refused (the server's clock, injected here).
TEST_F(EmploymentTest, TransportSubsidyRefusesAFutureAsOf) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-08-15"));
  const auto partner = Employer("e-partner-ts", v1::EMPLOYER_KIND_PARTNER_PROVINCE);
  Job("j-gd-ts", partner, v1::JOB_KIND_REGULAR, "440000000000", 1, 500'000);
  Worker("far-ts", "hh-00000000000000000054", 1, v1::WILLINGNESS_OUT_OF_REGION);
  v1::RunMatchingRequest run_req;
  run_req.set_request_id("run-ts");
  run_req.set_division_code(kCountyCode);
  v1::MatchingRun run;
  ASSERT_TRUE(E(&S::RunMatching, run_req, &run).ok());
  ASSERT_EQ(run.proposals_size(), 1);
  const auto placement = Advance(run.proposals(0).placement_id(), "2026-08-01");

  // Two weeks in work, as_of three months ahead.
  v1::GrantTransportSubsidyRequest grant;
  grant.set_request_id("ts-future");
  grant.set_placement_id(placement.placement_id());
  grant.set_as_of("2026-11-01");
  v1::TransportSubsidy subsidy;
  const auto census = Census();
  std::cout << "as_of in the future: "
            << Refused(grpc::StatusCode::INVALID_ARGUMENT,
                       E(&S::GrantTransportSubsidy, grant, &subsidy), "as_of")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.transport_subsidies"), 0);
  // No as_of: today by the server's clock, two weeks in.
  grant.set_request_id("ts-today");
  grant.clear_as_of();
  Refused(grpc::StatusCode::FAILED_PRECONDITION, E(&S::GrantTransportSubsidy, grant, &subsidy),
          "E4.months_in_work");
  EXPECT_EQ(Census(), census);

  // Three months later the same request is granted (as_of today is allowed).
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-01"));
  grant.set_request_id("ts-3m");
  grant.set_as_of("2026-11-01");
  const auto s = E(&S::GrantTransportSubsidy, grant, &subsidy);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(subsidy.months_in_work(), 3);
  EXPECT_EQ(subsidy.amount_fen(), 60'000);
}

// 两不拖欠: an ended placement's unpaid months up to its end month are
// overdue too, each alert recorded once.
TEST_F(EmploymentTest, OverdueWagesOfAnEndedPlacementAreChecked) {
  // Today by the server's clock: the day of the last check.
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-12-10"));
  v1::PublishPolicyRequest pol;
  pol.set_request_id("pol-end");
  pol.mutable_policy()->set_owner_division_code(kCountyCode);
  pol.mutable_policy()->set_overdue_wage_day(10);
  v1::EmploymentPolicy policy;
  ASSERT_TRUE(E(&S::PublishPolicy, pol, &policy).ok());
  const auto enterprise = Employer("e-end", v1::EMPLOYER_KIND_ENTERPRISE);
  Job("j-end", enterprise, v1::JOB_KIND_REGULAR, kCountyCode, 1, 300'000);
  Worker("w-end", "hh-00000000000000000055", 1, v1::WILLINGNESS_LOCAL);
  v1::RunMatchingRequest run_req;
  run_req.set_request_id("run-end");
  run_req.set_division_code(kCountyCode);
  v1::MatchingRun run;
  ASSERT_TRUE(E(&S::RunMatching, run_req, &run).ok());
  ASSERT_EQ(run.proposals_size(), 1);
  const auto placement = Advance(run.proposals(0).placement_id(), "2026-06-01");

  v1::RecordWageRequest wage;
  wage.set_request_id("wage-end-06");
  wage.set_placement_id(placement.placement_id());
  wage.set_month("2026-06");
  wage.set_amount_fen(300'000);
  wage.set_paid_on("2026-07-05");
  v1::WageRecord rec;
  ASSERT_TRUE(E(&S::RecordWage, wage, &rec).ok());
  v1::EndPlacementRequest end;
  end.set_request_id("end-1");
  end.set_placement_id(placement.placement_id());
  end.set_reason(v1::END_REASON_RESIGNED);
  end.set_end_date("2026-08-20");
  v1::Placement ended;
  auto s = E(&S::EndPlacement, end, &ended);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(ended.status(), v1::PLACEMENT_STATUS_ENDED);

  const auto months = [](const v1::CheckOverdueWagesResponse& r) {
    std::vector<std::string> out;
    for (const auto& a : r.alerts()) out.push_back(a.month());
    std::sort(out.begin(), out.end());
    return out;
  };
  using Months = std::vector<std::string>;
  v1::CheckOverdueWagesRequest check;
  check.set_division_code(kCountyCode);
  v1::CheckOverdueWagesResponse alerts;
  // 9 September: July is overdue, August's pay day (10 September) not yet.
  check.set_as_of("2026-09-09");
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  std::cout << "ended placement, as_of 2026-09-09: alerts=" << alerts.alerts_size()
            << " new=" << alerts.new_alerts() << "\n";
  EXPECT_EQ(months(alerts), (Months{"2026-07"}));
  EXPECT_EQ(alerts.new_alerts(), 1);
  // 10 September: August, the end month, too; July is not raised again.
  check.set_as_of("2026-09-10");
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  std::cout << "ended placement, as_of 2026-09-10: alerts=" << alerts.alerts_size()
            << " new=" << alerts.new_alerts() << "\n";
  EXPECT_EQ(months(alerts), (Months{"2026-07", "2026-08"}));
  EXPECT_EQ(alerts.new_alerts(), 1);
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  EXPECT_EQ(alerts.new_alerts(), 0);
  // Months after the end are never owed.
  check.set_as_of("2026-12-10");
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  EXPECT_EQ(months(alerts), (Months{"2026-07", "2026-08"}));
  EXPECT_EQ(alerts.new_alerts(), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wage_alerts"), 2);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wage_alerts WHERE month IN ('2026-07', "
                  "'2026-08')"),
            2);

  // Once August is paid, only July is still overdue.
  wage.set_request_id("wage-end-08");
  wage.set_month("2026-08");
  wage.set_paid_on("2026-12-10");
  ASSERT_TRUE(E(&S::RecordWage, wage, &rec).ok());
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  EXPECT_EQ(months(alerts), (Months{"2026-07"}));
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wage_alerts"), 2);
}

// M9b: a post ends only on a review as of a day that has come. A future
// `as_of` would end it early (the household loses its post): refused, and
// nothing is written.
TEST_F(EmploymentTest, PostExitReviewRefusesAFutureAsOf) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-25"));
  const auto held = AppointPost("ap-fut", "hh-00000000000000000056", "2026-01-01", "2026-12-31");
  ASSERT_EQ(held.status(), v1::PLACEMENT_STATUS_ON_DUTY);

  // Risk eliminated in August; the agreement runs to 31 December.
  v1::ReviewPostExitRequest review;
  review.set_request_id("rev-future");
  review.set_placement_id(held.placement_id());
  review.set_risk_eliminated_on("2026-08-15");
  review.set_as_of("2027-01-01");
  v1::PostExitDecision decision;
  const auto census = Census();
  std::cout << "review as_of in the future: "
            << Refused(grpc::StatusCode::INVALID_ARGUMENT, E(&S::ReviewPostExit, review, &decision),
                       "as_of")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.placements WHERE status = 4"), 0);  // ENDED
  v1::GetPlacementRequest get;
  get.set_placement_id(held.placement_id());
  v1::Placement now;
  ASSERT_TRUE(E(&S::GetPlacement, get, &now).ok());
  EXPECT_EQ(now.status(), v1::PLACEMENT_STATUS_ON_DUTY);
  EXPECT_EQ(now.end_date(), "");

  // As of today (and with no as_of) the post continues.
  review.set_request_id("rev-today");
  review.set_as_of("2026-11-25");
  ASSERT_TRUE(E(&S::ReviewPostExit, review, &decision).ok());
  EXPECT_FALSE(decision.exit()) << decision.detail();
  review.set_request_id("rev-no-as-of");
  review.clear_as_of();
  ASSERT_TRUE(E(&S::ReviewPostExit, review, &decision).ok());
  EXPECT_FALSE(decision.exit()) << decision.detail();
  EXPECT_EQ(decision.placement().status(), v1::PLACEMENT_STATUS_ON_DUTY);

  // Once that day has come, the same review ends the post.
  ASSERT_NO_FATAL_FAILURE(SetToday("2027-01-01"));
  review.set_request_id("rev-2027");
  review.set_as_of("2027-01-01");
  const auto s = E(&S::ReviewPostExit, review, &decision);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(decision.exit()) << decision.detail();
  EXPECT_EQ(decision.reason(), v1::END_REASON_RISK_ELIMINATED);
  EXPECT_EQ(decision.placement().end_date(), "2027-01-01");
}

// 两不拖欠: a wage is overdue only once its pay day has come. A future
// `as_of` would raise alerts before the pay day: refused, and no alert is
// recorded.
TEST_F(EmploymentTest, OverdueWagesRefusesAFutureAsOf) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-25"));
  v1::PublishPolicyRequest pol;
  pol.set_request_id("pol-fut");
  pol.mutable_policy()->set_owner_division_code(kCountyCode);
  pol.mutable_policy()->set_overdue_wage_day(10);
  v1::EmploymentPolicy policy;
  ASSERT_TRUE(E(&S::PublishPolicy, pol, &policy).ok());
  const auto enterprise = Employer("e-fut", v1::EMPLOYER_KIND_ENTERPRISE);
  Job("j-fut", enterprise, v1::JOB_KIND_REGULAR, kCountyCode, 1, 300'000);
  Worker("w-fut", "hh-00000000000000000057", 1, v1::WILLINGNESS_LOCAL);
  v1::RunMatchingRequest run_req;
  run_req.set_request_id("run-fut");
  run_req.set_division_code(kCountyCode);
  v1::MatchingRun run;
  ASSERT_TRUE(E(&S::RunMatching, run_req, &run).ok());
  ASSERT_EQ(run.proposals_size(), 1);
  const auto placement = Advance(run.proposals(0).placement_id(), "2026-10-01");
  v1::RecordWageRequest wage;
  wage.set_request_id("wage-fut-10");
  wage.set_placement_id(placement.placement_id());
  wage.set_month("2026-10");
  wage.set_amount_fen(300'000);
  wage.set_paid_on("2026-11-05");
  v1::WageRecord rec;
  ASSERT_TRUE(E(&S::RecordWage, wage, &rec).ok());

  // Today: October is paid, November's pay day (10 December) has not come.
  v1::CheckOverdueWagesRequest check;
  check.set_division_code(kCountyCode);
  check.set_as_of("2026-11-25");
  v1::CheckOverdueWagesResponse alerts;
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  EXPECT_EQ(alerts.alerts_size(), 0);

  // As of 10 December, ahead of the clock: refused, no alert recorded.
  check.set_as_of("2026-12-10");
  const auto census = Census();
  std::cout << "overdue check as_of in the future: "
            << Refused(grpc::StatusCode::INVALID_ARGUMENT, E(&S::CheckOverdueWages, check, &alerts),
                       "as_of")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wage_alerts"), 0);

  // Once 10 December has come, November's unpaid wage is overdue.
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-12-10"));
  const auto s = E(&S::CheckOverdueWages, check, &alerts);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(alerts.alerts_size(), 1);
  EXPECT_EQ(alerts.alerts(0).month(), "2026-11");
  EXPECT_EQ(alerts.new_alerts(), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wage_alerts"), 1);
}

// A wage (or a post's subsidy) paid on a day ahead of the server's clock has
// not been paid: refused naming paid_on, nothing written (the monitoring
// service would book income that has not arrived).
TEST_F(EmploymentTest, WagesAndSubsidiesRefuseAFuturePaidOn) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-25"));
  const auto placement = RegularPlacements("fp", 1, 61, "2026-10-01")[0];
  auto census = Census();
  std::cout << "wage paid tomorrow: "
            << Refused(grpc::StatusCode::INVALID_ARGUMENT,
                       PayWage("fp-10-tomorrow", placement, "2026-10", "2026-11-26"), "paid_on")
                   .error_message()
            << "\n";
  Refused(grpc::StatusCode::INVALID_ARGUMENT,
          PayWage("fp-10-next-year", placement, "2026-10", "2027-11-05"), "paid_on");
  // Paid today for a month that has not begun: monitoring would book income
  // for work not yet done.
  Refused(grpc::StatusCode::INVALID_ARGUMENT,
          PayWage("fp-next-month", placement, "2026-12", "2026-11-25"), "month");
  EXPECT_EQ(Census(), census);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wages"), 0);
  auto s = PayWage("fp-10-today", placement, "2026-10", "2026-11-25");
  EXPECT_TRUE(s.ok()) << s.error_message();

  const auto held = AppointPost("ap-fp", "hh-00000000000000000062", "2026-04-01", "2027-03-31");
  v1::RecordAttendanceRequest att;
  att.set_request_id("fp-att-10");
  att.set_placement_id(held.placement_id());
  att.set_month("2026-10");
  att.set_days_on_duty(20);
  v1::Attendance attendance;
  ASSERT_TRUE(E(&S::RecordAttendance, att, &attendance).ok());
  v1::PayPostSubsidyRequest pay;
  pay.set_request_id("fp-pay-tomorrow");
  pay.set_placement_id(held.placement_id());
  pay.set_month("2026-10");
  pay.set_paid_on("2026-11-26");
  v1::WageRecord rec;
  census = Census();
  Refused(grpc::StatusCode::INVALID_ARGUMENT, E(&S::PayPostSubsidy, pay, &rec), "paid_on");
  EXPECT_EQ(Census(), census);
  pay.set_request_id("fp-pay-today");
  pay.set_paid_on("2026-11-25");
  s = E(&S::PayPostSubsidy, pay, &rec);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// A placement that ended in August is owed no wage for September: refused
// naming month (as a month before the start is), nothing written; its end
// month is still paid.
TEST_F(EmploymentTest, RecordWageRefusesMonthsAfterAnEndedPlacement) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-25"));
  const auto placement = RegularPlacements("ae", 1, 63, "2026-06-01")[0];
  ASSERT_TRUE(End("ae-end", placement, "2026-08-20").ok());
  const auto census = Census();
  for (const char* month : {"2026-09", "2026-11"}) {
    const auto s =
        Refused(grpc::StatusCode::INVALID_ARGUMENT,
                PayWage(absl::StrCat("ae-", month), placement, month, "2026-11-20"), "month");
    std::cout << "wage of " << month << " after the end: " << s.error_message() << "\n";
    EXPECT_NE(s.error_message().find("2026-08-20"), std::string::npos) << s.error_message();
  }
  Refused(grpc::StatusCode::INVALID_ARGUMENT, PayWage("ae-05", placement, "2026-05", "2026-11-20"),
          "month");  // before the start, as before
  EXPECT_EQ(Census(), census);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wages"), 0);
  for (const char* month : {"2026-06", "2026-08"}) {
    const auto s = PayWage(absl::StrCat("ae-ok-", month), placement, month, "2026-11-20");
    EXPECT_TRUE(s.ok()) << month << ": " << s.error_message();
  }
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wages"), 2);
}

// Attendance is recorded for a month that has begun: a later month inside
// the agreement is refused naming month, nothing written, and accepted once
// the server's clock reaches it.
TEST_F(EmploymentTest, AttendanceRefusesAFutureMonth) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-25"));
  const auto held = AppointPost("ap-fm", "hh-00000000000000000064", "2026-04-01", "2027-03-31");
  v1::RecordAttendanceRequest att;
  att.set_placement_id(held.placement_id());
  att.set_days_on_duty(22);
  v1::Attendance attendance;
  const auto census = Census();
  for (const char* month : {"2026-12", "2027-03"}) {
    att.set_request_id(absl::StrCat("fm-", month));
    att.set_month(month);
    std::cout << "attendance of " << month << " on 2026-11-25: "
              << Refused(grpc::StatusCode::INVALID_ARGUMENT,
                         E(&S::RecordAttendance, att, &attendance), "month")
                     .error_message()
              << "\n";
  }
  EXPECT_EQ(Census(), census);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.attendance"), 0);
  att.set_request_id("fm-current");
  att.set_month("2026-11");  // the current month, days so far
  auto s = E(&S::RecordAttendance, att, &attendance);
  EXPECT_TRUE(s.ok()) << s.error_message();
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-12-01"));
  att.set_request_id("fm-12-begun");
  att.set_month("2026-12");
  s = E(&S::RecordAttendance, att, &attendance);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Query("SELECT count(*) FROM employment.attendance"), 2);
}

// 两不拖欠 of ended placements: arrears still unpaid are listed on every
// check, but as the alert recorded when they were first found (raised_on
// unchanged, not counted as new, no second record); an ended placement
// with every month paid is settled and the sweep (an index of unsettled
// ended placements) no longer visits it.
TEST_F(EmploymentTest, OverdueWagesListOldArrearsOnceRaisedAndSkipSettledPlacements) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-12-10"));
  v1::PublishPolicyRequest pol;
  pol.set_request_id("pol-arr");
  pol.mutable_policy()->set_owner_division_code(kCountyCode);
  pol.mutable_policy()->set_overdue_wage_day(10);
  v1::EmploymentPolicy policy;
  ASSERT_TRUE(E(&S::PublishPolicy, pol, &policy).ok());
  const auto ps = RegularPlacements("arr", 2, 65, "2026-06-01");
  const auto& owing = ps[0];
  const auto& paid = ps[1];
  ASSERT_TRUE(PayWage("arr-o-06", owing, "2026-06", "2026-07-05").ok());
  ASSERT_TRUE(End("arr-o-end", owing, "2026-08-20").ok());
  ASSERT_TRUE(PayWage("arr-p-06", paid, "2026-06", "2026-07-05").ok());
  ASSERT_TRUE(PayWage("arr-p-07", paid, "2026-07", "2026-08-05").ok());
  ASSERT_TRUE(End("arr-p-end", paid, "2026-07-15").ok());
  const auto settled = [&](const v1::Placement& p) {
    return Query(
               "SELECT count(*) FROM employment.placements WHERE wages_settled AND "
               "placement_id = '" +
               p.placement_id() + "'") == 1;
  };
  using Listed = std::vector<std::string>;  // month raised_on
  const auto listed = [](const v1::CheckOverdueWagesResponse& r) {
    Listed out;
    for (const auto& a : r.alerts()) out.push_back(a.month() + " " + a.raised_on());
    std::sort(out.begin(), out.end());
    return out;
  };

  v1::CheckOverdueWagesRequest check;
  check.set_division_code(kCountyCode);
  check.set_as_of("2026-09-10");
  v1::CheckOverdueWagesResponse alerts;
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  EXPECT_EQ(listed(alerts), (Listed{"2026-07 2026-09-10", "2026-08 2026-09-10"}));
  EXPECT_EQ(alerts.new_alerts(), 2);
  EXPECT_TRUE(settled(paid));
  EXPECT_FALSE(settled(owing));

  // Three months on, the same arrears: listed as raised in September.
  check.set_as_of("2026-12-10");
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  std::cout << "old arrears on 2026-12-10:";
  for (const auto& a : alerts.alerts()) std::cout << " " << a.month() << "@" << a.raised_on();
  std::cout << " new=" << alerts.new_alerts() << "\n";
  EXPECT_EQ(listed(alerts), (Listed{"2026-07 2026-09-10", "2026-08 2026-09-10"}));
  EXPECT_EQ(alerts.new_alerts(), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wage_alerts"), 2);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.wage_alerts WHERE raised_on = '2026-09-10'"), 2);

  // Paid up: nothing listed, and the placement leaves the sweep.
  ASSERT_TRUE(PayWage("arr-o-07", owing, "2026-07", "2026-12-10").ok());
  ASSERT_TRUE(PayWage("arr-o-08", owing, "2026-08", "2026-12-10").ok());
  ASSERT_TRUE(E(&S::CheckOverdueWages, check, &alerts).ok());
  EXPECT_EQ(alerts.alerts_size(), 0);
  EXPECT_TRUE(settled(owing));

  // The sweep's query is served by the partial index of unsettled ended
  // placements, not a scan of every placement.
  pqxx::connection conn(db_);
  pqxx::work tx(conn);
  tx.exec("SET LOCAL search_path TO employment");
  tx.exec("SET LOCAL enable_seqscan = off");
  tx.exec(absl::StrCat("PREPARE sweep (text, date) AS ", kEndedPlacementsQuery));
  std::string plan;
  for (const auto& row : tx.exec("EXPLAIN EXECUTE sweep ('653121%', '2026-12-01')")) {
    absl::StrAppend(&plan, row[0].as<std::string>(), "\n");
  }
  std::cout << "sweep plan:\n" << plan;
  EXPECT_NE(plan.find("placements_ended_unsettled"), std::string::npos) << plan;
}

// A worker's birth date with the ID number's region (monitoring's masked
// view) narrows the ID number to a handful: only a caller with the
// personal-data privilege who states a purpose sees it in full, and that
// read is audited; everyone else, and every stored answer, has the year.
TEST_F(EmploymentTest, BirthDateIsMaskedUnlessPrivilegedWithAPurpose) {
  constexpr char kPrefecture[] = "dev.653100000000.prefecture_official.pf1";
  constexpr char kAuditor[] = "dev.653121000000.auditor.au1";
  constexpr char kDepartment[] = "dev.653121000000.department:human_resources.dep1";
  constexpr char kFullDate[] = "1990-05-01";
  const auto created = Worker("bd-worker", "hh-00000000000000000061", 1, v1::WILLINGNESS_LOCAL);
  ASSERT_FALSE(created.worker_id().empty());
  EXPECT_EQ(created.birth_date(), "1990") << "UpsertWorker answers the year only";
  EXPECT_TRUE(created.personal_data_masked());
  const auto clear_reads = [&] {
    return Query(
        "SELECT count(*) FROM employment.audit_log WHERE personal_data_read AND kind = 'read'");
  };
  ASSERT_EQ(clear_reads(), 0);

  const auto list = [&](const std::string& token, const std::string& purpose) {
    v1::ListWorkersRequest req;
    req.set_division_code(kCountyCode);
    req.set_purpose(purpose);
    v1::ListWorkersResponse out;
    const auto s = E(&S::ListWorkers, req, &out, token);
    EXPECT_TRUE(s.ok()) << token << ": " << s.error_message();
    EXPECT_EQ(out.workers_size(), 1) << token;
    return out;
  };
  const auto get = [&](const std::string& token, const std::string& purpose) {
    v1::GetWorkerRequest req;
    req.set_worker_id(created.worker_id());
    req.set_purpose(purpose);
    v1::Worker out;
    const auto s = E(&S::GetWorker, req, &out, token);
    EXPECT_TRUE(s.ok()) << token << ": " << s.error_message();
    return out;
  };
  // Without the privilege (a purpose changes nothing), or without a purpose.
  for (const auto& [token, purpose] :
       std::vector<std::pair<std::string, std::string>>{{kPrefecture, ""},
                                                        {kPrefecture, "督导检查"},
                                                        {kAuditor, ""},
                                                        {kAuditor, "审计"},
                                                        {kDepartment, ""},
                                                        {kCounty, ""}}) {
    const auto listed = list(token, purpose);
    const auto one = get(token, purpose);
    for (const v1::Worker* w : {&listed.workers(0), &one}) {
      EXPECT_EQ(w->birth_date(), "1990") << token << " " << purpose;
      EXPECT_TRUE(w->personal_data_masked()) << token;
      EXPECT_EQ(w->SerializeAsString().find("05-01"), std::string::npos) << token;
    }
  }
  EXPECT_EQ(clear_reads(), 0) << "masked answers are not personal-data reads";

  // The privileged with a purpose: in full, each read audited with it.
  constexpr char kPurpose[] = "公益性岗位年龄核查";
  const auto listed = list(kCounty, kPurpose);
  EXPECT_EQ(listed.workers(0).birth_date(), kFullDate);
  EXPECT_FALSE(listed.workers(0).personal_data_masked());
  EXPECT_EQ(get(kDepartment, kPurpose).birth_date(), kFullDate);
  EXPECT_EQ(clear_reads(), 2);
  EXPECT_EQ(Query(absl::StrCat("SELECT count(*) FROM employment.audit_log WHERE "
                               "personal_data_read AND purpose = '",
                               kPurpose, "' AND resource_id = '", created.worker_id(), "'")),
            1)
      << "GetWorker names the worker";

  // The replay of UpsertWorker and anything stored answer the year only.
  v1::UpsertWorkerRequest again;
  again.set_request_id("bd-worker");
  auto* w = again.mutable_worker();
  w->set_person_id("pe-00000000000000000061-1");
  w->set_household_id("hh-00000000000000000061");
  w->set_division_code(kVillage);
  w->set_birth_date(kFullDate);
  w->set_willingness(v1::WILLINGNESS_LOCAL);
  w->set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
  w->set_available(true);
  w->set_local_registration(true);
  w->set_language_level(3);
  w->mutable_flags()->set_lifted_household(true);
  v1::Worker replayed;
  const auto s = E(&S::UpsertWorker, again, &replayed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(replayed.worker_id(), created.worker_id()) << "a replay";
  EXPECT_EQ(replayed.birth_date(), "1990");
  EXPECT_EQ(Query("SELECT count(*) FROM employment.idempotency WHERE position('1990-05-01'::bytea "
                  "IN response) > 0"),
            0);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.outbox WHERE position('1990-05-01'::bytea "
                  "IN event) > 0"),
            0);
  // Kept in full for the age rule (E2).
  EXPECT_EQ(Query("SELECT count(*) FROM employment.workers WHERE position('1990-05-01'::bytea IN "
                  "body) > 0"),
            1);
}

// E1 一人一岗 / E2 有序退岗: a holder of a regular job on duty is not
// appointed to a post (before 2026-11-25 the appointment never looked).
TEST_F(EmploymentTest, AppointRefusesAWorkerWithARegularJobOnDuty) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-02"));
  const auto regular = RegularPlacements("oj", 1, 71, "2026-11-02")[0];
  v1::GetWorkerRequest get;
  get.set_worker_id(regular.worker_id());
  v1::Worker holder;
  ASSERT_TRUE(E(&S::GetWorker, get, &holder).ok());
  const auto body = Employer("e-oj-post", v1::EMPLOYER_KIND_PUBLIC_BODY);
  const auto post = Job("j-oj-post", body, v1::JOB_KIND_PUBLIC_WELFARE, kVillage, 2, 80'000);
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-25"));
  const auto census = Census();
  std::cout << "post for a holder of a regular job: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION,
                       Appoint("oj-ap", holder, post, "2026-12-01", "2027-11-30"),
                       "E2.orderly_exit")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);
  // Once the job ended, the appointment goes through.
  ASSERT_TRUE(End("oj-end", regular, "2026-11-25").ok());
  const auto s = Appoint("oj-ap-after", holder, post, "2026-12-01", "2027-11-30");
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// E1 一人一岗: a proposal is not accepted for a worker who already holds an
// accepted or on-duty placement or a post (before 2026-11-25 only the
// job's free slots were checked): neither a post and a job, nor two jobs.
TEST_F(EmploymentTest, AcceptRefusesAWorkerWhoAlreadyHoldsAPlacementOrPost) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-25"));
  // Proposed a job, then appointed to a post: the proposal can no longer be
  // accepted.
  const auto a = Propose("op-a", 72);
  const auto body = Employer("e-op-post", v1::EMPLOYER_KIND_PUBLIC_BODY);
  const auto post = Job("j-op-post", body, v1::JOB_KIND_PUBLIC_WELFARE, kVillage, 2, 80'000);
  v1::Placement held;
  auto s = Appoint("op-ap", a.worker, post, "2026-12-01", "2027-11-30", &held);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto census = Census();
  std::cout << "accept while holding a post: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION, Accept("op-acc-a", a.placement_id),
                       "E1.one_job")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);
  EXPECT_NE(Accept("op-acc-a2", a.placement_id).error_message().find(held.placement_id()),
            std::string::npos);

  // A second open proposal of `first`'s worker, for `job` (stored directly:
  // what two concurrent matching runs of nested divisions can leave).
  const auto second_proposal_of = [&](const std::string& first, const std::string& id,
                                      const v1::Job& job) {
    v1::GetPlacementRequest gp;
    gp.set_placement_id(first);
    v1::Placement copy;
    ASSERT_TRUE(E(&S::GetPlacement, gp, &copy).ok());
    copy.set_placement_id(id);
    copy.set_job_id(job.job_id());
    const std::string bytes = copy.SerializeAsString();
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO employment.placements (placement_id, worker_id, household_id, job_id, "
        "division_code, status, job_kind, body) VALUES ($1, $2, $3, $4, $5, 1, 1, $6)",
        id, copy.worker_id(), copy.household_id(), job.job_id(), kVillage,
        pqxx::binarystring(bytes.data(), bytes.size()));
    tx.commit();
  };

  // Two open proposals of one worker (what two concurrent matching runs of
  // nested divisions can leave): the second is refused once one is accepted.
  const auto b = Propose("op-b", 73);
  const auto other_employer = Employer("e-op-b2", v1::EMPLOYER_KIND_ENTERPRISE);
  const auto other_job =
      Job("j-op-b2", other_employer, v1::JOB_KIND_REGULAR, kCountyCode, 1, 320'000);
  const std::string second = "pl-0000000000000000b002";
  ASSERT_NO_FATAL_FAILURE(second_proposal_of(b.placement_id, second, other_job));
  ASSERT_TRUE(Accept("op-acc-b", b.placement_id).ok());
  census = Census();
  Refused(grpc::StatusCode::FAILED_PRECONDITION, Accept("op-acc-b2", second), "E1.one_job");
  EXPECT_EQ(Census(), census);
  // Nor is a post appointed to a worker with an accepted job.
  Refused(grpc::StatusCode::FAILED_PRECONDITION,
          Appoint("op-ap-b", b.worker, post, "2026-12-01", "2027-11-30"), "E1.one_job");
  EXPECT_EQ(Census(), census);

  // Concurrent accepts of the two proposals of one worker: one at most.
  const auto c = Propose("op-c", 74);
  const auto c_employer = Employer("e-op-c2", v1::EMPLOYER_KIND_ENTERPRISE);
  const auto c_job = Job("j-op-c2", c_employer, v1::JOB_KIND_REGULAR, kCountyCode, 1, 320'000);
  const std::string c_second = "pl-0000000000000000c002";
  ASSERT_NO_FATAL_FAILURE(second_proposal_of(c.placement_id, c_second, c_job));
  int accepted = 0;
  for (int round = 0; round < 5; ++round) {
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (const std::string& id : {c.placement_id, c_second}) {
      threads.emplace_back([&, id] {
        if (Accept(absl::StrCat("op-acc-c-", round, "-", id), id).ok()) ++ok;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_LE(ok.load(), 1) << "round " << round;
    EXPECT_LE(Query("SELECT count(*) FROM employment.placements WHERE worker_id = '" +
                    c.worker.worker_id() + "' AND status IN (2, 3)"),
              1);
    accepted += ok.load();
    if (ok.load() == 1) break;  // one accepted: nothing left to race for
  }
  EXPECT_EQ(accepted, 1) << "exactly one of the two proposals is accepted";
}

// E2 有序退岗: no post subsidy for a month in which the holder also had a
// regular job on duty (before 2026-11-25 PayPostSubsidy never looked). The
// state is one the missing checks allowed: a post holder with a job.
TEST_F(EmploymentTest, PostSubsidyRefusedForAMonthWithARegularJobOnDuty) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-10-01"));
  const auto held = AppointPost("ps-ap", "hh-00000000000000000075", "2026-10-01", "2027-09-30");
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-10"));
  const auto regular = RegularPlacements("ps", 1, 76, "2026-11-10")[0];
  // Before the fix: the post holder accepted and started this job.
  Exec("UPDATE employment.placements SET worker_id = '" + held.worker_id() +
       "' WHERE placement_id = '" + regular.placement_id() + "'");
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-12-05"));
  v1::RecordAttendanceRequest att;
  att.set_placement_id(held.placement_id());
  att.set_days_on_duty(20);
  v1::Attendance attendance;
  for (const char* month : {"2026-10", "2026-11"}) {
    att.set_request_id(absl::StrCat("ps-att-", month));
    att.set_month(month);
    ASSERT_TRUE(E(&S::RecordAttendance, att, &attendance).ok());
  }
  v1::PayPostSubsidyRequest pay;
  pay.set_placement_id(held.placement_id());
  pay.set_paid_on("2026-12-05");
  v1::WageRecord rec;
  pay.set_request_id("ps-pay-10");
  pay.set_month("2026-10");
  auto s = E(&S::PayPostSubsidy, pay, &rec);
  EXPECT_TRUE(s.ok()) << "October, before the job: " << s.error_message();
  const auto census = Census();
  pay.set_request_id("ps-pay-11");
  pay.set_month("2026-11");
  std::cout << "post subsidy for a month with a regular job: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION, E(&S::PayPostSubsidy, pay, &rec),
                       "E2.orderly_exit")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);
}

// E4: three months in work earn the subsidy even once the placement ended;
// the months count up to the end (before 2026-11-25 the grant required the
// placement on duty at the time of the grant).
TEST_F(EmploymentTest, TransportSubsidyForAnEndedPlacementWithThreeMonthsBeforeEnd) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-05-01"));
  const auto partner = Employer("e-partner-te", v1::EMPLOYER_KIND_PARTNER_PROVINCE);
  Job("j-gd-te", partner, v1::JOB_KIND_REGULAR, "440000000000", 2, 500'000);
  Worker("far-te", "hh-00000000000000000081", 1, v1::WILLINGNESS_OUT_OF_REGION);
  Worker("far-te2", "hh-00000000000000000082", 1, v1::WILLINGNESS_OUT_OF_REGION);
  v1::RunMatchingRequest run_req;
  run_req.set_request_id("run-te");
  run_req.set_division_code(kCountyCode);
  v1::MatchingRun run;
  ASSERT_TRUE(E(&S::RunMatching, run_req, &run).ok());
  ASSERT_EQ(run.proposals_size(), 2);
  const auto worked = Advance(run.proposals(0).placement_id(), "2026-05-01");
  const auto short_one = Advance(run.proposals(1).placement_id(), "2026-05-01");
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-07-31"));
  ASSERT_TRUE(End("te-end-short", short_one, "2026-07-31").ok());  // 2 months
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-08-10"));
  ASSERT_TRUE(End("te-end", worked, "2026-08-10").ok());  // 3 months
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-20"));

  v1::GrantTransportSubsidyRequest grant;
  grant.set_request_id("te-grant");
  grant.set_placement_id(worked.placement_id());
  v1::TransportSubsidy subsidy;
  auto s = E(&S::GrantTransportSubsidy, grant, &subsidy);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(subsidy.months_in_work(), 3);
  EXPECT_EQ(subsidy.amount_fen(), 60'000);
  EXPECT_EQ(subsidy.quarter(), "2026-Q4");

  // Two months before its end: still refused, whatever the as_of.
  const auto census = Census();
  grant.set_request_id("te-grant-short");
  grant.set_placement_id(short_one.placement_id());
  std::cout << "ended after 2 months: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION,
                       E(&S::GrantTransportSubsidy, grant, &subsidy), "E4.months_in_work")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);
}

// E4 is paid quarterly: once per person a quarter, over all their
// placements (before 2026-11-25 once per placement: a worker with two
// placements was paid twice in one quarter).
TEST_F(EmploymentTest, TransportSubsidyOncePerPersonPerQuarter) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-05-01"));
  const auto partner = Employer("e-partner-pq", v1::EMPLOYER_KIND_PARTNER_PROVINCE);
  Job("j-gd-pq", partner, v1::JOB_KIND_REGULAR, "440000000000", 1, 500'000);
  const auto far = Worker("far-pq", "hh-00000000000000000083", 1, v1::WILLINGNESS_OUT_OF_REGION);
  const auto match = [&](const std::string& rid) {
    v1::RunMatchingRequest run_req;
    run_req.set_request_id(rid);
    run_req.set_division_code(kCountyCode);
    v1::MatchingRun run;
    EXPECT_TRUE(E(&S::RunMatching, run_req, &run).ok());
    EXPECT_EQ(run.proposals_size(), 1);
    return run.proposals_size() == 1 ? run.proposals(0).placement_id() : std::string();
  };
  // Three months with one employer, then on with another from 08-15.
  const auto first = Advance(match("run-pq-1"), "2026-05-01");
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-08-10"));
  ASSERT_TRUE(End("pq-end", first, "2026-08-10").ok());
  Job("j-gd-pq2", partner, v1::JOB_KIND_REGULAR, "440000000000", 1, 520'000);
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-08-15"));
  const auto second = Advance(match("run-pq-2"), "2026-08-15");
  ASSERT_EQ(second.worker_id(), far.worker_id());
  ASSERT_NE(second.placement_id(), first.placement_id());

  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-20"));
  v1::GrantTransportSubsidyRequest grant;
  grant.set_request_id("pq-grant-1");
  grant.set_placement_id(first.placement_id());
  v1::TransportSubsidy subsidy;
  auto s = E(&S::GrantTransportSubsidy, grant, &subsidy);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(subsidy.quarter(), "2026-Q4");
  const auto census = Census();
  grant.set_request_id("pq-grant-2");
  grant.set_placement_id(second.placement_id());
  std::cout << "second placement, same quarter: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION,
                       E(&S::GrantTransportSubsidy, grant, &subsidy), "E4.once_per_quarter")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);
  EXPECT_EQ(Query("SELECT count(*) FROM employment.transport_subsidies"), 1);
  // The next quarter it is paid.
  ASSERT_NO_FATAL_FAILURE(SetToday("2027-01-05"));
  grant.set_request_id("pq-grant-2-q1");
  s = E(&S::GrantTransportSubsidy, grant, &subsidy);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(subsidy.quarter(), "2027-Q1");
}

// The start date decides months in work (E4) and wages owed: not after
// today, not before the placement was accepted (before 2026-11-25 any date:
// four months back earned the transport subsidy at once, a future one
// counted as on duty now).
TEST_F(EmploymentTest, StartPlacementRefusesDatesBeforeAcceptanceOrAfterToday) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-10"));
  const auto p = Propose("sd", 84);
  ASSERT_TRUE(Accept("sd-acc", p.placement_id).ok());
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-20"));
  v1::StartPlacementRequest start;
  start.set_placement_id(p.placement_id);
  v1::Placement out;
  const auto census = Census();
  for (const char* day : {"2026-11-21", "2027-01-01", "2026-11-09", "2026-07-01"}) {
    start.set_request_id(absl::StrCat("sd-", day));
    start.set_start_date(day);
    std::cout << "start_date " << day << " (accepted 2026-11-10, today 2026-11-20): "
              << Refused(grpc::StatusCode::INVALID_ARGUMENT, E(&S::StartPlacement, start, &out),
                         "start_date")
                     .error_message()
              << "\n";
  }
  EXPECT_EQ(Census(), census);
  for (const char* day : {"2026-11-10", "2026-11-20"}) {
    start.set_request_id(absl::StrCat("sd-ok-", day));
    start.set_start_date(day);
    const auto s = E(&S::StartPlacement, start, &out);
    EXPECT_TRUE(s.ok()) << day << ": " << s.error_message();
    if (s.ok()) break;  // on duty: a second start is refused by the transition
  }
  EXPECT_EQ(out.start_date(), "2026-11-10");
  EXPECT_EQ(out.accepted_on(), "2026-11-10");
}

// A post's agreement start is the day the age rule is checked on and the
// first month of its subsidy: within 31 days before today (and 92 after);
// before 2026-11-25 any date, with the age checked years back.
TEST_F(EmploymentTest, AppointRefusesAnAgreementStartInThePastBeyondTolerance) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-25"));
  const auto body = Employer("e-as", v1::EMPLOYER_KIND_PUBLIC_BODY);
  const auto post = Job("j-as", body, v1::JOB_KIND_PUBLIC_WELFARE, kVillage, 1, 80'000);
  // 61 today, 60 on 2025-12-01: an old agreement start passed the age rule.
  const auto w = Worker("w-as", "hh-00000000000000000085", 1, v1::WILLINGNESS_LOCAL,
                        [](v1::Worker& w) { w.set_birth_date("1965-06-01"); });
  const auto census = Census();
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{"2025-12-01", "2026-11-30"},
                                                        {"2026-10-24", "2027-10-23"},
                                                        {"2027-02-26", "2028-02-25"}}) {
    std::cout << "agreement_start " << from << " on 2026-11-25: "
              << Refused(grpc::StatusCode::INVALID_ARGUMENT,
                         Appoint("as-" + from, w, post, from, to), "agreement_start")
                     .error_message()
              << "\n";
  }
  EXPECT_EQ(Census(), census);
  // 31 days back is inside the tolerance: the age rule then refuses (61).
  Refused(grpc::StatusCode::FAILED_PRECONDITION,
          Appoint("as-2026-10-25", w, post, "2026-10-25", "2027-10-24"), "E2.age");
  EXPECT_EQ(Census(), census);

  // Appointed with the oldest start allowed; its answer lost, the retry the
  // next day replays it (the start is then 32 days back).
  const auto young = Worker("w-as2", "hh-00000000000000000087", 1, v1::WILLINGNESS_LOCAL);
  v1::Placement first, again;
  ASSERT_TRUE(Appoint("as-young", young, post, "2026-10-25", "2027-10-24", &first).ok());
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-26"));
  const grpc::Status retried = Appoint("as-young", young, post, "2026-10-25", "2027-10-24", &again);
  ASSERT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_EQ(again.placement_id(), first.placement_id());
}

// Priority flags fed by monitoring's events come from the recorded household
// status, not from the caller (before 2026-11-25 an upsert overwrote them).
TEST_F(EmploymentTest, UpsertWorkerKeepsMonitoredFlagFromHouseholdStatus) {
  const std::string h = "hh-00000000000000000086";
  const auto w = Worker("w-fl", h, 1, v1::WILLINGNESS_LOCAL);
  ASSERT_FALSE(w.flags().monitored_household());
  zx::monitoring::v1::ObjectConfirmed confirmed;
  confirmed.set_household_id(h);
  zx::common::v1::Event event;
  event.set_id("ev-fl");
  event.set_type("monitoring.object_confirmed");
  event.mutable_payload()->PackFrom(confirmed);
  HandleInOwnTransaction(event);
  // The county edits the worker with the flags it had read before.
  v1::UpsertWorkerRequest req;
  req.set_request_id("w-fl-edit");
  *req.mutable_worker() = w;
  req.mutable_worker()->set_birth_date("1990-05-01");
  req.mutable_worker()->add_skills("welding");
  req.mutable_worker()->mutable_flags()->set_monitored_household(false);
  v1::Worker out;
  ASSERT_TRUE(E(&S::UpsertWorker, req, &out).ok());
  EXPECT_TRUE(out.flags().monitored_household());
  EXPECT_EQ(Query("SELECT count(*) FROM employment.workers WHERE priority AND worker_id = '" +
                  w.worker_id() + "'"),
            1);
  // Nor can a caller set it for a household no event confirmed.
  const auto other =
      Worker("w-fl-2", "hh-00000000000000000087", 1, v1::WILLINGNESS_LOCAL,
             [](v1::Worker& w) { w.mutable_flags()->set_monitored_household(true); });
  EXPECT_FALSE(other.flags().monitored_household());
}

// A worker filed after monitoring confirmed the household is monitored
// (before 2026-11-25 only workers present when the event arrived were).
TEST_F(EmploymentTest, WorkerCreatedAfterConfirmationIsMonitored) {
  const std::string h = "hh-00000000000000000088";
  zx::monitoring::v1::ObjectConfirmed confirmed;
  confirmed.set_household_id(h);
  zx::common::v1::Event event;
  event.set_id("ev-fl-after");
  event.set_type("monitoring.object_confirmed");
  event.mutable_payload()->PackFrom(confirmed);
  HandleInOwnTransaction(event);
  const auto w = Worker("w-fl-after", h, 1, v1::WILLINGNESS_LOCAL);
  EXPECT_TRUE(w.flags().monitored_household());
  v1::GetWorkerRequest get;
  get.set_worker_id(w.worker_id());
  v1::Worker out;
  ASSERT_TRUE(E(&S::GetWorker, get, &out).ok());
  EXPECT_TRUE(out.flags().monitored_household());
}

// The attendance a paid subsidy rests on is kept: a paid month's days are
// not rewritten (before 2026-11-25 they could be set to 0 after payment).
TEST_F(EmploymentTest, AttendanceOfAPaidMonthCannotBeRewritten) {
  ASSERT_NO_FATAL_FAILURE(SetToday("2026-11-25"));
  const auto held = AppointPost("ap-pa", "hh-00000000000000000089", "2026-11-01", "2027-10-31");
  v1::RecordAttendanceRequest att;
  att.set_request_id("pa-att-11");
  att.set_placement_id(held.placement_id());
  att.set_month("2026-11");
  att.set_days_on_duty(20);
  v1::Attendance attendance;
  ASSERT_TRUE(E(&S::RecordAttendance, att, &attendance).ok());
  // Before payment it may be corrected.
  att.set_request_id("pa-att-11-fix");
  att.set_days_on_duty(21);
  ASSERT_TRUE(E(&S::RecordAttendance, att, &attendance).ok());
  v1::PayPostSubsidyRequest pay;
  pay.set_request_id("pa-pay-11");
  pay.set_placement_id(held.placement_id());
  pay.set_month("2026-11");
  pay.set_paid_on("2026-11-25");
  v1::WageRecord rec;
  ASSERT_TRUE(E(&S::PayPostSubsidy, pay, &rec).ok());
  const auto census = Census();
  att.set_request_id("pa-att-11-zero");
  att.set_days_on_duty(0);
  std::cout << "attendance of a paid month: "
            << Refused(grpc::StatusCode::FAILED_PRECONDITION,
                       E(&S::RecordAttendance, att, &attendance), "E2.attendance")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);
  EXPECT_EQ(Query("SELECT days_on_duty FROM employment.attendance WHERE placement_id = '" +
                  held.placement_id() + "' AND month = '2026-11'"),
            21);
}

// A worker is filed under a household of their own county when monitoring's
// events named the household's village (before 2026-11-25 any household id:
// a county could file its worker under another county's household and
// block that household's post through the one-post-per-household index).
TEST_F(EmploymentTest, UpsertWorkerRefusesAHouseholdOfAnotherCounty) {
  const auto confirm = [&](const std::string& household, const std::string& village) {
    zx::monitoring::v1::ObjectConfirmed confirmed;
    confirmed.set_household_id(household);
    confirmed.set_village_code(village);
    zx::common::v1::Event event;
    event.set_id("ev-hc-" + household);
    event.set_type("monitoring.object_confirmed");
    event.mutable_payload()->PackFrom(confirmed);
    HandleInOwnTransaction(event);
  };
  const std::string theirs = "hh-00000000000000000090", ours = "hh-00000000000000000091";
  confirm(theirs, "653122101201");  // another county
  confirm(ours, kVillage);
  v1::UpsertWorkerRequest req;
  req.set_request_id("hc-theirs");
  auto* w = req.mutable_worker();
  w->set_person_id("pe-hc-1");
  w->set_household_id(theirs);
  w->set_division_code(kVillage);
  w->set_birth_date("1990-05-01");
  w->set_willingness(v1::WILLINGNESS_LOCAL);
  w->set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
  w->set_available(true);
  w->set_local_registration(true);
  v1::Worker out;
  const auto census = Census();
  std::cout << "worker under another county's household: "
            << Refused(grpc::StatusCode::INVALID_ARGUMENT, E(&S::UpsertWorker, req, &out),
                       "worker.household_id")
                   .error_message()
            << "\n";
  EXPECT_EQ(Census(), census);
  req.set_request_id("hc-ours");
  w->set_household_id(ours);
  const auto s = E(&S::UpsertWorker, req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(out.flags().monitored_household());
}

}  // namespace
}  // namespace zx::employment
