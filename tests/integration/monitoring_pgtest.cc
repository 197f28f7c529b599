// The monitoring service in-process, called over real gRPC, on a real
// PostgreSQL and Redis: idempotent creation, rejected input changes
// nothing, jurisdiction, paging and the event leaving through the outbox.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "common/errors/errors.h"
#include "common/events/events.h"
#include "common/events/redis.h"
#include "common/migrations/migrations.h"
#include "common/server/server.h"
#include "common/testing/stack.h"
#include "services/monitoring/api/monitoring_service.h"
#include "zx/employment/v1/employment.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::monitoring {
namespace {

using zx::monitoring::v1::CreateHouseholdRequest;
using zx::monitoring::v1::Household;

class MonitoringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("monitoring_it");
    config_ = stack.ServiceConfig("monitoring", db_);
    config_.redis_namespace = "zx:it-monitoring";
    StartServer();
  }
  void StartServer() {
    auto server = server::Server::Start(MonitoringSpec(), config_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::MonitoringService::NewStub(channel_);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  grpc::Status Create(const CreateHouseholdRequest& req, Household* out,
                      const std::string& token = "dev.653121.county_official.t1") {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->CreateHousehold(&ctx, req, out);
  }

  // Publishes a 6,000-yuan line for `owner` this year (as `token`).
  grpc::Status PublishLine(const std::string& token, const std::string& owner,
                           const std::string& version) {
    v1::PublishPolicyRequest publish;
    publish.set_request_id("pol-" + version);
    auto* policy = publish.mutable_policy();
    policy->set_version(version);
    policy->set_owner_division_code(owner);
    policy->set_year(absl::CivilYear(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone())).year());
    policy->set_effective_from(absl::StrCat(policy->year(), "-01-01"));
    policy->set_monitoring_line_fen(600000);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::MonitoringPolicy published;
    return stub_->PublishPolicy(&ctx, publish, &published);
  }

  // Food and clothing, education, medical care, housing and water all met
  // (request id "g-<household>" unless given).
  grpc::Status AllGuaranteesMet(const std::string& household_id,
                                const std::string& request_id = "") {
    v1::SetGuaranteesRequest req;
    req.set_request_id(request_id.empty() ? "g-" + household_id : request_id);
    req.set_household_id(household_id);
    auto* met = req.mutable_guarantees();
    met->set_food_clothing(v1::GUARANTEE_STATUS_MET);
    met->set_compulsory_education(v1::GUARANTEE_STATUS_MET);
    met->set_basic_medical(v1::GUARANTEE_STATUS_MET);
    met->set_safe_housing(v1::GUARANTEE_STATUS_MET);
    met->set_safe_water(v1::GUARANTEE_STATUS_MET);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer dev.653121.county_official.c");
    v1::Guarantees g;
    return stub_->SetGuarantees(&ctx, req, &g);
  }

  // Calls `method` of the stub as the principal of `token`.
  template <typename Method, typename Request, typename Response>
  grpc::Status Call(const std::string& token, Method method, const Request& req, Response* resp) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    return (stub_.get()->*method)(&ctx, req, resp);
  }

  // Wage income of `month` from a survey, recorded by the county.
  grpc::Status RecordWageIncome(const std::string& request_id, const std::string& household_id,
                                const std::string& month, int64_t fen) {
    v1::RecordIncomeRequest req;
    req.set_request_id(request_id);
    req.mutable_record()->set_household_id(household_id);
    req.mutable_record()->set_kind(v1::INCOME_KIND_WAGE);
    req.mutable_record()->set_source(v1::RECORD_SOURCE_SURVEY);
    req.mutable_record()->set_month(month);
    req.mutable_record()->set_amount_fen(fen);
    v1::IncomeRecord out;
    return Call(kCountyToken, &v1::MonitoringService::Stub::RecordIncome, req, &out);
  }

  // AssessHousehold by the county; `out` holds the assessment when OK.
  grpc::Status AssessNow(const std::string& household_id, v1::Assessment* out) {
    v1::AssessHouseholdRequest req;
    req.set_household_id(household_id);
    return Call(kCountyToken, &v1::MonitoringService::Stub::AssessHousehold, req, out);
  }

  static constexpr char kCountyToken[] = "dev.653121.county_official.c";

  // ReassessAll over the test county by the county, waited for until it
  // stops running (at most 10 s); `job` holds its last state.
  grpc::Status RunReassessment(const std::string& request_id, v1::ReassessReason reason,
                               v1::ReassessmentJob* job) {
    v1::ReassessAllRequest req;
    req.set_request_id(request_id);
    req.set_division_code("653121000000");
    req.set_reason(reason);
    grpc::Status s = Call(kCountyToken, &v1::MonitoringService::Stub::ReassessAll, req, job);
    for (int i = 0; s.ok() && i < 100 && job->state() == v1::JOB_STATE_RUNNING; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      v1::GetReassessmentJobRequest get;
      get.set_job_id(job->job_id());
      s = Call(kCountyToken, &v1::MonitoringService::Stub::GetReassessmentJob, get, job);
    }
    return s;
  }

  // The household's stored assessment inputs ('' when cleared).
  std::string StoredInputs(const std::string& household_id) {
    pqxx::connection conn(db_);
    return pqxx::nontransaction(conn)
        .exec_params1("SELECT inputs FROM monitoring.household_colours WHERE household_id = $1",
                      household_id)[0]
        .as<std::string>();
  }

  int Count(const std::string& sql) {
    pqxx::connection conn(db_);
    return pqxx::nontransaction(conn).exec1(sql)[0].as<int>();
  }

  static CreateHouseholdRequest Request(const std::string& request_id) {
    CreateHouseholdRequest req;
    req.set_request_id(request_id);
    auto* h = req.mutable_household();
    h->set_village_code("653121101201");
    h->set_category(v1::HOUSEHOLD_CATEGORY_LIFTED);
    h->set_member_count(5);
    return req;
  }

  std::string db_;
  config::ServiceConfig config_;
  std::unique_ptr<server::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MonitoringService::Stub> stub_;
};

