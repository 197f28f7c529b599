// Issue 3, "Events consumed" and credit measures: the monitoring service
// in-process over real gRPC, on a real PostgreSQL and Redis.
//  - assets.dividend_paid and consumption.income_attributed published through
//    the producers' outboxes and relays: booked once as property, operating
//    or wage income, even when delivered twice, a refund lowers income, and
//    each event re-assesses the household;
//  - 扶贫小额信贷: a loan with a missed instalment makes the assessment carry
//    credit_overdue; repayments are idempotent; a second loan is refused;
//    bad input names the field.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <set>
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
#include "services/monitoring/store/credit_store.h"
#include "zx/assets/v1/assets.pb.h"
#include "zx/consumption/v1/consumption.pb.h"
#include "zx/employment/v1/employment.pb.h"
#include "zx/monitoring/v1/credit.grpc.pb.h"
#include "zx/monitoring/v1/lifecycle.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::monitoring {
namespace {

constexpr char kNamespace[] = "zx:it-monitoring-events";
constexpr char kVillage[] = "653121101201";
constexpr char kVillageCadre[] = "dev.653121101201.village_cadre.vc1";
constexpr char kTownship[] = "dev.653121101000.township_official.ts1";
constexpr char kDepartment[] = "dev.653121000000.department:civil_affairs.dep1";
constexpr char kCounty[] = "dev.653121000000.county_official.co1";

absl::CivilDay Today() { return absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()); }

// The 12 months of the current income window (M4): the year before this month.
std::vector<std::string> WindowMonths() {
  std::vector<std::string> out;
  const absl::CivilMonth this_month(Today());
  for (int back = 12; back >= 1; --back) out.push_back(absl::FormatCivilTime(this_month - back));
  return out;
}

class MonitoringEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The lifecycle runs on a clock that starts three weeks ago, so the 5-day
    // publicity passes before today.
    clock_.Set(absl::Now() - absl::Hours(24 * 21));
    SetLifecycleClockForTesting(&clock_);
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("monitoring_events_it");
    auto config = stack.ServiceConfig("monitoring", db_);
    // A namespace of its own per test: streams (and what a test leaves
    // pending on them) never reach the next test's consumers.
    namespace_ = absl::StrCat(kNamespace, ":",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    config.redis_namespace = namespace_;
    auto server = server::Server::Start(MonitoringSpec(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    households_ = v1::MonitoringService::NewStub(channel_);
    objects_ = v1::MonitoringObjectService::NewStub(channel_);
    credit_ = v1::CreditService::NewStub(channel_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    SetLifecycleClockForTesting(nullptr);
  }

  static void Prepare(grpc::ClientContext& ctx, const std::string& token) {
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }

  template <typename Stub, typename Method, typename Request, typename Response>
  grpc::Status Call(Stub* stub, Method method, const Request& req, Response* resp,
                    const std::string& token = kCounty) {
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    return (stub->*method)(&ctx, req, resp);
  }

  std::string CreateHousehold(const std::string& request_id, int members) {
    v1::CreateHouseholdRequest req;
    req.set_request_id(request_id);
    req.mutable_household()->set_village_code(kVillage);
    req.mutable_household()->set_category(v1::HOUSEHOLD_CATEGORY_LIFTED);
    req.mutable_household()->set_member_count(members);
    v1::Household out;
    EXPECT_TRUE(
        Call(households_.get(), &v1::MonitoringService::Stub::CreateHousehold, req, &out).ok());
    return out.household_id();
  }

  // The county's 6,000-yuan line this year, and every guarantee met.
  void LineAndGuarantees(const std::string& household_id) {
    v1::PublishPolicyRequest publish;
    publish.set_request_id("policy-" + household_id);
    auto* policy = publish.mutable_policy();
    policy->set_version("county-" + household_id.substr(3, 6));
    policy->set_owner_division_code("653121000000");
    policy->set_year(static_cast<int>(absl::CivilYear(Today()).year()));
    policy->set_effective_from(absl::StrCat(policy->year(), "-01-01"));
    policy->set_monitoring_line_fen(600000);
    v1::MonitoringPolicy published;
    Call(households_.get(), &v1::MonitoringService::Stub::PublishPolicy, publish, &published);
    // The job publishing starts assesses the household (RED: no income yet)
    // and raises its platform clue: waited for, so the steps that follow
    // always come after that clue, on the same (lifecycle) clock.
    EXPECT_EQ(WaitFor(absl::StrCat("SELECT count(*) FROM monitoring.household_colours WHERE "
                                   "household_id = '",
                                   household_id, "'"),
                      1),
              1);
    v1::SetGuaranteesRequest g;
    g.set_request_id("g-" + household_id);
    g.set_household_id(household_id);
    auto* met = g.mutable_guarantees();
    met->set_food_clothing(v1::GUARANTEE_STATUS_MET);
    met->set_compulsory_education(v1::GUARANTEE_STATUS_MET);
    met->set_basic_medical(v1::GUARANTEE_STATUS_MET);
    met->set_safe_housing(v1::GUARANTEE_STATUS_MET);
    met->set_safe_water(v1::GUARANTEE_STATUS_MET);
    v1::Guarantees out;
    ASSERT_TRUE(Call(households_.get(), &v1::MonitoringService::Stub::SetGuarantees, g, &out).ok());
  }

  v1::Assessment Assess(const std::string& household_id) {
    v1::AssessHouseholdRequest req;
    req.set_household_id(household_id);
    v1::Assessment out;
    const grpc::Status s =
        Call(households_.get(), &v1::MonitoringService::Stub::AssessHousehold, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  int64_t Query(const std::string& sql) { return zx::testing::QueryInt(db_, sql); }

  // Waits until `sql` returns `want` (at most 10 s); returns the last value.
  int64_t WaitFor(const std::string& sql, int64_t want) {
    return zx::testing::WaitForInt(db_, sql, want);
  }

  // The producer `service`'s outbox in the same database (its own schema),
  // and a relay to its stream in this instance's namespace.
  std::unique_ptr<events::Relay> Producer(const std::string& service) {
    pqxx::connection conn(db_);
    EXPECT_TRUE(migrations::Apply(conn, service, "common", migrations::CommonMigrations()).ok());
    auto& stack = zx::testing::Stack::Get();
    return std::make_unique<events::Relay>(
        events::RelayOptions{.pg_conninfo = db_,
                             .schema = service,
                             .stream_key = absl::StrCat(namespace_, ":events:", service),
                             .redis_host = stack.redis_host(),
                             .redis_port = stack.redis_port()},
        nullptr);
  }

  // Appends events of `service` in one producer transaction, their
  // envelopes naming `division`.
  void Emit(const std::string& service,
            const std::vector<std::pair<std::string, const google::protobuf::Message*>>& events,
            const std::string& division = kVillage) {
    pg::Pool pool({.conninfo = db_, .size = 1, .search_path = service});
    ASSERT_TRUE(pg::WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                  for (const auto& [type, payload] : events) {
                    auto id = events::Append(tx, "test",
                                             {.type = type,
                                              .division_code = division,
                                              .aggregate_id = "agg",
                                              .payload = payload});
                    if (!id.ok()) return id.status();
                  }
                  return absl::OkStatus();
                }).ok());
  }

  // A relay crash before its commit: everything is published again.
  void Unpublish(const std::string& service) {
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec("UPDATE " + service + ".outbox SET published_at = NULL");
    tx.exec("DELETE FROM " + service + ".outbox_batches");
    tx.commit();
  }

  v1::TransitionRequest Step(const std::string& household_id, const std::string& request_id,
                             const std::string& reason) {
    v1::TransitionRequest req;
    req.set_request_id(request_id);
    req.set_household_id(household_id);
    req.set_reason(reason);
    return req;
  }

  // Clue to county confirmation (RULES M7), on the lifecycle clock.
  void ConfirmedByCounty(const std::string& household_id) {
    using S = v1::MonitoringObjectService::Stub;
    auto must = [&](auto rpc, const v1::TransitionRequest& req, const std::string& token) {
      v1::MonitoringObject out;
      const grpc::Status s = Call(objects_.get(), rpc, req, &out, token);
      ASSERT_TRUE(s.ok()) << req.request_id() << ": " << s.error_message();
    };
    v1::RaiseClueRequest clue;
    clue.set_request_id("clue-" + household_id);
    clue.set_household_id(household_id);
    clue.set_way(v1::CLUE_WAY_CADRE_VISIT);
    clue.set_description("养殖项目失败，需贷款恢复生产");
    v1::Clue raised;
    ASSERT_TRUE(Call(objects_.get(), &S::RaiseClue, clue, &raised, kVillageCadre).ok());
    clock_.Advance(absl::Hours(24));
    auto home = Step(household_id, "home-" + household_id, "入户核实");
    home.set_household_consent(true);
    must(&S::RecordHomeVerification, home, kVillageCadre);
    must(&S::RecordDataComparison, Step(household_id, "cmp-" + household_id, "数据比对"),
         kDepartment);
    must(&S::VillageAssess, Step(household_id, "va-" + household_id, "村级评议"), kVillageCadre);
    must(&S::StartPublicity, Step(household_id, "pub-" + household_id, "公示"), kVillageCadre);
    clock_.Advance(absl::Hours(24 * 5));
    must(&S::EndPublicity, Step(household_id, "pubend-" + household_id, "公示无异议"),
         kVillageCadre);
    auto township = Step(household_id, "ts-" + household_id, "乡镇审核");
    township.set_decision(v1::DECISION_APPROVE);
    must(&S::TownshipReview, township, kTownship);
    auto county = Step(household_id, "co-" + household_id, "县级审定");
    county.set_decision(v1::DECISION_APPROVE);
    county.set_object_type(v1::MONITORING_OBJECT_TYPE_UNSTABLE_LIFTED);
    county.add_risk_types(v1::RISK_TYPE_INDUSTRY_FAILURE);
    must(&S::CountyConfirm, county, kCounty);
    clock_.Advance(absl::Hours(24));
  }

  // 10,000 yuan over 12 months at 4.35 %, interest monthly: disbursed 80
  // days ago, first due on the 10th of the next month, so at least the first
  // instalment is overdue today.
  v1::AddCreditMeasureRequest Loan(const std::string& request_id, const std::string& household_id) {
    v1::AddCreditMeasureRequest req;
    req.set_request_id(request_id);
    req.set_household_id(household_id);
    req.set_lender("农村信用合作联社疏附县支行");
    auto* t = req.mutable_terms();
    t->set_principal_fen(1'000'000);
    t->set_term_months(12);
    t->set_annual_rate_bp(435);
    t->set_subsidy_share_bp(10000);
    const absl::CivilDay disbursed = Today() - 80;
    const absl::CivilMonth next = absl::CivilMonth(disbursed) + 1;
    t->set_disbursed_on(absl::FormatCivilTime(disbursed));
    t->set_first_due_on(absl::FormatCivilTime(absl::CivilDay(next.year(), next.month(), 10)));
    t->set_repayment_kind(v1::REPAYMENT_KIND_INTEREST_MONTHLY_PRINCIPAL_AT_MATURITY);
    return req;
  }

  static bool HasFactor(const v1::Assessment& a, const std::string& kind) {
    for (const auto& f : a.factors()) {
      if (f.kind() == kind) return true;
    }
    return false;
  }

  time::FakeClock clock_{absl::Now()};
  std::string namespace_;
  std::string db_;
  std::unique_ptr<server::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MonitoringService::Stub> households_;
  std::unique_ptr<v1::MonitoringObjectService::Stub> objects_;
  std::unique_ptr<v1::CreditService::Stub> credit_;
};

TEST_F(MonitoringEventsTest, DividendsAndAttributionsAreBookedOnceAndReassess) {
  const std::string hh = CreateHousehold("hh-events", 1);
  ASSERT_NO_FATAL_FAILURE(LineAndGuarantees(hh));
  ASSERT_EQ(Assess(hh).colour(), v1::COLOUR_RED) << "no income yet";

  auto assets = Producer("assets");
  auto consumption = Producer("consumption");
  // Twelve dividends of 500 yuan (property) and twelve attributed sales of
  // 300 yuan (operating) and one of 100 yuan of wage: 9,700 yuan for one
  // member, at least 1.5 x the 6,000 line -> green.
  std::vector<zx::assets::v1::DividendPaid> dividends(12);
  std::vector<zx::consumption::v1::IncomeAttributed> sales(13);
  std::vector<std::pair<std::string, const google::protobuf::Message*>> asset_events, sale_events;
  const auto months = WindowMonths();
  for (int i = 0; i < 12; ++i) {
    auto& d = dividends[i];
    d.set_distribution_id(absl::StrCat("dist-", i));
    d.set_asset_id("asset-pv-1");
    d.set_household_id(hh);
    d.set_village_code(kVillage);
    d.set_month(months[i]);
    d.set_amount_fen(50000);
    asset_events.push_back({"assets.dividend_paid", &d});
    auto& s = sales[i];
    s.set_order_line_id(absl::StrCat("ol-", i));
    s.set_binding_id("bind-1");
    s.set_binding_kind(zx::consumption::v1::BINDING_KIND_OPERATING);
    s.set_household_id(hh);
    s.set_village_code(kVillage);
    s.set_month(months[i]);
    s.set_amount_fen(30000);
    sale_events.push_back({"consumption.income_attributed", &s});
  }
  sales[12] = sales[11];
  sales[12].set_order_line_id("ol-wage");
  sales[12].set_binding_kind(zx::consumption::v1::BINDING_KIND_WAGE);
  sales[12].set_amount_fen(10000);
  sale_events.push_back({"consumption.income_attributed", &sales[12]});
  // Events of other types on the same streams are not income.
  zx::assets::v1::DividendPaid ignored = dividends[0];
  asset_events.push_back({"assets.asset_registered", &ignored});
  ASSERT_NO_FATAL_FAILURE(Emit("assets", asset_events));
  ASSERT_NO_FATAL_FAILURE(Emit("consumption", sale_events));
  ASSERT_EQ(*assets->PublishBatch(), 13);
  ASSERT_EQ(*consumption->PublishBatch(), 13);

  const std::string sum_of = "SELECT sum(amount_fen) FROM monitoring.income_records WHERE kind = ";
  const std::string count_of = "SELECT count(*) FROM monitoring.income_records WHERE kind = ";
  EXPECT_EQ(WaitFor(count_of + "3", 12), 12) << "property";
  EXPECT_EQ(WaitFor(count_of + "2", 12), 12) << "operating";
  EXPECT_EQ(WaitFor(count_of + "1", 1), 1) << "wage";
  EXPECT_EQ(Query(sum_of + "3"), 600000);
  EXPECT_EQ(Query(sum_of + "2"), 360000);
  EXPECT_EQ(Query(sum_of + "1"), 10000);
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.income_records WHERE source <> 3"), 0);
  EXPECT_EQ(WaitFor("SELECT colour FROM monitoring.household_colours", 4), 4) << "green";
  EXPECT_EQ(WaitFor("SELECT count(*) FROM monitoring.processed_events", 26), 26)
      << "every event, the ignored type included";

  // Delivered again: nothing is booked twice.
  Unpublish("assets");
  Unpublish("consumption");
  ASSERT_EQ(*assets->PublishBatch(), 13);
  ASSERT_EQ(*consumption->PublishBatch(), 13);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.income_records"), 25) << "booked once";
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.processed_events"), 26);

  // A refund of 1,000 yuan of produce: a negative operating record, and
  // 8,700 yuan is below 1.5 x the line -> yellow.
  zx::consumption::v1::IncomeAttributed refund = sales[11];
  refund.set_order_line_id("ol-refund-1");
  refund.set_refunded_order_line_id("ol-11");
  refund.set_amount_fen(-100000);
  ASSERT_NO_FATAL_FAILURE(Emit("consumption", {{"consumption.income_attributed", &refund}}));
  ASSERT_EQ(*consumption->PublishBatch(), 1);
  EXPECT_EQ(WaitFor(count_of + "2 AND amount_fen < 0", 1), 1);
  EXPECT_EQ(Query(sum_of + "2"), 260000);
  EXPECT_EQ(WaitFor("SELECT colour FROM monitoring.household_colours", 3), 3) << "yellow";
  const v1::Assessment after = Assess(hh);
  EXPECT_EQ(after.colour(), v1::COLOUR_YELLOW);
  EXPECT_EQ(after.per_capita_net_income_fen(), 870000);
}

TEST_F(MonitoringEventsTest, InvalidPayloadsAreNotBooked) {
  const std::string hh = CreateHousehold("hh-invalid", 1);
  auto assets = Producer("assets");
  zx::assets::v1::DividendPaid unknown;
  unknown.set_distribution_id("d-unknown");
  unknown.set_household_id("hh-00000000000000000000");
  unknown.set_village_code(kVillage);
  unknown.set_month(WindowMonths()[0]);
  unknown.set_amount_fen(100);
  zx::assets::v1::DividendPaid bad_month = unknown;
  bad_month.set_household_id(hh);
  bad_month.set_month("2026-13");
  zx::assets::v1::DividendPaid elsewhere = unknown;
  elsewhere.set_household_id(hh);
  elsewhere.set_village_code("653121101202");
  zx::assets::v1::DividendPaid good = unknown;
  good.set_household_id(hh);
  ASSERT_NO_FATAL_FAILURE(Emit("assets", {{"assets.dividend_paid", &unknown},
                                          {"assets.dividend_paid", &bad_month},
                                          {"assets.dividend_paid", &elsewhere},
                                          {"assets.dividend_paid", &good}}));
  ASSERT_EQ(*assets->PublishBatch(), 4);
  // The good one is booked (no policy: booked without an assessment); the
  // three others are retried, never booked, and never marked processed.
  EXPECT_EQ(WaitFor("SELECT count(*) FROM monitoring.income_records", 1), 1);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.income_records"), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.processed_events"), 1);
}

