// The monitoring-object lifecycle in-process, over real gRPC, on a real
// PostgreSQL and Redis, with a fake clock: the identification chain from a
// clue to county confirmation (RULES M7), the 5-day publicity, skipped
// steps, jurisdiction, idempotency, de-duplicated clues and the history.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <iostream>
#include <thread>
#include "common/errors/errors.h"
#include "common/events/events.h"
#include "common/migrations/migrations.h"
#include "common/server/server.h"
#include "common/testing/stack.h"
#include "common/time/time.h"
#include "services/monitoring/api/alerts.h"
#include "services/monitoring/api/lifecycle_service.h"
#include "services/monitoring/api/monitoring_service.h"
#include "services/monitoring/store/object_store.h"
#include "zx/employment/v1/employment.pb.h"
#include "zx/monitoring/v1/lifecycle.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::migrations {
const std::vector<MigrationFile>& MonitoringMigrations();  // embedded at build time
}  // namespace zx::migrations

namespace zx::monitoring {
namespace {

using v1::MonitoringObject;
using v1::TransitionRequest;

constexpr char kVillage[] = "653121101201";
constexpr char kVillageCadre[] = "dev.653121101201.village_cadre.vc1";
constexpr char kOtherVillageCadre[] = "dev.653121101202.village_cadre.vc2";
constexpr char kTownship[] = "dev.653121101000.township_official.ts1";
constexpr char kDepartment[] = "dev.653121000000.department:civil_affairs.dep1";
constexpr char kCounty[] = "dev.653121000000.county_official.co1";
constexpr char kOtherCounty[] = "dev.653122000000.county_official.co2";

// MonitoringSpec() with the lifecycle service, whether or not the spec
// registers it already.
server::ServiceSpec SpecWithLifecycle() {
  server::ServiceSpec spec = MonitoringSpec();
  auto make = spec.make_services;
  spec.make_services = [make](server::Runtime& rt) {
    auto services = make(rt);
    for (const auto& s : services) {
      if (dynamic_cast<LifecycleServiceImpl*>(s.get()) != nullptr) return services;
    }
    services.push_back(MakeLifecycleService(rt));
    return services;
  };
  return spec;
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLifecycleClockForTesting(&clock_);
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("lifecycle_it");
    auto config = stack.ServiceConfig("monitoring", db_);
    config.redis_namespace = "zx:it-lifecycle";
    auto server = server::Server::Start(SpecWithLifecycle(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    households_ = v1::MonitoringService::NewStub(channel_);
    objects_ = v1::MonitoringObjectService::NewStub(channel_);
    household_id_ = CreateHousehold();
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    SetLifecycleClockForTesting(nullptr);
  }

  static void Prepare(grpc::ClientContext& ctx, const std::string& token) {
    ctx.AddMetadata("authorization", std::string("Bearer ") + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  std::string CreateHousehold() {
    v1::CreateHouseholdRequest req;
    req.set_request_id("hh-create-1");
    req.mutable_household()->set_village_code(kVillage);
    req.mutable_household()->set_category(v1::HOUSEHOLD_CATEGORY_ORDINARY);
    req.mutable_household()->set_member_count(4);
    v1::Household out;
    grpc::ClientContext ctx;
    Prepare(ctx, kCounty);
    const grpc::Status s = households_->CreateHousehold(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.household_id();
  }

  grpc::Status Raise(const std::string& request_id, v1::Clue* out,
                     const std::string& token = kVillageCadre) {
    v1::RaiseClueRequest req;
    req.set_request_id(request_id);
    req.set_household_id(household_id_);
    req.set_way(v1::CLUE_WAY_CADRE_VISIT);
    req.set_description("外出务工返乡，家庭收入骤降 (wage income stopped)");
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    return objects_->RaiseClue(&ctx, req, out);
  }

  TransitionRequest Step(const std::string& request_id, const std::string& reason) const {
    TransitionRequest req;
    req.set_request_id(request_id);
    req.set_household_id(household_id_);
    req.set_reason(reason);
    return req;
  }

  using Rpc = grpc::Status (v1::MonitoringObjectService::Stub::*)(grpc::ClientContext*,
                                                                  const TransitionRequest&,
                                                                  MonitoringObject*);

  grpc::Status Call(Rpc rpc, const TransitionRequest& req, MonitoringObject* out,
                    const std::string& token) {
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    return (objects_.get()->*rpc)(&ctx, req, out);
  }

  // Like Call, but the step must succeed.
  MonitoringObject Must(Rpc rpc, const TransitionRequest& req, const std::string& token) {
    MonitoringObject out;
    const grpc::Status s = Call(rpc, req, &out, token);
    EXPECT_TRUE(s.ok()) << req.request_id() << ": " << s.error_code() << " " << s.error_message();
    return out;
  }

  v1::GetHouseholdHistoryResponse History(const std::string& token = kCounty) {
    v1::GetHouseholdHistoryRequest req;
    req.set_household_id(household_id_);
    v1::GetHouseholdHistoryResponse out;
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    const grpc::Status s = objects_->GetHouseholdHistory(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  int Count(const std::string& sql) {
    pqxx::connection conn(db_);
    return pqxx::nontransaction(conn).exec1(sql)[0].as<int>();
  }

  // The county's 6,000-yuan line this year, and every guarantee met.
  void CountyLineAndGuarantees(const std::string& version) {
    const absl::CivilYear year(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()));
    v1::PublishPolicyRequest publish;
    publish.set_request_id(version + "-policy");
    auto* policy = publish.mutable_policy();
    policy->set_version(version);
    policy->set_owner_division_code("653121000000");
    policy->set_year(static_cast<int>(year.year()));
    policy->set_effective_from(absl::StrCat(year.year(), "-01-01"));
    policy->set_monitoring_line_fen(600000);
    v1::MonitoringPolicy published;
    grpc::ClientContext ctx1;
    Prepare(ctx1, kCounty);
    ASSERT_TRUE(households_->PublishPolicy(&ctx1, publish, &published).ok());
    v1::SetGuaranteesRequest guarantees;
    guarantees.set_request_id(version + "-guarantees");
    guarantees.set_household_id(household_id_);
    auto* met = guarantees.mutable_guarantees();
    met->set_food_clothing(v1::GUARANTEE_STATUS_MET);
    met->set_compulsory_education(v1::GUARANTEE_STATUS_MET);
    met->set_basic_medical(v1::GUARANTEE_STATUS_MET);
    met->set_safe_housing(v1::GUARANTEE_STATUS_MET);
    met->set_safe_water(v1::GUARANTEE_STATUS_MET);
    v1::Guarantees g;
    grpc::ClientContext ctx2;
    Prepare(ctx2, kCounty);
    ASSERT_TRUE(households_->SetGuarantees(&ctx2, guarantees, &g).ok());
  }

  // `fen` of `kind` in each of the 18 months before this one.
  void EighteenMonthsOf(v1::IncomeKind kind, v1::RecordSource source, int64_t fen) {
    const absl::CivilMonth this_month(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()));
    for (int back = 18; back >= 1; --back) {
      v1::RecordIncomeRequest income;
      income.set_request_id(absl::StrCat("income-", kind, "-", back));
      auto* r = income.mutable_record();
      r->set_household_id(household_id_);
      r->set_kind(kind);
      r->set_source(source);
      r->set_month(absl::FormatCivilTime(this_month - back));
      r->set_amount_fen(fen);
      v1::IncomeRecord out;
      grpc::ClientContext ctx;
      Prepare(ctx, kCounty);
      ASSERT_TRUE(households_->RecordIncome(&ctx, income, &out).ok());
    }
  }

  // Identification from publicity on, ending in county confirmation.
  void PublicityToConfirmation(v1::MonitoringObjectType type, v1::RiskType risk) {
    Must(&v1::MonitoringObjectService::Stub::StartPublicity, Step("c-pub", "村委会公示栏张贴"),
         kVillageCadre);
    clock_.Advance(absl::Hours(24 * 5));
    Must(&v1::MonitoringObjectService::Stub::EndPublicity, Step("c-pub-end", "公示5天无异议"),
         kVillageCadre);
    TransitionRequest township = Step("c-township", "乡镇审核同意");
    township.set_decision(v1::DECISION_APPROVE);
    Must(&v1::MonitoringObjectService::Stub::TownshipReview, township, kTownship);
    TransitionRequest county = Step("c-county", "县级审定");
    county.set_decision(v1::DECISION_APPROVE);
    county.set_object_type(type);
    county.add_risk_types(risk);
    Must(&v1::MonitoringObjectService::Stub::CountyConfirm, county, kCounty);
  }

  // Clue -> home verification -> data comparison -> village assessment.
  void ToVillageAssessed() {
    v1::Clue clue;
    ASSERT_TRUE(Raise("clue-1", &clue).ok());
    clock_.Advance(absl::Hours(24));
    TransitionRequest home = Step("home-1", "入户核实: 两名劳动力务工中断");
    home.set_household_consent(true);
    Must(&v1::MonitoringObjectService::Stub::RecordHomeVerification, home, kVillageCadre);
    clock_.Advance(absl::Hours(24));
    Must(&v1::MonitoringObjectService::Stub::RecordDataComparison,
         Step("compare-1", "人社、医保数据比对无异常收入"), kDepartment);
    clock_.Advance(absl::Hours(24));
    Must(&v1::MonitoringObjectService::Stub::VillageAssess,
         Step("village-1", "村民代表会议评议通过"), kVillageCadre);
  }

  time::FakeClock clock_{
      absl::FromCivil(absl::CivilSecond(2026, 3, 2, 9, 0, 0), absl::UTCTimeZone())};
  std::string db_;
  std::unique_ptr<server::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MonitoringService::Stub> households_;
  std::unique_ptr<v1::MonitoringObjectService::Stub> objects_;
  std::string household_id_;
};

using Stub = v1::MonitoringObjectService::Stub;

TEST_F(LifecycleTest, FullIdentificationPathRecordsEveryStepWithActorAndReason) {
  ASSERT_NO_FATAL_FAILURE(ToVillageAssessed());
  MonitoringObject obj =
      Must(&Stub::StartPublicity, Step("publicity-1", "村委会公示栏张贴"), kVillageCadre);
  EXPECT_EQ(obj.state(), v1::MONITORING_OBJECT_STATE_PUBLICIZED);

  // Publicity shorter than 5 days is refused, naming the publicity rule.
  clock_.Advance(absl::Hours(24 * 4));
  MonitoringObject refused;
  const grpc::Status early =
      Call(&Stub::EndPublicity, Step("publicity-end-early", "公示结束"), &refused, kVillageCadre);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(early.error_message().find("publicity"), std::string::npos) << early.error_message();
  EXPECT_NE(early.error_message().find("5 days"), std::string::npos) << early.error_message();

  clock_.Advance(absl::Hours(24));
  obj = Must(&Stub::EndPublicity, Step("publicity-end", "公示5天无异议"), kVillageCadre);
  EXPECT_TRUE(obj.has_publicity_ended_at());

  clock_.Advance(absl::Hours(24));
  TransitionRequest township = Step("township-1", "乡镇审核同意");
  township.set_decision(v1::DECISION_APPROVE);
  obj = Must(&Stub::TownshipReview, township, kTownship);
  EXPECT_EQ(obj.state(), v1::MONITORING_OBJECT_STATE_TOWNSHIP_REVIEWED);

  clock_.Advance(absl::Hours(24));
  TransitionRequest county = Step("county-1", "县级审定: 纳入边缘易致贫户");
  county.set_decision(v1::DECISION_APPROVE);
  county.set_object_type(v1::MONITORING_OBJECT_TYPE_MARGINAL_AT_RISK);
  county.add_risk_types(v1::RISK_TYPE_UNSTABLE_EMPLOYMENT);
  obj = Must(&Stub::CountyConfirm, county, kCounty);
  EXPECT_EQ(obj.state(), v1::MONITORING_OBJECT_STATE_COUNTY_CONFIRMED);
  EXPECT_EQ(obj.object_type(), v1::MONITORING_OBJECT_TYPE_MARGINAL_AT_RISK);
  ASSERT_EQ(obj.risk_types_size(), 1);
  EXPECT_EQ(obj.risk_types(0), v1::RISK_TYPE_UNSTABLE_EMPLOYMENT);
  EXPECT_EQ(time::FromProto(obj.confirmed_at()), clock_.Now());
  ASSERT_EQ(obj.deadlines_size(), 1);
  EXPECT_EQ(obj.deadlines(0).kind(), v1::DEADLINE_KIND_PLAN_MISSING);
  EXPECT_FALSE(obj.deadlines(0).overdue());

  // The stored object reads back the same.
  v1::GetMonitoringObjectRequest get;
  get.set_household_id(household_id_);
  MonitoringObject read;
  grpc::ClientContext ctx;
  Prepare(ctx, kVillageCadre);
  ASSERT_TRUE(objects_->GetMonitoringObject(&ctx, get, &read).ok());
  EXPECT_EQ(read.SerializeAsString(), obj.SerializeAsString());

  const auto history = History();
  const std::vector<std::pair<v1::LifecycleAction, std::string>> expected = {
      {v1::LIFECYCLE_ACTION_RECORD_HOME_VERIFICATION, "vc1"},
      {v1::LIFECYCLE_ACTION_RECORD_DATA_COMPARISON, "dep1"},
      {v1::LIFECYCLE_ACTION_VILLAGE_ASSESS, "vc1"},
      {v1::LIFECYCLE_ACTION_START_PUBLICITY, "vc1"},
      {v1::LIFECYCLE_ACTION_END_PUBLICITY, "vc1"},
      {v1::LIFECYCLE_ACTION_TOWNSHIP_REVIEW, "ts1"},
      {v1::LIFECYCLE_ACTION_COUNTY_CONFIRM, "co1"},
  };
  ASSERT_EQ(history.steps_size(), static_cast<int>(expected.size()));
  for (int i = 0; i < history.steps_size(); ++i) {
    const v1::HistoryStep& step = history.steps(i);
    SCOPED_TRACE(i);
    EXPECT_EQ(step.action(), expected[i].first);
    EXPECT_EQ(step.actor().user_id(), expected[i].second);
    EXPECT_FALSE(step.actor().role().empty());
    EXPECT_FALSE(step.actor().division_code().empty());
    EXPECT_TRUE(step.actor().has_at());
    EXPECT_FALSE(step.reason().empty());
    EXPECT_FALSE(step.rejected());
    EXPECT_EQ(step.sequence(), i + 1);
    EXPECT_EQ(step.object_id(), obj.object_id());
  }
  EXPECT_EQ(history.steps(6).actor().role(), "county_official");
  EXPECT_EQ(history.steps(6).actor().division_code(), "653121000000");
  EXPECT_EQ(history.steps(6).reason(), "县级审定: 纳入边缘易致贫户");
  EXPECT_EQ(history.steps(6).from_state(), v1::MONITORING_OBJECT_STATE_TOWNSHIP_REVIEWED);
  EXPECT_EQ(history.steps(6).to_state(), v1::MONITORING_OBJECT_STATE_COUNTY_CONFIRMED);
  EXPECT_NE(history.steps(6).detail().find("unstable_employment"), std::string::npos);
  EXPECT_EQ(history.steps(4).detail(), "publicity ran 5 days");
  ASSERT_EQ(history.clues_size(), 1);
  EXPECT_EQ(history.clues(0).object_id(), obj.object_id());

  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.clue_raised'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.object_confirmed'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.object_steps"), 7);
}

// Acceptance criterion 1 of the monitoring issue, end to end: income falls
// below the line -> RED -> clue -> identification (publicity 5 days) ->
// 边缘易致贫户 / 因务工就业不稳 -> an employment measure -> wages arrive as
// events -> elimination refused while income is not yet stable, accepted
// once it is -> the history names every step's actor and reason.
TEST_F(LifecycleTest, ScenarioFromFallingIncomeToEliminatedRisk) {
  clock_.Set(absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())));
  auto unary = [&](auto* stub, auto method, const auto& req, auto* resp, const char* token) {
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    return (stub->*method)(&ctx, req, resp);
  };
  const absl::CivilMonth this_month(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()));

  // The county's line (6,000 yuan), guarantees met; eighteen months of 1,600
  // yuan a month for 4 members: 4,800 yuan a head a year, below the line.
  ASSERT_NO_FATAL_FAILURE(CountyLineAndGuarantees("shufu-scenario"));
  ASSERT_NO_FATAL_FAILURE(EighteenMonthsOf(v1::INCOME_KIND_WAGE, v1::RECORD_SOURCE_SURVEY, 160000));
  v1::AssessHouseholdRequest assess;
  assess.set_household_id(household_id_);
  v1::Assessment assessment;
  ASSERT_TRUE(unary(households_.get(), &v1::MonitoringService::Stub::AssessHousehold, assess,
                    &assessment, kCounty)
                  .ok());
  ASSERT_EQ(assessment.colour(), v1::COLOUR_RED);

  // Identification (M7) with 5 days of publicity; county confirms the type and risk.
  ASSERT_NO_FATAL_FAILURE(ToVillageAssessed());
  ASSERT_NO_FATAL_FAILURE(PublicityToConfirmation(v1::MONITORING_OBJECT_TYPE_MARGINAL_AT_RISK,
                                                  v1::RISK_TYPE_UNSTABLE_EMPLOYMENT));
  v1::GetMonitoringObjectRequest confirmed;
  confirmed.set_household_id(household_id_);
  MonitoringObject obj;
  ASSERT_TRUE(unary(objects_.get(), &Stub::GetMonitoringObject, confirmed, &obj, kCounty).ok());
  ASSERT_EQ(obj.object_type(), v1::MONITORING_OBJECT_TYPE_MARGINAL_AT_RISK);

  // 一户一策: an employment measure.
  v1::AddAssistanceMeasureRequest measure;
  measure.set_request_id("s-measure");
  measure.mutable_measure()->set_household_id(household_id_);
  measure.mutable_measure()->set_kind(v1::MEASURE_KIND_EMPLOYMENT);
  measure.mutable_measure()->set_description("转移就业: 县内帮扶车间岗位");
  measure.mutable_measure()->set_linked_record_id("placement-1");
  v1::AssistanceMeasure added;
  ASSERT_TRUE(unary(objects_.get(), &Stub::AddAssistanceMeasure, measure, &added, kCounty).ok());
  v1::GetMonitoringObjectRequest get;
  get.set_household_id(household_id_);
  ASSERT_TRUE(unary(objects_.get(), &Stub::GetMonitoringObject, get, &obj, kCounty).ok());
  EXPECT_EQ(obj.state(), v1::MONITORING_OBJECT_STATE_ASSISTED);

  // Wages arrive from the employment service as events.
  {
    pqxx::connection conn(db_);
    ASSERT_TRUE(
        migrations::Apply(conn, "employment", "common", migrations::CommonMigrations()).ok());
  }
  pg::Pool employment({.conninfo = db_, .size = 1, .search_path = "employment"});
  auto& stack = zx::testing::Stack::Get();
  events::Relay relay({.pg_conninfo = db_,
                       .schema = "employment",
                       .stream_key = "zx:it-lifecycle:events:employment",
                       .redis_host = stack.redis_host(),
                       .redis_port = stack.redis_port()},
                      nullptr);
  int wage_events = 0;
  auto pay = [&](int first_back, int last_back, int64_t fen) {
    ASSERT_TRUE(pg::WithTransaction(employment, [&](pqxx::transaction_base& tx) {
                  for (int back = first_back; back >= last_back; --back) {
                    zx::employment::v1::WagePaid wage;
                    wage.set_placement_id("placement-1");
                    wage.set_household_id(household_id_);
                    wage.set_month(absl::FormatCivilTime(this_month - back));
                    wage.set_amount_fen(fen);
                    auto id = events::Append(tx, "test",
                                             {.type = "employment.wage_paid",
                                              .division_code = kVillage,
                                              .aggregate_id = "placement-1",
                                              .payload = &wage});
                    if (!id.ok()) return id.status();
                    ++wage_events;
                  }
                  return absl::OkStatus();
                }).ok());
    while (*relay.PublishBatch() > 0) {
    }
    for (int i = 0; i < 100 && Count("SELECT count(*) FROM monitoring.income_records "
                                     "WHERE source = 3") < wage_events;
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(Count("SELECT count(*) FROM monitoring.income_records WHERE source = 3"),
              wage_events);
  };
  // Two months of good wages: above 1.5x the line over the window...
  ASSERT_NO_FATAL_FAILURE(pay(2, 1, 1000000));
  EXPECT_EQ(Count("SELECT colour FROM monitoring.household_colours"), v1::COLOUR_GREEN);

  // ...but not yet stable for 6 months (M9): elimination is refused, naming it.
  MonitoringObject refused;
  const grpc::Status early =
      Call(&Stub::ProposeElimination, Step("s-propose-early", "务工收入已达标"), &refused,
           kVillageCadre);
  EXPECT_EQ(early.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(early.error_message().find("6"), std::string::npos) << early.error_message();
  std::cout << "elimination refused: " << early.error_message() << "\n";

  // Back wages for the earlier months (两不拖欠) make the income stable.
  ASSERT_NO_FATAL_FAILURE(pay(18, 3, 100000));
  clock_.Advance(absl::Hours(24));
  Must(&Stub::ProposeElimination, Step("s-propose", "收入稳定超过监测线"), kVillageCadre);
  clock_.Advance(absl::Hours(24));
  Must(&Stub::VillageAssess, Step("s-e-village", "村民代表会议评议同意消除"), kVillageCadre);
  Must(&Stub::StartPublicity, Step("s-e-pub", "风险消除公示"), kVillageCadre);
  clock_.Advance(absl::Hours(24 * 5));
  Must(&Stub::EndPublicity, Step("s-e-pub-end", "公示5天无异议"), kVillageCadre);
  TransitionRequest e_township = Step("s-e-township", "乡镇审核同意消除");
  e_township.set_decision(v1::DECISION_APPROVE);
  Must(&Stub::TownshipReview, e_township, kTownship);
  TransitionRequest e_county = Step("s-e-county", "县级确认风险消除");
  e_county.set_decision(v1::DECISION_APPROVE);
  obj = Must(&Stub::ConfirmElimination, e_county, kCounty);
  EXPECT_EQ(obj.state(), v1::MONITORING_OBJECT_STATE_RISK_ELIMINATED);

  // The history: every step, with actor and reason, nothing deleted.
  const auto history = History();
  ASSERT_EQ(history.steps_size(), 14);
  for (const auto& step : history.steps()) {
    EXPECT_FALSE(step.actor().user_id().empty());
    EXPECT_FALSE(step.reason().empty());
  }
  EXPECT_EQ(history.steps(7).action(), v1::LIFECYCLE_ACTION_ADD_PLAN);
  EXPECT_EQ(history.steps(13).action(), v1::LIFECYCLE_ACTION_CONFIRM_ELIMINATION);
  EXPECT_EQ(history.steps(13).actor().role(), "county_official");
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.risk_eliminated'"),
            1);

  // The decision schedules the follow-up (回头看) itself, the policy's
  // follow_up_days (default 180) later; the deadline scheduler alerts once
  // it passes undone (issue 3).
  const absl::Time eliminated_at = time::FromProto(obj.eliminated_at());
  const absl::Time follow_up = eliminated_at + absl::Hours(24 * 180);
  ASSERT_TRUE(obj.has_follow_up_due_at());
  EXPECT_EQ(time::FromProto(obj.follow_up_due_at()), follow_up);
  ASSERT_EQ(obj.deadlines_size(), 1);
  EXPECT_EQ(obj.deadlines(0).kind(), v1::DEADLINE_KIND_FOLLOW_UP);
  EXPECT_EQ(time::FromProto(obj.deadlines(0).due_at()), follow_up);
  EXPECT_EQ(obj.deadlines(0).awaited(), v1::LIFECYCLE_ACTION_RECORD_FOLLOW_UP);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM monitoring.monitoring_objects WHERE "
                               "next_due_at = 'epoch'::timestamptz + ",
                               absl::ToUnixMicros(follow_up), " * interval '1 microsecond'")),
            1)
      << "the scheduler's index holds the follow-up date";
  const std::string follow_up_alerts =
      "SELECT count(*) FROM monitoring.alerts WHERE dedupe_key LIKE 'deadline:%:follow_up:%'";
  auto seen = ScanDeadlines(server_->runtime(), follow_up, 100);
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(Count(follow_up_alerts), 0) << "the 180th day is still in time";
  seen = ScanDeadlines(server_->runtime(), follow_up + absl::Seconds(1), 100);
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(Count(follow_up_alerts), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.monitoring_objects WHERE next_due_at IS NULL"),
            1)
      << "an alerted follow-up is not scanned again";