TEST_F(MonitoringTest, RepeatedRequestReturnsFirstResultAndWritesNothing) {
  Household first, second;
  ASSERT_TRUE(Create(Request("req-1"), &first).ok());
  ASSERT_TRUE(Create(Request("req-1"), &second).ok());
  EXPECT_EQ(first.household_id(), second.household_id());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.households"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox"), 1) << "one event, not two";
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.idempotency"), 1);

  // The same request_id for a different request is refused and writes nothing.
  CreateHouseholdRequest other = Request("req-1");
  other.mutable_household()->set_member_count(2);
  Household ignored;
  const grpc::Status reused = Create(other, &ignored);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(errors::FieldViolationsOf(errors::FromGrpcStatus(reused))[0].field, "request_id");
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.households"), 1);

  // A new request_id creates a new household.
  Household third;
  ASSERT_TRUE(Create(Request("req-2"), &third).ok());
  EXPECT_NE(third.household_id(), first.household_id());
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.households"), 2);
}

// A request_id replays for --idempotency-retention-days (90 by default);
// the service purges older records when it starts and hourly after, and a
// repeat of a purged request_id then runs again.
TEST_F(MonitoringTest, IdempotencyRecordsPastTheRetentionArePurgedAndTheirRequestRunsAgain) {
  ASSERT_EQ(config_.idempotency_retention_days, 90);
  Household old_first, recent_first;
  ASSERT_TRUE(Create(Request("req-old"), &old_first).ok());
  ASSERT_TRUE(Create(Request("req-recent"), &recent_first).ok());
  {
    pqxx::connection conn(db_);
    pqxx::nontransaction(conn).exec(
        "UPDATE monitoring.idempotency SET created_at = now() - interval '91 days' "
        "WHERE request_id = 'req-old'");
    pqxx::nontransaction(conn).exec(
        "UPDATE monitoring.idempotency SET created_at = now() - interval '89 days' "
        "WHERE request_id = 'req-recent'");
  }
  server_->Shutdown(absl::Seconds(1));
  StartServer();
  for (int i = 0; i < 100 && Count("SELECT count(*) FROM monitoring.idempotency") != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.idempotency WHERE request_id = 'req-recent'"), 1)
      << "a record inside the window is kept";
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.idempotency WHERE request_id = 'req-old'"), 0)
      << "the record past the window is purged";

  Household old_again, recent_again;
  ASSERT_TRUE(Create(Request("req-recent"), &recent_again).ok());
  EXPECT_EQ(recent_again.household_id(), recent_first.household_id()) << "still a replay";
  ASSERT_TRUE(Create(Request("req-old"), &old_again).ok());
  EXPECT_NE(old_again.household_id(), old_first.household_id()) << "runs again after the window";
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.households"), 3);
}

TEST_F(MonitoringTest, ConcurrentDuplicatesCreateOneHousehold) {
  std::vector<std::thread> clients;
  std::vector<Household> results(8);
  std::vector<grpc::Status> statuses(8);
  for (int i = 0; i < 8; ++i) {
    clients.emplace_back([&, i] { statuses[i] = Create(Request("req-same"), &results[i]); });
  }
  for (auto& c : clients) c.join();
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(results[i].household_id(), results[0].household_id());
  }
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.households"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox"), 1);
}

TEST_F(MonitoringTest, InvalidRequestNamesEveryFieldAndChangesNothing) {
  CreateHouseholdRequest bad = Request("");
  bad.mutable_household()->set_village_code("65312110120");
  bad.mutable_household()->set_member_count(0);
  Household out;
  const grpc::Status s = Create(bad, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const auto& v : errors::FieldViolationsOf(errors::FromGrpcStatus(s))) {
    fields.push_back(v.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"request_id", "household.village_code",
                                              "household.member_count"}));
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.households"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.idempotency"), 0);
}

