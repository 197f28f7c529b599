// Alerts in-process, over real gRPC, on a real PostgreSQL and Redis, with the
// lifecycle's fake clock: NEW_RED in ListAlerts and WatchAlerts, resuming a
// watch, OVERDUE_STEP and PLAN_MISSING from the deadline scheduler (once,
// however often it runs), the M12 scale warning exactly at the threshold,
// jurisdiction, validation, and a shutdown that does not wait for watchers.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"
#include "common/server/server.h"
#include "common/testing/stack.h"
#include "common/time/time.h"
#include "services/monitoring/api/alerts.h"
#include "services/monitoring/api/lifecycle_service.h"
#include "services/monitoring/api/monitoring_service.h"
#include "zx/monitoring/v1/alerts.grpc.pb.h"
#include "zx/monitoring/v1/lifecycle.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::monitoring {
namespace {

using v1::Alert;

constexpr char kCountyCode[] = "653121000000";
constexpr char kTownshipCode[] = "653121101000";
constexpr char kVillage[] = "653121101201";
constexpr char kVillageCadre[] = "dev.653121101201.village_cadre.vc1";
constexpr char kTownship[] = "dev.653121101000.township_official.ts1";
constexpr char kDepartment[] = "dev.653121000000.department:civil_affairs.dep1";
constexpr char kCounty[] = "dev.653121000000.county_official.co1";
constexpr char kOtherCounty[] = "dev.653122000000.county_official.co2";

class AlertsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLifecycleClockForTesting(&clock_);
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("alerts_it");
    auto config = stack.ServiceConfig("monitoring", db_);
    config.redis_namespace = "zx:it-alerts";
    auto server = server::Server::Start(MonitoringSpec(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    households_ = v1::MonitoringService::NewStub(channel_);
    objects_ = v1::MonitoringObjectService::NewStub(channel_);
    alerts_ = v1::AlertService::NewStub(channel_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    SetLifecycleClockForTesting(nullptr);
  }

  static void Prepare(grpc::ClientContext& ctx, const std::string& token,
                      std::chrono::seconds timeout = std::chrono::seconds(10)) {
    ctx.AddMetadata("authorization", std::string("Bearer ") + token);
    ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  }

  // The county's policy for this year; figures left 0 keep the defaults.
  void PublishPolicy(int township_new_red = 0, int township_new_objects = 0) {
    const absl::CivilYear year(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()));
    v1::PublishPolicyRequest publish;
    publish.set_request_id("policy-1");
    auto* policy = publish.mutable_policy();
    policy->set_version("shufu-alerts-1");
    policy->set_owner_division_code(kCountyCode);
    policy->set_year(static_cast<int>(year.year()));
    policy->set_effective_from(absl::StrCat(year.year(), "-01-01"));
    policy->set_monitoring_line_fen(600000);
    policy->set_scale_township_new_red(township_new_red);
    policy->set_scale_township_new_objects(township_new_objects);
    v1::MonitoringPolicy published;
    grpc::ClientContext ctx;
    Prepare(ctx, kCounty);
    const grpc::Status s = households_->PublishPolicy(&ctx, publish, &published);
    ASSERT_TRUE(s.ok()) << s.error_message();
    if (township_new_red != 0) {
      ASSERT_EQ(published.scale_township_new_red(), township_new_red);
    }
    ASSERT_EQ(published.scale_window_days(), 30) << "the default window";
  }

  std::string CreateHousehold(const std::string& request_id,
                              const std::string& village = kVillage) {
    v1::CreateHouseholdRequest req;
    req.set_request_id(request_id);
    req.mutable_household()->set_village_code(village);
    req.mutable_household()->set_category(v1::HOUSEHOLD_CATEGORY_ORDINARY);
    req.mutable_household()->set_member_count(4);
    v1::Household out;
    grpc::ClientContext ctx;
    Prepare(ctx, kCounty);
    const grpc::Status s = households_->CreateHousehold(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.household_id();
  }

  // No income recorded and no guarantee checked: RED.
  void AssessRed(const std::string& household_id) {
    v1::AssessHouseholdRequest req;
    req.set_household_id(household_id);
    v1::Assessment out;
    grpc::ClientContext ctx;
    Prepare(ctx, kCounty);
    const grpc::Status s = households_->AssessHousehold(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(out.colour(), v1::COLOUR_RED);
  }

  grpc::Status List(const std::string& division, std::vector<v1::AlertKind> kinds,
                    std::vector<Alert>* out, const std::string& token = kCounty) {
    out->clear();
    std::string token_page;
    do {
      v1::ListAlertsRequest req;
      req.set_division_code(division);
      for (auto k : kinds) req.add_kinds(k);
      req.set_page_size(2);  // several pages even in small tests
      req.set_page_token(token_page);
      v1::ListAlertsResponse resp;
      grpc::ClientContext ctx;
      Prepare(ctx, token);
      const grpc::Status s = alerts_->ListAlerts(&ctx, req, &resp);
      if (!s.ok()) return s;
      for (const auto& a : resp.alerts()) out->push_back(a);
      token_page = resp.next_page_token();
    } while (!token_page.empty());
    return grpc::Status::OK;
  }

  std::vector<Alert> ListOf(std::vector<v1::AlertKind> kinds,
                            const std::string& division = kCountyCode) {
    std::vector<Alert> out;
    const grpc::Status s = List(division, std::move(kinds), &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  // Polls ListAlerts until `n` alerts of `kinds` exist (bounded: 10 s).
  std::vector<Alert> AwaitAlerts(std::vector<v1::AlertKind> kinds, size_t n) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::vector<Alert> got;
    while (std::chrono::steady_clock::now() < until) {
      got = ListOf(kinds);
      if (got.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return got;
  }

  int Count(const std::string& sql) {
    pqxx::connection conn(db_);
    return pqxx::nontransaction(conn).exec1(sql)[0].as<int>();
  }

  grpc::Status Step(grpc::Status (v1::MonitoringObjectService::Stub::*rpc)(
                        grpc::ClientContext*, const v1::TransitionRequest&, v1::MonitoringObject*),
                    const std::string& household_id, const std::string& request_id,
                    const std::string& token,
                    std::function<void(v1::TransitionRequest&)> more = {}) {
    v1::TransitionRequest req;
    req.set_request_id(request_id);
    req.set_household_id(household_id);
    req.set_reason("步骤 " + request_id);
    if (more) more(req);
    v1::MonitoringObject out;
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    return (objects_.get()->*rpc)(&ctx, req, &out);
  }

  void RaiseClue(const std::string& household_id) {
    v1::RaiseClueRequest req;
    req.set_request_id("clue-" + household_id);
    req.set_household_id(household_id);
    req.set_way(v1::CLUE_WAY_CADRE_VISIT);
    req.set_description("外出务工返乡，家庭收入骤降");
    v1::Clue out;
    grpc::ClientContext ctx;
    Prepare(ctx, kVillageCadre);
    const grpc::Status s = objects_->RaiseClue(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  time::FakeClock clock_{absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()))};
  std::string db_;
  std::unique_ptr<server::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MonitoringService::Stub> households_;
  std::unique_ptr<v1::MonitoringObjectService::Stub> objects_;
  std::unique_ptr<v1::AlertService::Stub> alerts_;
};

// A WatchAlerts stream read on its own thread.
class Watcher {
 public:
  Watcher(v1::AlertService::Stub& stub, const std::string& division, int64_t after,
          const std::string& token = kCounty) {
    v1::WatchAlertsRequest req;
    req.set_division_code(division);
    req.set_after_alert_id(after);
    ctx_.AddMetadata("authorization", std::string("Bearer ") + token);
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    reader_ = stub.WatchAlerts(&ctx_, req);
    thread_ = std::thread([this] {
      Alert a;
      while (reader_->Read(&a)) {
        std::lock_guard lock(mu_);
        got_.push_back(a);
      }
      status_ = reader_->Finish();
      std::lock_guard lock(mu_);
      ended_ = true;
    });
  }
  ~Watcher() {
    ctx_.TryCancel();
    thread_.join();
  }

  // Waits (bounded) until `n` alerts arrived or the stream ended.
  std::vector<Alert> Await(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      {
        std::lock_guard lock(mu_);
        if (got_.size() >= n || ended_) return got_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::lock_guard lock(mu_);
    return got_;
  }

  // Waits for the end of the stream (bounded: 10 s) and returns its status.
  grpc::Status Ended() {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
      {
        std::lock_guard lock(mu_);
        if (ended_) return status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "the stream did not end");
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<Alert>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Alert> got_;
  bool ended_ = false;
  grpc::Status status_;
};

TEST_F(AlertsTest, HouseholdTurningRedYieldsExactlyOneNewRedAlert) {
  ASSERT_NO_FATAL_FAILURE(PublishPolicy());
  const std::string hh = CreateHousehold("hh-1");
  ASSERT_NO_FATAL_FAILURE(AssessRed(hh));
  ASSERT_NO_FATAL_FAILURE(AssessRed(hh));  // still RED: no second alert

  const auto listed = ListOf({v1::ALERT_KIND_NEW_RED});
  ASSERT_EQ(listed.size(), 1u);
  const Alert& a = listed[0];
  EXPECT_EQ(a.kind(), v1::ALERT_KIND_NEW_RED);
  EXPECT_EQ(a.household_id(), hh);
  EXPECT_EQ(a.division_code(), kVillage);
  EXPECT_GT(a.alert_id(), 0);
  EXPECT_NE(a.detail_zh().find("红色"), std::string::npos) << a.detail_zh();
  EXPECT_NE(a.detail_en().find("turned RED"), std::string::npos) << a.detail_en();
  EXPECT_TRUE(a.has_raised_at());
  EXPECT_EQ(ListOf({}, kVillage).size(), 1u) << "the village sees it too";
  EXPECT_EQ(ListOf({v1::ALERT_KIND_OVERDUE_STEP}).size(), 0u);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.alert_raised'"),
            1);

  Watcher watch(*alerts_, kCountyCode, 0);
  const auto streamed = watch.Await(1);
  ASSERT_EQ(streamed.size(), 1u);
  EXPECT_EQ(streamed[0].SerializeAsString(), a.SerializeAsString());

  // The table refuses changes.
  pqxx::connection conn(db_);
  pqxx::nontransaction tx(conn);
  EXPECT_THROW(tx.exec("UPDATE monitoring.alerts SET division_code = '653121101202'"),
               pqxx::sql_error);
}

TEST_F(AlertsTest, WatcherResumingAfterAnIdGetsOnlyLaterAlertsThenLiveOnes) {
  ASSERT_NO_FATAL_FAILURE(PublishPolicy());
  const std::string first = CreateHousehold("hh-1");
  const std::string second = CreateHousehold("hh-2");
  ASSERT_NO_FATAL_FAILURE(AssessRed(first));
  ASSERT_NO_FATAL_FAILURE(AssessRed(second));
  const auto listed = ListOf({v1::ALERT_KIND_NEW_RED});
  ASSERT_EQ(listed.size(), 2u);
  ASSERT_LT(listed[0].alert_id(), listed[1].alert_id());

  Watcher watch(*alerts_, kCountyCode, listed[0].alert_id());
  auto streamed = watch.Await(1);
  ASSERT_EQ(streamed.size(), 1u);
  EXPECT_EQ(streamed[0].alert_id(), listed[1].alert_id());
  EXPECT_EQ(streamed[0].household_id(), second);

  // A new alert reaches the open stream.
  const std::string third = CreateHousehold("hh-3");
  ASSERT_NO_FATAL_FAILURE(AssessRed(third));
  streamed = watch.Await(2);
  ASSERT_EQ(streamed.size(), 2u);
  EXPECT_EQ(streamed[1].household_id(), third);
  EXPECT_GT(streamed[1].alert_id(), streamed[0].alert_id());

  // A watcher of another village sees none of them.
  Watcher other(*alerts_, "653121101202", 0);
  // (1 s: five wake-ups of the watchers; the others arrived well within it.)
  EXPECT_TRUE(other.Await(1, std::chrono::seconds(1)).empty());
}

TEST_F(AlertsTest, OverdueStepIsRaisedOnceHoweverOftenTheSchedulerRuns) {
  const std::string hh = CreateHousehold("hh-1");
  ASSERT_NO_FATAL_FAILURE(RaiseClue(hh));  // national default limits: no policy needed

  // Home verification is due 3 days after the clue; 4 days later it is late.
  clock_.Advance(absl::Hours(24 * 4));
  auto overdue = AwaitAlerts({v1::ALERT_KIND_OVERDUE_STEP}, 1);
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].deadline_kind(), v1::DEADLINE_KIND_HOME_VERIFICATION);
  EXPECT_EQ(overdue[0].household_id(), hh);
  EXPECT_FALSE(overdue[0].object_id().empty());
  EXPECT_TRUE(overdue[0].has_due_at());

  // More rounds change nothing: the object is not even looked at again
  // before the 15-day identification limit.
  for (int i = 0; i < 3; ++i) {
    auto seen = ScanDeadlines(server_->runtime(), clock_.Now(), 100);
    ASSERT_TRUE(seen.ok()) << seen.status();
    EXPECT_EQ(*seen, 0);
  }
  EXPECT_EQ(ListOf({v1::ALERT_KIND_OVERDUE_STEP}).size(), 1u);

  // Past the 15-day identification limit (M7a).
  clock_.Advance(absl::Hours(24 * 12));
  overdue = AwaitAlerts({v1::ALERT_KIND_OVERDUE_STEP}, 2);
  ASSERT_EQ(overdue.size(), 2u);
  EXPECT_EQ(overdue[1].deadline_kind(), v1::DEADLINE_KIND_IDENTIFICATION);
  for (int i = 0; i < 3; ++i) {
    auto seen = ScanDeadlines(server_->runtime(), clock_.Now() + absl::Hours(24 * i), 100);
    ASSERT_TRUE(seen.ok()) << seen.status();
  }
  EXPECT_EQ(ListOf({v1::ALERT_KIND_OVERDUE_STEP}).size(), 2u);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.monitoring_objects WHERE next_due_at IS NULL"),
            1)
      << "every pending deadline has passed and was alerted";

  // The late step is still accepted; the next step's limit then counts from it.
  ASSERT_TRUE(Step(&v1::MonitoringObjectService::Stub::RecordHomeVerification, hh, "home-1",
                   kVillageCadre, [](auto& r) { r.set_household_consent(true); })
                  .ok());
  clock_.Advance(absl::Hours(24 * 6));
  overdue = AwaitAlerts({v1::ALERT_KIND_OVERDUE_STEP}, 3);
  ASSERT_EQ(overdue.size(), 3u);
  EXPECT_EQ(overdue[2].deadline_kind(), v1::DEADLINE_KIND_DATA_COMPARISON);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.alert_raised'"),
            3);
}

TEST_F(AlertsTest, ConfirmedObjectWithoutMeasureRaisesPlanMissing) {
  const std::string hh = CreateHousehold("hh-1");
  ASSERT_NO_FATAL_FAILURE(RaiseClue(hh));
  using S = v1::MonitoringObjectService::Stub;
  ASSERT_TRUE(Step(&S::RecordHomeVerification, hh, "home", kVillageCadre, [](auto& r) {
                r.set_household_consent(true);
              }).ok());
  ASSERT_TRUE(Step(&S::RecordDataComparison, hh, "compare", kDepartment).ok());
  ASSERT_TRUE(Step(&S::VillageAssess, hh, "village", kVillageCadre).ok());
  ASSERT_TRUE(Step(&S::StartPublicity, hh, "pub", kVillageCadre).ok());
  clock_.Advance(absl::Hours(24 * 5));
  ASSERT_TRUE(Step(&S::EndPublicity, hh, "pub-end", kVillageCadre).ok());
  ASSERT_TRUE(Step(&S::TownshipReview, hh, "township", kTownship, [](auto& r) {
                r.set_decision(v1::DECISION_APPROVE);
              }).ok());
  ASSERT_TRUE(Step(&S::CountyConfirm, hh, "county", kCounty, [](auto& r) {
                r.set_decision(v1::DECISION_APPROVE);
                r.set_object_type(v1::MONITORING_OBJECT_TYPE_MARGINAL_AT_RISK);
                r.add_risk_types(v1::RISK_TYPE_UNSTABLE_EMPLOYMENT);
              }).ok());

  // 30 days after confirmation is not yet late; a microsecond more is (M10).
  clock_.Advance(absl::Hours(24 * 30));
  auto seen = ScanDeadlines(server_->runtime(), clock_.Now(), 100);
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(ListOf({v1::ALERT_KIND_PLAN_MISSING}).size(), 0u);
  clock_.Advance(absl::Seconds(1));
  const auto missing = AwaitAlerts({v1::ALERT_KIND_PLAN_MISSING}, 1);
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].deadline_kind(), v1::DEADLINE_KIND_PLAN_MISSING);
  EXPECT_EQ(missing[0].household_id(), hh);
  EXPECT_NE(missing[0].detail_zh().find("一户一策"), std::string::npos);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(ScanDeadlines(server_->runtime(), clock_.Now(), 100).ok());
  EXPECT_EQ(ListOf({v1::ALERT_KIND_PLAN_MISSING}).size(), 1u);
}

TEST_F(AlertsTest, ScaleWarningFiresExactlyWhenTheCountReachesTheThreshold) {
  // 3 new RED households or 4 new monitoring objects per township in 30 days.
  ASSERT_NO_FATAL_FAILURE(PublishPolicy(/*township_new_red=*/3, /*township_new_objects=*/4));
  std::vector<std::string> hh;
  for (int i = 0; i < 4; ++i) hh.push_back(CreateHousehold("hh-" + std::to_string(i)));

  ASSERT_NO_FATAL_FAILURE(AssessRed(hh[0]));
  ASSERT_NO_FATAL_FAILURE(AssessRed(hh[1]));
  EXPECT_EQ(ListOf({v1::ALERT_KIND_SCALE_WARNING}).size(), 0u) << "2 of 3";

  ASSERT_NO_FATAL_FAILURE(AssessRed(hh[2]));
  auto warnings = ListOf({v1::ALERT_KIND_SCALE_WARNING});
  ASSERT_EQ(warnings.size(), 1u) << "3 of 3";
  EXPECT_EQ(warnings[0].division_code(), kTownshipCode);
  EXPECT_EQ(warnings[0].figures().metric(), v1::SCALE_METRIC_NEW_RED);
  EXPECT_EQ(warnings[0].figures().count(), 3);
  EXPECT_EQ(warnings[0].figures().threshold(), 3);
  EXPECT_EQ(warnings[0].figures().window_days(), 30);
  EXPECT_TRUE(warnings[0].household_id().empty());
  EXPECT_EQ(ListOf({v1::ALERT_KIND_SCALE_WARNING}, kTownshipCode).size(), 1u);
  EXPECT_EQ(ListOf({v1::ALERT_KIND_SCALE_WARNING}, kVillage).size(), 0u)
      << "a township warning is not inside the village";

  // The 4th RED household is the 4th new object (each RED raised a clue):
  // the object warning fires; the RED one does not repeat within the window.
  ASSERT_NO_FATAL_FAILURE(AssessRed(hh[3]));
  warnings = ListOf({v1::ALERT_KIND_SCALE_WARNING});
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[1].figures().metric(), v1::SCALE_METRIC_NEW_OBJECTS);
  EXPECT_EQ(warnings[1].figures().count(), 4);
  EXPECT_EQ(warnings[1].figures().threshold(), 4);
  EXPECT_EQ(ListOf({v1::ALERT_KIND_NEW_RED}).size(), 4u);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.alerts WHERE kind = 4 AND "
                  "division_code = '653121000000'"),
            0)
      << "the county thresholds (50) are far away";
}

