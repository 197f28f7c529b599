// zx-bench: the benchmark harness. A suite is a plain function that measures
// something and adds Figures to the BenchContext; main.cc lists the suites,
// computes ratios against baseline figures measured in the same run, prints a
// table and writes var/bench/results.json. See bench/README.md.
#ifndef ZX_BENCH_BENCH_H_
#define ZX_BENCH_BENCH_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zx::bench {

struct Figure {
  enum class Better { kHigher, kLower };

  std::string id;    // e.g. "raw.grpc_echo.qps_c64"
  double value = 0;  // the measurement
  std::string unit;  // e.g. "req/s", "ms", "rows/s"
  // Another figure's id. When set, ratio = value / baseline value and the
  // target applies to the ratio; the baseline must be measured in the same run.
  std::optional<std::string> baseline_id;
  // Without a baseline the target applies to the value itself (e.g. p99 <= 50 ms).
  // No target: the figure is informational and its pass is null.
  std::optional<double> target;
  Better better = Better::kHigher;
};

// A figure after evaluation (main.cc fills ratio and pass).
struct Result {
  Figure figure;
  std::optional<double> ratio;
  std::optional<bool> pass;
};

// Evaluates one figure against the figures measured in the same run:
//   baseline set:   ratio = value / baseline; pass = ratio >= target (higher)
//                   or ratio <= target (lower). Missing or zero baseline:
//                   ratio and pass are null.
//   no baseline:    ratio null; pass = value >= target / value <= target.
//   no target:      pass null.
Result Evaluate(const Figure& figure, const std::vector<Figure>& all);

class BenchContext {
 public:
  // Targets of the run. pg_conninfo points at the bench's own database
  // (zx_bench), created before the suites run and dropped afterwards.
  std::string pg_conninfo;
  std::string redis_host = "127.0.0.1";
  int redis_port = 6379;
  // Multiplies data volumes (e.g. COPY rows = 1,000,000 x scale), not durations.
  double scale = 1.0;
  // Every timed loop: warm-up, then a measured window of this length.
  std::chrono::duration<double> warmup{0.5};
  std::chrono::duration<double> duration{3.0};

  void Add(Figure figure);
  const std::vector<Figure>& figures() const { return figures_; }
  std::optional<double> Value(std::string_view id) const;

  // Free-form facts recorded under "machine" in results.json (server versions).
  void SetInfo(std::string key, std::string value);
  const std::map<std::string, std::string>& info() const { return info_; }

 private:
  std::vector<Figure> figures_;
  std::map<std::string, std::string> info_;
};

using Suite = void (*)(BenchContext&);

// Suites (one .cc each). main.cc lists them in run order; raw baselines first.
void RawGrpcEchoSuite(BenchContext& ctx);  // raw_grpc_echo.cc
void RawPgSuite(BenchContext& ctx);        // raw_pg.cc
void RawRedisSuite(BenchContext& ctx);     // raw_redis.cc
void EventsSuite(BenchContext& ctx);       // events_bench.cc (common/events)
void MonitoringSuite(BenchContext& ctx);   // monitoring_bench.cc (zx-monitoring process)
void AssetsSuite(BenchContext& ctx);       // assets_bench.cc (zx-assets process)
void EmploymentSuite(BenchContext& ctx);   // employment_bench.cc (matching; zx-employment process)
void ConsumptionSuite(BenchContext& ctx);  // consumption_bench.cc (zx-consumption + zx-monitoring)
void FederationSuite(BenchContext& ctx);   // federation_bench.cc (14 instances, mutual TLS)

// ---- Helpers for suites -------------------------------------------------

struct LoopResult {
  uint64_t ops = 0;    // operations completed inside the measured window
  double seconds = 0;  // length of the measured window
  double PerSecond() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

// A closed loop over `threads` worker threads. Each worker calls make_step(i)
// once (set-up such as connecting: not timed; may throw), then calls the
// returned step repeatedly; a step returns how many operations it completed.
// Steps run for ctx.warmup unmeasured, then for ctx.duration or until max_ops
// operations were measured, whichever comes first. Steps that straddle a phase
// boundary are not counted. The first exception from any worker stops the loop
// and is rethrown. Blocking I/O inside steps must carry its own timeouts.
LoopResult RunClosedLoop(const BenchContext& ctx, int threads, uint64_t max_ops,
                         const std::function<std::function<uint64_t()>(int)>& make_step);

// The q-quantile (0..1, nearest rank) of samples; 0 when empty. Reorders samples.
double Percentile(std::vector<double>& samples, double q);

// Seconds since an arbitrary steady epoch.
inline double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace zx::bench

#endif  // ZX_BENCH_BENCH_H_
