// The assets suite (issue 4, criterion 4): the real zx-assets binary as a
// prefecture instance over 1,000,000 x scale assets seeded by COPY across ten
// counties (100,000 x scale each).
//   assets.ledger.p99_ms            GetLedger master totals + first page of a county, one
//                                   caller, p99 <= 50 ms
//   assets.reconcile_county.seconds Reconcile of one county, worst of 3, <= 2 s
//   assets.create.qps_c64           RegisterAsset at 64 in flight, >= 0.3 x raw gRPC echo
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <pqxx/pqxx>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench.h"
#include "bench/service_process.h"
#include "zx/assets/v1/assets.grpc.pb.h"

namespace zx::bench {
namespace {

namespace v1 = zx::assets::v1;

constexpr char kPrefecture[] = "653100000000";
// The line department keeps these books across the prefecture.
constexpr char kToken[] = "dev.653100000000.department:agriculture.bench";
constexpr char kSchema[] = "assets";
constexpr int kCounties = 10;             // 653121 .. 653130
constexpr int kTownshipsPerCounty = 10;   // 101 .. 110
constexpr int kVillagesPerTownship = 10;  // 201 .. 210

std::string County(int c) { return absl::StrFormat("6531%02d", 21 + c); }
std::string CountyCode(int c) { return County(c) + "000000"; }
// Asset i lies in county i % kCounties, spread over its villages.
std::string VillageOf(int64_t i) {
  const int64_t v = i / kCounties % (kTownshipsPerCounty * kVillagesPerTownship);
  return absl::StrFormat("%s%03d%03d", County(static_cast<int>(i % kCounties)),
                         101 + v / kVillagesPerTownship, 201 + v % kVillagesPerTownship);
}
std::string AssetId(int64_t i) { return absl::StrFormat("as-%020x", i + 1); }
std::string ProjectId(int c) { return absl::StrFormat("pj-%020x", c + 1); }

// zx-assets with its stub; serving once GetEffectivePolicy answers.
class Service {
 public:
  explicit Service(const BenchContext& ctx)
      : process_(ctx, "assets", kPrefecture),
        stub_(v1::AssetsService::NewStub(
            grpc::CreateChannel(process_.address(), grpc::InsecureChannelCredentials()))) {}

  v1::AssetsService::Stub& stub() { return *stub_; }
  std::string address() const { return process_.address(); }

  void WaitServing() {
    process_.WaitServing([this] {
      grpc::ClientContext ctx;
      ctx.AddMetadata("authorization", std::string("Bearer ") + kToken);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
      v1::GetEffectivePolicyRequest req;
      req.set_division_code(kPrefecture);
      req.set_year(2025);
      v1::AssetsPolicy out;
      return stub_->GetEffectivePolicy(&ctx, req, &out).ok();
    });
  }