  // Moving the pending (overdue) follow-up without a date would quietly
  // push it back by the policy's days: refused, naming the field.
  clock_.Advance(absl::Hours(24));
  MonitoringObject unchanged;
  const grpc::Status no_date =
      Call(&Stub::ScheduleFollowUp, Step("s-follow-up-no-date", "再议"), &unchanged, kTownship);
  ASSERT_EQ(no_date.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << no_date.error_message();
  EXPECT_EQ(errors::FieldViolationsOf(errors::FromGrpcStatus(no_date))[0].field, "follow_up_due");
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.monitoring_objects WHERE next_due_at IS NULL"),
            1)
      << "nothing changed";

  // A township may still schedule it by hand (here earlier); it can then be
  // recorded, and one found clear schedules nothing further.
  TransitionRequest schedule = Step("s-follow-up", "提前回头看");
  *schedule.mutable_follow_up_due() = time::ToProto(clock_.Now() + absl::Hours(24 * 30));
  obj = Must(&Stub::ScheduleFollowUp, schedule, kTownship);
  EXPECT_EQ(obj.state(), v1::MONITORING_OBJECT_STATE_FOLLOW_UP);
  EXPECT_EQ(time::FromProto(obj.follow_up_due_at()), clock_.Now() + absl::Hours(24 * 30));
  clock_.Advance(absl::Hours(24 * 10));
  TransitionRequest record = Step("s-follow-up-done", "回头看：收入稳定");
  record.set_follow_up_outcome(v1::FOLLOW_UP_OUTCOME_RISK_STILL_ELIMINATED);
  obj = Must(&Stub::RecordFollowUp, record, kVillageCadre);
  EXPECT_EQ(obj.state(), v1::MONITORING_OBJECT_STATE_RISK_ELIMINATED);
  EXPECT_FALSE(obj.has_follow_up_due_at());
  EXPECT_EQ(obj.deadlines_size(), 0);
}

// RULES M9: a factor that fired when the household was identified (county
// confirmation) and still fires is named as the risk that persists; one
// that appeared only since is a new risk.
class EliminationBlockerTest : public LifecycleTest, public ::testing::WithParamInterface<bool> {
 protected:
  // A sudden event (突发事件) ten days ago: ORANGE for 90 days.
  void SuddenEvent(const std::string& request_id) {
    v1::RecordSuddenEventRequest req;
    req.set_request_id(request_id);
    auto* e = req.mutable_event();
    e->set_household_id(household_id_);
    e->set_kind(v1::SUDDEN_EVENT_KIND_SERIOUS_ILLNESS);
    e->set_occurred_on(absl::FormatCivilTime(SuddenEventDay()));
    e->set_note("住院治疗");
    v1::SuddenEvent out;
    grpc::ClientContext ctx;
    Prepare(ctx, kCounty);
    const grpc::Status s = households_->RecordSuddenEvent(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  static absl::CivilDay SuddenEventDay() {
    return absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()) - 10;
  }
};

TEST_P(EliminationBlockerTest, ARiskPresentAtIdentificationIsNamedAsPersisting) {
  const bool before_identification = GetParam();
  clock_.Set(absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())));
  // Income below the line (4,800 yuan a head), guarantees met.
  ASSERT_NO_FATAL_FAILURE(CountyLineAndGuarantees("shufu-blockers"));
  ASSERT_NO_FATAL_FAILURE(EighteenMonthsOf(v1::INCOME_KIND_WAGE, v1::RECORD_SOURCE_SURVEY, 160000));
  if (before_identification) {
    ASSERT_NO_FATAL_FAILURE(SuddenEvent("event-before"));
  }
  ASSERT_NO_FATAL_FAILURE(ToVillageAssessed());
  ASSERT_NO_FATAL_FAILURE(
      PublicityToConfirmation(v1::MONITORING_OBJECT_TYPE_SUDDEN_HARDSHIP, v1::RISK_TYPE_ILLNESS));
  // The object keeps what fired at the county decision.
  {
    v1::GetMonitoringObjectRequest get;
    get.set_household_id(household_id_);
    MonitoringObject confirmed;
    grpc::ClientContext ctx;
    Prepare(ctx, kCounty);
    ASSERT_TRUE(objects_->GetMonitoringObject(&ctx, get, &confirmed).ok());
    ASSERT_TRUE(confirmed.has_identification_factors());
    const auto& kinds = confirmed.identification_factors().kinds();
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), "income_below_line"), kinds.end());
    EXPECT_EQ(std::find(kinds.begin(), kinds.end(), "sudden_event") != kinds.end(),
              before_identification);
  }
  if (!before_identification) {
    ASSERT_NO_FATAL_FAILURE(SuddenEvent("event-after"));
  }

  v1::AddAssistanceMeasureRequest measure;
  measure.set_request_id("b-measure");
  measure.mutable_measure()->set_household_id(household_id_);
  measure.mutable_measure()->set_kind(v1::MEASURE_KIND_MEDICAL);
  measure.mutable_measure()->set_description("健康帮扶: 大病救助");
  v1::AssistanceMeasure added;
  {
    grpc::ClientContext ctx;
    Prepare(ctx, kCounty);
    ASSERT_TRUE(objects_->AddAssistanceMeasure(&ctx, measure, &added).ok());
  }

  MonitoringObject refused;
  const grpc::Status s =
      Call(&Stub::ProposeElimination, Step("b-propose", "申请风险消除"), &refused, kVillageCadre);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  const std::string event = absl::StrCat(
      "sudden event on ", absl::FormatCivilTime(SuddenEventDay()), " is within the last 90 days");
  const std::string persists = event + " (the risk that led to identification persists)";
  const std::string is_new = event + " (new risk)";
  if (before_identification) {
    EXPECT_NE(s.error_message().find(persists), std::string::npos) << s.error_message();
    EXPECT_EQ(s.error_message().find("(new risk)"), std::string::npos) << s.error_message();
  } else {
    EXPECT_NE(s.error_message().find(is_new), std::string::npos) << s.error_message();
    EXPECT_EQ(s.error_message().find("persists"), std::string::npos) << s.error_message();
  }
}

