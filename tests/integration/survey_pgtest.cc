// IngestSurvey over real gRPC streaming, PostgreSQL and Redis: rows matched
// by ID hash, one result per row, bad rows rejected naming their field, rows
// outside the caller's jurisdiction indistinguishable from unknown numbers,
// a retried stream applying nothing twice, and the re-assessment it queues.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/id_card/id_card.h"
#include "common/server/server.h"
#include "common/testing/lockstep_stream.h"
#include "common/testing/stack.h"
#include "services/monitoring/api/monitoring_service.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::monitoring {
namespace {

constexpr char kCounty[] = "dev.653121000000.county_official.c1";
constexpr char kVillageA[] = "653121101201";
constexpr char kVillageB[] = "653121101202";

// A valid ID number registered in Shufu, born 1980, sequence `n`.
std::string IdNumber(int n) {
  const std::string first17 = absl::StrFormat("65312119800101%03d", n);
  return first17 + id_card::CheckDigit(first17);
}

class SurveyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("survey_it");
    auto config = stack.ServiceConfig("monitoring", db_);
    config.redis_namespace = "zx:it-survey";
    auto server = server::Server::Start(MonitoringSpec(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::MonitoringService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < 3; ++i) households_.push_back(Household(kVillageA, i + 1));
    households_.push_back(Household(kVillageB, 4));
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  static void Prepare(grpc::ClientContext& ctx, const std::string& token) {
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  }

  // A household in `village` whose head has ID number IdNumber(n).
  std::string Household(const std::string& village, int n) {
    v1::CreateHouseholdRequest create;
    create.set_request_id(absl::StrCat("hh-", n));
    create.mutable_household()->set_village_code(village);
    create.mutable_household()->set_category(v1::HOUSEHOLD_CATEGORY_LIFTED);
    create.mutable_household()->set_member_count(2);
    v1::Household household;
    grpc::ClientContext c1;
    Prepare(c1, kCounty);
    EXPECT_TRUE(stub_->CreateHousehold(&c1, create, &household).ok());
    v1::AddPersonRequest add;
    add.set_request_id(absl::StrCat("ps-", n));
    auto* p = add.mutable_person();
    p->set_household_id(household.household_id());
    p->set_id_number(IdNumber(n));
    p->set_name("吐尔逊·买买提");
    p->set_relation(v1::RELATION_HEAD);
    p->set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
    p->set_health(v1::HEALTH_STATUS_HEALTHY);
    v1::Person person;
    grpc::ClientContext c2;
    Prepare(c2, kCounty);
    const grpc::Status s = stub_->AddPerson(&c2, add, &person);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return household.household_id();
  }

  static v1::SurveyRow Row(int64_t number, int person, const std::string& month, int64_t wage) {
    v1::SurveyRow row;
    row.set_row_number(number);
    row.set_id_number(IdNumber(person));
    row.set_month(month);
    row.set_source(v1::RECORD_SOURCE_SURVEY);
    row.set_wage_fen(wage);
    row.set_transfer_fen(5'000);
    row.set_medical_fen(1'000);
    return row;
  }

  using StreamResult = zx::testing::LockstepResult<v1::IngestSurveyResponse>;

  // Sends each message, reading its response before the next, then closes.
  StreamResult Stream(const std::vector<v1::IngestSurveyRequest>& messages,
                      const std::string& token = kCounty) {
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    return zx::testing::RunLockstep<v1::IngestSurveyRequest, v1::IngestSurveyResponse>(
        ctx, [this](grpc::ClientContext* c) { return stub_->IngestSurvey(c); }, messages);
  }

  int64_t Sql(const std::string& query) {
    pqxx::connection conn(db_);
    return pqxx::nontransaction(conn).exec1(query)[0].as<int64_t>();
  }

  std::string db_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<v1::MonitoringService::Stub> stub_;
  std::vector<std::string> households_;
};

TEST_F(SurveyTest, RowsAreMatchedByIdAndEachGetsItsResult) {
  const absl::CivilMonth last(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()));
  const std::string month = absl::FormatCivilTime(last - 1);
  v1::IngestSurveyRequest first;
  first.set_batch_id("2026-10-shufu-1");
  *first.add_rows() = Row(1, 1, month, 300'000);
  *first.add_rows() = Row(2, 2, month, 0);
  *first.add_rows() = Row(3, 99, month, 1);  // nobody has this number
  v1::SurveyRow future = Row(4, 3, absl::FormatCivilTime(last + 1), 1);
  *first.add_rows() = future;
  v1::IngestSurveyRequest second;
  second.set_batch_id("2026-10-shufu-1");
  *second.add_rows() = Row(5, 3, month, 200'000);
  *second.add_rows() = Row(6, 1, month, 7);  // household 1 again, same month

  const StreamResult result = Stream({first, second});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.responses.size(), 3u) << "one per message, then the job";
  const auto& r1 = result.responses[0].results();
  ASSERT_EQ(r1.size(), 4);
  EXPECT_EQ(r1[0].outcome(), v1::ROW_OUTCOME_ACCEPTED);
  EXPECT_EQ(r1[0].household_id(), households_[0]);
  EXPECT_EQ(r1[1].outcome(), v1::ROW_OUTCOME_ACCEPTED);
  EXPECT_EQ(r1[2].outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(r1[2].field(), "rows[2].id_number");
  EXPECT_EQ(r1[3].outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(r1[3].field(), "rows[3].month");
  EXPECT_EQ(r1[3].row_number(), 4);
  const auto& r2 = result.responses[1].results();
  ASSERT_EQ(r2.size(), 2);
  EXPECT_EQ(r2[0].outcome(), v1::ROW_OUTCOME_ACCEPTED);
  EXPECT_EQ(r2[1].outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(r2[1].field(), "rows[1].month") << r2[1].reason();
  EXPECT_FALSE(result.responses[2].reassessment_job_id().empty());

  // Rows 1 and 5 carry wage + transfer, row 2 only transfer: 5 income
  // records, and a medical expense for each of the 3 accepted rows.
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.income_records"), 5);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.expense_records WHERE kind = 2"), 3);
  EXPECT_EQ(Sql(absl::StrCat("SELECT sum(amount_fen) FROM monitoring.income_records "
                             "WHERE household_id = '",
                             households_[0], "'")),
            305'000);

  // The same stream again: nothing applied twice.
  const StreamResult again = Stream({first, second});
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_EQ(again.responses[0].results(0).outcome(), v1::ROW_OUTCOME_ALREADY_ACCEPTED);
  EXPECT_EQ(again.responses[0].results(0).household_id(), households_[0]);
  EXPECT_EQ(again.responses[1].results(0).outcome(), v1::ROW_OUTCOME_ALREADY_ACCEPTED);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.income_records"), 5);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.survey_rows"), 3);
}

TEST_F(SurveyTest, OutsideTheJurisdictionReadsLikeAnUnknownNumber) {
  const std::string month = absl::FormatCivilTime(
      absl::CivilMonth(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone())) - 1);
  v1::IngestSurveyRequest m;
  m.set_batch_id("village-a");
  *m.add_rows() = Row(1, 1, month, 100);   // village A: the cadre's own
  *m.add_rows() = Row(2, 4, month, 100);   // village B
  *m.add_rows() = Row(3, 98, month, 100);  // unknown
  const StreamResult r = Stream({m}, absl::StrCat("dev.", kVillageA, ".village_cadre.v"));
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  const auto& results = r.responses[0].results();
  EXPECT_EQ(results[0].outcome(), v1::ROW_OUTCOME_ACCEPTED);
  EXPECT_EQ(results[1].outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(results[1].reason(), results[2].reason()) << "no existence oracle";
  EXPECT_EQ(results[1].household_id(), "");
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.survey_rows"), 1);
}

TEST_F(SurveyTest, QueuedReassessmentColoursTheHouseholds) {
  // A line so the households can be assessed.
  v1::PublishPolicyRequest publish;
  publish.set_request_id("policy");
  auto* p = publish.mutable_policy();
  p->set_version("shufu-1");
  p->set_owner_division_code("653121000000");
  p->set_year(static_cast<int>(
      absl::CivilYear(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone())).year()));
  p->set_effective_from(absl::StrCat(p->year(), "-01-01"));
  p->set_monitoring_line_fen(600'000);
  v1::MonitoringPolicy published;
  grpc::ClientContext pc;
  Prepare(pc, kCounty);
  ASSERT_TRUE(stub_->PublishPolicy(&pc, publish, &published).ok());
  const std::string month = absl::FormatCivilTime(
      absl::CivilMonth(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone())) - 1);
  v1::IngestSurveyRequest m;
  m.set_batch_id("colours");
  *m.add_rows() = Row(1, 1, month, 10'000);
  const StreamResult r = Stream({m});
  ASSERT_TRUE(r.status.ok());
  const std::string job = r.responses.back().reassessment_job_id();
  ASSERT_FALSE(job.empty());
  v1::ReassessmentJob state;
  for (int i = 0; i < 100; ++i) {
    v1::GetReassessmentJobRequest get;
    get.set_job_id(job);
    grpc::ClientContext ctx;
    Prepare(ctx, kCounty);
    ASSERT_TRUE(stub_->GetReassessmentJob(&ctx, get, &state).ok());
    if (state.state() != v1::JOB_STATE_RUNNING) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(state.state(), v1::JOB_STATE_DONE) << state.error();
  EXPECT_EQ(state.households_done(), 4);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.household_colours"), 4);
}

TEST_F(SurveyTest, MalformedMessageEndsTheStreamNamingTheField) {
  v1::IngestSurveyRequest m;
  *m.add_rows() = Row(1, 1, "2026-01", 1);
  StreamResult r = Stream({m});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(r.status.error_message().find("batch_id"), std::string::npos)
      << r.status.error_message();
  m.set_batch_id("b1");
  v1::IngestSurveyRequest other = m;
  other.set_batch_id("b2");
  r = Stream({m, other});
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(r.status.error_message().find("batch_id"), std::string::npos);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.survey_rows"), 1) << "the first message applied";
}

}  // namespace
}  // namespace zx::monitoring