// A worker names its household freely, and its writer was authorized only on
// the worker's division: a wage is booked only to a household whose village
// lies in the worker's division (WagePaid.division_code; for events written
// before that field, the envelope's division, which employment always set to
// the worker's). Otherwise it is refused like a dividend for a household of
// another village: retried, never booked, never marked processed.
TEST_F(MonitoringEventsTest, WagesAreBookedOnlyToAHouseholdInTheWorkersDivision) {
  const std::string hh = CreateHousehold("hh-wages", 1);
  auto employment = Producer("employment");
  constexpr char kOtherVillage[] = "653121101202";
  const auto months = WindowMonths();
  const auto wage = [&](const std::string& id, int month, int64_t yuan,
                        const std::string& division) {
    zx::employment::v1::WagePaid w;
    w.set_placement_id("pl-" + id);
    w.set_household_id(hh);
    w.set_person_id("pe-" + id);
    w.set_worker_id("wk-" + id);
    w.set_wage_id("wg-" + id);
    w.set_month(months[month]);
    w.set_amount_fen(yuan * 100);
    w.set_division_code(division);
    return w;
  };
  const auto elsewhere = wage("elsewhere", 0, 1000, kOtherVillage);
  const auto same_village = wage("same", 1, 2000, kVillage);
  const auto township = wage("township", 2, 4000, "653121101000");  // contains the village
  const auto older = wage("older", 3, 8000, "");                    // before the field
  const auto older_elsewhere = wage("older-elsewhere", 4, 16000, "");
  ASSERT_NO_FATAL_FAILURE(Emit("employment", {{"employment.wage_paid", &elsewhere},
                                              {"employment.wage_paid", &same_village},
                                              {"employment.wage_paid", &township},
                                              {"employment.wage_paid", &older}}));
  ASSERT_NO_FATAL_FAILURE(
      Emit("employment", {{"employment.wage_paid", &older_elsewhere}}, kOtherVillage));
  ASSERT_EQ(*employment->PublishBatch(), 5);

  EXPECT_EQ(WaitFor("SELECT count(*) FROM monitoring.income_records", 3), 3);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.income_records"), 3) << "booked once each";
  EXPECT_EQ(Query("SELECT sum(amount_fen) FROM monitoring.income_records WHERE kind = 1"),
            (2000 + 4000 + 8000) * 100)
      << "the wages of the worker's village only";
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.processed_events"), 3);

  // Delivered again: nothing more.
  Unpublish("employment");
  ASSERT_EQ(*employment->PublishBatch(), 5);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.income_records"), 3);
}