TEST_F(MonitoringTest, JurisdictionIsCheckedOnEveryCall) {
  Household created;
  ASSERT_TRUE(Create(Request("req-j"), &created).ok());

  // Another county's official may not create here.
  Household out;
  EXPECT_EQ(Create(Request("req-j2"), &out, "dev.653122.county_official.x").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A village cadre of another village may not either.
  EXPECT_EQ(Create(Request("req-j3"), &out, "dev.653121101202.village_cadre.x").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // No token: UNAUTHENTICATED.
  EXPECT_EQ(Create(Request("req-j4"), &out, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.households"), 1);

  auto get = [&](const std::string& token) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::GetHouseholdRequest req;
    req.set_household_id(created.household_id());
    Household h;
    return stub_->GetHousehold(&ctx, req, &h);
  };
  EXPECT_TRUE(get("dev.653100.prefecture_official.p").ok());
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer dev.653121.county_official.t1");
    v1::GetHouseholdRequest req;
    req.set_household_id(created.household_id());
    Household fetched;
    ASSERT_TRUE(stub_->GetHousehold(&ctx, req, &fetched).ok());
    EXPECT_EQ(fetched.SerializeAsString(), created.SerializeAsString())
        << "Get returns exactly what Create returned";
  }
  EXPECT_TRUE(get("dev.653121101201.village_cadre.v").ok());
  EXPECT_EQ(get("dev.653122.county_official.x").error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(get("dev.653100.operator.o").error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(MonitoringTest, ListPagesThroughADivision) {
  for (int i = 0; i < 7; ++i) {
    CreateHouseholdRequest req = Request("req-list-" + std::to_string(i));
    req.mutable_household()->set_village_code(i < 5 ? "653121101201" : "653121102201");
    Household out;
    ASSERT_TRUE(Create(req, &out).ok());
  }
  auto list = [&](const std::string& division, const std::string& token, int size) {
    std::vector<std::string> ids;
    std::string page;
    do {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer dev.653121.county_official.t1");
      v1::ListHouseholdsRequest req;
      req.set_division_code(division);
      req.set_page_size(size);
      req.set_page_token(page);
      v1::ListHouseholdsResponse resp;
      EXPECT_TRUE(stub_->ListHouseholds(&ctx, req, &resp).ok());
      EXPECT_LE(resp.households_size(), size);
      for (const auto& h : resp.households()) ids.push_back(h.household_id());
      page = resp.next_page_token();
    } while (!page.empty());
    (void)token;
    return ids;
  };
  EXPECT_EQ(list("653121", "", 3).size(), 7u);
  EXPECT_EQ(list("653121101", "", 2).size(), 5u);
  EXPECT_EQ(list("653121102201", "", 10).size(), 2u);
  const auto all = list("653121000000", "", 100);
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 7u) << "no household twice";
}

TEST_F(MonitoringTest, PersonalDataIsSealedAtRestAndMaskedByDefault) {
  Household household;
  ASSERT_TRUE(Create(Request("req-persons"), &household).ok());
  auto add = [&](const std::string& request_id, const std::string& id_number, v1::Person* out) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer dev.653121101201.village_cadre.v1");
    v1::AddPersonRequest req;
    req.set_request_id(request_id);
    auto* p = req.mutable_person();
    p->set_household_id(household.household_id());
    p->set_id_number(id_number);
    p->set_name("阿依古丽·吐尔逊");
    p->set_relation(v1::RELATION_HEAD);
    p->set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
    p->set_health(v1::HEALTH_STATUS_HEALTHY);
    return stub_->AddPerson(&ctx, req, out);
  };
  v1::Person added;
  ASSERT_TRUE(add("req-p1", "11010519491231002X", &added).ok());
  EXPECT_EQ(added.id_number(), "110105***********X");
  EXPECT_EQ(added.name(), "阿*******");
  EXPECT_EQ(added.birth_date(), "1949") << "masked: the year only";
  EXPECT_EQ(added.sex(), v1::SEX_FEMALE);
  EXPECT_TRUE(added.personal_data_masked());

  v1::Person again;
  EXPECT_EQ(add("req-p2", "11010519491231002x", &again).error_code(),
            grpc::StatusCode::ALREADY_EXISTS)
      << "the same ID number (lower-case x) is one person";
  EXPECT_EQ(add("req-p3", "110105194912310021", &again).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "bad check digit";

  // Nothing in clear at rest.
  pqxx::connection conn(db_);
  pqxx::nontransaction tx(conn);
  const auto row = tx.exec1(
      "SELECT position(convert_to('11010519491231002X', 'UTF8') IN id_sealed), "
      "position(convert_to('阿依古丽', 'UTF8') IN name_sealed), id_masked "
      "FROM monitoring.persons");
  EXPECT_EQ(row[0].as<int>(), 0);
  EXPECT_EQ(row[1].as<int>(), 0);
  EXPECT_EQ(row[2].as<std::string>(), "110105***********X");

  auto list = [&](const std::string& token, const std::string& purpose) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    v1::ListPersonsRequest req;
    req.set_household_id(household.household_id());
    req.set_purpose(purpose);
    v1::ListPersonsResponse resp;
    EXPECT_TRUE(stub_->ListPersons(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.persons_size(), 1);
    return resp.persons_size() == 1 ? resp.persons(0) : v1::Person();
  };
  const v1::Person clear = list("dev.653121.county_official.c", "home verification");
  EXPECT_EQ(clear.id_number(), "11010519491231002X");
  EXPECT_EQ(clear.name(), "阿依古丽·吐尔逊");
  EXPECT_EQ(clear.birth_date(), "1949-12-31");
  EXPECT_FALSE(clear.personal_data_masked());
  EXPECT_EQ(list("dev.653121.county_official.c", "").id_number(), "110105***********X")
      << "no purpose, no clear data";
  EXPECT_EQ(list("dev.653100.prefecture_official.p", "oversight").name(), "阿*******")
      << "the prefecture supervises with masked data";
}

// Months of the current income window (M4: the 12 months before this one).
std::vector<std::string> WindowMonths() {
  const absl::CivilMonth now(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()));
  std::vector<std::string> out;
  for (int i = 12; i >= 1; --i) out.push_back(absl::FormatCivilTime(now - i));
  return out;
}

TEST_F(MonitoringTest, IncomeBelowTheLineIsRedAndExplainedThenGreen) {
  const std::string region = "dev.650000.region_official.r";
  const std::string county = "dev.653121.county_official.c";
  Household household;
  CreateHouseholdRequest create = Request("req-risk");
  create.mutable_household()->set_member_count(4);
  ASSERT_TRUE(Create(create, &household).ok());

  v1::AssessHouseholdRequest assess;
  assess.set_household_id(household.household_id());
  v1::Assessment assessment;
  const grpc::Status no_policy =
      Call(county, &v1::MonitoringService::Stub::AssessHousehold, assess, &assessment);
  EXPECT_EQ(no_policy.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(no_policy.error_message().find("PublishPolicy"), std::string::npos);

  // The region publishes the line; a county official may not publish for it.
  EXPECT_EQ(PublishLine(county, "650000000000", "xj-2026-1").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(PublishLine(region, "650000000000", "xj-2026-1").ok());
  v1::GetEffectivePolicyRequest effective;
  effective.set_division_code(household.village_code());
  v1::MonitoringPolicy in_force;
  ASSERT_TRUE(
      Call(county, &v1::MonitoringService::Stub::GetEffectivePolicy, effective, &in_force).ok());
  EXPECT_EQ(in_force.version(), "xj-2026-1") << "the village inherits the region's policy";
  EXPECT_EQ(in_force.orange_line_permille(), 1200) << "defaults filled in";
  EXPECT_EQ(in_force.follow_up_days(), 180);
  ASSERT_TRUE(AllGuaranteesMet(household.household_id()).ok());

  // 12 x 1,500 yuan wages for 4 members: 4,500 yuan each, below the 6,000 line.
  int n = 0;
  auto record = [&](v1::IncomeKind kind, int64_t fen) {
    for (const auto& month : WindowMonths()) {
      v1::RecordIncomeRequest req;
      req.set_request_id("inc-" + std::to_string(n++));
      auto* r = req.mutable_record();
      r->set_household_id(household.household_id());
      r->set_kind(kind);
      r->set_source(v1::RECORD_SOURCE_SURVEY);
      r->set_month(month);
      r->set_amount_fen(fen);
      v1::IncomeRecord out;
      ASSERT_TRUE(Call(county, &v1::MonitoringService::Stub::RecordIncome, req, &out).ok());
    }
  };
  record(v1::INCOME_KIND_WAGE, 150000);
  ASSERT_TRUE(
      Call(county, &v1::MonitoringService::Stub::AssessHousehold, assess, &assessment).ok());
  EXPECT_EQ(assessment.colour(), v1::COLOUR_RED);
  EXPECT_EQ(assessment.per_capita_net_income_fen(), 450000);
  ASSERT_GE(assessment.factors_size(), 1);
  EXPECT_EQ(assessment.factors(0).kind(), "income_below_line");
  EXPECT_EQ(assessment.factors(0).threshold(), 600000);

  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.clues WHERE way = 5"), 1)
      << "turning red raised a platform-analysis clue (RULES M6)";
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.monitoring_objects"), 1);

  v1::ExplainAssessmentRequest explain;
  explain.set_household_id(household.household_id());
  v1::Explanation zh;
  ASSERT_TRUE(Call(county, &v1::MonitoringService::Stub::ExplainAssessment, explain, &zh).ok());
  ASSERT_GE(zh.reasons_size(), 1);
  EXPECT_NE(zh.reasons(0).find("4,500.00"), std::string::npos) << zh.reasons(0);
  EXPECT_NE(zh.reasons(0).find("6,000.00"), std::string::npos) << zh.reasons(0);
  explain.set_language("en");
  v1::Explanation en;
  ASSERT_TRUE(Call(county, &v1::MonitoringService::Stub::ExplainAssessment, explain, &en).ok());
  EXPECT_NE(en.reasons(0).find("monitoring line"), std::string::npos) << en.reasons(0);

  // Dividends lift the household above 1.5x the line: green.
  record(v1::INCOME_KIND_PROPERTY, 200000);
  ASSERT_TRUE(
      Call(county, &v1::MonitoringService::Stub::AssessHousehold, assess, &assessment).ok());
  EXPECT_EQ(assessment.colour(), v1::COLOUR_GREEN) << assessment.DebugString();
  EXPECT_EQ(assessment.per_capita_net_income_fen(), 1050000);
  // Two here, and one more if the policy's re-assessment job got there first.
  EXPECT_GE(Count("SELECT count(*) FROM monitoring.assessments"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.clues"), 1) << "green raises nothing";
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.outbox "
                  "WHERE event_type = 'monitoring.household_color_changed'"),
            2)
      << "unassessed -> red -> green";
}

TEST_F(MonitoringTest, WageEventsAreBookedOnceAndReassess) {
  const std::string county = "dev.653121.county_official.c";
  Household household;
  CreateHouseholdRequest create = Request("req-wages");
  create.mutable_household()->set_member_count(1);
  ASSERT_TRUE(Create(create, &household).ok());
  ASSERT_TRUE(PublishLine(county, "653121000000", "county-w").ok());
  ASSERT_TRUE(AllGuaranteesMet(household.household_id()).ok());
  v1::AssessHouseholdRequest assess;
  assess.set_household_id(household.household_id());
  v1::Assessment assessment;
  ASSERT_TRUE(
      Call(county, &v1::MonitoringService::Stub::AssessHousehold, assess, &assessment).ok());
  ASSERT_EQ(assessment.colour(), v1::COLOUR_RED) << "no income yet";

  // The employment service's outbox, in the same database, relayed to its
  // stream in this instance's namespace: twelve months of 1,000 yuan wages.
  {
    pqxx::connection conn(db_);
    ASSERT_TRUE(
        migrations::Apply(conn, "employment", "common", migrations::CommonMigrations()).ok());
  }
  pg::Pool employment({.conninfo = db_, .size = 1, .search_path = "employment"});
  ASSERT_TRUE(pg::WithTransaction(employment, [&](pqxx::transaction_base& tx) {
                for (const auto& month : WindowMonths()) {
                  zx::employment::v1::WagePaid wage;
                  wage.set_placement_id("pl-1");
                  wage.set_household_id(household.household_id());
                  wage.set_month(month);
                  wage.set_amount_fen(100000);
                  auto id = events::Append(tx, "test",
                                           {.type = "employment.wage_paid",
                                            .division_code = household.village_code(),
                                            .aggregate_id = "pl-1",
                                            .payload = &wage});
                  if (!id.ok()) return id.status();
                }
                return absl::OkStatus();
              }).ok());
  auto& stack = zx::testing::Stack::Get();
  events::Relay relay({.pg_conninfo = db_,
                       .schema = "employment",
                       .stream_key = "zx:it-monitoring:events:employment",
                       .redis_host = stack.redis_host(),
                       .redis_port = stack.redis_port()},
                      nullptr);
  ASSERT_EQ(*relay.PublishBatch(), 12);
  for (int i = 0; i < 100 && Count("SELECT count(*) FROM monitoring.income_records") < 12; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.income_records WHERE source = 3"), 12);
  // Every event re-assessed: 12,000 yuan a year for one member is green.
  for (int i = 0; i < 50 && Count("SELECT colour FROM monitoring.household_colours") != 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Count("SELECT colour FROM monitoring.household_colours"), 4) << "green";

  // The same events delivered again (a relay crash before its commit) book nothing.
  {
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec("UPDATE employment.outbox SET published_at = NULL");
    tx.exec("DELETE FROM employment.outbox_batches");
    tx.commit();
  }
  ASSERT_EQ(*relay.PublishBatch(), 12);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.income_records"), 12) << "booked once";
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.processed_events"), 12);
}

TEST_F(MonitoringTest, PublishingAPolicyReassessesEveryHouseholdInAResumableJob) {
  for (int i = 0; i < 5; ++i) {
    CreateHouseholdRequest req = Request("req-job-" + std::to_string(i));
    req.mutable_household()->set_village_code(i < 3 ? "653121101201" : "653121102201");
    Household out;
    ASSERT_TRUE(Create(req, &out).ok());
  }
  ASSERT_TRUE(PublishLine("dev.650000.region_official.r", "650000000000", "xj-job").ok());
  auto wait_done = [&](const std::string& job_id) {
    v1::ReassessmentJob job;
    for (int i = 0; i < 100; ++i) {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer dev.653121.county_official.c");
      v1::GetReassessmentJobRequest req;
      req.set_job_id(job_id);
      EXPECT_TRUE(stub_->GetReassessmentJob(&ctx, req, &job).ok());
      if (job.state() != v1::JOB_STATE_RUNNING) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return job;
  };
  pqxx::connection conn(db_);
  const std::string policy_job = pqxx::nontransaction(conn)
                                     .exec1("SELECT job_id FROM monitoring.reassessment_jobs")[0]
                                     .as<std::string>();
  const v1::ReassessmentJob first = wait_done(policy_job);
  EXPECT_EQ(first.state(), v1::JOB_STATE_DONE) << first.error();
  EXPECT_EQ(first.households_total(), 5);
  EXPECT_EQ(first.households_done(), 5);
  EXPECT_EQ(first.division_code(), "653121000000") << "the instance's share of a region policy";
  EXPECT_EQ(Count("SELECT count(DISTINCT household_id) FROM monitoring.assessments"), 5);

  // On request, for one township; a repeat of the request is the same job.
  v1::ReassessAllRequest again;
  again.set_request_id("reassess-1");
  again.set_division_code("653121101");
  v1::ReassessmentJob job, repeat;
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer dev.653121101.township_official.t");
    ASSERT_TRUE(stub_->ReassessAll(&ctx, again, &job).ok());
  }
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer dev.653121101.township_official.t");
    ASSERT_TRUE(stub_->ReassessAll(&ctx, again, &repeat).ok());
  }
  EXPECT_EQ(job.job_id(), repeat.job_id());
  EXPECT_EQ(wait_done(job.job_id()).households_done(), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.assessments"), 5)
      << "re-assessing to the same result records nothing new";
  {
    // Another township's official may not start it for this one.
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer dev.653121102.township_official.t2");
    again.set_request_id("reassess-2");
    EXPECT_EQ(stub_->ReassessAll(&ctx, again, &job).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
}

TEST_F(MonitoringTest, ReassessmentRecordsChangedResultsAndSignalsOnlyChangedColours) {
  // Three households of 5 with yearly incomes of 20,000 / 40,000 / 70,000
  // yuan: per capita 4,000 / 8,000 / 14,000 against a 6,000-yuan line.
  const int64_t yearly_fen[] = {2'000'000, 4'000'000, 7'000'000};
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    Household out;
    ASSERT_TRUE(Create(Request("req-batch-" + std::to_string(i)), &out).ok());
    ids.push_back(out.household_id());
    ASSERT_TRUE(AllGuaranteesMet(out.household_id()).ok());
    v1::RecordIncomeRequest income;
    income.set_request_id("income-batch-" + std::to_string(i));
    auto* r = income.mutable_record();
    r->set_household_id(out.household_id());
    r->set_kind(v1::INCOME_KIND_WAGE);
    r->set_source(v1::RECORD_SOURCE_SURVEY);
    r->set_month(absl::FormatCivilTime(
        absl::CivilMonth(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone())) - 2));
    r->set_amount_fen(yearly_fen[i]);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer dev.653121.county_official.c");
    v1::IncomeRecord recorded;
    ASSERT_TRUE(stub_->RecordIncome(&ctx, income, &recorded).ok());
  }
  auto run_job = [&](const std::string& request_id) {
    v1::ReassessAllRequest req;
    req.set_request_id(request_id);
    req.set_division_code("653121000000");
    v1::ReassessmentJob job;
    {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer dev.653121.county_official.c");
      EXPECT_TRUE(stub_->ReassessAll(&ctx, req, &job).ok());
    }
    for (int i = 0; i < 100 && job.state() == v1::JOB_STATE_RUNNING; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", "Bearer dev.653121.county_official.c");
      v1::GetReassessmentJobRequest get;
      get.set_job_id(job.job_id());
      EXPECT_TRUE(stub_->GetReassessmentJob(&ctx, get, &job).ok());
    }
    EXPECT_EQ(job.state(), v1::JOB_STATE_DONE) << job.error();
  };
  auto colour_of = [&](int i) {
    return Count("SELECT colour FROM monitoring.household_colours WHERE household_id = '" + ids[i] +
                 "'");
  };
  const std::string changed_events =
      "SELECT count(*) FROM monitoring.outbox WHERE event_type = "
      "'monitoring.household_color_changed'";
  ASSERT_TRUE(PublishLine("dev.653121.county_official.c", "653121000000", "shufu-1").ok());
  run_job("batch-1");
  EXPECT_EQ(colour_of(0), v1::COLOUR_RED);
  EXPECT_EQ(colour_of(1), v1::COLOUR_YELLOW);  // 8,000 < 1.5 x 6,000
  EXPECT_EQ(colour_of(2), v1::COLOUR_GREEN);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.assessments"), 3);
  EXPECT_EQ(Count(changed_events), 3) << "first colours";
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.clues"), 1) << "the RED one";

  // Nothing changed: nothing recorded, nothing signalled.
  run_job("batch-2");
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.assessments"), 3);
  EXPECT_EQ(Count(changed_events), 3);

  // Behind the service's back, the RED household gets 50,000 yuan more and
  // its stored inputs are lost: the next job must read its records again.
  {
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO monitoring.income_records (record_id, household_id, kind, source, month, "
        "amount_fen) VALUES ('ir-behind-the-back', $1, 1, 2, date_trunc('month', now()) - "
        "interval '2 months', 5000000)",
        ids[0]);
    tx.exec_params("UPDATE monitoring.household_colours SET inputs = '' WHERE household_id = $1",
                   ids[0]);
    tx.commit();
  }
  // The county raises its line to 8,500 yuan from today. Its own job
  // re-applies the rules to the stored inputs: the middle household turns
  // RED, the top one keeps its result (and its assessment), the one without
  // usable inputs is recomputed from its records (GREEN now).
  v1::PublishPolicyRequest raise;
  raise.set_request_id("pol-raise");
  auto* p = raise.mutable_policy();
  p->set_version("shufu-2");
  p->set_owner_division_code("653121000000");
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());
  p->set_year(static_cast<int>(absl::CivilYear(today).year()));
  p->set_effective_from(absl::FormatCivilTime(today));
  p->set_monitoring_line_fen(850'000);
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer dev.653121.county_official.c");
    v1::MonitoringPolicy published;
    const grpc::Status s = stub_->PublishPolicy(&ctx, raise, &published);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  v1::ReassessmentJob policy_job;
  {
    pqxx::connection conn(db_);
    policy_job.set_job_id(pqxx::nontransaction(conn)
                              .exec1("SELECT job_id FROM monitoring.reassessment_jobs "
                                     "WHERE cause LIKE '%shufu-2%'")[0]
                              .as<std::string>());
  }
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer dev.653121.county_official.c");
    v1::GetReassessmentJobRequest get;
    get.set_job_id(policy_job.job_id());
    ASSERT_TRUE(stub_->GetReassessmentJob(&ctx, get, &policy_job).ok());
    if (policy_job.state() != v1::JOB_STATE_RUNNING) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(policy_job.state(), v1::JOB_STATE_DONE) << policy_job.error();
  EXPECT_EQ(policy_job.reason(), v1::REASSESS_REASON_POLICY);
  EXPECT_EQ(policy_job.households_done(), 3);
  EXPECT_EQ(colour_of(0), v1::COLOUR_GREEN) << "recomputed from its records";
  EXPECT_EQ(colour_of(1), v1::COLOUR_RED);
  EXPECT_EQ(colour_of(2), v1::COLOUR_GREEN);  // 14,000 >= 1.5 x 8,500
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.assessments"), 5);
  EXPECT_EQ(Count(changed_events), 5) << "two colours changed";
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.clues"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.assessments WHERE policy_version = 'shufu-2'"),
            2);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.household_colours WHERE inputs LIKE 'v2;%'"), 3)
      << "every current assessment keeps its inputs";
  // A later job for records finds nothing new.
  run_job("batch-3");
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.assessments"), 5);
}

// A record written through the API is assessed when the caller asks; until
// then a POLICY job must not re-use the inputs stored before it.
TEST_F(MonitoringTest, PolicyJobRecomputesAHouseholdWhoseRecordsChangedSinceItsAssessment) {
  const std::string county = "dev.653121.county_official.c";
  Household household;
  ASSERT_TRUE(Create(Request("req-stale-inputs"), &household).ok());
  ASSERT_TRUE(AllGuaranteesMet(household.household_id()).ok());
  ASSERT_TRUE(PublishLine(county, "653121000000", "shufu-stale-1").ok());
  const std::string month = WindowMonths().back();
  // 70,000 yuan for 5 members: 14,000 each, green against a 6,000-yuan line.
  ASSERT_TRUE(RecordWageIncome("stale-income", household.household_id(), month, 7'000'000).ok());
  v1::Assessment assessment;
  ASSERT_TRUE(AssessNow(household.household_id(), &assessment).ok());
  ASSERT_EQ(assessment.colour(), v1::COLOUR_GREEN) << assessment.DebugString();

  // 40,000 yuan of compliant medical spending: more than half the income.
  v1::RecordExpenseRequest expense;
  expense.set_request_id("stale-expense");
  expense.mutable_record()->set_household_id(household.household_id());
  expense.mutable_record()->set_kind(v1::EXPENSE_KIND_MEDICAL);
  expense.mutable_record()->set_source(v1::RECORD_SOURCE_DEPARTMENT);
  expense.mutable_record()->set_month(month);
  expense.mutable_record()->set_amount_fen(4'000'000);
  v1::ExpenseRecord recorded_expense;
  ASSERT_TRUE(
      Call(county, &v1::MonitoringService::Stub::RecordExpense, expense, &recorded_expense).ok());

  // A POLICY job, nobody having asked for an assessment since.
  v1::ReassessmentJob job;
  ASSERT_TRUE(RunReassessment("stale-policy-job", v1::REASSESS_REASON_POLICY, &job).ok());
  ASSERT_EQ(job.state(), v1::JOB_STATE_DONE) << job.error();
  EXPECT_EQ(Count("SELECT colour FROM monitoring.household_colours WHERE household_id = '" +
                  household.household_id() + "'"),
            static_cast<int>(v1::COLOUR_ORANGE))
      << "the job assessed the household from its records, medical spending included";
}

TEST_F(MonitoringTest, AnUnchangedResultFromRecordsPutsTheClearedInputsBack) {
  Household household;
  ASSERT_TRUE(Create(Request("req-restore-inputs"), &household).ok());
  ASSERT_TRUE(AllGuaranteesMet(household.household_id()).ok());
  ASSERT_TRUE(PublishLine(kCountyToken, "653121000000", "shufu-restore-1").ok());
  ASSERT_TRUE(
      RecordWageIncome("restore-income", household.household_id(), WindowMonths().back(), 7'000'000)
          .ok());
  v1::Assessment assessment;
  ASSERT_TRUE(AssessNow(household.household_id(), &assessment).ok());
  const std::string assessed_inputs = StoredInputs(household.household_id());
  ASSERT_NE(assessed_inputs, "");

  // The same guarantees again: a record change that moves no figure.
  ASSERT_TRUE(AllGuaranteesMet(household.household_id(), "restore-guarantees-again").ok());
  ASSERT_EQ(StoredInputs(household.household_id()), "") << "the record change cleared them";

  v1::ReassessmentJob job;
  ASSERT_TRUE(RunReassessment("restore-records-job", v1::REASSESS_REASON_RECORDS, &job).ok());
  ASSERT_EQ(job.state(), v1::JOB_STATE_DONE) << job.error();
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.assessments WHERE household_id = '" +
                  household.household_id() + "'"),
            1)
      << "the same result records no assessment";
  EXPECT_EQ(StoredInputs(household.household_id()), assessed_inputs)
      << "the job's assessment from records puts the inputs back for later policy jobs";
}

TEST_F(MonitoringTest, PolicyPublishedAheadReassessesWhenItTakesEffect) {
  Household out;
  ASSERT_TRUE(Create(Request("req-ahead"), &out).ok());
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());
  const absl::CivilDay tomorrow = today + 1;
  v1::PublishPolicyRequest publish;
  publish.set_request_id("pol-ahead");
  auto* p = publish.mutable_policy();
  p->set_version("shufu-next");
  p->set_owner_division_code("653121000000");
  p->set_year(static_cast<int>(absl::CivilYear(tomorrow).year()));
  p->set_effective_from(absl::FormatCivilTime(tomorrow));
  p->set_monitoring_line_fen(700'000);
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer dev.653121.county_official.c");
    v1::MonitoringPolicy published;
    const grpc::Status s = stub_->PublishPolicy(&ctx, publish, &published);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.reassessment_jobs"), 0)
      << "not in effect yet: nothing to re-assess";
  auto applied = ApplyPoliciesTakingEffect(server_->runtime(), today);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, 0);
  applied = ApplyPoliciesTakingEffect(server_->runtime(), tomorrow);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.reassessment_jobs WHERE cause = "
                  "'policy 653121000000/shufu-next took effect' AND households_total = 1"),
            1);
  applied = ApplyPoliciesTakingEffect(server_->runtime(), tomorrow);
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 0) << "applied once";
}

