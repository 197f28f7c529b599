// Roll-ups, property-tested (issue 3, criterion 4): a randomised sequence of
// 10,000 changes — registrations, income, guarantees, assessments, clues and
// lifecycle steps — made by four concurrent clients against a prefecture
// instance over real gRPC, PostgreSQL and Redis. At checkpoints the
// prefecture's roll-up must equal the sum of its counties' and of its
// villages', equal a full recount (VerifyRollup), and agree with counts taken
// straight from the tables in SQL.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/server/server.h"
#include "common/testing/stack.h"
#include "common/time/time.h"
#include "services/monitoring/api/lifecycle_service.h"
#include "services/monitoring/api/monitoring_service.h"
#include "services/monitoring/store/rollup_store.h"
#include "zx/monitoring/v1/lifecycle.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::monitoring {
namespace {

constexpr char kPrefecture[] = "653100000000";
constexpr char kPrefectureOfficial[] = "dev.653100000000.prefecture_official.p1";
const char* const kCounties[] = {"653121000000", "653122000000"};
const char* const kVillages[] = {"653121100201", "653121100202", "653121101203",
                                 "653122100201", "653122102204", "653122102205"};
constexpr int kChanges = 10'000;
constexpr int kThreads = 4;
constexpr int kCheckpoints = 4;

std::string County(const std::string& village) { return village.substr(0, 6) + "000000"; }
std::string Township(const std::string& village) { return village.substr(0, 9) + "000"; }

struct Household {
  std::string id;
  std::string village;
  int request = 0;  // request ids are "<id>-<n>"
};

class RollupPropertyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLifecycleClockForTesting(&clock_);
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("rollup_it");
    auto config = stack.ServiceConfig("monitoring", db_);
    config.division_code = kPrefecture;
    config.redis_namespace = "zx:it-rollup";
    config.pg_pool_size = 8;
    auto server = server::Server::Start(MonitoringSpec(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->grpc_port()),
                                       grpc::InsecureChannelCredentials());
    households_ = v1::MonitoringService::NewStub(channel);
    objects_ = v1::MonitoringObjectService::NewStub(channel);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    SetLifecycleClockForTesting(nullptr);
  }

  static void Prepare(grpc::ClientContext& ctx, const std::string& token) {
    ctx.AddMetadata("authorization", "Bearer " + token);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  }

  void PublishLine() {
    v1::PublishPolicyRequest req;
    req.set_request_id("policy-1");
    auto* p = req.mutable_policy();
    p->set_version("kashgar-1");
    p->set_owner_division_code(kPrefecture);
    p->set_year(static_cast<int>(absl::CivilYear(Today()).year()));
    p->set_effective_from(absl::StrCat(p->year(), "-01-01"));
    p->set_monitoring_line_fen(800000);
    v1::MonitoringPolicy out;
    grpc::ClientContext ctx;
    Prepare(ctx, kPrefectureOfficial);
    const grpc::Status s = households_->PublishPolicy(&ctx, req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  static absl::CivilDay Today() { return absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()); }

  v1::Rollup Rollup(const std::string& division) {
    v1::GetRollupRequest req;
    req.set_division_code(division);
    v1::Rollup out;
    grpc::ClientContext ctx;
    Prepare(ctx, kPrefectureOfficial);
    const grpc::Status s = households_->GetRollup(&ctx, req, &out);
    EXPECT_TRUE(s.ok()) << division << ": " << s.error_message();
    return out;
  }

  static std::map<std::string, int64_t> Counters(const v1::Rollup& r) {
    return {r.counters().begin(), r.counters().end()};
  }

  int64_t Sql(const std::string& query) {
    pqxx::connection conn(db_);
    return pqxx::nontransaction(conn).exec1(query)[0].as<int64_t>();
  }

  // The three equalities of the property, plus figures straight from SQL.
  void CheckConsistent(const std::string& when) {
    SCOPED_TRACE(when);
    const v1::Rollup prefecture = Rollup(kPrefecture);
    std::map<std::string, int64_t> counties, villages;
    for (const char* county : kCounties) {
      const v1::Rollup r = Rollup(county);
      for (const auto& [k, v] : r.counters()) counties[k] += v;
    }
    for (const char* village : kVillages) {
      const v1::Rollup r = Rollup(village);
      for (const auto& [k, v] : r.counters()) villages[k] += v;
    }
    auto drop_zero = [](std::map<std::string, int64_t> m) {
      std::erase_if(m, [](const auto& kv) { return kv.second == 0; });
      return m;
    };
    EXPECT_EQ(Counters(prefecture), drop_zero(counties)) << "prefecture != sum of its counties";
    EXPECT_EQ(Counters(prefecture), drop_zero(villages)) << "prefecture != sum of its villages";

    v1::VerifyRollupRequest verify;
    verify.set_division_code(kPrefecture);
    v1::VerifyRollupResponse verified;
    grpc::ClientContext ctx;
    Prepare(ctx, kPrefectureOfficial);
    const grpc::Status s = households_->VerifyRollup(&ctx, verify, &verified);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(verified.consistent()) << verified.DebugString();
    EXPECT_EQ(verified.households_recounted(), prefecture.households());

    // Independent of the roll-up code: the tables themselves.
    EXPECT_EQ(prefecture.households(), Sql("SELECT count(*) FROM monitoring.households"));
    EXPECT_EQ(prefecture.lifted_households(),
              Sql("SELECT count(*) FROM monitoring.households WHERE category = 1"));
    EXPECT_EQ(prefecture.members(),
              Sql("SELECT coalesce(sum(member_count), 0) FROM monitoring.households"));
    EXPECT_EQ(prefecture.household_colours().red(),
              Sql("SELECT count(*) FROM monitoring.household_colours WHERE colour = 1"));
    EXPECT_EQ(prefecture.household_colours().green(),
              Sql("SELECT count(*) FROM monitoring.household_colours WHERE colour = 4"));
    EXPECT_EQ(prefecture.assessed_households(),
              Sql("SELECT count(*) FROM monitoring.household_colours"));
    const int64_t assessed = prefecture.assessed_households();
    if (assessed > 0) {
      EXPECT_EQ(prefecture.mean_per_capita_net_income_fen(),
                Sql("SELECT sum(per_capita_fen) FROM monitoring.household_colours") / assessed);
    }
    for (const auto& state : prefecture.objects_by_state()) {
      EXPECT_EQ(state.count(),
                Sql(absl::StrCat("SELECT count(*) FROM (SELECT DISTINCT ON (household_id) state "
                                 "FROM monitoring.monitoring_objects ORDER BY household_id, "
                                 "(state <> 'closed_no_risk') DESC, created_at DESC) o "
                                 "WHERE state = '",
                                 state.name(), "'")))
          << state.name();
    }
    EXPECT_EQ(prefecture.monitored_objects(),
              Sql("SELECT count(*) FROM monitoring.monitoring_objects WHERE state IN "
                  "('county_confirmed', 'assisted', 'elimination_proposed', "
                  "'elimination_village_assessed', 'elimination_publicized', "
                  "'elimination_township_reviewed')"));
  }

  // One client: random changes to its own households until `changes` (shared)
  // reaches `target`.
  void Client(int index, uint32_t seed, std::atomic<int>& changes, int target,
              std::vector<Household>& mine) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
    auto ok = [&](const grpc::Status& s) {
      std::lock_guard lock(mu_);
      ++outcomes_[s.error_code()];
      if (s.ok()) ++changes;
      return s.ok();
    };
    const absl::CivilMonth this_month(Today());
    while (changes < target) {
      const int roll = pick(100);
      if (mine.empty() || roll < 6) {
        v1::CreateHouseholdRequest req;
        req.set_request_id(absl::StrCat("create-", index, "-", mine.size()));
        auto* h = req.mutable_household();
        h->set_village_code(kVillages[pick(std::size(kVillages))]);
        h->set_category(pick(2) == 0 ? v1::HOUSEHOLD_CATEGORY_LIFTED
                                     : v1::HOUSEHOLD_CATEGORY_ORDINARY);
        h->set_member_count(1 + pick(8));
        h->set_relocated(pick(5) == 0);
        v1::Household out;
        grpc::ClientContext ctx;
        // Households are registered locally (the permission table).
        Prepare(ctx, absl::StrCat("dev.", County(h->village_code()), ".county_official.c"));
        if (ok(households_->CreateHousehold(&ctx, req, &out))) {
          mine.push_back({out.household_id(), out.village_code()});
        }
        continue;
      }
      Household& h = mine[pick(static_cast<int>(mine.size()))];
      const std::string county_token =
          absl::StrCat("dev.", County(h.village), ".county_official.c");
      auto next_id = [&h] { return absl::StrCat(h.id, "-", ++h.request); };
      if (roll < 45) {
        v1::RecordIncomeRequest req;
        req.set_request_id(next_id());
        auto* r = req.mutable_record();
        r->set_household_id(h.id);
        r->set_kind(static_cast<v1::IncomeKind>(1 + pick(4)));
        r->set_source(v1::RECORD_SOURCE_SURVEY);
        r->set_month(absl::FormatCivilTime(this_month - (1 + pick(24))));
        r->set_amount_fen(int64_t{100} * pick(20'000));
        v1::IncomeRecord out;
        grpc::ClientContext ctx;
        Prepare(ctx, county_token);
        ok(households_->RecordIncome(&ctx, req, &out));
      } else if (roll < 55) {
        v1::SetGuaranteesRequest req;
        req.set_request_id(next_id());
        req.set_household_id(h.id);
        auto status = [&] {
          return pick(6) == 0 ? v1::GUARANTEE_STATUS_UNMET : v1::GUARANTEE_STATUS_MET;
        };
        auto* g = req.mutable_guarantees();
        g->set_food_clothing(status());
        g->set_compulsory_education(status());
        g->set_basic_medical(status());
        g->set_safe_housing(status());
        g->set_safe_water(status());
        v1::Guarantees out;
        grpc::ClientContext ctx;
        Prepare(ctx, county_token);
        ok(households_->SetGuarantees(&ctx, req, &out));
      } else if (roll < 75) {
        v1::AssessHouseholdRequest req;
        req.set_household_id(h.id);
        v1::Assessment out;
        grpc::ClientContext ctx;
        Prepare(ctx, county_token);
        ok(households_->AssessHousehold(&ctx, req, &out));
      } else if (roll < 80) {
        v1::RaiseClueRequest req;
        req.set_request_id(next_id());
        req.set_household_id(h.id);
        req.set_way(v1::CLUE_WAY_CADRE_VISIT);
        req.set_description("入户走访发现收入下降");
        v1::Clue out;
        grpc::ClientContext ctx;
        Prepare(ctx, absl::StrCat("dev.", h.village, ".village_cadre.v"));
        ok(objects_->RaiseClue(&ctx, req, &out));
      } else if (roll < 97) {
        Advance(h, next_id, rng, ok);
      } else {
        clock_.Advance(absl::Hours(24));
      }
    }
  }

  // The next step of the household's open object along identification and
  // assistance, or now and then a closing of the clue.
  template <typename NextId, typename Ok>
  void Advance(Household& h, NextId& next_id, std::mt19937& rng, Ok& ok) {
    v1::GetMonitoringObjectRequest get;
    get.set_household_id(h.id);
    v1::MonitoringObject object;
    {
      grpc::ClientContext ctx;
      Prepare(ctx, kPrefectureOfficial);
      if (!objects_->GetMonitoringObject(&ctx, get, &object).ok()) return;
    }
    using Stub = v1::MonitoringObjectService::Stub;
    using Rpc = grpc::Status (Stub::*)(grpc::ClientContext*, const v1::TransitionRequest&,
                                       v1::MonitoringObject*);
    v1::TransitionRequest req;
    req.set_request_id(next_id());
    req.set_household_id(h.id);
    req.set_reason("随机步骤");
    const std::string cadre = absl::StrCat("dev.", h.village, ".village_cadre.v");
    const std::string township = absl::StrCat("dev.", Township(h.village), ".township_official.t");
    const std::string county = absl::StrCat("dev.", County(h.village), ".county_official.c");
    Rpc rpc = nullptr;
    std::string token = cadre;
    switch (object.state()) {
      case v1::MONITORING_OBJECT_STATE_CLUE:
        if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
          rpc = &Stub::CloseClue;
          token = county;
        } else if (!object.has_home_verified_at()) {
          rpc = &Stub::RecordHomeVerification;
          req.set_household_consent(true);
        } else if (!object.has_data_compared_at()) {
          rpc = &Stub::RecordDataComparison;
          token = absl::StrCat("dev.", County(h.village), ".department:civil_affairs.d");
        } else {
          rpc = &Stub::VillageAssess;
        }
        break;
      case v1::MONITORING_OBJECT_STATE_VILLAGE_ASSESSED:
        rpc = &Stub::StartPublicity;
        break;
      case v1::MONITORING_OBJECT_STATE_PUBLICIZED:
        if (object.has_publicity_ended_at()) {
          rpc = &Stub::TownshipReview;
          req.set_decision(v1::DECISION_APPROVE);
          token = township;
        } else {
          clock_.Advance(absl::Hours(24 * 3));
          rpc = &Stub::EndPublicity;
        }
        break;
      case v1::MONITORING_OBJECT_STATE_TOWNSHIP_REVIEWED:
        rpc = &Stub::CountyConfirm;
        req.set_decision(v1::DECISION_APPROVE);
        req.set_object_type(static_cast<v1::MonitoringObjectType>(
            1 + std::uniform_int_distribution<int>(0, 2)(rng)));
        req.add_risk_types(
            static_cast<v1::RiskType>(1 + std::uniform_int_distribution<int>(0, 10)(rng)));
        if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) {
          req.add_risk_types(v1::RISK_TYPE_UNSTABLE_EMPLOYMENT);
        }
        token = county;
        break;
      case v1::MONITORING_OBJECT_STATE_COUNTY_CONFIRMED: {
        v1::AddAssistanceMeasureRequest add;
        add.set_request_id(req.request_id());
        add.mutable_measure()->set_household_id(h.id);
        add.mutable_measure()->set_kind(v1::MEASURE_KIND_EMPLOYMENT);
        add.mutable_measure()->set_description("推荐到县城就业帮扶车间");
        v1::AssistanceMeasure out;
        grpc::ClientContext ctx;
        Prepare(ctx, county);
        ok(objects_->AddAssistanceMeasure(&ctx, add, &out));
        return;
      }
      case v1::MONITORING_OBJECT_STATE_ASSISTED:
        rpc = &Stub::ProposeElimination;  // mostly refused (M9): income not yet stable
        break;
      default:
        return;
    }
    if (rpc == nullptr) return;
    v1::MonitoringObject out;
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    ok((objects_.get()->*rpc)(&ctx, req, &out));
  }

  time::FakeClock clock_{absl::Now()};
  std::string db_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<v1::MonitoringService::Stub> households_;
  std::unique_ptr<v1::MonitoringObjectService::Stub> objects_;
  std::mutex mu_;
  std::map<grpc::StatusCode, int> outcomes_;
};

