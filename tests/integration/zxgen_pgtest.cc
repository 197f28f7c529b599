// tools/zxgen against the real services (in process), PostgreSQL and Redis:
// a small synthetic Kashgar arrives whole — every household, member and
// survey row, assets per village, cooperatives bound to households, buyers —
// the roll-up equals a full recount, the households below the line are
// exactly those the generator drew, and a second run registers nothing twice.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/server/server.h"
#include "common/testing/stack.h"
#include "services/assets/api/assets_service.h"
#include "services/consumption/api/consumption_service.h"
#include "services/monitoring/api/monitoring_service.h"
#include "tools/zxgen/zxgen.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::zxgen {
namespace {

constexpr char kPrefecture[] = "653100000000";

class ZxgenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("zxgen_it");
    for (auto [name, spec] : {std::pair{"monitoring", monitoring::MonitoringSpec()},
                              std::pair{"assets", assets::AssetsSpec()},
                              std::pair{"consumption", consumption::ConsumptionSpec()}}) {
      auto config = stack.ServiceConfig(name, db_);
      config.division_code = kPrefecture;
      config.redis_namespace = "zx:it-zxgen";
      auto server = server::Server::Start(spec, config);
      ASSERT_TRUE(server.ok()) << name << ": " << server.status();
      servers_.push_back(std::move(*server));
    }
    options_.monitoring = Address(0);
    options_.assets = Address(1);
    options_.consumption = Address(2);
    options_.population.prefecture = kPrefecture;
    options_.population.households = 3'000;
    options_.population.households_per_village = 100;
    options_.population.seed = 5;
    options_.population.today = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());
    options_.rows_per_message = 400;
    options_.streams = 3;
    options_.assets_per_village = 2;
    options_.bindings_per_township = 5;
    options_.quiet = true;
  }
  void TearDown() override {
    for (auto& s : servers_) s->Shutdown(absl::Seconds(1));
  }

  std::string Address(int i) const { return absl::StrCat("127.0.0.1:", servers_[i]->grpc_port()); }
  int64_t Sql(const std::string& query) {
    pqxx::connection conn(db_);
    return pqxx::nontransaction(conn).exec1(query)[0].as<int64_t>();
  }

  std::string db_;
  std::vector<std::unique_ptr<server::Server>> servers_;
  GenerateOptions options_;
};

TEST_F(ZxgenTest, APrefectureArrivesWholeAndOnce) {
  auto first = Generate(options_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->households_accepted, 3'000);
  EXPECT_EQ(first->households_rejected, 0) << first->first_rejection;
  EXPECT_EQ(first->survey_accepted, 3'000);
  EXPECT_EQ(first->survey_rejected, 0) << first->first_rejection;
  EXPECT_EQ(first->projects, 12) << "one per county of Kashgar";
  EXPECT_EQ(first->assets, 2 * 30) << "2 per village, 30 villages of 100 households";
  EXPECT_EQ(first->buyers, 3 * 12);
  EXPECT_EQ(first->suppliers, 12) << "each county's 2-3 villages lie in one township";
  EXPECT_EQ(first->bindings, 5 * 12);

  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.households WHERE synthetic"), 3'000);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.persons"), first->persons);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.guarantees"), 3'000);
  EXPECT_EQ(Sql("SELECT count(DISTINCT left(village_code, 6)) FROM monitoring.households"), 12);
  EXPECT_EQ(Sql("SELECT count(*) FROM assets.assets"), 60);
  EXPECT_EQ(Sql("SELECT count(*) FROM consumption.bindings"), 60);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.outbox "
                "WHERE event_type = 'monitoring.household_registered'"),
            3'000);

  // The households below the line in the database are those drawn.
  int64_t drawn_below = 0;
  for (const CountyPlan& plan : PlanPrefecture(options_.population)) {
    CountyGenerator gen(options_.population, plan);
    while (gen.HasNext()) drawn_below += gen.Next().per_capita_fen < options_.population.line_fen;
  }
  EXPECT_GT(drawn_below, 90);
  EXPECT_EQ(
      Sql(absl::StrCat("SELECT count(*) FROM monitoring.households h WHERE "
                       "(SELECT coalesce(sum(amount_fen), 0) FROM monitoring.income_records i "
                       " WHERE i.household_id = h.household_id) - "
                       "(SELECT coalesce(sum(amount_fen), 0) FROM monitoring.expense_records e "
                       " WHERE e.household_id = h.household_id AND e.kind = ",
                       static_cast<int>(monitoring::v1::EXPENSE_KIND_PRODUCTION_COST), ") < ",
                       options_.population.line_fen, " * h.member_count")),
      drawn_below);

  // The maintained roll-up of the prefecture equals a full recount.
  auto stub = monitoring::v1::MonitoringService::NewStub(
      grpc::CreateChannel(Address(0), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization",
                  absl::StrCat("Bearer dev.", kPrefecture, ".prefecture_official.check"));
  monitoring::v1::VerifyRollupRequest verify;
  verify.set_division_code(kPrefecture);
  monitoring::v1::VerifyRollupResponse verified;
  const grpc::Status s = stub->VerifyRollup(&ctx, verify, &verified);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(verified.consistent());
  EXPECT_EQ(verified.households_recounted(), 3'000);

  // The same seed again: everything answered as already there.
  const int64_t income_records = Sql("SELECT count(*) FROM monitoring.income_records");
  auto again = Generate(options_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->households_accepted, 0);
  EXPECT_EQ(again->households_already, 3'000);
  EXPECT_EQ(again->households_rejected, 0) << again->first_rejection;
  EXPECT_EQ(again->survey_already, 3'000);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.households"), 3'000);
  EXPECT_EQ(Sql("SELECT count(*) FROM monitoring.income_records"), income_records);
  EXPECT_EQ(Sql("SELECT count(*) FROM assets.assets"), 60);
  EXPECT_EQ(Sql("SELECT count(*) FROM consumption.bindings"), 60);
}

}  // namespace
}  // namespace zx::zxgen