// A policy re-assessment checks M12 once per division at the end of its
// batch, from the policies and last warnings it read once: each township
// that reached its threshold is warned once, and a later batch inside the
// window is not warned again.
TEST_F(AlertsTest, ReassessmentBatchWarnsEachTownshipOnce) {
  constexpr char kOtherTownshipVillage[] = "653121102201";
  for (int i = 0; i < 3; ++i) CreateHousehold(absl::StrCat("hh-a", i));
  for (int i = 0; i < 3; ++i) CreateHousehold(absl::StrCat("hh-b", i), kOtherTownshipVillage);
  // Publishing queues the re-assessment of the county: no income and no
  // guarantee checked, so all six turn RED in one job.
  ASSERT_NO_FATAL_FAILURE(PublishPolicy(/*township_new_red=*/3));
  ASSERT_EQ(AwaitAlerts({v1::ALERT_KIND_NEW_RED}, 6).size(), 6u);
  auto warnings = ListOf({v1::ALERT_KIND_SCALE_WARNING});
  ASSERT_EQ(warnings.size(), 2u);
  std::set<std::string> warned;
  for (const auto& w : warnings) {
    warned.insert(w.division_code());
    EXPECT_EQ(w.figures().metric(), v1::SCALE_METRIC_NEW_RED);
    EXPECT_EQ(w.figures().count(), 3);
  }
  EXPECT_EQ(warned, (std::set<std::string>{kTownshipCode, "653121102000"}));
  // Every clue and alert has its event, appended with the batch's others:
  // per household the clue and the alert before the colour change, and the
  // warnings last.
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox WHERE event_type = "
                  "'monitoring.clue_raised'"),
            6);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox WHERE event_type = "
                  "'monitoring.alert_raised'"),
            8);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox c JOIN monitoring.outbox k "
                  "USING (aggregate_id) WHERE c.event_type = 'monitoring.household_color_changed' "
                  "AND k.event_type IN ('monitoring.clue_raised', 'monitoring.alert_raised') "
                  "AND k.id < c.id"),
            12);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox w, monitoring.outbox c "
                  "WHERE w.event_type = 'monitoring.alert_raised' AND w.aggregate_id LIKE '%000' "
                  "AND c.event_type = 'monitoring.household_color_changed' AND w.id < c.id"),
            0);

  // A fourth RED household of the first township, re-assessed by a job of
  // its own: the warning inside the window covers it.
  CreateHousehold("hh-a3");
  v1::ReassessAllRequest again;
  again.set_request_id("reassess-township");
  again.set_division_code("653121101");
  v1::ReassessmentJob job;
  grpc::ClientContext ctx;
  Prepare(ctx, kCounty);
  ASSERT_TRUE(households_->ReassessAll(&ctx, again, &job).ok());
  ASSERT_EQ(AwaitAlerts({v1::ALERT_KIND_NEW_RED}, 7).size(), 7u);
  EXPECT_EQ(ListOf({v1::ALERT_KIND_SCALE_WARNING}).size(), 2u);
}