TEST_F(RollupPropertyTest, PrefectureEqualsSumOfCountiesAndRecountAfterTenThousandChanges) {
  PublishLine();
  const uint32_t seed = std::random_device{}();
  std::cout << "seed=" << seed << std::endl;
  std::atomic<int> changes{0};
  std::vector<std::vector<Household>> households(kThreads);
  CheckConsistent("empty");
  for (int checkpoint = 1; checkpoint <= kCheckpoints; ++checkpoint) {
    const int target = kChanges * checkpoint / kCheckpoints;
    std::vector<std::thread> clients;
    for (int t = 0; t < kThreads; ++t) {
      clients.emplace_back(
          [&, t] { Client(t, seed + 7919 * t + checkpoint, changes, target, households[t]); });
    }
    for (auto& c : clients) c.join();
    CheckConsistent(absl::StrCat("after ", changes.load(), " changes"));
  }
  EXPECT_GE(changes.load(), kChanges);

  // The run must have reached the interesting states, or it proved little.
  const v1::Rollup prefecture = Rollup(kPrefecture);
  std::cout << "changes=" << changes.load() << " households=" << prefecture.households()
            << " assessed=" << prefecture.assessed_households()
            << " red=" << prefecture.household_colours().red()
            << " monitored=" << prefecture.monitored_objects()
            << " median_fen=" << prefecture.median_per_capita_net_income_fen() << "\n";
  for (const auto& [code, n] : outcomes_) std::cout << "  grpc code " << code << ": " << n << "\n";
  EXPECT_GT(prefecture.households(), 100);
  EXPECT_GT(prefecture.assessed_households(), 50);
  EXPECT_GT(prefecture.household_colours().red(), 0);
  EXPECT_GT(prefecture.monitored_objects(), 5);
  EXPECT_FALSE(prefecture.monitored_by_risk_type().empty());
  EXPECT_GT(prefecture.lifted_compared(), 0);
}