TEST_F(MonitoringEventsTest, CreditMeasureJoinsThePlanOncePerHousehold) {
  using C = v1::CreditService::Stub;
  const std::string hh = CreateHousehold("hh-credit", 2);
  ASSERT_NO_FATAL_FAILURE(LineAndGuarantees(hh));

  // No monitoring object yet: the rule of AddAssistanceMeasure.
  v1::Loan loan;
  grpc::Status s = Call(credit_.get(), &C::AddCreditMeasure, Loan("loan-early", hh), &loan);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("county confirmation"), std::string::npos);

  ASSERT_NO_FATAL_FAILURE(ConfirmedByCounty(hh));

  // Bad input names the field, and writes nothing.
  v1::AddCreditMeasureRequest bad = Loan("loan-bad", hh);
  bad.mutable_terms()->set_principal_fen(5'000'001);
  bad.mutable_terms()->set_term_months(37);
  s = Call(credit_.get(), &C::AddCreditMeasure, bad, &loan);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::set<std::string> fields;
  for (const auto& f : errors::FieldViolationsOf(errors::FromGrpcStatus(s))) fields.insert(f.field);
  EXPECT_EQ(fields, (std::set<std::string>{"terms.principal_fen", "terms.term_months"}));
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.loans"), 0);

  s = Call(credit_.get(), &C::AddCreditMeasure, Loan("loan-1", hh), &loan);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.assistance_measures WHERE kind = 8"), 1);
  v1::GetMonitoringObjectRequest get_object;
  get_object.set_household_id(hh);
  v1::MonitoringObject object;
  ASSERT_TRUE(Call(objects_.get(), &v1::MonitoringObjectService::Stub::GetMonitoringObject,
                   get_object, &object)
                  .ok());
  EXPECT_EQ(object.state(), v1::MONITORING_OBJECT_STATE_ASSISTED) << "the loan is the plan";

  // One plan per household.
  v1::Loan second;
  s = Call(credit_.get(), &C::AddCreditMeasure, Loan("loan-2", hh), &second);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("one repayment plan per household"), std::string::npos);

  // With the interest fully subsidised (全额贴息) the household owes only the
  // principal at maturity: nothing is overdue yet.
  v1::GetCreditPlanRequest get;
  get.set_household_id(hh);
  v1::CreditPlan plan;
  ASSERT_TRUE(Call(credit_.get(), &C::GetCreditPlan, get, &plan).ok());
  ASSERT_EQ(plan.instalments_size(), 12);
  EXPECT_EQ(plan.total_principal_fen(), 1'000'000);
  EXPECT_EQ(plan.total_interest_fen(), 43500);
  EXPECT_EQ(plan.total_subsidy_fen(), 43500) << "全额贴息";
  EXPECT_EQ(plan.total_due_fen(), 1'000'000);
  EXPECT_EQ(plan.overdue_instalments(), 0) << "interest fully subsidised: nothing owed yet";
  EXPECT_FALSE(HasFactor(Assess(hh), "credit_overdue"));
}