TEST_F(MonitoringTest, LowerLevelPoliciesInheritAndNeverLowerTheLine) {
  const int year = absl::CivilYear(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone())).year();
  auto publish = [&](const std::string& token, const std::string& owner, const std::string& version,
                     const std::string& from, int64_t line, int publicity_days,
                     v1::MonitoringPolicy* out) {
    v1::PublishPolicyRequest req;
    req.set_request_id("pol-" + version);
    auto* p = req.mutable_policy();
    p->set_version(version);
    p->set_owner_division_code(owner);
    p->set_year(year);
    p->set_effective_from(absl::StrCat(year, from));
    p->set_monitoring_line_fen(line);
    p->set_publicity_min_days(publicity_days);
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    return stub_->PublishPolicy(&ctx, req, out);
  };
  const std::string region = "dev.650000.region_official.r";
  const std::string county = "dev.653121.county_official.c";
  v1::MonitoringPolicy out;
  ASSERT_TRUE(publish(region, "650000000000", "xj-1", "-01-01", 750000, 0, &out).ok());
  // The county changes only the publicity period: the line stays the region's.
  ASSERT_TRUE(publish(county, "653121000000", "shufu-1", "-01-02", 0, 7, &out).ok());
  EXPECT_EQ(out.monitoring_line_fen(), 750000);
  EXPECT_EQ(out.publicity_min_days(), 7);
  // Lowering the line below the region's is refused, naming the field.
  const grpc::Status lower = publish(county, "653121000000", "shufu-2", "-01-03", 600000, 0, &out);
  ASSERT_EQ(lower.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(errors::FieldViolationsOf(errors::FromGrpcStatus(lower))[0].field,
            "policy.monitoring_line_fen");
  // A second version taking effect the same day cannot be ordered: refused.
  EXPECT_EQ(publish(county, "653121000000", "shufu-3", "-01-02", 800000, 0, &out).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(MonitoringTest, BadRecordsNameTheirFieldsAndChangeNothing) {
  Household household;
  ASSERT_TRUE(Create(Request("req-bad-records"), &household).ok());
  v1::RecordIncomeRequest req;
  req.set_request_id("inc-bad");
  auto* r = req.mutable_record();
  r->set_household_id(household.household_id());
  r->set_source(v1::RECORD_SOURCE_EVENT);
  r->set_month("2999-01");
  r->set_amount_fen(-5);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer dev.653121.county_official.c");
  v1::IncomeRecord out;
  const grpc::Status s = stub_->RecordIncome(&ctx, req, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::vector<std::string> fields;
  for (const auto& v : errors::FieldViolationsOf(errors::FromGrpcStatus(s))) {
    fields.push_back(v.field);
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"record.kind", "record.source", "record.month",
                                              "record.amount_fen"}));
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.income_records"), 0);
}

// "ORANGE if income fell >= 30%": compared on the household totals, not on
// per-capita figures already rounded down (which read 299.9998 per mille).
TEST_F(MonitoringTest, AFallOfThirtyPercentIsOrangeOnTheExactTotals) {
  const std::string county = "dev.653121.county_official.c";
  CreateHouseholdRequest create = Request("req-exact-drop");
  create.mutable_household()->set_member_count(3);
  Household household;
  ASSERT_TRUE(Create(create, &household).ok());
  ASSERT_TRUE(PublishLine(county, "653121000000", "shufu-exact-drop").ok());
  ASSERT_TRUE(AllGuaranteesMet(household.household_id()).ok());
  const absl::CivilMonth now(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()));
  // Previous window 60,000.05 yuan, this window 42,000.03: a fall of 30.0000083%.
  const std::pair<absl::CivilMonth, int64_t> incomes[] = {{now - 13, 6'000'005},
                                                          {now - 1, 4'200'003}};
  for (const auto& [month, fen] : incomes) {
    ASSERT_TRUE(RecordWageIncome(absl::StrCat("exact-drop-", absl::FormatCivilTime(month)),
                                 household.household_id(), absl::FormatCivilTime(month), fen)
                    .ok());
  }
  v1::Assessment a;
  ASSERT_TRUE(AssessNow(household.household_id(), &a).ok());
  EXPECT_EQ(a.per_capita_net_income_fen(), 1'400'001);
  EXPECT_EQ(a.previous_per_capita_net_income_fen(), 2'000'001);
  EXPECT_EQ(a.colour(), v1::COLOUR_ORANGE) << a.DebugString();
  ASSERT_EQ(a.factors_size(), 1) << a.DebugString();
  EXPECT_EQ(a.factors(0).kind(), "income_drop_orange");
}

