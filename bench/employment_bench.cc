// The employment suite (issue 5, criterion 4).
//   employment.matching.seconds          SolveMatching (LEMON network simplex) over
//                                        200,000 x scale workers, 50,000 x scale jobs
//                                        (400,000 x scale slots), ~10 candidate jobs
//                                        per worker; <= 20 s
//   employment.matching.households_covered       its coverage, >= the greedy baseline's
//   employment.matching.greedy_households_covered the greedy loop on the same input
//   employment.matching.rss_mib          peak RSS of the process while matching, <= 1 GiB
//   employment.upsert_worker.qps_c64     UpsertWorker on the real zx-employment binary at
//                                        64 in flight, >= 0.3 x raw gRPC echo
// The matching runs in-process on the domain function the service calls
// (the service's RPC path adds loading and storing the proposals; see
// bench/README.md).
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <fstream>
#include <pqxx/pqxx>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench.h"
#include "bench/service_process.h"
#include "services/employment/domain/matching.h"
#include "services/employment/testing/baselines.h"
#include "zx/employment/v1/employment.grpc.pb.h"

namespace zx::bench {
namespace {

namespace v1 = zx::employment::v1;
namespace em = zx::employment;

constexpr char kPrefecture[] = "653100000000";
// The line department keeps these books across the prefecture.
constexpr char kToken[] = "dev.653100000000.department:human_resources.bench";
constexpr char kSchema[] = "employment";
constexpr int kCounties = 10;  // 653121 .. 653130

int64_t CountyCode(int c) { return (653121 + c) * 1'000'000LL; }

// Current resident set of this process, KiB.
long RssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// A prefecture's workers and jobs: households of 1–3 workers, jobs in the
// ten counties and 10 % in partner provinces, candidates mostly in the
// worker's own county (what an index by county and trade would produce).
em::MatchingInput Generate(double scale) {
  const int32_t workers = std::max(1000, static_cast<int32_t>(200'000 * scale));
  const int32_t jobs = std::max(250, static_cast<int32_t>(50'000 * scale));
  std::mt19937_64 rng(20261123);
  em::MatchingInput in;
  // Jobs: slots 1..15 (mean 8: 400,000 slots at scale 1).
  std::vector<std::vector<int32_t>> jobs_in(kCounties + 1);
  for (int32_t j = 0; j < jobs; ++j) {
    const bool partner = rng() % 10 == 0;
    const int county = static_cast<int>(rng() % kCounties);
    em::MatchJob job{.location = partner ? 440000000000 : CountyCode(county) + 101201,
                     .partner_province = partner,
                     .light_work = rng() % 4 == 0,
                     .wage_fen = 180'000 + static_cast<int64_t>(rng() % 50) * 10'000,
                     .free_slots = static_cast<int32_t>(1 + rng() % 15)};
    if (rng() % 5 == 0) job.required = {static_cast<uint32_t>(rng() % 20)};
    if (rng() % 2 == 0) job.preferred = {static_cast<uint32_t>(rng() % 20)};
    in.jobs.push_back(std::move(job));
    jobs_in[partner ? kCounties : county].push_back(j);
  }
  // Workers in households of 1..3.
  int32_t household = -1, left = 0;
  for (int32_t w = 0; w < workers; ++w) {
    if (left == 0) {
      ++household;
      left = static_cast<int32_t>(1 + rng() % 3);
    }
    --left;
    const int county = static_cast<int>(household % kCounties);
    em::MatchWorker worker{
        .household = household,
        .division = CountyCode(county) + 101201 + static_cast<int64_t>(rng() % 10),
        .willingness = static_cast<v1::Willingness>(1 + rng() % 3),
        .capacity = rng() % 10 == 0 ? v1::LABOUR_CAPACITY_PARTIAL : v1::LABOUR_CAPACITY_FULL,
        .language_level = static_cast<int32_t>(rng() % 5),
        .flags = static_cast<uint8_t>(rng() % 16)};
    for (int k = static_cast<int>(rng() % 4); k > 0; --k) {
      worker.skills.push_back(static_cast<uint32_t>(rng() % 20));
    }
    std::sort(worker.skills.begin(), worker.skills.end());
    worker.skills.erase(std::unique(worker.skills.begin(), worker.skills.end()),
                        worker.skills.end());
    in.workers.push_back(std::move(worker));
    // ~10 candidates: 6 in the own county, 3 in others, 1 in a partner province.
    for (int k = 0; k < 10; ++k) {
      const int where = k < 6 ? county : k < 9 ? static_cast<int>(rng() % kCounties) : kCounties;
      const auto& pool = jobs_in[where];
      if (!pool.empty()) in.candidates.emplace_back(w, pool[rng() % pool.size()]);
    }
  }
  in.households = household + 1;
  return in;
}

void Matching(BenchContext& ctx) {
  em::MatchingInput in = Generate(ctx.scale);
  int64_t slots = 0;
  for (const auto& j : in.jobs) slots += j.free_slots;
  spdlog::info("employment: {} workers, {} households, {} jobs, {} slots, {} candidate pairs",
               in.workers.size(), in.households, in.jobs.size(), slots, in.candidates.size());
  const int32_t greedy = em::testing::GreedyHouseholdsCovered(in);

  std::atomic<bool> stop{false};
  std::atomic<long> peak{RssKib()};
  std::thread sampler([&] {
    while (!stop) {
      peak = std::max(peak.load(), RssKib());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  const double t0 = NowSeconds();
  auto result = em::SolveMatching(in, em::Weights{});
  const double seconds = NowSeconds() - t0;
  stop = true;
  sampler.join();
  Check(result.ok(), "SolveMatching: " + std::string(result.status().message()));
  spdlog::info(
      "employment: matching {:.2f} s, {} feasible edges, {} proposals, households covered {} "
      "(greedy {}) of {}, peak RSS {:.0f} MiB",
      seconds, result->edges, result->proposals.size(), result->covered_after, greedy,
      result->households_total, peak.load() / 1024.0);
  ctx.Add({.id = "employment.matching.seconds",
           .value = seconds,
           .unit = "s",
           .target = 20,
           .better = Figure::Better::kLower});
  ctx.Add({.id = "employment.matching.greedy_households_covered",
           .value = static_cast<double>(greedy),
           .unit = "households"});
  ctx.Add({.id = "employment.matching.households_covered",
           .value = static_cast<double>(result->covered_after),
           .unit = "households",
           .baseline_id = "employment.matching.greedy_households_covered",
           .target = 1.0});
  ctx.Add({.id = "employment.matching.rss_mib",
           .value = peak.load() / 1024.0,
           .unit = "MiB",
           .target = 1024,
           .better = Figure::Better::kLower});
}

void Prepare(grpc::ClientContext& ctx, int seconds = 10) {
  ctx.AddMetadata("authorization", std::string("Bearer ") + kToken);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

void UpsertWorkers(BenchContext& ctx) {
  ServiceProcess process(ctx, "employment", kPrefecture);
  auto probe_stub = v1::EmploymentService::NewStub(
      grpc::CreateChannel(process.address(), grpc::InsecureChannelCredentials()));
  process.WaitServing([&] {
    grpc::ClientContext c;
    Prepare(c, 1);
    v1::GetEffectivePolicyRequest req;
    req.set_division_code(kPrefecture);
    v1::EmploymentPolicy out;
    return probe_stub->GetEffectivePolicy(&c, req, &out).ok();
  });
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < 4; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("zx.bench.channel", c);  // distinct arguments: distinct connections
    channels.push_back(
        grpc::CreateCustomChannel(process.address(), grpc::InsecureChannelCredentials(), args));
  }
  std::atomic<uint64_t> errors{0};
  std::string first_error;
  std::mutex error_mu;
  const LoopResult r = RunClosedLoop(ctx, 64, UINT64_MAX, [&](int worker) {
    auto stub = std::shared_ptr<v1::EmploymentService::Stub>(
        v1::EmploymentService::NewStub(channels[worker % channels.size()]));
    auto n = std::make_shared<uint64_t>(0);
    return [stub, n, worker, &errors, &first_error, &error_mu]() -> uint64_t {
      const uint64_t i = (*n)++;
      v1::UpsertWorkerRequest req;
      req.set_request_id(absl::StrCat("bench-upsert-", worker, "-", i));
      auto* w = req.mutable_worker();
      w->set_person_id(absl::StrFormat("pe-%04d-%012d", worker, i));
      w->set_household_id(absl::StrFormat("hh-%04d%016x", worker, i / 2));
      w->set_division_code(absl::StrFormat("%d", CountyCode(worker % kCounties) + 101201));
      w->set_birth_date("1990-05-01");
      w->add_skills("welding");
      w->set_language_level(3);
      w->set_willingness(v1::WILLINGNESS_IN_REGION);
      w->set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
      w->set_available(true);
      w->mutable_flags()->set_lifted_household(true);
      v1::Worker out;
      grpc::ClientContext c;
      Prepare(c);
      const grpc::Status s = stub->UpsertWorker(&c, req, &out);
      if (!s.ok()) {
        if (errors++ == 0) {
          std::lock_guard<std::mutex> lock(error_mu);
          first_error = s.error_message();
        }
        return 0;
      }
      return 1;
    };
  });
  Check(errors == 0,
        absl::StrCat("UpsertWorker: ", errors.load(), " errors, first: ", first_error));
  ctx.Add({.id = "employment.upsert_worker.qps_c64",
           .value = r.PerSecond(),
           .unit = "req/s",
           .baseline_id = "raw.grpc_echo.qps_c64",
           .target = 0.3});
}

}  // namespace

void EmploymentSuite(BenchContext& ctx) {
  {
    pqxx::connection conn(ctx.pg_conninfo);
    pqxx::nontransaction(conn).exec(absl::StrCat("DROP SCHEMA IF EXISTS ", kSchema, " CASCADE"));
  }
  Matching(ctx);
  UpsertWorkers(ctx);
}

}  // namespace zx::bench
