// The federation suite (issue 7, criterion 4): a region, a prefecture
// (Kashgar) and its 12 counties, each instance its own database on the
// bench's PostgreSQL and its own zx-monitoring and zx-federation processes;
// the gateways talk mutual TLS (certificates from tools/zxca).
//   federation.report_round.seconds   every county submits its month, the
//                                     prefecture approves once all 12 are in
//                                     and its aggregate reaches the region, <= 5 s
//   federation.directive_ack.p99_ms   a directive to each of the 12 counties,
//                                     acknowledged by a county official (polling
//                                     every 10 ms) until the issuer sees it, <= 1 s
//   federation.catch_up.msgs_per_s    10,000 directives queued for a county whose
//                                     gateway is down, delivered once it listens
//                                     again (the sender's backoff included), >= 2,000/s
// Each county holds 100,000 x scale households, seeded by COPY with their
// roll-up contribution (what the service would have recorded registering
// them): a report reads maintained roll-ups, never households.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/bench.h"
#include "bench/service_process.h"
#include "common/base/ports.h"
#include "services/monitoring/domain/rollup.h"
#include "zx/federation/v1/federation.grpc.pb.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::bench {
namespace {

namespace fv1 = zx::federation::v1;
namespace mv1 = zx::monitoring::v1;

constexpr char kRegion[] = "650000000000";
constexpr char kPrefecture[] = "653100000000";
// Kashgar's 12 counties and county-level cities.
const char* const kCounties[] = {"653101", "653121", "653122", "653123", "653124", "653125",
                                 "653126", "653127", "653128", "653129", "653130", "653131"};
constexpr int kHouseholdsPerCounty = 100'000;
constexpr int kDirectiveRounds = 20;
constexpr int kCatchUpMessages = 10'000;

std::string Token(const std::string& division, const char* role) {
  return absl::StrCat("Bearer dev.", division, ".", role, ".bench");
}

void Prepare(grpc::ClientContext& ctx, const std::string& token, int seconds = 30) {
  ctx.AddMetadata("authorization", token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

std::string Period() {
  return absl::FormatCivilTime(
      absl::CivilMonth(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone())));
}

// `conninfo` naming database `db` instead: a later keyword (or URI query
// parameter) overrides an earlier one in libpq.
std::string ConninfoFor(const std::string& conninfo, const std::string& db) {
  if (conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://")) {
    return absl::StrCat(conninfo, conninfo.find('?') == std::string::npos ? "?" : "&",
                        "dbname=", db);
  }
  return absl::StrCat(conninfo, " dbname=", db);
}

// One instance: its database, monitoring and federation processes.
struct Instance {
  std::string name;
  std::string division;
  std::string level;  // county, prefecture, region
  std::string db;
  int tls_port = 0;
  std::string config_path;
  BenchContext ctx;  // pg_conninfo = its database
  std::unique_ptr<ServiceProcess> monitoring;
  std::unique_ptr<ServiceProcess> federation;
  std::unique_ptr<fv1::FederationService::Stub> fed;
  std::string official;  // the token of its officials
};

class Federation {
 public:
  explicit Federation(BenchContext& ctx) : ctx_(ctx) {
    pki_ = std::filesystem::temp_directory_path() / absl::StrCat("zx-bench-pki-", getpid());
    admin_ = ConninfoFor(ctx.pg_conninfo, "postgres");
    const std::string zxca = absl::StrCat(ZX_SOURCE_DIR, "/tools/zxca/zxca");
    Run(absl::StrCat(zxca, " init ", pki_.string()));
    Add("xj", kRegion, "region", Token(kRegion, "region_official"));
    Add("kashgar", kPrefecture, "prefecture", Token(kPrefecture, "prefecture_official"));
    for (const char* c : kCounties) {
      const std::string code = absl::StrCat(c, "000000");
      Add(absl::StrCat("c", c), code, "county", Token(code, "county_official"));
    }
    for (auto& inst : instances_) {
      Run(absl::StrCat(zxca, " issue ", pki_.string(), " ", inst->level, " ", inst->division));
      inst->tls_port = base::PortOutsideEphemeralRange();
    }
  }
  ~Federation() {
    for (auto& inst : instances_) {
      inst->federation.reset();
      inst->monitoring.reset();
    }
    try {
      pqxx::connection conn(admin_);
      for (auto& inst : instances_) {
        pqxx::nontransaction(conn).exec(absl::StrCat("DROP DATABASE IF EXISTS ", inst->db));
      }
    } catch (const std::exception& e) {
      spdlog::warn("federation: dropping the instance databases: {}", e.what());
    }
    std::filesystem::remove_all(pki_);
  }

  Instance& region() { return *instances_[0]; }
  Instance& prefecture() { return *instances_[1]; }
  std::vector<Instance*> counties() {
    std::vector<Instance*> out;
    for (size_t i = 2; i < instances_.size(); ++i) out.push_back(instances_[i].get());
    return out;
  }

  // Databases and monitoring processes, then the seeded households, then
  // the gateways.
  void Start(int64_t households_per_county) {
    pqxx::connection admin(admin_);
    for (auto& inst : instances_) {
      pqxx::nontransaction(admin).exec(absl::StrCat("DROP DATABASE IF EXISTS ", inst->db));
      pqxx::nontransaction(admin).exec(absl::StrCat("CREATE DATABASE ", inst->db));
      inst->monitoring = std::make_unique<ServiceProcess>(
          inst->ctx, "monitoring", inst->division,
          std::vector<std::string>{"--pg-pool", "2", "--workers", "8"},
          absl::StrCat("zx:bench-fed-", inst->name), inst->name);
    }
    for (auto& inst : instances_) WaitMonitoring(*inst);
    const double t0 = NowSeconds();
    for (Instance* county : counties()) SeedHouseholds(*county, households_per_county);
    spdlog::info("federation: seeded {} households in each of {} counties in {:.1f} s",
                 households_per_county, counties().size(), NowSeconds() - t0);
    for (auto& inst : instances_) {
      WriteConfig(*inst);
      StartFederation(*inst);
    }
    for (auto& inst : instances_) WaitFederation(*inst);
  }

  void StartFederation(Instance& inst) {
    inst.federation = std::make_unique<ServiceProcess>(
        inst.ctx, "federation", inst.division,
        std::vector<std::string>{
            "--pg-pool", "4", "--workers", "16", "--tls-port", std::to_string(inst.tls_port),
            "--tls-cert", Cert(inst, "crt"), "--tls-key", Cert(inst, "key"), "--tls-ca",
            (pki_ / "ca.crt").string(), "--federation-config", inst.config_path},
        absl::StrCat("zx:bench-fed-", inst.name), inst.name);
    inst.fed = fv1::FederationService::NewStub(
        grpc::CreateChannel(inst.federation->address(), grpc::InsecureChannelCredentials()));
  }

  void WaitFederation(Instance& inst) {
    inst.federation->WaitServing([&] {
      grpc::ClientContext c;
      Prepare(c, inst.official, 1);
      fv1::FederationStatus out;
      return inst.fed->GetFederationStatus(&c, fv1::GetFederationStatusRequest{}, &out).ok();
    });
  }

  int64_t Backlog(Instance& inst, const std::string& peer) {
    grpc::ClientContext c;
    Prepare(c, inst.official);
    fv1::FederationStatus out;
    Check(inst.fed->GetFederationStatus(&c, fv1::GetFederationStatusRequest{}, &out).ok(),
          "GetFederationStatus");
    for (const auto& p : out.peers()) {
      if (p.division_code() == peer) return p.backlog();
    }
    return -1;
  }

 private:
  static void Run(const std::string& cmd) {
    Check(std::system(absl::StrCat(cmd, " >/dev/null 2>&1").c_str()) == 0, cmd);
  }

  void Add(const std::string& name, const std::string& division, const std::string& level,
           const std::string& official) {
    auto inst = std::make_unique<Instance>();
    inst->name = name;
    inst->division = division;
    inst->level = level;
    inst->db = absl::StrCat("zx_bench_fed_", name);
    inst->ctx = ctx_;
    inst->ctx.pg_conninfo = ConninfoFor(ctx_.pg_conninfo, inst->db);
    inst->official = official;
    instances_.push_back(std::move(inst));
  }

  std::string Cert(const Instance& inst, const char* ext) const {
    return (pki_ / absl::StrCat(inst.level, "-", inst.division, ".", ext)).string();
  }

  void WaitMonitoring(Instance& inst) {
    auto stub = mv1::MonitoringService::NewStub(
        grpc::CreateChannel(inst.monitoring->address(), grpc::InsecureChannelCredentials()));
    inst.monitoring->WaitServing([&] {
      grpc::ClientContext c;
      Prepare(c, inst.official, 1);
      mv1::GetRollupRequest req;
      req.set_division_code(inst.division);
      mv1::Rollup out;
      return stub->GetRollup(&c, req, &out).ok();
    });
  }

  void WriteConfig(Instance& inst) {
    inst.config_path = (pki_ / absl::StrCat(inst.name, ".txtpb")).string();
    std::ofstream out(inst.config_path);
    out << "level: LEVEL_" << absl::AsciiStrToUpper(inst.level) << "\n";
    auto peer = [&](const char* relation, const Instance& p) {
      out << relation << " { division_code: '" << p.division << "' level: LEVEL_"
          << absl::AsciiStrToUpper(p.level) << " address: '127.0.0.1:" << p.tls_port << "' }\n";
    };
    if (inst.level == "region") peer("children", prefecture());
    if (inst.level == "prefecture") {
      peer("parent", region());
      for (Instance* c : counties()) peer("children", *c);
    }
    if (inst.level == "county") peer("parent", prefecture());
    out << "local_services { name: 'monitoring' address: '" << inst.monitoring->address() << "' }\n"
        << "backoff_initial_ms: 50 backoff_max_ms: 1000\n";
  }

  // Households of 4 in 10 townships x 20 villages, a quarter lifted, with
  // their roll-up rows (as monitoring's domain computes them).
  static void SeedHouseholds(Instance& county, int64_t households) {
    pqxx::connection conn(county.ctx.pg_conninfo);
    pqxx::work tx(conn);
    tx.exec("SET search_path TO monitoring");
    std::map<std::pair<std::string, std::string>, int64_t> counters;
    auto id_of = [](int64_t i) { return absl::StrFormat("hh-%020x", i + 1); };
    auto village_of = [&](int64_t i) {
      return absl::StrFormat("%s%03d%03d", county.division.substr(0, 6), 100 + i / 20 % 10,
                             200 + i % 20);
    };
    {  // one COPY at a time per transaction
      pqxx::stream_to hh(tx, "households",
                         std::vector<std::string>{"household_id", "village_code", "category",
                                                  "member_count", "synthetic"});
      for (int64_t i = 0; i < households; ++i) {
        hh << std::make_tuple(id_of(i), village_of(i), i % 4 == 0 ? 1 : 2, 4, true);
      }
      hh.complete();
    }
    {
      pqxx::stream_to rollup(
          tx, "household_rollup",
          std::vector<std::string>{"household_id", "village_code", "contribution"});
      for (int64_t i = 0; i < households; ++i) {
        monitoring::HouseholdFacts facts;
        facts.lifted = i % 4 == 0;
        facts.members = 4;
        const monitoring::RollupCounters c = monitoring::Contribution(facts);
        const std::string village = village_of(i);
        rollup << std::make_tuple(id_of(i), village, monitoring::EncodeCounters(c));
        for (const std::string& code :
             {village, village.substr(0, 9) + "000", village.substr(0, 6) + "000000",
              village.substr(0, 4) + "00000000", village.substr(0, 2) + "0000000000"}) {
          for (const auto& [key, value] : c) counters[{code, key}] += value;
        }
      }
      rollup.complete();
    }
    pqxx::stream_to counts(tx, "rollup_counters",
                           std::vector<std::string>{"division_code", "key", "value"});
    for (const auto& [where, value] : counters)
      counts << std::make_tuple(where.first, where.second, value);
    counts.complete();
    tx.commit();
  }

  BenchContext& ctx_;
  std::filesystem::path pki_;
  std::string admin_;
  std::vector<std::unique_ptr<Instance>> instances_;
};

template <typename Response, typename Call>
Response Must(const char* what, const std::string& token, Call call) {
  grpc::ClientContext c;
  Prepare(c, token);
  Response out;
  const grpc::Status s = call(c, &out);
  Check(s.ok(), absl::StrCat(what, ": ", s.error_message()));
  return out;
}

// Polls `probe` every `every_ms` until true (at most `seconds`); throws then.
void WaitUntil(const char* what, const std::function<bool()>& probe, int every_ms = 10,
               double seconds = 120) {
  const double give_up = NowSeconds() + seconds;
  while (!probe()) {
    Check(NowSeconds() < give_up, absl::StrCat("timed out waiting for ", what));
    std::this_thread::sleep_for(std::chrono::milliseconds(every_ms));
  }
}

double ReportRound(Federation& f) {
  const std::string period = Period();
  Instance& pref = f.prefecture();
  Instance& region = f.region();
  const double t0 = NowSeconds();
  std::vector<std::thread> submitters;
  for (Instance* county : f.counties()) {
    submitters.emplace_back([county, &period] {
      fv1::SubmitReportRequest req;
      req.set_request_id(absl::StrCat("bench-report-", county->name, "-", period));
      req.set_period(period);
      Must<fv1::Report>("SubmitReport", county->official, [&](auto& c, auto* out) {
        return county->fed->SubmitReport(&c, req, out);
      });
    });
  }
  for (auto& t : submitters) t.join();
  fv1::GetChildrenReportRequest children;
  children.set_period(period);
  WaitUntil("the 12 county reports", [&] {
    return Must<fv1::ChildrenReport>("GetChildrenReport", pref.official, [&](auto& c, auto* out) {
             return pref.fed->GetChildrenReport(&c, children, out);
           }).missing_children_size() == 0;
  });
  fv1::ApprovePeriodRequest approve;
  approve.set_request_id(absl::StrCat("bench-approve-", period));
  approve.set_period(period);
  Must<fv1::ChildrenReport>("ApprovePeriod", pref.official, [&](auto& c, auto* out) {
    return pref.fed->ApprovePeriod(&c, approve, out);
  });
  int64_t households = 0;
  WaitUntil("the prefecture's aggregate at the region", [&] {
    auto view = Must<fv1::ChildrenReport>(
        "GetChildrenReport", region.official,
        [&](auto& c, auto* out) { return region.fed->GetChildrenReport(&c, children, out); });
    if (view.children_size() != 1) return false;
    households = view.children(0).monitoring().households();
    return view.children(0).included_children_size() == 12;
  });
  const double seconds = NowSeconds() - t0;
  spdlog::info("federation: report round {:.3f} s; the region sees {} households", seconds,
               households);
  return seconds;
}

// Directives to every county at once, acknowledged by county officials who
// poll their received list every 10 ms; latency from issue to the issuer
// seeing the acknowledgement.
std::vector<double> DirectiveAcks(Federation& f) {
  Instance& pref = f.prefecture();
  std::atomic<bool> stop{false};
  std::vector<std::thread> officials;
  for (Instance* county : f.counties()) {
    officials.emplace_back([county, &stop] {
      int n = 0;
      while (!stop.load()) {
        fv1::ListDirectivesRequest list;
        list.set_direction("received");
        list.set_status(fv1::DIRECTIVE_STATUS_ISSUED);
        grpc::ClientContext c;
        Prepare(c, county->official, 5);
        fv1::ListDirectivesResponse open;
        if (county->fed->ListDirectives(&c, list, &open).ok()) {
          for (const auto& d : open.directives()) {
            fv1::AdvanceDirectiveRequest ack;
            ack.set_request_id(absl::StrCat("bench-ack-", county->name, "-", ++n));
            ack.set_directive_id(d.directive_id());
            ack.set_step(fv1::DIRECTIVE_STEP_ACKNOWLEDGE);
            grpc::ClientContext a;
            Prepare(a, county->official, 5);
            fv1::Directive out;
            (void)county->fed->AdvanceDirective(&a, ack, &out);
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }
  std::vector<double> latencies_ms;
  const std::string due =
      absl::FormatCivilTime(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()) + 7);
  for (int round = 0; round < kDirectiveRounds; ++round) {
    std::vector<std::pair<std::string, double>> issued;
    for (Instance* county : f.counties()) {
      fv1::IssueDirectiveRequest req;
      req.set_request_id(absl::StrCat("bench-dir-", round, "-", county->name));
      req.set_target_division_code(county->division);
      req.set_subject("verify_households");
      req.set_deadline(due);
      auto d = Must<fv1::Directive>("IssueDirective", pref.official, [&](auto& c, auto* out) {
        return pref.fed->IssueDirective(&c, req, out);
      });
      issued.emplace_back(d.directive_id(), NowSeconds());
    }
    std::vector<bool> seen(issued.size(), false);
    size_t left = issued.size();
    WaitUntil(
        "acknowledgements",
        [&] {
          for (size_t i = 0; i < issued.size(); ++i) {
            if (seen[i]) continue;
            fv1::GetDirectiveRequest get;
            get.set_directive_id(issued[i].first);
            auto d = Must<fv1::Directive>("GetDirective", pref.official, [&](auto& c, auto* out) {
              return pref.fed->GetDirective(&c, get, out);
            });
            if (d.status() == fv1::DIRECTIVE_STATUS_ACKNOWLEDGED) {
              seen[i] = true;
              --left;
              latencies_ms.push_back((NowSeconds() - issued[i].second) * 1000);
            }
          }
          return left == 0;
        },
        5, 60);
  }
  stop = true;
  for (auto& t : officials) t.join();
  return latencies_ms;
}

double CatchUp(Federation& f) {
  Instance& pref = f.prefecture();
  Instance& county = *f.counties().front();
  county.federation.reset();  // SIGTERM: the county's gateway is down
  const std::string due =
      absl::FormatCivilTime(absl::ToCivilDay(absl::Now(), absl::LocalTimeZone()) + 7);
  std::atomic<int> next{0};
  std::vector<std::thread> issuers;
  for (int t = 0; t < 16; ++t) {
    issuers.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < kCatchUpMessages;) {
        fv1::IssueDirectiveRequest req;
        req.set_request_id(absl::StrCat("bench-backlog-", i));
        req.set_target_division_code(county.division);
        req.set_subject("verify_households");
        req.set_title(absl::StrCat("backlog ", i));
        req.set_deadline(due);
        Must<fv1::Directive>("IssueDirective", pref.official, [&](auto& c, auto* out) {
          return pref.fed->IssueDirective(&c, req, out);
        });
      }
    });
  }
  for (auto& t : issuers) t.join();
  const int64_t backlog = f.Backlog(pref, county.division);
  Check(backlog >= kCatchUpMessages, absl::StrCat("backlog ", backlog, " before catch-up"));
  // From the moment the county's TLS listener accepts again (a TCP connect
  // every 5 ms; the sender's next retry, up to its 1 s backoff, is inside
  // the figure) to an empty backlog.
  f.StartFederation(county);
  WaitUntil(
      "the county's TLS listener",
      [&] {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(county.tls_port));
        const bool up = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        close(fd);
        return up;
      },
      5, 60);
  const double t0 = NowSeconds();
  WaitUntil(
      "the backlog to drain", [&] { return f.Backlog(pref, county.division) == 0; }, 20, 300);
  const double seconds = NowSeconds() - t0;
  spdlog::info("federation: {} queued messages delivered in {:.2f} s", backlog, seconds);
  return static_cast<double>(backlog) / seconds;
}

}  // namespace

void FederationSuite(BenchContext& ctx) {
  Federation f(ctx);
  const auto households = static_cast<int64_t>(kHouseholdsPerCounty * ctx.scale);
  f.Start(std::max<int64_t>(households, 1));
  ctx.SetInfo("federation.households_per_county", std::to_string(households));

  ctx.Add(Figure{.id = "federation.report_round.seconds",
                 .value = ReportRound(f),
                 .unit = "s",
                 .target = 5.0,
                 .better = Figure::Better::kLower});
  std::vector<double> acks = DirectiveAcks(f);
  ctx.Add(Figure{.id = "federation.directive_ack.p99_ms",
                 .value = Percentile(acks, 0.99),
                 .unit = "ms",
                 .target = 1000.0,
                 .better = Figure::Better::kLower});
  ctx.Add(Figure{.id = "federation.directive_ack.p50_ms",
                 .value = Percentile(acks, 0.50),
                 .unit = "ms",
                 .better = Figure::Better::kLower});
  ctx.Add(Figure{.id = "federation.catch_up.msgs_per_s",
                 .value = CatchUp(f),
                 .unit = "msg/s",
                 .target = 2000.0});
}

}  // namespace zx::bench