TEST_F(AlertsTest, CallerOutsideTheJurisdictionIsRefused) {
  std::vector<Alert> out;
  EXPECT_EQ(List(kCountyCode, {}, &out, kOtherCounty).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(List("653100000000", {}, &out, kCounty).error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "a division above the caller is refused, not filtered";
  EXPECT_TRUE(List(kVillage, {}, &out, kVillageCadre).ok());
  EXPECT_EQ(List("653121101202", {}, &out, kVillageCadre).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  Watcher watch(*alerts_, kCountyCode, 0, kOtherCounty);
  EXPECT_EQ(watch.Ended().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AlertsTest, BadRequestsAreInvalidArgumentNamingTheField) {
  auto fields = [](const grpc::Status& s) {
    std::vector<std::string> out;
    for (const auto& v : errors::FieldViolationsOf(errors::FromGrpcStatus(s))) {
      out.push_back(v.field);
    }
    return out;
  };
  std::vector<Alert> out;
  const grpc::Status bad = List("12345", {}, &out);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(fields(bad), std::vector<std::string>{"division_code"});

  const grpc::Status kinds =
      List(kCountyCode, {v1::ALERT_KIND_NEW_RED, v1::ALERT_KIND_NEW_RED}, &out);
  EXPECT_EQ(kinds.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(fields(kinds), std::vector<std::string>{"kinds[1]"});

  v1::ListAlertsRequest req;
  req.set_division_code(kCountyCode);
  req.set_page_token("not-a-token");
  req.set_page_size(501);
  v1::ListAlertsResponse resp;
  grpc::ClientContext ctx;
  Prepare(ctx, kCounty);
  const grpc::Status page = alerts_->ListAlerts(&ctx, req, &resp);
  EXPECT_EQ(page.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(fields(page), (std::vector<std::string>{"page_size", "page_token"}));

  Watcher watch(*alerts_, "12345", 0);
  const grpc::Status watched = watch.Ended();
  EXPECT_EQ(watched.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(fields(watched), std::vector<std::string>{"division_code"});
}

TEST_F(AlertsTest, ShutdownEndsOpenWatchesWithoutWaitingForTheGracePeriod) {
  Watcher watch(*alerts_, kCountyCode, 0);
  ASSERT_TRUE(watch.Await(1, std::chrono::milliseconds(500)).empty());  // open and idle
  const auto start = std::chrono::steady_clock::now();
  server_->Shutdown(absl::Seconds(20));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(watch.Ended().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace zx::monitoring