INSTANTIATE_TEST_SUITE_P(SuddenEvent, EliminationBlockerTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "BeforeIdentification" : "AfterIdentification";
                         });

// An object eliminated before the county decision scheduled the follow-up
// (回头看) has no follow-up date and no next_due_at, so the deadline
// scheduler never read it. Migration 0018 marks such objects due once; the
// scheduler then finds their follow-up due follow_up_days after the
// elimination, alerts it when it passes, and it is recorded as any other.
TEST_F(LifecycleTest, FollowUpOfAnObjectEliminatedBeforeTheDecisionScheduledIt) {
  clock_.Set(absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())));
  // Ample transfer income for 18 months, guarantees met: eliminable.
  ASSERT_NO_FATAL_FAILURE(CountyLineAndGuarantees("shufu-legacy"));
  ASSERT_NO_FATAL_FAILURE(
      EighteenMonthsOf(v1::INCOME_KIND_TRANSFER, v1::RECORD_SOURCE_DEPARTMENT, 500000));
  ASSERT_NO_FATAL_FAILURE(ToVillageAssessed());
  ASSERT_NO_FATAL_FAILURE(
      PublicityToConfirmation(v1::MONITORING_OBJECT_TYPE_SUDDEN_HARDSHIP, v1::RISK_TYPE_ILLNESS));
  v1::AddAssistanceMeasureRequest measure;
  measure.set_request_id("l-measure");
  measure.mutable_measure()->set_household_id(household_id_);
  measure.mutable_measure()->set_kind(v1::MEASURE_KIND_MEDICAL);
  measure.mutable_measure()->set_description("健康帮扶");
  v1::AssistanceMeasure added;
  {
    grpc::ClientContext ctx;
    Prepare(ctx, kCounty);
    ASSERT_TRUE(objects_->AddAssistanceMeasure(&ctx, measure, &added).ok());
  }
  clock_.Advance(absl::Hours(24));
  Must(&Stub::ProposeElimination, Step("l-propose", "收入稳定"), kVillageCadre);
  Must(&Stub::VillageAssess, Step("l-e-village", "评议同意"), kVillageCadre);
  Must(&Stub::StartPublicity, Step("l-e-pub", "风险消除公示"), kVillageCadre);
  clock_.Advance(absl::Hours(24 * 5));
  Must(&Stub::EndPublicity, Step("l-e-pub-end", "公示无异议"), kVillageCadre);
  TransitionRequest township = Step("l-e-township", "乡镇审核同意");
  township.set_decision(v1::DECISION_APPROVE);
  Must(&Stub::TownshipReview, township, kTownship);
  TransitionRequest county = Step("l-e-county", "县级确认风险消除");
  county.set_decision(v1::DECISION_APPROVE);
  const MonitoringObject eliminated = Must(&Stub::ConfirmElimination, county, kCounty);
  ASSERT_EQ(eliminated.state(), v1::MONITORING_OBJECT_STATE_RISK_ELIMINATED);
  const absl::Time eliminated_at = time::FromProto(eliminated.eliminated_at());
  const absl::Time follow_up = eliminated_at + absl::Hours(24 * 180);

  // Stored as before the change: no follow-up date, nothing for the scheduler.
  {
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    const auto row = tx.exec1(
        "SELECT object_id, snapshot FROM monitoring.monitoring_objects WHERE state = "
        "'risk_eliminated'");
    v1::MonitoringObjectSnapshot snapshot;
    ASSERT_TRUE(snapshot.ParseFromString(pqxx::binarystring(row[1]).str()));
    snapshot.mutable_object()->clear_follow_up_due_at();
    const std::string bytes = snapshot.SerializeAsString();
    tx.exec_params(
        "UPDATE monitoring.monitoring_objects SET snapshot = $2, next_due_at = NULL "
        "WHERE object_id = $1",
        row[0].as<std::string>(), pqxx::binarystring(bytes.data(), bytes.size()));
    tx.commit();
  }
  const std::string follow_up_alerts =
      "SELECT count(*) FROM monitoring.alerts WHERE dedupe_key LIKE 'deadline:%:follow_up:%'";
  ASSERT_TRUE(ScanDeadlines(server_->runtime(), follow_up + absl::Hours(24), 100).ok());
  EXPECT_EQ(Count(follow_up_alerts), 0) << "without 0018 the scheduler never reads it";

  // Migration 0018, as it runs on a database that has such objects.
  const migrations::MigrationFile* m0018 = nullptr;
  for (const auto& file : migrations::MonitoringMigrations()) {
    if (file.name.starts_with("0018_")) m0018 = &file;
  }
  ASSERT_NE(m0018, nullptr);
  {
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec("SET LOCAL search_path TO monitoring");
    tx.exec(m0018->sql);
    tx.commit();
  }
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.monitoring_objects WHERE next_due_at IS NULL"),
            0);

  // Read once: the follow-up is due 180 days after the elimination, so the
  // scheduler looks again then, and alerts it once it has passed.
  ASSERT_TRUE(ScanDeadlines(server_->runtime(), clock_.Now(), 100).ok());
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM monitoring.monitoring_objects WHERE "
                               "next_due_at = 'epoch'::timestamptz + ",
                               absl::ToUnixMicros(follow_up), " * interval '1 microsecond'")),
            1)
      << "the scheduler's index holds the derived follow-up date";
  EXPECT_EQ(Count(follow_up_alerts), 0);
  ASSERT_TRUE(ScanDeadlines(server_->runtime(), follow_up + absl::Seconds(1), 100).ok());
  EXPECT_EQ(Count(follow_up_alerts), 1);

  // The object shows the deadline, and the follow-up is recorded without a
  // schedule; nothing is due after it.
  v1::GetMonitoringObjectRequest get;
  get.set_household_id(household_id_);
  MonitoringObject obj;
  {
    grpc::ClientContext ctx;
    Prepare(ctx, kCounty);
    ASSERT_TRUE(objects_->GetMonitoringObject(&ctx, get, &obj).ok());
  }
  ASSERT_EQ(obj.deadlines_size(), 1);
  EXPECT_EQ(obj.deadlines(0).kind(), v1::DEADLINE_KIND_FOLLOW_UP);
  EXPECT_EQ(time::FromProto(obj.deadlines(0).due_at()), follow_up);
  ASSERT_TRUE(obj.has_follow_up_due_at());
  EXPECT_EQ(time::FromProto(obj.follow_up_due_at()), follow_up);
  // Moving it needs the new date, as for any pending follow-up.
  MonitoringObject unchanged;
  const grpc::Status no_date =
      Call(&Stub::ScheduleFollowUp, Step("l-follow-up-no-date", "再议"), &unchanged, kTownship);
  EXPECT_EQ(no_date.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << no_date.error_message();
  clock_.Advance(absl::Hours(24 * 10));
  TransitionRequest record = Step("l-follow-up-done", "回头看：收入稳定");
  record.set_follow_up_outcome(v1::FOLLOW_UP_OUTCOME_RISK_STILL_ELIMINATED);
  obj = Must(&Stub::RecordFollowUp, record, kVillageCadre);
  EXPECT_EQ(obj.state(), v1::MONITORING_OBJECT_STATE_RISK_ELIMINATED);
  EXPECT_EQ(obj.deadlines_size(), 0);
}