// The ORANGE factor "a sudden event in the last 90 days": recording one
// re-assesses the household, which turns ORANGE and raises a platform clue.
TEST_F(MonitoringTest, SuddenEventTurnsAHealthyHouseholdOrangeWithinItsWindow) {
  const std::string county = "dev.653121.county_official.c";
  Household household;
  ASSERT_TRUE(Create(Request("req-sudden"), &household).ok());
  ASSERT_TRUE(PublishLine("dev.650000.region_official.r", "650000000000", "xj-sudden").ok());
  ASSERT_TRUE(AllGuaranteesMet(household.household_id()).ok());
  // 12 x 4,000 yuan for 5 members: 9,600 yuan each, above 1.5 x the 6,000 line.
  int n = 0;
  for (const auto& month : WindowMonths()) {
    ASSERT_TRUE(RecordWageIncome("sudden-inc-" + std::to_string(n++), household.household_id(),
                                 month, 400000)
                    .ok());
  }
  v1::Assessment assessment;
  ASSERT_TRUE(AssessNow(household.household_id(), &assessment).ok());
  ASSERT_EQ(assessment.colour(), v1::COLOUR_GREEN) << assessment.DebugString();
  const std::string colour_sql =
      "SELECT colour FROM monitoring.household_colours WHERE "
      "household_id = '" +
      household.household_id() + "'";

  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());
  auto event = [&](const std::string& request_id, absl::CivilDay day) {
    v1::RecordSuddenEventRequest req;
    req.set_request_id(request_id);
    auto* e = req.mutable_event();
    e->set_household_id(household.household_id());
    e->set_kind(v1::SUDDEN_EVENT_KIND_SERIOUS_ILLNESS);
    e->set_occurred_on(absl::FormatCivilTime(day));
    e->set_note("住院治疗");
    return req;
  };
  v1::SuddenEvent recorded;

  // A date after today names its field and writes nothing.
  grpc::Status s = Call(county, &v1::MonitoringService::Stub::RecordSuddenEvent,
                        event("sudden-future", today + 1), &recorded);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(errors::FieldViolationsOf(errors::FromGrpcStatus(s)).size(), 1u);
  EXPECT_EQ(errors::FieldViolationsOf(errors::FromGrpcStatus(s))[0].field, "event.occurred_on");
  // Another county's official may not record one here.
  s = Call("dev.653122.county_official.x", &v1::MonitoringService::Stub::RecordSuddenEvent,
           event("sudden-outside", today - 10), &recorded);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.sudden_events"), 0);

  // 91 days ago is outside the default 90-day window: still green.
  ASSERT_TRUE(Call(county, &v1::MonitoringService::Stub::RecordSuddenEvent,
                   event("sudden-old", today - 91), &recorded)
                  .ok());
  EXPECT_EQ(Count(colour_sql), static_cast<int>(v1::COLOUR_GREEN));
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.clues"), 0);

  // Exactly 90 days ago is inside it: orange, with a platform clue.
  ASSERT_TRUE(Call(county, &v1::MonitoringService::Stub::RecordSuddenEvent,
                   event("sudden-illness", today - 90), &recorded)
                  .ok());
  EXPECT_EQ(recorded.event_id().substr(0, 3), "se-");
  EXPECT_TRUE(recorded.has_recorded_at());
  EXPECT_EQ(Count(colour_sql), static_cast<int>(v1::COLOUR_ORANGE))
      << "recording the event re-assessed the household";
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.clues WHERE way = 5"), 1)
      << "turning orange raised a platform-analysis clue (RULES M6)";
  v1::ExplainAssessmentRequest explain;
  explain.set_household_id(household.household_id());
  explain.set_language("en");
  v1::Explanation en;
  ASSERT_TRUE(Call(county, &v1::MonitoringService::Stub::ExplainAssessment, explain, &en).ok());
  ASSERT_EQ(en.reasons_size(), 1);
  EXPECT_NE(en.reasons(0).find("Sudden event on " + absl::FormatCivilTime(today - 90)),
            std::string::npos)
      << en.reasons(0);

  // A retry of the same request records nothing twice.
  v1::SuddenEvent again;
  ASSERT_TRUE(Call(county, &v1::MonitoringService::Stub::RecordSuddenEvent,
                   event("sudden-illness", today - 90), &again)
                  .ok());
  EXPECT_EQ(again.event_id(), recorded.event_id());
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.sudden_events"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM monitoring.clues"), 1);
}

