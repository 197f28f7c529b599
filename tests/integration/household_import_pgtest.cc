// ImportHouseholds over real gRPC streaming, PostgreSQL and Redis: each
// row registered wholly (household, sealed members, roll-up, event) or
// refused naming its field; rows outside the caller's villages, members
// already registered and ID numbers used twice refused; a retried stream
// registering nothing twice.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

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

std::string IdNumber(int n) {
  const std::string first17 = absl::StrFormat("65312119850302%03d", n);
  return first17 + id_card::CheckDigit(first17);
}

v1::Person Member(int n, v1::Relation relation) {
  v1::Person p;
  p.set_id_number(IdNumber(n));
  p.set_name("买买提·托合提");
  p.set_relation(relation);
  p.set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
  p.set_health(v1::HEALTH_STATUS_HEALTHY);
  return p;
}

// Row `number`: a household in `village` whose members have ID numbers
// first .. first + size - 1 (the first the head).
v1::HouseholdImportRow Row(int64_t number, const std::string& village, int first, int size) {
  v1::HouseholdImportRow row;
  row.set_row_number(number);
  row.mutable_household()->set_village_code(village);
  row.mutable_household()->set_category(number % 2 ? v1::HOUSEHOLD_CATEGORY_LIFTED
                                                   : v1::HOUSEHOLD_CATEGORY_ORDINARY);
  row.mutable_household()->set_synthetic(true);
  for (int i = 0; i < size; ++i) {
    *row.add_persons() = Member(first + i, i == 0 ? v1::RELATION_HEAD : v1::RELATION_CHILD);
  }
  return row;
}

class HouseholdImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("import_it");
    auto config = stack.ServiceConfig("monitoring", db_);
    config.redis_namespace = "zx:it-import";
    auto server = server::Server::Start(MonitoringSpec(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::MonitoringService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  static void Prepare(grpc::ClientContext& ctx, const std::string& token) {
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  }

  using StreamResult = zx::testing::LockstepResult<v1::ImportHouseholdsResponse>;

  // Sends each message, reading its response before the next, then closes.
  StreamResult Stream(const std::vector<v1::ImportHouseholdsRequest>& messages,
                      const std::string& token = kCounty) {
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    return zx::testing::RunLockstep<v1::ImportHouseholdsRequest, v1::ImportHouseholdsResponse>(
        ctx, [this](grpc::ClientContext* c) { return stub_->ImportHouseholds(c); }, messages);
  }

  int64_t Sql(const std::string& query) {
    pqxx::connection conn(db_);
    return pqxx::nontransaction(conn).exec1(query)[0].as<int64_t>();
  }

  std::string db_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<v1::MonitoringService::Stub> stub_;
};

TEST_F(HouseholdImportTest, EachRowIsRegisteredWhollyOrRefusedNamingItsField) {
  v1::ImportHouseholdsRequest first;
  first.set_batch_id("registry-2026-11");
  v1::HouseholdImportRow checked = Row(1, kVillageA, 1, 4);
  checked.mutable_guarantees()->set_food_clothing(v1::GUARANTEE_STATUS_MET);
  checked.mutable_guarantees()->set_safe_water(v1::GUARANTEE_STATUS_UNMET);
  *first.add_rows() = checked;
  *first.add_rows() = Row(2, kVillageB, 5, 1);
  v1::HouseholdImportRow headless = Row(3, kVillageA, 6, 2);
  headless.mutable_persons(0)->set_relation(v1::RELATION_SPOUSE);
  *first.add_rows() = headless;
  *first.add_rows() = Row(4, kVillageA, 2, 1);  // member 2 is in row 1 already
  v1::ImportHouseholdsRequest second;
  second.set_batch_id("registry-2026-11");
  *second.add_rows() = Row(5, kVillageB, 8, 3);
  *second.add_rows() = Row(6, "653122100201", 11, 1);  // another county's village

  const StreamResult result = Stream({first, second});
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_EQ(result.responses.size(), 2u);
  const auto& r1 = result.responses[0].results();
  ASSERT_EQ(r1.size(), 4);
  EXPECT_EQ(r1[0].outcome(), v1::ROW_OUTCOME_ACCEPTED);
  EXPECT_EQ(r1[1].outcome(), v1::ROW_OUTCOME_ACCEPTED);
  EXPECT_EQ(r1[2].outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(r1[2].field(), "rows[2].persons") << r1[2].reason();
  EXPECT_EQ(r1[3].outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(r1[3].field(), "rows[3].persons[0].id_number") << r1[3].reason();
  const auto& r2 = result.responses[1].results();
  ASSERT_EQ(r2.size(), 2);
  EXPECT_EQ(r2[0].outcome(), v1::ROW_OUTCOME_ACCEPTED);
  EXPECT_EQ(r2[1].outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(r2[1].field(), "rows[1].household.village_code");

  // Three households of 4 + 1 + 3 members, sealed and masked like AddPerson's.
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.households"), 3);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.persons"), 8);
  EXPECT_EQ(
      Sql(absl::StrCat("SELECT member_count FROM monitoring.households WHERE household_id = '",
                       r1[0].household_id(), "'")),
      4);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.persons WHERE id_masked LIKE '653121%' "
                "AND position('1985' in id_masked) = 0 AND birth_year = 1985"),
            8)
      << "masked numbers and birth years only";
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.outbox "
                "WHERE event_type = 'monitoring.household_registered'"),
            3);
  EXPECT_EQ(Sql(absl::StrCat("SELECT food_clothing * 10 + safe_water FROM monitoring.guarantees "
                             "WHERE household_id = '",
                             r1[0].household_id(), "'")),
            12)
      << "the row's guarantees (MET, UNMET), and none for rows without";
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.guarantees"), 1);

  // The maintained roll-up counts them, and equals a full recount.
  v1::GetRollupRequest get;
  get.set_division_code("653121000000");
  v1::Rollup rollup;
  grpc::ClientContext c1;
  Prepare(c1, kCounty);
  ASSERT_TRUE(stub_->GetRollup(&c1, get, &rollup).ok());
  EXPECT_EQ(rollup.households(), 3);
  EXPECT_EQ(rollup.members(), 8);
  EXPECT_EQ(rollup.lifted_households(), 2) << "rows 1 and 5";
  v1::VerifyRollupRequest verify;
  verify.set_division_code("653121000000");
  v1::VerifyRollupResponse verified;
  grpc::ClientContext c2;
  Prepare(c2, kCounty);
  ASSERT_TRUE(stub_->VerifyRollup(&c2, verify, &verified).ok());
  EXPECT_TRUE(verified.consistent());
  EXPECT_EQ(verified.households_recounted(), 3);

  // The same stream again: the same households named, nothing registered twice.
  const StreamResult again = Stream({first, second});
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_EQ(again.responses[0].results(0).outcome(), v1::ROW_OUTCOME_ALREADY_ACCEPTED);
  EXPECT_EQ(again.responses[0].results(0).household_id(), r1[0].household_id());
  EXPECT_EQ(again.responses[1].results(0).outcome(), v1::ROW_OUTCOME_ALREADY_ACCEPTED);
  EXPECT_EQ(again.responses[1].results(0).household_id(), r2[0].household_id());
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.households"), 3);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.persons"), 8);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.outbox"), 3);
}