TEST_F(MonitoringEventsTest, OverdueInterestRaisesCreditOverdueUntilRepaid) {
  using C = v1::CreditService::Stub;
  const std::string hh = CreateHousehold("hh-overdue", 2);
  ASSERT_NO_FATAL_FAILURE(LineAndGuarantees(hh));
  ASSERT_NO_FATAL_FAILURE(ConfirmedByCounty(hh));
  v1::AddCreditMeasureRequest req = Loan("loan-o", hh);
  req.mutable_terms()->set_subsidy_share_bp(0);  // the household pays the interest
  v1::Loan loan;
  grpc::Status s = Call(credit_.get(), &C::AddCreditMeasure, req, &loan);
  ASSERT_TRUE(s.ok()) << s.error_message();

  v1::GetCreditPlanRequest get;
  get.set_household_id(hh);
  v1::CreditPlan plan;
  ASSERT_TRUE(Call(credit_.get(), &C::GetCreditPlan, get, &plan).ok());
  ASSERT_GE(plan.overdue_instalments(), 1);
  EXPECT_EQ(plan.instalments(0).status(), v1::INSTALMENT_STATUS_OVERDUE);
  EXPECT_EQ(plan.instalments(0).due_fen(), 3625) << "1,000,000 x 4.35 % / 12";
  EXPECT_EQ(plan.overdue_fen(), 3625 * plan.overdue_instalments());

  v1::Assessment a = Assess(hh);
  ASSERT_TRUE(HasFactor(a, "credit_overdue")) << a.DebugString();
  for (const auto& f : a.factors()) {
    if (f.kind() == "credit_overdue") {
      EXPECT_EQ(f.colour(), v1::COLOUR_ORANGE);
      EXPECT_EQ(f.value(), plan.overdue_instalments());
    }
  }

  // The alert scheduler's query finds the same instalments.
  {
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec("SET LOCAL search_path = monitoring, public");
    auto overdue = FindOverdueInstalments(tx, Today(), 100);
    ASSERT_TRUE(overdue.ok()) << overdue.status();
    ASSERT_EQ(static_cast<int>(overdue->size()), plan.overdue_instalments());
    EXPECT_EQ((*overdue)[0].household_id, hh);
    EXPECT_EQ((*overdue)[0].number, 1);
    EXPECT_EQ((*overdue)[0].unpaid_fen, 3625);
    EXPECT_EQ((*overdue)[0].village_code, kVillage);
  }
  // ... and raises one CREDIT_OVERDUE alert per overdue instalment, once.
  auto raised = ScanOverdueCredit(server_->runtime(), absl::Now());
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_EQ(*raised, plan.overdue_instalments());
  auto rescanned = ScanOverdueCredit(server_->runtime(), absl::Now());
  ASSERT_TRUE(rescanned.ok()) << rescanned.status();
  EXPECT_EQ(*rescanned, 0) << "an instalment is alerted once";
  EXPECT_EQ(Query(absl::StrCat("SELECT count(*) FROM monitoring.alerts WHERE kind = ",
                               static_cast<int>(v1::ALERT_KIND_CREDIT_OVERDUE),
                               " AND household_id = '", hh, "'")),
            plan.overdue_instalments());

  // Paying what is overdue, twice with the same request_id: booked once,
  // and the re-assessment drops the factor.
  v1::RecordRepaymentRequest pay;
  pay.set_request_id("repay-1");
  pay.set_loan_id(loan.loan_id());
  pay.set_amount_fen(plan.overdue_fen());
  pay.set_paid_on(absl::FormatCivilTime(Today()));
  v1::Repayment first, again;
  s = Call(credit_.get(), &C::RecordRepayment, pay, &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(Call(credit_.get(), &C::RecordRepayment, pay, &again).ok());
  EXPECT_EQ(first.SerializeAsString(), again.SerializeAsString());
  EXPECT_EQ(Query("SELECT count(*) FROM monitoring.loan_repayments"), 1);
  EXPECT_EQ(Query("SELECT repaid_fen FROM monitoring.loans"), plan.overdue_fen());
  const v1::Assessment latest = Assess(hh);
  EXPECT_FALSE(HasFactor(latest, "credit_overdue")) << latest.DebugString();
  ASSERT_TRUE(Call(credit_.get(), &C::GetCreditPlan, get, &plan).ok());
  EXPECT_EQ(plan.overdue_instalments(), 0);
  EXPECT_EQ(plan.instalments(0).status(), v1::INSTALMENT_STATUS_PAID);
  ASSERT_EQ(plan.repayments_size(), 1);

  // Repayments are append-only.
  {
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec("UPDATE monitoring.loan_repayments SET amount_fen = 1"), pqxx::sql_error);
  }

  // More than is outstanding, a zero amount, a bad date.
  v1::RecordRepaymentRequest over = pay;
  over.set_request_id("repay-over");
  over.set_amount_fen(plan.outstanding_fen() + 1);
  s = Call(credit_.get(), &C::RecordRepayment, over, &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  v1::RecordRepaymentRequest zero = pay;
  zero.set_request_id("repay-zero");
  zero.set_amount_fen(0);
  zero.set_paid_on("2026-02-30");
  s = Call(credit_.get(), &C::RecordRepayment, zero, &again);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::set<std::string> fields;
  for (const auto& f : errors::FieldViolationsOf(errors::FromGrpcStatus(s))) fields.insert(f.field);
  EXPECT_EQ(fields, (std::set<std::string>{"amount_fen", "paid_on"}));

  // Paying off the rest settles the plan; then a new loan may be granted.
  v1::RecordRepaymentRequest rest = pay;
  rest.set_request_id("repay-rest");
  rest.set_amount_fen(plan.outstanding_fen());
  ASSERT_TRUE(Call(credit_.get(), &C::RecordRepayment, rest, &again).ok());
  ASSERT_TRUE(Call(credit_.get(), &C::GetCreditPlan, get, &plan).ok());
  EXPECT_EQ(plan.loan().settled_on(), absl::FormatCivilTime(Today()));
  EXPECT_EQ(plan.outstanding_fen(), 0);
  v1::Loan next;
  s = Call(credit_.get(), &C::AddCreditMeasure, Loan("loan-next", hh), &next);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

}  // namespace
}  // namespace zx::monitoring