TEST_F(MonitoringTest, EventLeavesThroughOutboxToTheStream) {
  Household created;
  ASSERT_TRUE(Create(Request("req-event"), &created).ok());
  auto& stack = zx::testing::Stack::Get();
  events::RedisClient redis(stack.redis_host(), stack.redis_port());
  const std::string stream = "zx:it-monitoring:events:monitoring";
  bool found = false;
  for (int i = 0; i < 50 && !found; ++i) {
    auto r = redis.Command({"XRANGE", stream, "-", "+"});
    ASSERT_TRUE(r.ok());
    for (size_t e = 0; e < (*r)->elements; ++e) {
      const redisReply* fields = (*r)->element[e]->element[1];
      for (size_t f = 0; f + 1 < fields->elements; f += 2) {
        if (std::string(fields->element[f]->str) != "event") continue;
        zx::common::v1::Event event;
        ASSERT_TRUE(event.ParseFromArray(fields->element[f + 1]->str,
                                         static_cast<int>(fields->element[f + 1]->len)));
        if (event.aggregate_id() == created.household_id()) {
          found = true;
          EXPECT_EQ(event.type(), "monitoring.household_registered");
          EXPECT_EQ(event.division_code(), "653121101201");
          EXPECT_EQ(event.causation_id(), "req-event");
          v1::HouseholdRegistered payload;
          ASSERT_TRUE(event.payload().UnpackTo(&payload));
          EXPECT_EQ(payload.household().member_count(), 5);
        }
      }
    }
    if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(found) << "the relay published the event (woken by NOTIFY)";
  redis.Command({"DEL", stream}).IgnoreError();
}

}  // namespace
}  // namespace zx::monitoring