TEST_F(HouseholdImportTest, RegisteredMembersReusedNumbersAndStrangersAreRefused) {
  v1::ImportHouseholdsRequest one;
  one.set_batch_id("first-file");
  *one.add_rows() = Row(1, kVillageA, 20, 2);
  ASSERT_TRUE(Stream({one}).status.ok());

  // Another file naming member 21 again; and row 1 of the first batch with
  // other contents.
  v1::ImportHouseholdsRequest other;
  other.set_batch_id("second-file");
  *other.add_rows() = Row(1, kVillageA, 21, 2);
  v1::ImportHouseholdsRequest changed;
  changed.set_batch_id("first-file");
  *changed.add_rows() = Row(1, kVillageA, 30, 2);
  const StreamResult r = Stream({other});
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  EXPECT_EQ(r.responses[0].results(0).outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(r.responses[0].results(0).field(), "rows[0].persons[0].id_number");
  const StreamResult c = Stream({changed});
  ASSERT_TRUE(c.status.ok()) << c.status.error_message();
  EXPECT_EQ(c.responses[0].results(0).outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(c.responses[0].results(0).field(), "rows[0].row_number");

  // A village cadre registers in its own village only.
  v1::ImportHouseholdsRequest cadre;
  cadre.set_batch_id("village-a");
  *cadre.add_rows() = Row(1, kVillageA, 40, 1);
  *cadre.add_rows() = Row(2, kVillageB, 41, 1);
  const StreamResult v = Stream({cadre}, absl::StrCat("dev.", kVillageA, ".village_cadre.v"));
  ASSERT_TRUE(v.status.ok()) << v.status.error_message();
  EXPECT_EQ(v.responses[0].results(0).outcome(), v1::ROW_OUTCOME_ACCEPTED);
  EXPECT_EQ(v.responses[0].results(1).outcome(), v1::ROW_OUTCOME_REJECTED);
  EXPECT_EQ(v.responses[0].results(1).field(), "rows[1].household.village_code");
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.households"), 2);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.persons"), 3);

  // A message naming another batch ends the stream, naming the field.
  v1::ImportHouseholdsRequest a, b;
  a.set_batch_id("mixed-a");
  *a.add_rows() = Row(1, kVillageA, 50, 1);
  b.set_batch_id("mixed-b");
  *b.add_rows() = Row(2, kVillageA, 51, 1);
  const StreamResult mixed = Stream({a, b});
  EXPECT_EQ(mixed.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(mixed.status.error_message().find("batch_id"), std::string::npos);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.households"), 3) << "the first message stands";
}

}  // namespace
}  // namespace zx::monitoring