TEST_F(RollupPropertyTest, ClosedDaysAnswerAsOfAndUnclosedDaysSaySo) {
  PublishLine();
  v1::CreateHouseholdRequest req;
  req.set_request_id("create-1");
  req.mutable_household()->set_village_code(kVillages[0]);
  req.mutable_household()->set_category(v1::HOUSEHOLD_CATEGORY_LIFTED);
  req.mutable_household()->set_member_count(3);
  v1::Household out;
  {
    grpc::ClientContext ctx;
    Prepare(ctx, absl::StrCat("dev.", County(kVillages[0]), ".county_official.c"));
    ASSERT_TRUE(households_->CreateHousehold(&ctx, req, &out).ok());
  }
  const absl::CivilDay yesterday = Today() - 1;
  {
    // Close yesterday as the compactor would have at midnight.
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec("SET search_path = monitoring");
    CompactRollup(tx);
    ASSERT_TRUE(CloseRollupDay(tx, yesterday));
    EXPECT_FALSE(CloseRollupDay(tx, yesterday)) << "a day is closed once";
    tx.commit();
  }
  // Today moves on; yesterday's closing does not.
  req.set_request_id("create-2");
  {
    grpc::ClientContext ctx;
    Prepare(ctx, absl::StrCat("dev.", County(kVillages[0]), ".county_official.c"));
    ASSERT_TRUE(households_->CreateHousehold(&ctx, req, &out).ok());
  }
  v1::GetRollupRequest get;
  get.set_division_code(County(kVillages[0]));
  get.set_as_of(absl::FormatCivilTime(yesterday));
  v1::Rollup closed;
  {
    grpc::ClientContext ctx;
    Prepare(ctx, kPrefectureOfficial);
    const grpc::Status s = households_->GetRollup(&ctx, get, &closed);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(closed.households(), 1);
  EXPECT_FALSE(closed.live());
  EXPECT_EQ(Rollup(County(kVillages[0])).households(), 2);

  get.set_as_of(absl::FormatCivilTime(yesterday - 1));
  {
    grpc::ClientContext ctx;
    Prepare(ctx, kPrefectureOfficial);
    const grpc::Status s = households_->GetRollup(&ctx, get, &closed);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(s.error_message().find(absl::FormatCivilTime(yesterday)), std::string::npos)
        << s.error_message();
  }
}

TEST_F(RollupPropertyTest, BadDivisionOrDateNamesTheFieldAndOtherJurisdictionIsRefused) {
  auto call = [&](const std::string& division, const std::string& as_of, const std::string& token) {
    v1::GetRollupRequest req;
    req.set_division_code(division);
    req.set_as_of(as_of);
    v1::Rollup out;
    grpc::ClientContext ctx;
    Prepare(ctx, token);
    return households_->GetRollup(&ctx, req, &out);
  };
  grpc::Status s = call("65312", "", kPrefectureOfficial);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("division_code"), std::string::npos) << s.error_message();
  s = call("654000000000", "", kPrefectureOfficial);  // Ili: not kept here
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = call(kPrefecture, "2026-13-01", kPrefectureOfficial);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("as_of"), std::string::npos) << s.error_message();
  s = call(kPrefecture, "2999-01-01", kPrefectureOfficial);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A county official reads the county, not the prefecture or a neighbour.
  EXPECT_TRUE(call("653121000000", "", "dev.653121000000.county_official.c").ok());
  EXPECT_EQ(call(kPrefecture, "", "dev.653121000000.county_official.c").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(call("653122000000", "", "dev.653121000000.county_official.c").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace zx::monitoring