 private:
  ServiceProcess process_;
  std::unique_ptr<v1::AssetsService::Stub> stub_;
};

void Prepare(grpc::ClientContext& ctx, int seconds = 30) {
  ctx.AddMetadata("authorization", std::string("Bearer ") + kToken);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

// What the service would have written registering and operating each asset:
// the master row, its funding, its sub-ledger entry and one journal entry.
void Seed(const std::string& conninfo, int64_t assets) {
  pqxx::connection conn(conninfo);
  pqxx::work tx(conn);
  tx.exec(absl::StrCat("SET search_path TO ", kSchema));
  zx::common::v1::AuditStamp stamp;
  stamp.set_user_id("bench");
  stamp.set_role("county_official");
  stamp.set_division_code(kPrefecture);
  const std::string actor = stamp.SerializeAsString();
  {
    pqxx::stream_to copy(tx, "projects",
                         std::vector<std::string>{"project_id", "division_code", "year", "category",
                                                  "status", "total_fen", "body"});
    for (int c = 0; c < kCounties; ++c) {
      v1::Project p;
      p.set_project_id(ProjectId(c));
      p.set_name("bench project");
      p.set_year(2025);
      p.set_division_code(CountyCode(c));
      p.set_category(v1::PROJECT_CATEGORY_INDUSTRY);
      p.set_implementing_unit("bench");
      p.set_status(v1::PROJECT_STATUS_COMPLETED);
      auto* line = p.add_funding_lines();
      line->set_source(v1::FUNDING_SOURCE_CENTRAL_LINKING);
      line->set_amount_fen(1'000'000'000'00);
      p.set_total_fen(line->amount_fen());
      copy << std::make_tuple(p.project_id(), p.division_code(), 2025, 1, 4, p.total_fen(),
                              tx.esc_raw(p.SerializeAsString()));
    }
    copy.complete();
  }
  pqxx::stream_to master(
      tx, "assets",
      std::vector<std::string>{"asset_id", "project_id", "location_division_code", "asset_class",
                               "asset_type", "state", "original_value_fen", "owner_level",
                               "owner_id", "owner_division_code", "journal_seq", "body"});
  // The master ledger's totals per county, as the service's compactor keeps them.
  std::map<std::tuple<std::string, int, int>, std::pair<int64_t, int64_t>> totals;
  std::vector<std::tuple<std::string, int, int, int64_t>> funding;
  std::vector<std::tuple<std::string, int, std::string, std::string, std::string, int64_t>> ledger;
  std::vector<std::tuple<int64_t, std::string, std::string, std::string, int, int64_t, int,
                         std::string, std::string, std::string>>
      journal;
  for (int64_t i = 0; i < assets; ++i) {
    const std::string village = VillageOf(i);
    const bool household = i % 5 == 4;
    v1::Asset a;
    a.set_asset_id(AssetId(i));
    a.set_project_id(ProjectId(static_cast<int>(i % kCounties)));
    a.set_name(household ? "牛" : "光伏电站");
    a.set_asset_class(household ? v1::ASSET_CLASS_HOUSEHOLD : v1::ASSET_CLASS_OPERATING);
    a.set_asset_type(household ? v1::ASSET_TYPE_LIVESTOCK : v1::ASSET_TYPE_PHOTOVOLTAIC_STATION);
    a.set_original_value_fen(household ? 800'000 : 10'000'000 + (i % 97) * 10'000);
    a.set_location_division_code(village);
    auto* f = a.add_funding();
    f->set_source(i % 3 == 0 ? v1::FUNDING_SOURCE_PAIRED_ASSISTANCE
                             : v1::FUNDING_SOURCE_CENTRAL_LINKING);
    f->set_amount_fen(a.original_value_fen());
    auto* o = a.mutable_ownership();
    o->set_level(household ? v1::OWNER_LEVEL_HOUSEHOLD : v1::OWNER_LEVEL_VILLAGE_COLLECTIVE);
    o->set_owner_id(household ? absl::StrFormat("hh-%020x", i + 1) : village);
    o->set_owner_division_code(village);
    o->set_registration_system(household ? v1::REGISTRATION_SYSTEM_LOCAL_REGISTER
                                         : v1::REGISTRATION_SYSTEM_RURAL_THREE_ASSETS);
    o->set_registration_ref(absl::StrCat("REF-", i));
    a.set_state(v1::ASSET_STATE_IN_OPERATION);
    a.set_journal_seq(i + 1);
    const std::string body = tx.esc_raw(a.SerializeAsString());
    master << std::make_tuple(a.asset_id(), a.project_id(), village,
                              static_cast<int>(a.asset_class()), static_cast<int>(a.asset_type()),
                              4, a.original_value_fen(), static_cast<int>(o->level()),
                              o->owner_id(), village, i + 1, body);
    funding.emplace_back(a.asset_id(), 0, static_cast<int>(f->source()), f->amount_fen());
    const std::string county = village.substr(0, 6) + "000000";
    for (const auto& [dim, key, value] :
         {std::tuple<int, int, int64_t>{1, a.asset_class(), a.original_value_fen()},
          {2, a.asset_type(), a.original_value_fen()},
          {3, f->source(), f->amount_fen()}}) {
      auto& t = totals[{county, dim, key}];
      ++t.first;
      t.second += value;
    }
    ledger.emplace_back(a.asset_id(), household ? 5 : 4, village, o->owner_id(), village,
                        a.original_value_fen());
    journal.emplace_back(i + 1, a.asset_id(), "register", tx.esc_raw(actor), 3,
                         a.original_value_fen(), 4, body, "", absl::StrCat("seed-", i));
  }
  master.complete();
  {
    pqxx::stream_to copy(tx, "asset_funding",
                         std::vector<std::string>{"asset_id", "line_no", "source", "amount_fen"});
    for (const auto& row : funding) copy << row;
    copy.complete();
  }
  {
    pqxx::stream_to copy(
        tx, "ledger_entries",
        std::vector<std::string>{"asset_id", "ledger_kind", "ledger_division_code", "owner_id",
                                 "location_division_code", "value_fen"});
    for (const auto& row : ledger) copy << row;
    copy.complete();
  }
  {
    pqxx::stream_to copy(
        tx, "asset_journal",
        std::vector<std::string>{"seq", "asset_id", "action", "actor", "actor_level", "value_fen",
                                 "state", "after", "reason", "request_id"});
    for (const auto& row : journal) copy << row;
    copy.complete();
  }
  {
    pqxx::stream_to copy(
        tx, "ledger_totals",
        std::vector<std::string>{"county_code", "dim", "key", "count", "value_fen"});
    for (const auto& [k, v] : totals) {
      copy << std::make_tuple(std::get<0>(k), std::get<1>(k), std::get<2>(k), v.first, v.second);
    }
    copy.complete();
  }
  tx.exec(
      absl::StrCat("SELECT setval(pg_get_serial_sequence('asset_journal', 'seq'), ", assets, ")"));
  tx.commit();
  pqxx::nontransaction vacuum(conn);
  for (const char* t : {"projects", "assets", "asset_funding", "ledger_entries", "asset_journal",
                        "ledger_totals"}) {
    vacuum.exec(absl::StrCat("VACUUM ANALYZE ", kSchema, ".", t));
  }
}

void Ledger(BenchContext& ctx, Service& service) {
  std::vector<double> latencies;
  const double end = NowSeconds() + ctx.duration.count();
  while (NowSeconds() < end && latencies.size() < 100'000) {
    v1::GetLedgerRequest req;
    req.set_division_code(CountyCode(0));
    req.set_kind(v1::LEDGER_KIND_MASTER);
    v1::Ledger out;
    grpc::ClientContext c;
    Prepare(c, 10);
    const double t0 = NowSeconds();
    const grpc::Status s = service.stub().GetLedger(&c, req, &out);
    Check(s.ok(), "GetLedger: " + s.error_message());
    latencies.push_back((NowSeconds() - t0) * 1000);
  }
  ctx.Add({.id = "assets.ledger.p99_ms",
           .value = Percentile(latencies, 0.99),
           .unit = "ms",
           .target = 50,
           .better = Figure::Better::kLower});
}

void Reconcile(BenchContext& ctx, Service& service, int64_t per_county) {
  double worst = 0;
  for (int run = 0; run < 3; ++run) {
    v1::ReconcileRequest req;
    req.set_division_code(CountyCode(1));
    v1::Reconciliation out;
    grpc::ClientContext c;
    Prepare(c, 60);
    const double t0 = NowSeconds();
    const grpc::Status s = service.stub().Reconcile(&c, req, &out);
    Check(s.ok(), "Reconcile: " + s.error_message());
    worst = std::max(worst, NowSeconds() - t0);
    Check(out.balanced() && out.master_count() >= per_county - 1,
          absl::StrCat("Reconcile: not balanced or ", out.master_count(), " assets"));
  }
  spdlog::info("assets: reconcile of a county with {} assets, worst of 3: {:.3f} s", per_county,
               worst);
  ctx.Add({.id = "assets.reconcile_county.seconds",
           .value = worst,
           .unit = "s",
           .target = 2,
           .better = Figure::Better::kLower});
}

void Create(BenchContext& ctx, Service& service) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < 4; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("zx.bench.channel", c);  // distinct arguments: distinct connections
    channels.push_back(
        grpc::CreateCustomChannel(service.address(), grpc::InsecureChannelCredentials(), args));
  }
  std::atomic<uint64_t> errors{0};
  const LoopResult r = RunClosedLoop(ctx, 64, UINT64_MAX, [&](int worker) {
    auto stub = std::shared_ptr<v1::AssetsService::Stub>(
        v1::AssetsService::NewStub(channels[worker % channels.size()]));
    auto n = std::make_shared<uint64_t>(0);
    return [stub, n, worker, &errors]() -> uint64_t {
      v1::RegisterAssetRequest req;
      req.set_request_id(absl::StrCat("bench-create-", worker, "-", (*n)++));
      auto* a = req.mutable_asset();
      const std::string village = VillageOf(worker * kCounties);  // county 653121
      a->set_project_id(ProjectId(0));
      a->set_name("冷库");
      a->set_asset_class(v1::ASSET_CLASS_OPERATING);
      a->set_asset_type(v1::ASSET_TYPE_COLD_STORE);
      a->set_original_value_fen(5'000'000);
      a->set_location_division_code(village);
      auto* f = a->add_funding();
      f->set_source(v1::FUNDING_SOURCE_EAST_WEST_COLLABORATION);
      f->set_amount_fen(5'000'000);
      auto* o = a->mutable_ownership();
      o->set_level(v1::OWNER_LEVEL_VILLAGE_COLLECTIVE);
      o->set_owner_id(village);
      o->set_owner_division_code(village);
      v1::Asset out;
      grpc::ClientContext c;
      Prepare(c, 10);
      if (!stub->RegisterAsset(&c, req, &out).ok()) {
        ++errors;
        return 0;
      }
      return 1;
    };
  });
  Check(errors == 0, absl::StrCat("RegisterAsset: ", errors.load(), " errors"));
  ctx.Add({.id = "assets.create.qps_c64",
           .value = r.PerSecond(),
           .unit = "req/s",
           .baseline_id = "raw.grpc_echo.qps_c64",
           .target = 0.3});
}

}  // namespace

void AssetsSuite(BenchContext& ctx) {
  const int64_t assets = std::max<int64_t>(2'000, static_cast<int64_t>(1'000'000 * ctx.scale));
  {
    pqxx::connection conn(ctx.pg_conninfo);
    pqxx::nontransaction(conn).exec(absl::StrCat("DROP SCHEMA IF EXISTS ", kSchema, " CASCADE"));
  }
  {  // The first start migrates the schema; seed with the service stopped.
    Service first(ctx);
    first.WaitServing();
  }
  double t0 = NowSeconds();
  Seed(ctx.pg_conninfo, assets);
  spdlog::info("assets: seeded {} assets in {:.1f} s", assets, NowSeconds() - t0);
  Service service(ctx);
  service.WaitServing();
  Ledger(ctx, service);
  Reconcile(ctx, service, assets / kCounties);
  Create(ctx, service);
}

}  // namespace zx::bench