// RULES M9: a household under 兜底 with nobody able to work stays monitored,
// whatever its income.
TEST_F(LifecycleTest, FloorHouseholdWithoutLabourIsNeverEliminated) {
  clock_.Set(absl::FromUnixMicros(absl::ToUnixMicros(absl::Now())));
  auto unary = [&](auto* stub, auto method, const auto& req, auto* resp, const char* token) {
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    return (stub->*method)(&ctx, req, resp);
  };
  ASSERT_NO_FATAL_FAILURE(CountyLineAndGuarantees("shufu-floor"));
  // Ample transfer income for 18 months (pensions, 低保): well above the line.
  ASSERT_NO_FATAL_FAILURE(
      EighteenMonthsOf(v1::INCOME_KIND_TRANSFER, v1::RECORD_SOURCE_DEPARTMENT, 500000));
  ASSERT_NO_FATAL_FAILURE(ToVillageAssessed());
  ASSERT_NO_FATAL_FAILURE(PublicityToConfirmation(v1::MONITORING_OBJECT_TYPE_SUDDEN_HARDSHIP,
                                                  v1::RISK_TYPE_LACK_OF_LABOUR));
  v1::AddAssistanceMeasureRequest measure;
  measure.set_request_id("f-measure");
  measure.mutable_measure()->set_household_id(household_id_);
  measure.mutable_measure()->set_kind(v1::MEASURE_KIND_SOCIAL_SECURITY_FLOOR);
  measure.mutable_measure()->set_description("纳入农村低保");
  v1::AssistanceMeasure added;
  ASSERT_TRUE(unary(objects_.get(), &Stub::AddAssistanceMeasure, measure, &added, kCounty).ok());

  // Nobody in the household is able to work (no registered able person).
  MonitoringObject refused;
  const grpc::Status s =
      Call(&Stub::ProposeElimination, Step("f-propose", "收入达标"), &refused, kVillageCadre);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("兜底"), std::string::npos) << s.error_message();
}

