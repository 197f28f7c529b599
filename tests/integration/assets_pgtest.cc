// Issue 4, the assets service in-process over real gRPC, on a real
// PostgreSQL and Redis:
//  1. a project funded 60 % central linking funds + 40 % paired assistance is
//     completed, its PV station transferred to the village collective with a
//     三资 reference, earns income, and a distribution pays three monitored
//     households: three assets.dividend_paid events reach the running
//     monitoring service and are booked as property income exactly once each,
//     even when the relay publishes them again;
//  2. Reconcile finds a village ledger entry whose value was changed by direct
//     SQL outside the journal (and a master value changed the same way);
//  3. illegal transitions, forbidden distribution uses, disposal without the
//     approval chain and out-of-jurisdiction calls are refused with the
//     right code and reason and write nothing.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_log.h"
#include "common/errors/errors.h"
#include "common/server/server.h"
#include "common/testing/stack.h"
#include "common/time/time.h"
#include "services/assets/api/assets_service.h"
#include "services/monitoring/api/monitoring_service.h"
#include "zx/assets/v1/assets.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::assets {
namespace {

namespace mv1 = zx::monitoring::v1;

constexpr char kVillage[] = "653121101201";
constexpr char kTownship[] = "653121101000";
constexpr char kCounty[] = "dev.653121000000.county_official.co1";
constexpr char kVillageCadre[] = "dev.653121101201.village_cadre.vc1";
constexpr char kOtherVillageCadre[] = "dev.653121101202.village_cadre.vc2";
constexpr char kOtherCounty[] = "dev.653122000000.county_official.co9";
constexpr char kTownshipOfficial[] = "dev.653121101000.township_official.ts1";
constexpr char kFinance[] = "dev.653121000000.department:finance.fin1";
constexpr char kAgriculture[] = "dev.653121000000.department:agriculture.ag1";

class AssetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& stack = zx::testing::Stack::Get();
    db_ = stack.FreshDatabase("assets_it");
    namespace_ = absl::StrCat("zx:it-assets:",
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto config = stack.ServiceConfig("assets", db_);
    config.redis_namespace = namespace_;
    auto server = server::Server::Start(AssetsSpec(), config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    assets_ = v1::AssetsService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (monitoring_) monitoring_->Shutdown(absl::Seconds(1));
    if (server_) server_->Shutdown(absl::Seconds(1));
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
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return (stub->*method)(&ctx, req, resp);
  }
  template <typename Method, typename Request, typename Response>
  grpc::Status A(Method method, const Request& req, Response* resp,
                 const std::string& token = kCounty) {
    return Call(assets_.get(), method, req, resp, token);
  }

  int64_t Query(const std::string& sql) { return zx::testing::QueryInt(db_, sql); }
  void Exec(const std::string& sql) {
    pqxx::connection conn(db_);
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }
  int64_t WaitFor(const std::string& sql, int64_t want) {
    return zx::testing::WaitForInt(db_, sql, want);
  }

  // Every row the assets schema holds, table by table.
  std::string Census() {
    std::string out;
    for (const char* t :
         {"projects", "project_journal", "assets", "asset_funding", "ledger_entries",
          "asset_journal", "income_records", "distributions", "distribution_lines", "disposals",
          "village_credits", "idempotency", "outbox"}) {
      absl::StrAppend(&out, t, "=", Query(absl::StrCat("SELECT count(*) FROM assets.", t)), " ");
    }
    absl::StrAppend(&out, "journal_max=", Query("SELECT max(seq) FROM assets.asset_journal"),
                    " value_sum=", Query("SELECT sum(original_value_fen) FROM assets.assets"),
                    " state_sum=", Query("SELECT sum(state) FROM assets.assets"),
                    " disposal_status=", Query("SELECT sum(status) FROM assets.disposals"),
                    " project_status=", Query("SELECT sum(status) FROM assets.projects"));
    return out;
  }

  // A project funded 60 % central linking funds + 40 % paired assistance.
  v1::Project Project(const std::string& id, int64_t total_fen = 1'000'000'00,
                      const std::string& division = kVillage) {
    v1::CreateProjectRequest req;
    req.set_request_id("pj-" + id);
    auto* p = req.mutable_project();
    p->set_name("村级光伏电站");
    p->set_year(2025);
    p->set_division_code(division);
    p->set_category(v1::PROJECT_CATEGORY_INDUSTRY);
    p->set_implementing_unit("县乡村振兴局");
    auto* central = p->add_funding_lines();
    central->set_source(v1::FUNDING_SOURCE_CENTRAL_LINKING);
    central->set_amount_fen(total_fen / 10 * 6);
    auto* paired = p->add_funding_lines();
    paired->set_source(v1::FUNDING_SOURCE_PAIRED_ASSISTANCE);
    paired->set_amount_fen(total_fen - total_fen / 10 * 6);
    v1::Project out;
    const auto s = A(&v1::AssetsService::Stub::CreateProject, req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  void AdvanceTo(const std::string& project_id, v1::ProjectStatus to) {
    for (int s = v1::PROJECT_STATUS_APPROVED; s <= to; ++s) {
      v1::AdvanceProjectRequest req;
      req.set_request_id(absl::StrCat("adv-", project_id, "-", s));
      req.set_project_id(project_id);
      req.set_to_status(static_cast<v1::ProjectStatus>(s));
      req.set_reason("按计划推进");
      v1::Project out;
      const auto st = A(&v1::AssetsService::Stub::AdvanceProject, req, &out);
      ASSERT_TRUE(st.ok()) << st.error_message();
    }
  }

  v1::Asset Register(const std::string& rid, const std::string& project_id,
                     v1::OwnerLevel owner = v1::OWNER_LEVEL_VILLAGE_COLLECTIVE,
                     int64_t value_fen = 1'000'000'00) {
    v1::Asset out;
    const auto s = A(&v1::AssetsService::Stub::RegisterAsset,
                     RegisterRequest(rid, project_id, owner, value_fen), &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  static v1::RegisterAssetRequest RegisterRequest(
      const std::string& rid, const std::string& project_id,
      v1::OwnerLevel owner = v1::OWNER_LEVEL_VILLAGE_COLLECTIVE, int64_t value_fen = 1'000'000'00) {
    v1::RegisterAssetRequest req;
    req.set_request_id(rid);
    auto* a = req.mutable_asset();
    a->set_project_id(project_id);
    a->set_name("光伏电站 " + rid);
    a->set_asset_class(owner == v1::OWNER_LEVEL_HOUSEHOLD ? v1::ASSET_CLASS_HOUSEHOLD
                                                          : v1::ASSET_CLASS_OPERATING);
    a->set_asset_type(owner == v1::OWNER_LEVEL_HOUSEHOLD ? v1::ASSET_TYPE_LIVESTOCK
                                                         : v1::ASSET_TYPE_PHOTOVOLTAIC_STATION);
    a->set_original_value_fen(value_fen);
    a->set_location_division_code(kVillage);
    auto* central = a->add_funding();
    central->set_source(v1::FUNDING_SOURCE_CENTRAL_LINKING);
    central->set_amount_fen(value_fen / 10 * 6);
    auto* paired = a->add_funding();
    paired->set_source(v1::FUNDING_SOURCE_PAIRED_ASSISTANCE);
    paired->set_amount_fen(value_fen - value_fen / 10 * 6);
    auto* o = a->mutable_ownership();
    o->set_level(owner);
    if (owner == v1::OWNER_LEVEL_HOUSEHOLD) {
      o->set_owner_id("hh-00000000000000000001");
      o->set_owner_division_code(kVillage);
    } else if (owner == v1::OWNER_LEVEL_TOWNSHIP) {
      o->set_owner_id(kTownship);
      o->set_owner_division_code(kTownship);
      o->set_exception_reason("跨村联建，由乡镇统一经营");
    } else {
      o->set_owner_id(kVillage);
      o->set_owner_division_code(kVillage);
    }
    a->set_custodian("村委会");
    a->set_operator_("村集体合作社");
    return req;
  }

  // A disposal request of `asset_id`.
  static v1::RequestDisposalRequest DisposalRequest(const std::string& request_id,
                                                    const std::string& asset_id,
                                                    v1::DisposalMethod method,
                                                    v1::DisposalTrigger trigger,
                                                    const std::string& reason) {
    v1::RequestDisposalRequest rd;
    rd.set_request_id(request_id);
    rd.set_asset_id(asset_id);
    rd.set_method(method);
    rd.set_trigger(trigger);
    rd.set_reason(reason);
    return rd;
  }

  // Registered -> ownership confirmed (三资) -> transferred -> in operation.
  void IntoOperation(const v1::Asset& asset) {
    v1::ConfirmOwnershipRequest confirm;
    confirm.set_request_id("own-" + asset.asset_id());
    confirm.set_asset_id(asset.asset_id());
    *confirm.mutable_ownership() = asset.ownership();
    confirm.mutable_ownership()->set_registration_system(
        v1::REGISTRATION_SYSTEM_RURAL_THREE_ASSETS);
    confirm.mutable_ownership()->set_registration_ref("SZ-653121101201-2025-007");
    v1::Asset out;
    auto s = A(&v1::AssetsService::Stub::ConfirmOwnership, confirm, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::TransferAssetRequest transfer;
    transfer.set_request_id("tr-" + asset.asset_id());
    transfer.set_asset_id(asset.asset_id());
    transfer.set_reason("项目竣工移交村集体");
    s = A(&v1::AssetsService::Stub::TransferAsset, transfer, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::SetOperatingStateRequest op;
    op.set_request_id("op-" + asset.asset_id());
    op.set_asset_id(asset.asset_id());
    op.set_state(v1::ASSET_STATE_IN_OPERATION);
    s = A(&v1::AssetsService::Stub::SetOperatingState, op, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(out.state(), v1::ASSET_STATE_IN_OPERATION);
  }

  std::string CreateHousehold(const std::string& rid) {
    mv1::CreateHouseholdRequest req;
    req.set_request_id(rid);
    req.mutable_household()->set_village_code(kVillage);
    req.mutable_household()->set_category(mv1::HOUSEHOLD_CATEGORY_LIFTED);
    req.mutable_household()->set_member_count(3);
    mv1::Household out;
    const auto s =
        Call(households_.get(), &mv1::MonitoringService::Stub::CreateHousehold, req, &out, kCounty);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.household_id();
  }

  std::string db_;
  std::string namespace_;
  std::unique_ptr<server::Server> server_;
  std::unique_ptr<server::Server> monitoring_;
  std::unique_ptr<v1::AssetsService::Stub> assets_;
  std::unique_ptr<mv1::MonitoringService::Stub> households_;
};

// Acceptance criterion 1.
TEST_F(AssetsTest, ScenarioDividendsReachMonitoringExactlyOnce) {
  ASSERT_NO_FATAL_FAILURE(StartMonitoring());
  const auto project = Project("scenario");
  // Transfer needs a completed project: refused before.
  const auto pv = Register("pv-1", project.project_id());
  ASSERT_NO_FATAL_FAILURE(AdvanceTo(project.project_id(), v1::PROJECT_STATUS_COMPLETED));
  ASSERT_NO_FATAL_FAILURE(IntoOperation(pv));

  // The funding report of the village's year: industry share 100 % of linking.
  v1::GetFundingReportRequest fr;
  fr.set_division_code("653121000000");
  fr.set_year(2025);
  v1::FundingReport report;
  ASSERT_TRUE(A(&v1::AssetsService::Stub::GetFundingReport, fr, &report).ok());
  EXPECT_EQ(report.total_fen(), 1'000'000'00);
  ASSERT_EQ(report.checks_size(), 2);
  EXPECT_TRUE(report.checks(0).passed()) << report.checks(0).description();
  EXPECT_EQ(report.checks(0).share_bp(), 10000);
  EXPECT_TRUE(report.checks(1).not_applicable());

  v1::RecordIncomeRequest income;
  income.set_request_id("inc-1");
  income.set_asset_id(pv.asset_id());
  income.set_period("2026-10");
  income.set_kind(v1::INCOME_KIND_SALES);
  income.set_amount_fen(300'000);  // 3,000 yuan of electricity sold
  v1::IncomeRecord rec;
  ASSERT_TRUE(A(&v1::AssetsService::Stub::RecordIncome, income, &rec).ok());

  std::vector<std::string> hh = {CreateHousehold("h1"), CreateHousehold("h2"),
                                 CreateHousehold("h3")};
  v1::DistributeIncomeRequest dist;
  dist.set_request_id("dist-1");
  dist.set_asset_id(pv.asset_id());
  dist.set_period("2026-10");
  dist.set_amount_fen(300'000);
  dist.set_decided_by("村民代表会议 2026-11-01 决议");
  auto* s1 = dist.add_shares();
  s1->set_use(v1::DISTRIBUTION_USE_HOUSEHOLDS);
  s1->set_share_bp(6000);
  auto* s2 = dist.add_shares();
  s2->set_use(v1::DISTRIBUTION_USE_PUBLIC_WELFARE_POST_WAGES);
  s2->set_share_bp(3000);
  auto* s3 = dist.add_shares();
  s3->set_use(v1::DISTRIBUTION_USE_COLLECTIVE_ECONOMY);
  s3->set_share_bp(1000);
  for (const auto& id : hh) {
    auto* h = dist.add_households();
    h->set_household_id(id);
    h->set_village_code(kVillage);
    h->set_weight(1);
  }
  v1::Distribution paid;
  auto s = A(&v1::AssetsService::Stub::DistributeIncome, dist, &paid);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(paid.lines_size(), 5);
  EXPECT_EQ(paid.lines(0).amount_fen(), 60'000);
  // A repeat returns the first result and pays nothing more.
  v1::Distribution again;
  ASSERT_TRUE(A(&v1::AssetsService::Stub::DistributeIncome, dist, &again).ok());
  EXPECT_EQ(again.distribution_id(), paid.distribution_id());
  EXPECT_EQ(Query("SELECT count(*) FROM assets.outbox WHERE event_type = 'assets.dividend_paid'"),
            3);
  // Nothing is left to distribute for the period.
  dist.set_request_id("dist-2");
  EXPECT_EQ(A(&v1::AssetsService::Stub::DistributeIncome, dist, &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  const std::string booked =
      "SELECT count(*) FROM monitoring.income_records WHERE kind = 3 AND household_id IN ('" +
      hh[0] + "','" + hh[1] + "','" + hh[2] + "')";
  ASSERT_EQ(WaitFor(booked, 3), 3);
  for (const auto& id : hh) {
    EXPECT_EQ(Query("SELECT sum(amount_fen) FROM monitoring.income_records WHERE kind = 3 AND "
                    "household_id = '" +
                    id + "'"),
              60'000);
  }
  // The relay publishes everything again (a crash before its commit): the
  // monitoring service books each dividend once.
  Exec("UPDATE assets.outbox SET published_at = NULL");
  Exec("DELETE FROM assets.outbox_batches");
  ASSERT_EQ(WaitFor("SELECT count(*) FROM assets.outbox WHERE published_at IS NULL", 0), 0);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(Query(booked), 3);
  EXPECT_EQ(
      Query("SELECT count(DISTINCT source_ref) FROM monitoring.income_records WHERE kind = 3"), 3);

  v1::GetProjectRequest gp;
  gp.set_project_id(project.project_id());
  v1::Project got;
  ASSERT_TRUE(A(&v1::AssetsService::Stub::GetProject, gp, &got).ok());
  ASSERT_EQ(got.history_size(), 3);
  EXPECT_EQ(got.history(2).from_status(), v1::PROJECT_STATUS_IN_PROGRESS);
  EXPECT_EQ(got.history(2).to_status(), v1::PROJECT_STATUS_COMPLETED);
  EXPECT_EQ(got.status(), v1::PROJECT_STATUS_COMPLETED);

  // The journal tells the asset's story.
  v1::GetAssetHistoryRequest hist;
  hist.set_asset_id(pv.asset_id());
  v1::AssetHistory history;
  ASSERT_TRUE(A(&v1::AssetsService::Stub::GetAssetHistory, hist, &history).ok());
  std::vector<std::string> actions;
  for (const auto& e : history.entries()) actions.push_back(e.action());
  EXPECT_EQ(actions, (std::vector<std::string>{"register", "confirm_ownership", "transfer",
                                               "set_in_operation"}));
  EXPECT_EQ(history.entries(1).before().state(), v1::ASSET_STATE_REGISTERED);
  EXPECT_EQ(history.entries(1).after().ownership().registration_ref(), "SZ-653121101201-2025-007");
  EXPECT_EQ(history.entries(1).actor().user_id(), "co1");
  // The journal is append-only, even for direct SQL.
  EXPECT_ANY_THROW(Exec("UPDATE assets.asset_journal SET reason = 'x'"));
  EXPECT_ANY_THROW(Exec("DELETE FROM assets.asset_journal"));
}

// Acceptance criterion 2.
TEST_F(AssetsTest, ReconcileFindsValuesChangedOutsideTheJournal) {
  const auto project = Project("rec");
  const auto village = Register("a-village", project.project_id());
  const auto household =
      Register("a-household", project.project_id(), v1::OWNER_LEVEL_HOUSEHOLD, 500'000);
  const auto township =
      Register("a-township", project.project_id(), v1::OWNER_LEVEL_TOWNSHIP, 2'000'000);
  v1::ReconcileRequest rr;
  rr.set_division_code("653121000000");
  v1::Reconciliation before;
  ASSERT_TRUE(A(&v1::AssetsService::Stub::Reconcile, rr, &before).ok());
  EXPECT_TRUE(before.balanced());
  EXPECT_EQ(before.master_count(), 3);
  EXPECT_EQ(before.master_value_fen(), 1'000'000'00 + 500'000 + 2'000'000);
  EXPECT_EQ(before.subledger_value_fen(), before.master_value_fen());

  // The village ledger's entry of the PV station is changed outside the
  // journal, and so is the township asset's master value.
  Exec("UPDATE assets.ledger_entries SET value_fen = value_fen + 12345 WHERE asset_id = '" +
       village.asset_id() + "'");
  Exec("UPDATE assets.assets SET original_value_fen = 1999999 WHERE asset_id = '" +
       township.asset_id() + "'");

  v1::Reconciliation after;
  ASSERT_TRUE(A(&v1::AssetsService::Stub::Reconcile, rr, &after).ok());
  EXPECT_FALSE(after.balanced());
  bool village_found = false, township_journal = false;
  for (const auto& d : after.differences()) {
    if (d.asset_id() == village.asset_id()) {
      EXPECT_EQ(d.kind(), v1::DIFFERENCE_KIND_VALUE_DIFFERS);
      EXPECT_EQ(d.ledger_kind(), v1::LEDGER_KIND_VILLAGE);
      EXPECT_EQ(d.master_value_fen(), 1'000'000'00);
      EXPECT_EQ(d.ledger_value_fen(), 1'000'000'00 + 12345);
      village_found = true;
    }
    if (d.asset_id() == township.asset_id() && d.kind() == v1::DIFFERENCE_KIND_JOURNAL_DIFFERS) {
      EXPECT_EQ(d.master_value_fen(), 1'999'999);
      EXPECT_EQ(d.journal_value_fen(), 2'000'000);
      township_journal = true;
    }
    EXPECT_NE(d.asset_id(), household.asset_id()) << d.description();
  }
  EXPECT_TRUE(village_found);
  EXPECT_TRUE(township_journal);
  // A village reconciles its own books, and sees the same difference.
  rr.set_division_code(kVillage);
  ASSERT_TRUE(A(&v1::AssetsService::Stub::Reconcile, rr, &after, kVillageCadre).ok());
  EXPECT_FALSE(after.balanced());

  // The ledgers show what they hold: the village ledger carries the changed
  // figure, the master the journaled one.
  v1::GetLedgerRequest lr;
  lr.set_division_code("653121000000");
  lr.set_kind(v1::LEDGER_KIND_VILLAGE);
  v1::Ledger ledger;
  ASSERT_TRUE(A(&v1::AssetsService::Stub::GetLedger, lr, &ledger).ok());
  EXPECT_EQ(ledger.totals().count(), 1);
  EXPECT_EQ(ledger.totals().value_fen(), 1'000'000'00 + 12345);
  lr.set_kind(v1::LEDGER_KIND_MASTER);
  lr.set_page_size(2);
  // The county's master totals come from the compacted counters (folded
  // within about a second) plus what is not folded yet: the same either way.
  ASSERT_TRUE(A(&v1::AssetsService::Stub::GetLedger, lr, &ledger).ok());
  EXPECT_EQ(ledger.totals().value_fen(), 1'000'000'00 + 500'000 + 2'000'000);
  EXPECT_EQ(WaitFor("SELECT count(*) FROM assets.ledger_deltas", 0), 0);
  ASSERT_TRUE(A(&v1::AssetsService::Stub::GetLedger, lr, &ledger).ok());
  EXPECT_EQ(ledger.totals().value_fen(), 1'000'000'00 + 500'000 + 2'000'000);
  EXPECT_EQ(ledger.totals().count(), 3);
  EXPECT_EQ(ledger.entries_size(), 2);
  ASSERT_FALSE(ledger.next_page_token().empty());
  ASSERT_EQ(ledger.totals().by_source_size(), 2);
  EXPECT_EQ(ledger.totals().by_source(0).key(), "FUNDING_SOURCE_CENTRAL_LINKING");
  lr.set_page_token(ledger.next_page_token());
  ASSERT_TRUE(A(&v1::AssetsService::Stub::GetLedger, lr, &ledger).ok());
  EXPECT_EQ(ledger.entries_size(), 1);
  EXPECT_TRUE(ledger.next_page_token().empty());
}

grpc::Status Refused(grpc::StatusCode code, const grpc::Status& s, const std::string& needle) {
  EXPECT_EQ(s.error_code(), code) << s.error_message();
  EXPECT_NE(s.error_message().find(needle), std::string::npos) << s.error_message();
  return s;
}

// Registrations arriving together are group-committed (one transaction for
// many); each request still takes effect exactly once, a bad one fails
// alone, and a request_id repeated concurrently yields one asset.
TEST_F(AssetsTest, ConcurrentRegistrationsShareCommitsAndStayExactlyOnce) {
  const auto project = Project("conc");
  AdvanceTo(project.project_id(), v1::PROJECT_STATUS_COMPLETED);
  constexpr int kThreads = 24, kEach = 15;
  const std::string missing_project = "pj-00000000000000000000";
  std::mutex mu;
  std::map<std::string, std::set<std::string>> shared_ids;  // request_id -> asset ids seen
  std::atomic<int> unexpected{0}, refused_missing{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = v1::AssetsService::NewStub(grpc::CreateChannel(
          "127.0.0.1:" + std::to_string(server_->grpc_port()), grpc::InsecureChannelCredentials()));
      for (int i = 0; i < kEach; ++i) {
        // Own request, the same request as every other thread, and (now and
        // then) one naming a project that does not exist.
        for (const auto& [rid, project_id] : std::vector<std::pair<std::string, std::string>>{
                 {absl::StrCat("own-", t, "-", i), project.project_id()},
                 {absl::StrCat("shared-", i), project.project_id()},
                 {absl::StrCat("bad-", t, "-", i), i % 5 == 0 ? missing_project : ""}}) {
          if (project_id.empty()) continue;
          v1::Asset out;
          const auto s = Call(stub.get(), &v1::AssetsService::Stub::RegisterAsset,
                              RegisterRequest(rid, project_id), &out);
          if (project_id == missing_project) {
            if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                s.error_message().find("does not exist") != std::string::npos) {
              refused_missing++;
            } else {
              unexpected++;
            }
            continue;
          }
          if (!s.ok() || out.journal_seq() == 0 || out.created().user_id().empty()) {
            unexpected++;
            continue;
          }
          if (rid.starts_with("shared-")) {
            std::lock_guard lock(mu);
            shared_ids[rid].insert(out.asset_id());
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(refused_missing.load(), kThreads * 3);
  ASSERT_EQ(shared_ids.size(), static_cast<size_t>(kEach));
  for (const auto& [rid, ids] : shared_ids) {
    EXPECT_EQ(ids.size(), 1u) << rid << " answered with " << ids.size() << " different assets";
  }
  const int64_t expected = kThreads * kEach + kEach;
  EXPECT_EQ(Query("SELECT count(*) FROM assets.assets"), expected);
  EXPECT_EQ(Query("SELECT count(*) FROM assets.asset_journal"), expected);
  EXPECT_EQ(Query("SELECT count(*) FROM assets.ledger_entries"), expected);
  EXPECT_EQ(Query("SELECT count(*) FROM assets.asset_funding"), 2 * expected);
  EXPECT_EQ(Query("SELECT count(*) FROM assets.idempotency WHERE request_id LIKE 'bad-%'"), 0)
      << "a refused registration leaves no trace";
  EXPECT_EQ(Query("SELECT count(*) FROM assets.idempotency WHERE response IS NULL"), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM assets.assets a JOIN assets.asset_journal j "
                  "ON j.seq = a.journal_seq AND j.asset_id = a.asset_id"),
            expected)
      << "every asset carries the seq of its own journal entry";
  // Rows written by one transaction share its xmin: fewer commits than assets.
  const int64_t commits = Query("SELECT count(DISTINCT xmin::text) FROM assets.assets");
  EXPECT_LT(commits, expected);
  std::cout << "registrations=" << expected << " commits=" << commits << "\n";

  // Every answer audited exactly once: an OK one by its registration's own
  // transaction, naming its asset; a refused one afterwards; one chain.
  const std::string register_entries =
      "SELECT count(*) FROM assets.audit_log WHERE action = 'assets.asset.register' AND ";
  EXPECT_EQ(Query(register_entries + "result_code = 0"), 2 * kThreads * kEach);
  EXPECT_EQ(Query(register_entries +
                  "result_code = 0 AND resource_id IN (SELECT asset_id FROM assets.assets)"),
            2 * kThreads * kEach);
  EXPECT_EQ(Query(register_entries + "result_code = 9"), kThreads * 3);
  EXPECT_EQ(Query("SELECT count(DISTINCT resource_id) FROM assets.audit_log WHERE action = "
                  "'assets.asset.register' AND result_code = 0"),
            expected);
  {
    pg::Pool pool({.conninfo = db_, .size = 1, .search_path = "assets"});
    auto chain = audit::Verify(pool, absl::Now() + absl::Seconds(30), 1, 0);
    ASSERT_TRUE(chain.ok()) << chain.status();
    EXPECT_FALSE(chain->broken.has_value()) << "the chain holds";
    EXPECT_EQ(chain->checked, Query("SELECT count(*) FROM assets.audit_log"));
  }

  v1::ReconcileRequest rr;
  rr.set_division_code("653121000000");
  v1::Reconciliation rec;
  ASSERT_TRUE(A(&v1::AssetsService::Stub::Reconcile, rr, &rec).ok());
  EXPECT_TRUE(rec.balanced());
  EXPECT_EQ(rec.master_count(), expected);
  EXPECT_EQ(rec.master_value_fen(), expected * 1'000'000'00);

  // After the rush: a retry replays, a reuse for another request is refused.
  v1::Asset first, again;
  ASSERT_TRUE(A(&v1::AssetsService::Stub::RegisterAsset,
                RegisterRequest("shared-0", project.project_id()), &again)
                  .ok());
  EXPECT_EQ(again.asset_id(), *shared_ids["shared-0"].begin());
  Refused(grpc::StatusCode::INVALID_ARGUMENT,
          A(&v1::AssetsService::Stub::RegisterAsset,
            RegisterRequest("own-0-0", project.project_id(), v1::OWNER_LEVEL_VILLAGE_COLLECTIVE,
                            7'000'00),
            &first),
          "request_id");
  EXPECT_EQ(Query("SELECT count(*) FROM assets.assets"), expected);
}

// Acceptance criterion 3.
TEST_F(AssetsTest, RefusedRequestsWriteNothing) {
  const auto project = Project("refuse");
  const auto asset = Register("a-1", project.project_id());
  const auto census = Census();
  using S = v1::AssetsService::Stub;
  v1::Asset out;

  // Illegal transitions.
  v1::TransferAssetRequest transfer;
  transfer.set_request_id("t-early");
  transfer.set_asset_id(asset.asset_id());
  Refused(grpc::StatusCode::FAILED_PRECONDITION, A(&S::TransferAsset, transfer, &out),
          "cannot go from registered to transferred");
  v1::SetOperatingStateRequest op;
  op.set_request_id("op-early");
  op.set_asset_id(asset.asset_id());
  op.set_state(v1::ASSET_STATE_IN_OPERATION);
  Refused(grpc::StatusCode::FAILED_PRECONDITION, A(&S::SetOperatingState, op, &out),
          "cannot go from registered to in operation");
  v1::AdvanceProjectRequest jump;
  jump.set_request_id("jump");
  jump.set_project_id(project.project_id());
  jump.set_to_status(v1::PROJECT_STATUS_COMPLETED);
  v1::Project p;
  Refused(grpc::StatusCode::FAILED_PRECONDITION, A(&S::AdvanceProject, jump, &p),
          "planned -> approved -> in progress");
  // Ownership registered in the wrong external system (RULES A3).
  v1::ConfirmOwnershipRequest confirm;
  confirm.set_request_id("own-bad");
  confirm.set_asset_id(asset.asset_id());
  *confirm.mutable_ownership() = asset.ownership();
  confirm.mutable_ownership()->set_registration_system(v1::REGISTRATION_SYSTEM_STATE_ASSETS);
  confirm.mutable_ownership()->set_registration_ref("GZ-1");
  auto s = A(&S::ConfirmOwnership, confirm, &out);
  Refused(grpc::StatusCode::INVALID_ARGUMENT, s, "RULES A3");
  ASSERT_EQ(errors::FieldViolationsOf(errors::FromGrpcStatus(s)).at(0).field,
            "ownership.registration_system");
  EXPECT_EQ(Census(), census);

  // Out of jurisdiction: another village's cadre, another county.
  confirm.mutable_ownership()->set_registration_system(v1::REGISTRATION_SYSTEM_RURAL_THREE_ASSETS);
  Refused(grpc::StatusCode::PERMISSION_DENIED,
          A(&S::ConfirmOwnership, confirm, &out, kOtherVillageCadre), "");
  v1::ReconcileRequest rr;
  rr.set_division_code("653121000000");
  v1::Reconciliation rec;
  Refused(grpc::StatusCode::PERMISSION_DENIED, A(&S::Reconcile, rr, &rec, kOtherCounty), "");
  Refused(grpc::StatusCode::PERMISSION_DENIED, A(&S::Reconcile, rr, &rec, kVillageCadre), "");
  v1::GetAssetRequest get;
  get.set_asset_id(asset.asset_id());
  Refused(grpc::StatusCode::PERMISSION_DENIED, A(&S::GetAsset, get, &out, kOtherCounty), "");
  // Unknown records, and a request id reused for a different request.
  get.set_asset_id("as-ffffffffffffffffffff");
  Refused(grpc::StatusCode::NOT_FOUND, A(&S::GetAsset, get, &out), "not found");
  get.set_asset_id(asset.asset_id());
  v1::RegisterAssetRequest reuse;
  reuse.set_request_id("a-1");  // the id Register() used above
  *reuse.mutable_asset() = asset;
  reuse.mutable_asset()->clear_asset_id();
  reuse.mutable_asset()->set_name("另一项资产");
  Refused(grpc::StatusCode::INVALID_ARGUMENT, A(&S::RegisterAsset, reuse, &out), "request_id");
  EXPECT_EQ(Census(), census);

  // Ownership confirmed (as IntoOperation below will ask again, idempotently),
  // but the project is not completed: no transfer.
  confirm.set_request_id("own-" + asset.asset_id());
  confirm.mutable_ownership()->set_registration_ref("SZ-653121101201-2025-007");
  ASSERT_TRUE(A(&S::ConfirmOwnership, confirm, &out).ok());
  const auto census_confirmed = Census();
  transfer.set_request_id("t-too-early");
  Refused(grpc::StatusCode::FAILED_PRECONDITION, A(&S::TransferAsset, transfer, &out),
          "only once its project is completed");
  EXPECT_EQ(Census(), census_confirmed);

  // Into operation, with income, for the distribution and disposal cases.
  ASSERT_NO_FATAL_FAILURE(AdvanceTo(project.project_id(), v1::PROJECT_STATUS_COMPLETED));
  ASSERT_NO_FATAL_FAILURE(IntoOperation(asset));
  v1::RecordIncomeRequest income;
  income.set_request_id("inc");
  income.set_asset_id(asset.asset_id());
  income.set_period("2026-09");
  income.set_kind(v1::INCOME_KIND_RENT);
  income.set_amount_fen(100'000);
  v1::IncomeRecord ir;
  ASSERT_TRUE(A(&S::RecordIncome, income, &ir).ok());
  const auto census2 = Census();

  // Forbidden distribution uses (RULES A5), named.
  v1::DistributeIncomeRequest dist;
  dist.set_request_id("dist-bad");
  dist.set_asset_id(asset.asset_id());
  dist.set_period("2026-09");
  dist.set_amount_fen(100'000);
  dist.set_decided_by("村民代表会议");
  auto* ok_share = dist.add_shares();
  ok_share->set_use(v1::DISTRIBUTION_USE_COLLECTIVE_ECONOMY);
  ok_share->set_share_bp(5000);
  auto* bad = dist.add_shares();
  bad->set_use(v1::DISTRIBUTION_USE_COMMITTEE_RUNNING_COSTS);
  bad->set_share_bp(5000);
  v1::Distribution d;
  s = A(&S::DistributeIncome, dist, &d);
  Refused(grpc::StatusCode::INVALID_ARGUMENT, s, "RULES A5 forbids");
  EXPECT_EQ(errors::FieldViolationsOf(errors::FromGrpcStatus(s)).at(0).field, "shares[1].use");
  bad->set_use(v1::DISTRIBUTION_USE_VEHICLES);
  Refused(grpc::StatusCode::INVALID_ARGUMENT, A(&S::DistributeIncome, dist, &d), "vehicles");
  // Paying households of another county.
  bad->set_use(v1::DISTRIBUTION_USE_HOUSEHOLDS);
  auto* h = dist.add_households();
  h->set_household_id("hh-00000000000000000009");
  h->set_village_code("653122101201");
  h->set_weight(1);
  Refused(grpc::StatusCode::INVALID_ARGUMENT, A(&S::DistributeIncome, dist, &d), "inside");
  EXPECT_EQ(Census(), census2);

  // Disposal without the approval chain (RULES A6).
  auto rd = DisposalRequest("disp", asset.asset_id(), v1::DISPOSAL_METHOD_SCRAPPING,
                            v1::DISPOSAL_TRIGGER_DISASTER, "洪水损毁");
  v1::Disposal disposal;
  ASSERT_TRUE(A(&S::RequestDisposal, rd, &disposal).ok());
  ASSERT_EQ(disposal.required_steps_size(), 4);
  const auto census3 = Census();
  rd.set_request_id("disp-again");
  v1::Disposal second;
  Refused(grpc::StatusCode::FAILED_PRECONDITION, A(&S::RequestDisposal, rd, &second),
          "already has disposal");
  v1::CompleteDisposalRequest complete;
  complete.set_request_id("complete");
  complete.set_disposal_id(disposal.disposal_id());
  Refused(grpc::StatusCode::FAILED_PRECONDITION, A(&S::CompleteDisposal, complete, &disposal),
          "still needs APPROVAL_STEP_VILLAGE_MEETING, APPROVAL_STEP_TOWNSHIP");
  v1::ApproveDisposalStepRequest step;
  step.set_request_id("step-skip");
  step.set_disposal_id(disposal.disposal_id());
  step.set_step(v1::APPROVAL_STEP_TOWNSHIP);
  step.set_approved(true);
  step.set_reference("乡政府批复 2026-12");
  Refused(grpc::StatusCode::FAILED_PRECONDITION,
          A(&S::ApproveDisposalStep, step, &disposal, kTownshipOfficial), "next step of disposal");
  step.set_step(v1::APPROVAL_STEP_VILLAGE_MEETING);
  Refused(grpc::StatusCode::PERMISSION_DENIED, A(&S::ApproveDisposalStep, step, &disposal),
          "held by village cadre");
  Refused(grpc::StatusCode::PERMISSION_DENIED,
          A(&S::ApproveDisposalStep, step, &disposal, kOtherVillageCadre), "");
  EXPECT_EQ(Census(), census3);

  // The chain in order, then completion; proceeds stay with the village.
  auto approve = [&](v1::ApprovalStep st, const std::string& token) {
    step.set_request_id(absl::StrCat("step-", st));
    step.set_step(st);
    const auto r = A(&S::ApproveDisposalStep, step, &disposal, token);
    ASSERT_TRUE(r.ok()) << r.error_message();
  };
  approve(v1::APPROVAL_STEP_VILLAGE_MEETING, kVillageCadre);
  approve(v1::APPROVAL_STEP_TOWNSHIP, kTownshipOfficial);
  approve(v1::APPROVAL_STEP_COUNTY_DEPARTMENT, kCounty);
  approve(v1::APPROVAL_STEP_COUNTY_FINANCE, kFinance);
  EXPECT_EQ(disposal.status(), v1::DISPOSAL_STATUS_APPROVED);
  complete.set_proceeds_fen(5000);
  ASSERT_TRUE(A(&S::CompleteDisposal, complete, &disposal).ok());
  EXPECT_EQ(disposal.proceeds_village_code(), kVillage);
  EXPECT_EQ(Query("SELECT amount_fen FROM assets.village_credits"), 5000);
  ASSERT_TRUE(A(&S::GetAsset, get, &out).ok());
  EXPECT_EQ(out.state(), v1::ASSET_STATE_DISPOSED);
  // The journal tells the whole story, the refused calls left no trace.
  v1::GetAssetHistoryRequest hist;
  hist.set_asset_id(asset.asset_id());
  v1::AssetHistory history;
  ASSERT_TRUE(A(&S::GetAssetHistory, hist, &history).ok());
  std::vector<std::string> actions;
  for (const auto& e : history.entries()) actions.push_back(e.action());
  EXPECT_EQ(actions, (std::vector<std::string>{"register", "confirm_ownership", "transfer",
                                               "set_in_operation", "disposal_requested",
                                               "disposal_step", "disposal_step", "disposal_step",
                                               "disposal_step", "dispose"}));
  EXPECT_EQ(history.entries(5).actor().user_id(), "vc1");
  EXPECT_EQ(history.entries(5).actor_level(), zx::common::v1::LEVEL_VILLAGE);
  EXPECT_EQ(history.entries(9).before().state(), v1::ASSET_STATE_IN_OPERATION);
  EXPECT_EQ(history.entries(9).after().state(), v1::ASSET_STATE_DISPOSED);
  // Disposed: no way back.
  op.set_request_id("op-late");
  Refused(grpc::StatusCode::FAILED_PRECONDITION, A(&S::SetOperatingState, op, &out),
          "cannot go from disposed");
  // The master ledger's totals (folded counters + deltas) follow: nothing live.
  v1::GetLedgerRequest lr;
  lr.set_division_code("653121000000");
  lr.set_kind(v1::LEDGER_KIND_MASTER);
  v1::Ledger ledger;
  ASSERT_TRUE(A(&S::GetLedger, lr, &ledger).ok());
  EXPECT_EQ(ledger.totals().count(), 0);
  EXPECT_EQ(ledger.totals().by_source_size(), 0);
  EXPECT_EQ(ledger.entries_size(), 0);
  v1::Reconciliation rec2;
  ASSERT_TRUE(A(&S::Reconcile, rr, &rec2).ok());
  EXPECT_TRUE(rec2.balanced());
  EXPECT_EQ(rec2.master_count(), 0);
}

// Disposals above the configured value wait for the prefecture (a recorded
// pending state until the federation service carries the request).
TEST_F(AssetsTest, LargeDisposalWaitsForThePrefecture) {
  using S = v1::AssetsService::Stub;
  const auto project = Project("big", 2'000'000'00);
  const auto asset = Register("big-1", project.project_id(), v1::OWNER_LEVEL_VILLAGE_COLLECTIVE,
                              2'000'000'00);  // 2,000,000 yuan: above the 1,000,000 default
  ASSERT_NO_FATAL_FAILURE(AdvanceTo(project.project_id(), v1::PROJECT_STATUS_COMPLETED));
  ASSERT_NO_FATAL_FAILURE(IntoOperation(asset));
  const auto rd = DisposalRequest("disp-big", asset.asset_id(), v1::DISPOSAL_METHOD_AUCTION,
                                  v1::DISPOSAL_TRIGGER_POOR_RETURNS, "收益持续低下");
  v1::Disposal d;
  ASSERT_TRUE(A(&S::RequestDisposal, rd, &d).ok());
  ASSERT_EQ(d.required_steps_size(), 5);
  EXPECT_EQ(d.required_steps(4), v1::APPROVAL_STEP_PREFECTURE);
  v1::ApproveDisposalStepRequest step;
  step.set_disposal_id(d.disposal_id());
  step.set_approved(true);
  step.set_reference("批复");
  for (const auto& [st, token] : std::vector<std::pair<v1::ApprovalStep, std::string>>{
           {v1::APPROVAL_STEP_VILLAGE_MEETING, kVillageCadre},
           {v1::APPROVAL_STEP_TOWNSHIP, kTownshipOfficial},
           {v1::APPROVAL_STEP_COUNTY_DEPARTMENT, kAgriculture},
           {v1::APPROVAL_STEP_COUNTY_FINANCE, kFinance}}) {
    step.set_request_id(absl::StrCat("big-step-", st));
    step.set_step(st);
    const auto r = A(&S::ApproveDisposalStep, step, &d, token);
    ASSERT_TRUE(r.ok()) << r.error_message();
  }
  EXPECT_EQ(d.status(), v1::DISPOSAL_STATUS_PENDING_PREFECTURE);
  v1::CompleteDisposalRequest complete;
  complete.set_request_id("big-complete");
  complete.set_disposal_id(d.disposal_id());
  Refused(grpc::StatusCode::FAILED_PRECONDITION, A(&S::CompleteDisposal, complete, &d),
          "still needs APPROVAL_STEP_PREFECTURE");
  step.set_request_id("big-step-pref");
  step.set_step(v1::APPROVAL_STEP_PREFECTURE);
  Refused(grpc::StatusCode::PERMISSION_DENIED, A(&S::ApproveDisposalStep, step, &d, kCounty),
          "held by prefecture official");
  ASSERT_TRUE(
      A(&S::ApproveDisposalStep, step, &d, "dev.653100000000.prefecture_official.pf1").ok());
  EXPECT_EQ(d.status(), v1::DISPOSAL_STATUS_APPROVED);
  complete.set_proceeds_fen(80'000'00);
  ASSERT_TRUE(A(&S::CompleteDisposal, complete, &d).ok());
  EXPECT_EQ(d.status(), v1::DISPOSAL_STATUS_COMPLETED);
}

// An asset is formed by a project of its own place: linking a new asset to
// a completed project of another village (to transfer it at once) is refused.
TEST_F(AssetsTest, AssetOfAnotherPlacesProjectIsRefused) {
  using S = v1::AssetsService::Stub;
  v1::CreateProjectRequest req;
  req.set_request_id("pj-elsewhere");
  auto* p = req.mutable_project();
  p->set_name("邻村冷库");
  p->set_year(2024);
  p->set_division_code("653121101202");
  p->set_category(v1::PROJECT_CATEGORY_INDUSTRY);
  p->set_implementing_unit("县乡村振兴局");
  auto* line = p->add_funding_lines();
  line->set_source(v1::FUNDING_SOURCE_CENTRAL_LINKING);
  line->set_amount_fen(1'000'000'00);
  v1::Project elsewhere;
  ASSERT_TRUE(A(&S::CreateProject, req, &elsewhere).ok());
  ASSERT_NO_FATAL_FAILURE(AdvanceTo(elsewhere.project_id(), v1::PROJECT_STATUS_COMPLETED));
  const auto census = Census();
  v1::Asset out;
  Refused(grpc::StatusCode::FAILED_PRECONDITION,
          A(&S::RegisterAsset, RegisterRequest("else-1", elsewhere.project_id()), &out),
          "does not contain the asset's location");
  EXPECT_EQ(Census(), census);
  // A county project covers every village of the county.
  req.set_request_id("pj-county");
  p->set_division_code("653121000000");
  v1::Project county;
  ASSERT_TRUE(A(&S::CreateProject, req, &county).ok());
  const auto s = A(&S::RegisterAsset, RegisterRequest("county-1", county.project_id()), &out);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// Jurisdiction follows the owner: a cadre of village 201 cannot register or
// confirm an asset standing in 201 but owned by village 202's collective,
// nor request its disposal or record 202's villagers' meeting on it; 202's
// cadre, although the asset stands outside 202, requests and records them.
TEST_F(AssetsTest, OwnersJurisdictionIsCheckedOnWrites) {
  using S = v1::AssetsService::Stub;
  constexpr char kOtherVillage[] = "653121101202";
  const auto project = Project("owner");
  auto req = RegisterRequest("own-202", project.project_id());
  req.mutable_asset()->mutable_ownership()->set_owner_id(kOtherVillage);
  req.mutable_asset()->mutable_ownership()->set_owner_division_code(kOtherVillage);
  const auto census = Census();
  v1::Asset asset;
  Refused(grpc::StatusCode::PERMISSION_DENIED, A(&S::RegisterAsset, req, &asset, kVillageCadre),
          kOtherVillage);
  EXPECT_EQ(Census(), census);
  ASSERT_TRUE(A(&S::RegisterAsset, req, &asset).ok());
  const auto census2 = Census();
  v1::ConfirmOwnershipRequest confirm;
  confirm.set_request_id("own-202-confirm");
  confirm.set_asset_id(asset.asset_id());
  *confirm.mutable_ownership() = asset.ownership();
  confirm.mutable_ownership()->set_registration_system(v1::REGISTRATION_SYSTEM_RURAL_THREE_ASSETS);
  confirm.mutable_ownership()->set_registration_ref("SZ-653121101202-2025-001");
  v1::Asset out;
  Refused(grpc::StatusCode::PERMISSION_DENIED,
          A(&S::ConfirmOwnership, confirm, &out, kVillageCadre), kOtherVillage);
  EXPECT_EQ(Census(), census2);

  ASSERT_NO_FATAL_FAILURE(AdvanceTo(project.project_id(), v1::PROJECT_STATUS_COMPLETED));
  ASSERT_TRUE(A(&S::ConfirmOwnership, confirm, &out).ok());
  v1::TransferAssetRequest transfer;
  transfer.set_request_id("own-202-transfer");
  transfer.set_asset_id(asset.asset_id());
  ASSERT_TRUE(A(&S::TransferAsset, transfer, &out).ok());
  const auto rd = DisposalRequest("own-202-disp", asset.asset_id(), v1::DISPOSAL_METHOD_SCRAPPING,
                                  v1::DISPOSAL_TRIGGER_DISASTER, "洪水损毁");
  v1::Disposal d;
  Refused(grpc::StatusCode::PERMISSION_DENIED, A(&S::RequestDisposal, rd, &d, kVillageCadre),
          kOtherVillage);
  // The owning village acts on its asset although it stands in 201 (飞地).
  const auto requested = A(&S::RequestDisposal, rd, &d, kOtherVillageCadre);
  ASSERT_TRUE(requested.ok()) << requested.error_message();
  const auto census3 = Census();
  v1::ApproveDisposalStepRequest step;
  step.set_request_id("own-202-vm");
  step.set_disposal_id(d.disposal_id());
  step.set_step(v1::APPROVAL_STEP_VILLAGE_MEETING);
  step.set_approved(true);
  step.set_reference("村民代表会议决议");
  Refused(grpc::StatusCode::PERMISSION_DENIED, A(&S::ApproveDisposalStep, step, &d, kVillageCadre),
          kOtherVillage);
  EXPECT_EQ(Census(), census3);
  const auto s = A(&S::ApproveDisposalStep, step, &d, kOtherVillageCadre);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(d.approvals(0).by().user_id(), "vc2");
}

// RULES A6 needs the county department and finance: finance cannot record
// the department's step, and nobody records two steps of one disposal.
TEST_F(AssetsTest, OnePersonSignsOneStepOfADisposal) {
  using S = v1::AssetsService::Stub;
  const auto project = Project("sep");
  const auto asset = Register("sep-1", project.project_id());
  ASSERT_NO_FATAL_FAILURE(AdvanceTo(project.project_id(), v1::PROJECT_STATUS_COMPLETED));
  ASSERT_NO_FATAL_FAILURE(IntoOperation(asset));
  const auto rd = DisposalRequest("sep-disp", asset.asset_id(), v1::DISPOSAL_METHOD_SCRAPPING,
                                  v1::DISPOSAL_TRIGGER_END_OF_LIFE, "达到使用年限");
  v1::Disposal d;
  ASSERT_TRUE(A(&S::RequestDisposal, rd, &d).ok());
  v1::ApproveDisposalStepRequest step;
  step.set_disposal_id(d.disposal_id());
  step.set_approved(true);
  step.set_reference("批复");
  const auto approve = [&](v1::ApprovalStep st, const std::string& token) {
    step.set_request_id(absl::StrCat("sep-", st, "-", token));
    step.set_step(st);
    return A(&S::ApproveDisposalStep, step, &d, token);
  };
  ASSERT_TRUE(approve(v1::APPROVAL_STEP_VILLAGE_MEETING, kVillageCadre).ok());
  ASSERT_TRUE(approve(v1::APPROVAL_STEP_TOWNSHIP, kTownshipOfficial).ok());
  const auto census = Census();
  Refused(grpc::StatusCode::PERMISSION_DENIED,
          approve(v1::APPROVAL_STEP_COUNTY_DEPARTMENT, kFinance), "department");
  EXPECT_EQ(Census(), census);
  ASSERT_TRUE(approve(v1::APPROVAL_STEP_COUNTY_DEPARTMENT, kCounty).ok());
  const auto census2 = Census();
  Refused(grpc::StatusCode::FAILED_PRECONDITION, approve(v1::APPROVAL_STEP_COUNTY_FINANCE, kCounty),
          "already recorded APPROVAL_STEP_COUNTY_DEPARTMENT");
  EXPECT_EQ(Census(), census2);
  const auto s = approve(v1::APPROVAL_STEP_COUNTY_FINANCE, kFinance);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(d.status(), v1::DISPOSAL_STATUS_APPROVED);
}

// A sub-ledger is kept by the owner's division, as of any time as now: an
// asset standing in township 101 but owned by village 102203's collective
// is in that village's ledger both now and as of now.
TEST_F(AssetsTest, SubLedgerAsOfFollowsTheOwnerLikeNow) {
  using S = v1::AssetsService::Stub;
  constexpr char kOwnerVillage[] = "653121102203";
  const auto project = Project("county-ledger", 1'000'000'00, "653121000000");
  auto req = RegisterRequest("ledger-owner", project.project_id());
  req.mutable_asset()->set_location_division_code(kTownship);
  req.mutable_asset()->mutable_ownership()->set_owner_id(kOwnerVillage);
  req.mutable_asset()->mutable_ownership()->set_owner_division_code(kOwnerVillage);
  v1::Asset asset;
  const auto s = A(&S::RegisterAsset, req, &asset);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  v1::GetLedgerRequest lr;
  lr.set_division_code(kOwnerVillage);
  lr.set_kind(v1::LEDGER_KIND_VILLAGE);
  v1::Ledger now, as_of;
  ASSERT_TRUE(A(&S::GetLedger, lr, &now).ok());
  ASSERT_EQ(now.entries_size(), 1);
  EXPECT_EQ(now.entries(0).asset_id(), asset.asset_id());
  *lr.mutable_as_of() = time::ToProto(absl::Now());
  ASSERT_TRUE(A(&S::GetLedger, lr, &as_of).ok());
  ASSERT_EQ(as_of.entries_size(), 1);
  EXPECT_EQ(as_of.entries(0).asset_id(), asset.asset_id());
  EXPECT_EQ(as_of.totals().value_fen(), now.totals().value_fen());
  // The township where it stands keeps no village ledger entry for it.
  lr.set_division_code(kTownship);
  ASSERT_TRUE(A(&S::GetLedger, lr, &as_of).ok());
  EXPECT_EQ(as_of.entries_size(), 0);
  lr.clear_as_of();
  ASSERT_TRUE(A(&S::GetLedger, lr, &now).ok());
  EXPECT_EQ(now.entries_size(), 0);
}

// Inspections (账实相符), certificates (账证相符), the ledger as of a past
// time, roll-ups and the village collective economy.
TEST_F(AssetsTest, BookChecksRollupsAndCollectiveEconomy) {
  using S = v1::AssetsService::Stub;
  const auto project = Project("books");
  const auto pv = Register("b-pv", project.project_id());
  const auto cattle =
      Register("b-cattle", project.project_id(), v1::OWNER_LEVEL_HOUSEHOLD, 800'000);
  const auto registered_at = absl::Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_NO_FATAL_FAILURE(AdvanceTo(project.project_id(), v1::PROJECT_STATUS_ACCEPTED));
  ASSERT_NO_FATAL_FAILURE(IntoOperation(pv));

  // As of before the PV station went into operation, the master ledger had
  // both assets registered.
  v1::GetLedgerRequest lr;
  lr.set_division_code(kTownship);
  lr.set_kind(v1::LEDGER_KIND_MASTER);
  *lr.mutable_as_of() = time::ToProto(registered_at);
  v1::Ledger ledger;
  ASSERT_TRUE(A(&S::GetLedger, lr, &ledger).ok());
  ASSERT_EQ(ledger.entries_size(), 2);
  for (const auto& e : ledger.entries()) EXPECT_EQ(e.state(), v1::ASSET_STATE_REGISTERED);
  EXPECT_EQ(ledger.totals().value_fen(), 1'000'000'00 + 800'000);
  lr.set_kind(v1::LEDGER_KIND_HOUSEHOLD);
  ASSERT_TRUE(A(&S::GetLedger, lr, &ledger).ok());
  ASSERT_EQ(ledger.entries_size(), 1);
  EXPECT_EQ(ledger.entries(0).asset_id(), cattle.asset_id());
  lr.clear_as_of();
  lr.set_kind(v1::LEDGER_KIND_MASTER);
  ASSERT_TRUE(A(&S::GetLedger, lr, &ledger).ok());
  ASSERT_EQ(ledger.entries_size(), 2);

  v1::RecordInspectionRequest ins;
  ins.set_request_id("ins-1");
  auto* in = ins.mutable_inspection();
  in->set_asset_id(cattle.asset_id());
  in->set_result(v1::INSPECTION_RESULT_MISSING);
  in->set_inspector("乡镇资产管理员");
  in->set_inspected_on(absl::FormatCivilTime(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone())));
  v1::Inspection inspection;
  auto st = A(&S::RecordInspection, ins, &inspection, kTownshipOfficial);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ins.set_request_id("ins-2");
  in->set_asset_id(pv.asset_id());
  in->set_result(v1::INSPECTION_RESULT_FOUND);
  Refused(grpc::StatusCode::INVALID_ARGUMENT, A(&S::RecordInspection, ins, &inspection),
          "inspection.photo_ref");
  in->set_photo_ref("photo://pv/2026-11.jpg");
  ASSERT_TRUE(A(&S::RecordInspection, ins, &inspection).ok());
  v1::RecordCertificateRequest cert;
  cert.set_request_id("cert-1");
  auto* c = cert.mutable_certificate();
  c->set_asset_id(pv.asset_id());
  c->set_kind("不动产权证");
  c->set_number("新(2025)疏附县不动产权第0001号");
  c->set_issued_by("疏附县自然资源局");
  c->set_issued_on("2025-12-01");
  v1::Certificate certificate;
  ASSERT_TRUE(A(&S::RecordCertificate, cert, &certificate).ok());

  v1::GetBookCheckReportRequest br;
  br.set_division_code("653121000000");
  v1::BookCheckReport book;
  ASSERT_TRUE(A(&S::GetBookCheckReport, br, &book).ok());
  EXPECT_EQ(book.asset_count(), 2);
  EXPECT_EQ(book.found(), 1);
  EXPECT_EQ(book.missing(), 1);
  ASSERT_EQ(book.missing_asset_ids_size(), 1);
  EXPECT_EQ(book.missing_asset_ids(0), cattle.asset_id());
  EXPECT_EQ(book.with_certificate(), 1);
  ASSERT_EQ(book.uncertified_asset_ids_size(), 1);
  EXPECT_EQ(book.uncertified_asset_ids(0), cattle.asset_id());

  v1::RecordIncomeRequest income;
  income.set_request_id("b-inc");
  income.set_asset_id(pv.asset_id());
  income.set_period("2026-03");
  income.set_kind(v1::INCOME_KIND_SALES);
  income.set_amount_fen(4'000'000);  // 40,000 yuan
  v1::IncomeRecord ir;
  ASSERT_TRUE(A(&S::RecordIncome, income, &ir).ok());

  v1::GetAssetRollupRequest rr;
  rr.set_division_code("653121000000");
  v1::AssetRollup rollup;
  ASSERT_TRUE(A(&S::GetAssetRollup, rr, &rollup).ok());
  EXPECT_EQ(rollup.total().asset_count(), 2);
  EXPECT_EQ(rollup.total().income_fen(), 4'000'000);
  EXPECT_EQ(rollup.total().missing_count(), 1);
  ASSERT_EQ(rollup.children_size(), 1);
  EXPECT_EQ(rollup.children(0).division_code(), kTownship);
  ASSERT_EQ(rollup.total().by_owner_level_size(), 2);
  EXPECT_EQ(rollup.total().by_owner_level(0).key(), "OWNER_LEVEL_HOUSEHOLD");

  // 40,000 yuan from the PV station + 15,000 from renting land: 55,000 yuan
  // meets the 50,000 village target, not the 100,000 township average.
  v1::RecordCollectiveIncomeRequest ci;
  ci.set_request_id("ci-1");
  ci.mutable_income()->set_village_code(kVillage);
  ci.mutable_income()->set_year(2026);
  ci.mutable_income()->set_source("资源发包");
  ci.mutable_income()->set_amount_fen(1'500'000);
  v1::CollectiveIncome cio;
  ASSERT_TRUE(A(&S::RecordCollectiveIncome, ci, &cio, kVillageCadre).ok());
  ci.set_request_id("ci-2");
  ci.mutable_income()->set_village_code("653121101202");
  ci.mutable_income()->set_amount_fen(100'000);
  Refused(grpc::StatusCode::PERMISSION_DENIED,
          A(&S::RecordCollectiveIncome, ci, &cio, kVillageCadre), "");
  ASSERT_TRUE(A(&S::RecordCollectiveIncome, ci, &cio, kTownshipOfficial).ok());
  v1::GetCollectiveEconomyRequest ce;
  ce.set_division_code(kTownship);
  ce.set_year(2026);
  v1::CollectiveEconomyReport economy;
  ASSERT_TRUE(A(&S::GetCollectiveEconomy, ce, &economy, kTownshipOfficial).ok());
  ASSERT_EQ(economy.villages_size(), 2);
  EXPECT_EQ(economy.villages(0).from_assets_fen(), 4'000'000);
  EXPECT_EQ(economy.villages(0).other_fen(), 1'500'000);
  EXPECT_TRUE(economy.villages(0).meets_target());
  EXPECT_FALSE(economy.villages(1).meets_target());
  ASSERT_EQ(economy.villages_below_target_size(), 1);
  EXPECT_EQ(economy.villages_below_target(0), "653121101202");
  EXPECT_EQ(economy.average_fen(), (5'500'000 + 100'000) / 2);
  EXPECT_FALSE(economy.average_meets_target());
}

// Money is capped at 1e12 fen per amount (as monitoring caps it): a larger
// asset value, funding line, income or collective income is refused naming
// the field, and writes nothing.
TEST_F(AssetsTest, AmountsAboveTheCapAreRefusedAndWriteNothing) {
  using S = v1::AssetsService::Stub;
  const auto project = Project("cap");
  const auto census = Census();
  constexpr int64_t kAboveCap = 1'000'000'000'001;
  v1::Asset out;
  auto s = A(
      &S::RegisterAsset,
      RegisterRequest("cap-1", project.project_id(), v1::OWNER_LEVEL_VILLAGE_COLLECTIVE, kAboveCap),
      &out);
  Refused(grpc::StatusCode::INVALID_ARGUMENT, s, "1,000,000,000,000 fen");
  EXPECT_EQ(errors::FieldViolationsOf(errors::FromGrpcStatus(s)).at(0).field,
            "asset.original_value_fen");
  v1::CreateProjectRequest big;
  big.set_request_id("cap-pj");
  auto* p = big.mutable_project();
  p->set_name("超大项目");
  p->set_year(2025);
  p->set_division_code(kVillage);
  p->set_category(v1::PROJECT_CATEGORY_INDUSTRY);
  p->set_implementing_unit("县乡村振兴局");
  auto* line = p->add_funding_lines();
  line->set_source(v1::FUNDING_SOURCE_CENTRAL_LINKING);
  line->set_amount_fen(4'000'000'000'000'000'000);
  v1::Project created;
  s = A(&S::CreateProject, big, &created);
  Refused(grpc::StatusCode::INVALID_ARGUMENT, s, "1,000,000,000,000 fen");
  EXPECT_EQ(errors::FieldViolationsOf(errors::FromGrpcStatus(s)).at(0).field,
            "project.funding_lines[0].amount_fen");
  v1::RecordCollectiveIncomeRequest ci;
  ci.set_request_id("cap-ci");
  ci.mutable_income()->set_village_code(kVillage);
  ci.mutable_income()->set_year(2026);
  ci.mutable_income()->set_source("资源发包");
  ci.mutable_income()->set_amount_fen(kAboveCap);
  v1::CollectiveIncome cio;
  s = A(&S::RecordCollectiveIncome, ci, &cio);
  Refused(grpc::StatusCode::INVALID_ARGUMENT, s, "income.amount_fen");
  EXPECT_EQ(Census(), census);
  EXPECT_EQ(Query("SELECT count(*) FROM assets.collective_incomes"), 0);
}

// The master-ledger totals fold exactly even past int64 (rows from before
// the cap, or written by direct SQL): the compactor never fails on them, and
// the ledger reports the total saturated instead of failing.
TEST_F(AssetsTest, LedgerTotalsFoldBeyondInt64) {
  Exec(
      "INSERT INTO assets.ledger_deltas (county_code, dim, key, count, value_fen) VALUES "
      "('653121000000', 1, 1, 1, 6000000000000000000), "
      "('653121000000', 1, 1, 1, 6000000000000000000)");
  EXPECT_EQ(WaitFor("SELECT count(*) FROM assets.ledger_deltas", 0), 0)
      << "the compactor folds the deltas";
  v1::GetLedgerRequest lr;
  lr.set_division_code("653121000000");
  lr.set_kind(v1::LEDGER_KIND_MASTER);
  v1::Ledger ledger;
  const auto s = A(&v1::AssetsService::Stub::GetLedger, lr, &ledger);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ledger.totals().count(), 2);
  EXPECT_EQ(ledger.totals().value_fen(), std::numeric_limits<int64_t>::max());
}

// The collective-economy report lists every village that owns or hosts an
// asset here even without income (below target), and above township level
// judges the average target per township.
TEST_F(AssetsTest, CollectiveEconomyListsAssetVillagesAndEachTownship) {
  using S = v1::AssetsService::Stub;
  constexpr char kHostVillage[] = "653121102301";   // hosts a county asset, no income
  constexpr char kOwnerVillage[] = "653121102302";  // owns an asset, no income
  const auto project = Project("ce", 1'000'000'00, "653121000000");
  auto hosted = RegisterRequest("ce-host", project.project_id(), v1::OWNER_LEVEL_TOWNSHIP);
  hosted.mutable_asset()->set_location_division_code(kHostVillage);
  hosted.mutable_asset()->mutable_ownership()->set_owner_id("653121102000");
  hosted.mutable_asset()->mutable_ownership()->set_owner_division_code("653121102000");
  auto owned = RegisterRequest("ce-own", project.project_id());
  owned.mutable_asset()->set_location_division_code(kOwnerVillage);
  owned.mutable_asset()->mutable_ownership()->set_owner_id(kOwnerVillage);
  owned.mutable_asset()->mutable_ownership()->set_owner_division_code(kOwnerVillage);
  v1::Asset out;
  auto s = A(&S::RegisterAsset, hosted, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = A(&S::RegisterAsset, owned, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::RecordCollectiveIncomeRequest ci;
  ci.set_request_id("ce-201");
  ci.mutable_income()->set_village_code(kVillage);
  ci.mutable_income()->set_year(2026);
  ci.mutable_income()->set_source("资源发包");
  ci.mutable_income()->set_amount_fen(12'000'000);
  v1::CollectiveIncome cio;
  ASSERT_TRUE(A(&S::RecordCollectiveIncome, ci, &cio).ok());

  v1::GetCollectiveEconomyRequest ce;
  ce.set_division_code("653121000000");
  ce.set_year(2026);
  v1::CollectiveEconomyReport economy;
  ASSERT_TRUE(A(&S::GetCollectiveEconomy, ce, &economy).ok());
  std::vector<std::string> villages;
  for (const auto& v : economy.villages()) villages.push_back(v.village_code());
  EXPECT_EQ(villages, (std::vector<std::string>{kVillage, kHostVillage, kOwnerVillage}));
  EXPECT_EQ(economy.villages_below_target_size(), 2);
  ASSERT_EQ(economy.townships_size(), 2);
  EXPECT_EQ(economy.townships(0).township_code(), kTownship);
  EXPECT_TRUE(economy.townships(0).average_meets_target());
  EXPECT_EQ(economy.townships(1).township_code(), "653121102000");
  EXPECT_EQ(economy.townships(1).village_count(), 2);
  EXPECT_EQ(economy.townships(1).average_fen(), 0);
  EXPECT_FALSE(economy.townships(1).average_meets_target());
  EXPECT_FALSE(economy.average_meets_target());
}

// Thresholds are published policy figures, inherited down the levels.
TEST_F(AssetsTest, PublishedPolicyChangesTheChecks) {
  using S = v1::AssetsService::Stub;
  Project("policy-industry");  // 60 yuan of every 100 central linking funds, industry
  v1::CreateProjectRequest road;
  road.set_request_id("policy-road");
  auto* p = road.mutable_project();
  p->set_name("通村道路");
  p->set_year(2025);
  p->set_division_code(kTownship);
  p->set_category(v1::PROJECT_CATEGORY_INFRASTRUCTURE);
  p->set_implementing_unit("县交通运输局");
  auto* line = p->add_funding_lines();
  line->set_source(v1::FUNDING_SOURCE_CENTRAL_LINKING);
  line->set_amount_fen(400'000'00);  // industry: 600,000 of 1,000,000 yuan linking = 60 %
  auto* integrated = p->add_funding_lines();
  integrated->set_source(v1::FUNDING_SOURCE_INTEGRATED_AGRICULTURAL);
  integrated->set_amount_fen(100'000'00);
  v1::Project created;
  ASSERT_TRUE(A(&S::CreateProject, road, &created).ok());

  v1::GetFundingReportRequest fr;
  fr.set_division_code("653121000000");
  fr.set_year(2025);
  v1::FundingReport report;
  ASSERT_TRUE(A(&S::GetFundingReport, fr, &report).ok());
  EXPECT_EQ(report.checks(0).share_bp(), 6000);
  EXPECT_TRUE(report.checks(0).passed());
  EXPECT_FALSE(report.checks(1).passed()) << "no integrated funds to 双绑 enterprises";
  EXPECT_EQ(report.policy_version(), "default-2023");

  v1::PublishPolicyRequest publish;
  publish.set_request_id("pol-1");
  auto* pol = publish.mutable_policy();
  pol->set_owner_division_code("653121000000");
  pol->set_year(2025);
  pol->set_version("shufu-2025-1");
  pol->set_industry_share_of_linking_bp(7000);
  pol->set_dual_binding_share_of_integrated_bp(1000);
  pol->set_prefecture_disposal_threshold_fen(50'000'00);
  pol->set_village_collective_income_min_fen(5'000'000);
  pol->set_township_collective_income_avg_min_fen(10'000'000);
  v1::AssetsPolicy published;
  Refused(grpc::StatusCode::PERMISSION_DENIED,
          A(&S::PublishPolicy, publish, &published, kVillageCadre), "");
  ASSERT_TRUE(A(&S::PublishPolicy, publish, &published).ok());
  publish.set_request_id("pol-2");
  EXPECT_EQ(A(&S::PublishPolicy, publish, &published).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  ASSERT_TRUE(A(&S::GetFundingReport, fr, &report).ok());
  EXPECT_FALSE(report.checks(0).passed()) << report.checks(0).description();
  EXPECT_EQ(report.checks(0).threshold_bp(), 7000);
  EXPECT_EQ(report.policy_version(), "shufu-2025-1");
  fr.set_year(2024);  // the county's policy starts in 2025
  ASSERT_TRUE(A(&S::GetFundingReport, fr, &report).ok());
  EXPECT_EQ(report.policy_version(), "default-2023");

  v1::GetEffectivePolicyRequest ep;
  ep.set_division_code(kVillage);
  ep.set_year(2026);
  v1::AssetsPolicy effective;
  ASSERT_TRUE(A(&S::GetEffectivePolicy, ep, &effective, kVillageCadre).ok());
  EXPECT_EQ(effective.owner_division_code(), "653121000000");
  EXPECT_EQ(effective.version(), "shufu-2025-1");
  EXPECT_EQ(effective.prefecture_disposal_threshold_fen(), 50'000'00);

  // A lower level only tightens: a township cannot switch the checks off
  // for itself by publishing an industry share of 1 bp and a disposal
  // threshold of 100 亿 yuan.
  publish.set_request_id("pol-township");
  pol->set_owner_division_code(kTownship);
  pol->set_year(2026);
  pol->set_version("township-loose");
  pol->set_industry_share_of_linking_bp(1);
  pol->set_prefecture_disposal_threshold_fen(1'000'000'000'000);
  ASSERT_TRUE(A(&S::PublishPolicy, publish, &published).ok());
  ASSERT_TRUE(A(&S::GetEffectivePolicy, ep, &effective, kVillageCadre).ok());
  EXPECT_EQ(effective.owner_division_code(), kTownship);
  EXPECT_EQ(effective.version(), "shufu-2025-1+township-loose");
  EXPECT_EQ(effective.industry_share_of_linking_bp(), 7000);
  EXPECT_EQ(effective.prefecture_disposal_threshold_fen(), 50'000'00);
  fr.set_division_code(kTownship);
  fr.set_year(2026);
  ASSERT_TRUE(A(&S::GetFundingReport, fr, &report).ok());
  EXPECT_EQ(report.checks(0).threshold_bp(), 7000);
}

}  // namespace
}  // namespace zx::assets