// RULES M7b: the posted list has no ID number, phone, bank account or health.
TEST_F(LifecycleTest, PublicityExportListsOnlyWhatMayBePosted) {
  ASSERT_NO_FATAL_FAILURE(ToVillageAssessed());
  auto exported = [&](const char* token, v1::ExportPublicityResponse* out) {
    v1::ExportPublicityRequest req;
    req.set_village_code(kVillage);
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    return objects_->ExportPublicity(&ctx, req, out);
  };
  v1::ExportPublicityResponse list;
  ASSERT_TRUE(exported(kVillageCadre, &list).ok());
  EXPECT_EQ(list.entries_size(), 0) << "nothing is in publicity yet";

  Must(&Stub::StartPublicity, Step("x-pub", "村委会公示栏张贴"), kVillageCadre);
  ASSERT_TRUE(exported(kVillageCadre, &list).ok());
  ASSERT_EQ(list.entries_size(), 1);
  EXPECT_EQ(list.entries(0).household_id(), household_id_);
  EXPECT_EQ(list.entries(0).stage(), "identification");
  EXPECT_EQ(list.entries(0).member_count(), 4);
  // The message type itself has nowhere to put an ID number, phone, bank
  // account or health condition; check the field set stays that way.
  const auto* descriptor = v1::PublicityEntry::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const std::string name = descriptor->field(i)->name();
    for (const char* banned : {"id_number", "phone", "bank", "health", "risk"}) {
      EXPECT_EQ(name.find(banned), std::string::npos) << name;
    }
  }
  EXPECT_EQ(exported(kOtherVillageCadre, &list).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  clock_.Advance(absl::Hours(24 * 5));
  Must(&Stub::EndPublicity, Step("x-pub-end", "公示5天无异议"), kVillageCadre);
  ASSERT_TRUE(exported(kVillageCadre, &list).ok());
  EXPECT_EQ(list.entries_size(), 0) << "ended publicity is no longer posted";
}

TEST_F(LifecycleTest, SkippingAStepIsRefusedNamingTheMissingStep) {
  v1::Clue clue;
  ASSERT_TRUE(Raise("clue-1", &clue).ok());
  MonitoringObject out;
  const grpc::Status skipped =
      Call(&Stub::VillageAssess, Step("village-1", "直接评议"), &out, kVillageCadre);
  EXPECT_EQ(skipped.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(skipped.error_message().find("home verification"), std::string::npos)
      << skipped.error_message();
  EXPECT_NE(skipped.error_message().find("data comparison"), std::string::npos)
      << skipped.error_message();

  TransitionRequest county = Step("county-1", "直接审定");
  county.set_decision(v1::DECISION_APPROVE);
  county.set_object_type(v1::MONITORING_OBJECT_TYPE_MARGINAL_AT_RISK);
  county.add_risk_types(v1::RISK_TYPE_ILLNESS);
  const grpc::Status jumped = Call(&Stub::CountyConfirm, county, &out, kCounty);
  EXPECT_EQ(jumped.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(jumped.error_message().find("township review"), std::string::npos)
      << jumped.error_message();

  // Nothing was recorded, and the request ids stay free for a retry.
  EXPECT_EQ(History().steps_size(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.idempotency "
                  "WHERE request_id IN ('village-1', 'county-1')"),
            0);
}

TEST_F(LifecycleTest, ActingOutOfJurisdictionIsPermissionDenied) {
  v1::Clue clue;
  EXPECT_EQ(Raise("clue-x", &clue, kOtherCounty).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Raise("clue-1", &clue).ok());

  TransitionRequest home = Step("home-1", "入户核实");
  home.set_household_consent(true);
  MonitoringObject out;
  // Another village's cadre, another county's official.
  EXPECT_EQ(Call(&Stub::RecordHomeVerification, home, &out, kOtherVillageCadre).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call(&Stub::RecordHomeVerification, home, &out, kOtherCounty).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Inside the jurisdiction but the wrong level for the step: the message
  // names who may take it.
  TransitionRequest township = Step("township-1", "审核");
  township.set_decision(v1::DECISION_APPROVE);
  const grpc::Status wrong_role = Call(&Stub::TownshipReview, township, &out, kVillageCadre);
  EXPECT_EQ(wrong_role.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(wrong_role.error_message().find("township official"), std::string::npos)
      << wrong_role.error_message();

  v1::GetHouseholdHistoryRequest req;
  req.set_household_id(household_id_);
  v1::GetHouseholdHistoryResponse history;
  grpc::ClientContext ctx;
  Prepare(ctx, kOtherCounty);
  EXPECT_EQ(objects_->GetHouseholdHistory(&ctx, req, &history).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.object_steps"), 0);
}

TEST_F(LifecycleTest, RepeatedRequestIdReturnsTheSameResultAndRecordsOneStep) {
  v1::Clue clue;
  ASSERT_TRUE(Raise("clue-1", &clue).ok());
  TransitionRequest home = Step("home-1", "入户核实");
  home.set_household_consent(true);
  const MonitoringObject first = Must(&Stub::RecordHomeVerification, home, kVillageCadre);
  clock_.Advance(absl::Hours(1));
  const MonitoringObject second = Must(&Stub::RecordHomeVerification, home, kVillageCadre);
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.object_steps"), 1);
  EXPECT_EQ(History().steps_size(), 1);

  // The same clue request too: one clue, one object.
  v1::Clue again;
  ASSERT_TRUE(Raise("clue-1", &again).ok());
  EXPECT_EQ(again.SerializeAsString(), clue.SerializeAsString());
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.clues"), 1);

  // The id reused for another RPC is refused on request_id.
  MonitoringObject out;
  const grpc::Status reused =
      Call(&Stub::RecordDataComparison, Step("home-1", "比对"), &out, kDepartment);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(errors::FieldViolationsOf(errors::FromGrpcStatus(reused))[0].field, "request_id");
}

TEST_F(LifecycleTest, ClueOnAnOpenObjectIsRecordedAgainstIt) {
  v1::Clue first;
  ASSERT_TRUE(Raise("clue-1", &first).ok());
  EXPECT_FALSE(first.duplicate());
  EXPECT_EQ(first.object_state(), v1::MONITORING_OBJECT_STATE_CLUE);
  EXPECT_EQ(first.raised_by().user_id(), "vc1");

  clock_.Advance(absl::Hours(2));
  v1::Clue second;
  ASSERT_TRUE(Raise("clue-2", &second, kDepartment).ok());
  EXPECT_TRUE(second.duplicate());
  EXPECT_EQ(second.object_id(), first.object_id());
  EXPECT_NE(second.clue_id(), first.clue_id());
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.monitoring_objects"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.clues"), 2);

  // Closed without inclusion, the object ends; the next clue opens a new one.
  MonitoringObject closed =
      Must(&Stub::CloseClue, Step("close-1", "核实收入高于监测范围，无需纳入"), kTownship);
  EXPECT_EQ(closed.state(), v1::MONITORING_OBJECT_STATE_CLOSED_NO_RISK);
  MonitoringObject out;
  EXPECT_EQ(Call(&Stub::VillageAssess, Step("village-x", "评议"), &out, kVillageCadre).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  clock_.Advance(absl::Hours(24));
  v1::Clue third;
  ASSERT_TRUE(Raise("clue-3", &third).ok());
  EXPECT_FALSE(third.duplicate());
  EXPECT_NE(third.object_id(), first.object_id());
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.monitoring_objects"), 2);

  const auto history = History();
  ASSERT_EQ(history.clues_size(), 3);
  ASSERT_EQ(history.steps_size(), 1);
  EXPECT_EQ(history.steps(0).action(), v1::LIFECYCLE_ACTION_CLOSE_NO_RISK);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.clue_raised'"),
            3);
}

TEST_F(LifecycleTest, ObjectionsAndRejectionsAreKeptInTheObjectAndHistory) {
  ASSERT_NO_FATAL_FAILURE(ToVillageAssessed());
  Must(&Stub::StartPublicity, Step("publicity-1", "公示"), kVillageCadre);
  clock_.Advance(absl::Hours(24));
  MonitoringObject obj =
      Must(&Stub::RecordObjection, Step("objection-1", "邻居反映该户有经营收入"), kVillageCadre);
  ASSERT_EQ(obj.objections_size(), 1);
  EXPECT_EQ(obj.objections(0).objection_id(), 1);
  EXPECT_EQ(obj.objections(0).outcome(), v1::OBJECTION_OUTCOME_UNSPECIFIED);
  EXPECT_FALSE(obj.objections(0).has_resolved_at());

  // Five days have passed, but the objection is open.
  clock_.Advance(absl::Hours(24 * 4));
  MonitoringObject out;
  const grpc::Status open =
      Call(&Stub::EndPublicity, Step("publicity-end-1", "公示结束"), &out, kVillageCadre);
  EXPECT_EQ(open.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(open.error_message().find("objection 1"), std::string::npos) << open.error_message();

  TransitionRequest resolve = Step("resolve-1", "核实为临时摊位，收入不稳定，异议不成立");
  resolve.set_objection_id(1);
  resolve.set_objection_outcome(v1::OBJECTION_OUTCOME_DISMISSED);
  obj = Must(&Stub::ResolveObjection, resolve, kVillageCadre);
  EXPECT_EQ(obj.objections(0).outcome(), v1::OBJECTION_OUTCOME_DISMISSED);
  EXPECT_TRUE(obj.objections(0).has_resolved_at());
  Must(&Stub::EndPublicity, Step("publicity-end-2", "公示结束"), kVillageCadre);

  // The township sends it back to the village assessment.
  TransitionRequest township = Step("township-1", "评议记录不全，退回重新评议");
  township.set_decision(v1::DECISION_REJECT);
  obj = Must(&Stub::TownshipReview, township, kTownship);
  EXPECT_EQ(obj.state(), v1::MONITORING_OBJECT_STATE_VILLAGE_ASSESSED);
  EXPECT_FALSE(obj.has_publicity_started_at());

  // The stored object reads back exactly as returned.
  v1::GetMonitoringObjectRequest get;
  get.set_household_id(household_id_);
  MonitoringObject read;
  grpc::ClientContext ctx;
  Prepare(ctx, kCounty);
  ASSERT_TRUE(objects_->GetMonitoringObject(&ctx, get, &read).ok());
  EXPECT_EQ(read.SerializeAsString(), obj.SerializeAsString());

  const auto history = History();
  ASSERT_EQ(history.steps_size(), 8);
  EXPECT_EQ(history.steps(4).action(), v1::LIFECYCLE_ACTION_RECORD_OBJECTION);
  EXPECT_EQ(history.steps(4).reason(), "邻居反映该户有经营收入");
  EXPECT_EQ(history.steps(5).detail(), "objection 1 dismissed");
  const v1::HistoryStep& back = history.steps(7);
  EXPECT_EQ(back.action(), v1::LIFECYCLE_ACTION_TOWNSHIP_REVIEW);
  EXPECT_TRUE(back.rejected());
  EXPECT_EQ(back.from_state(), v1::MONITORING_OBJECT_STATE_PUBLICIZED);
  EXPECT_EQ(back.to_state(), v1::MONITORING_OBJECT_STATE_VILLAGE_ASSESSED);
  EXPECT_EQ(back.actor().user_id(), "ts1");
}

TEST_F(LifecycleTest, InvalidRequestsNameTheirFields) {
  v1::Clue clue;
  ASSERT_TRUE(Raise("clue-1", &clue).ok());
  TransitionRequest req = Step("", "  ");
  req.set_object_type(v1::MONITORING_OBJECT_TYPE_SUDDEN_HARDSHIP);
  MonitoringObject out;
  const grpc::Status s = Call(&Stub::TownshipReview, req, &out, kTownship);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const auto& v : errors::FieldViolationsOf(errors::FromGrpcStatus(s))) {
    fields.push_back(v.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"request_id", "reason", "decision", "object_type"}));

  TransitionRequest county = Step("county-1", "审定");
  county.set_decision(v1::DECISION_APPROVE);
  county.add_risk_types(v1::RISK_TYPE_ILLNESS);
  county.add_risk_types(v1::RISK_TYPE_ILLNESS);
  const grpc::Status c = Call(&Stub::CountyConfirm, county, &out, kCounty);
  ASSERT_EQ(c.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  fields.clear();
  for (const auto& v : errors::FieldViolationsOf(errors::FromGrpcStatus(c))) {
    fields.push_back(v.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"object_type", "risk_types[1]"}));

  // Home verification without the household's consent is refused.
  TransitionRequest home = Step("home-1", "入户核实");
  const grpc::Status no_consent = Call(&Stub::RecordHomeVerification, home, &out, kVillageCadre);
  EXPECT_EQ(no_consent.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(no_consent.error_message().find("consent"), std::string::npos);
}

// A factor kind this build does not know (written by a newer one) leaves
// the identification record absent instead of failing the read, which
// would stop the deadline scheduler at this object for good.
TEST(ObjectSnapshotTest, AnUnknownFactorKindLeavesTheIdentificationFactorsUnknown) {
  lifecycle::MonitoringObject object{.household_id = "hh-00000000000000000001",
                                     .village = *division::Code::Parse("653121101201")};
  object.identification_factors = std::vector<FactorKind>{FactorKind::kSuddenEvent};
  v1::MonitoringObjectSnapshot snapshot = ToSnapshot("mo-00000000000000000001", object);
  auto read = FromSnapshot(snapshot);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->identification_factors.has_value());
  EXPECT_EQ(*read->identification_factors, std::vector<FactorKind>{FactorKind::kSuddenEvent});

  snapshot.mutable_object()->mutable_identification_factors()->add_kinds("a_kind_from_later");
  read = FromSnapshot(snapshot);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->identification_factors.has_value());
}

}  // namespace
}  // namespace zx::monitoring
