#include "bench/bench.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace zx::bench {
namespace {

Figure Make(std::string id, double value, std::optional<std::string> baseline,
            std::optional<double> target, Figure::Better better) {
  return Figure{.id = std::move(id),
                .value = value,
                .unit = "x",
                .baseline_id = std::move(baseline),
                .target = target,
                .better = better};
}

TEST(EvaluateTest, RatioAgainstBaselineHigherIsBetter) {
  std::vector<Figure> all = {Make("raw.a", 1000, {}, {}, Figure::Better::kHigher)};
  Result pass = Evaluate(Make("s.a", 800, "raw.a", 0.8, Figure::Better::kHigher), all);
  ASSERT_TRUE(pass.ratio);
  EXPECT_DOUBLE_EQ(*pass.ratio, 0.8);
  EXPECT_EQ(pass.pass, true);
  Result fail = Evaluate(Make("s.a", 799, "raw.a", 0.8, Figure::Better::kHigher), all);
  EXPECT_EQ(fail.pass, false);
}

TEST(EvaluateTest, RatioAgainstBaselineLowerIsBetter) {
  std::vector<Figure> all = {Make("raw.p99", 7, {}, {}, Figure::Better::kLower)};
  EXPECT_EQ(Evaluate(Make("s.p99", 14, "raw.p99", 2.0, Figure::Better::kLower), all).pass, true);
  EXPECT_EQ(Evaluate(Make("s.p99", 15, "raw.p99", 2.0, Figure::Better::kLower), all).pass, false);
}

TEST(EvaluateTest, TargetWithoutBaselineAppliesToValue) {
  Result r = Evaluate(Make("s.p99_ms", 42, {}, 50, Figure::Better::kLower), {});
  EXPECT_FALSE(r.ratio);
  EXPECT_EQ(r.pass, true);
  EXPECT_EQ(Evaluate(Make("s.p99_ms", 51, {}, 50, Figure::Better::kLower), {}).pass, false);
}

TEST(EvaluateTest, RawFigureHasNoRatioAndNoPass) {
  Result r = Evaluate(Make("raw.a", 5, {}, {}, Figure::Better::kHigher), {});
  EXPECT_FALSE(r.ratio);
  EXPECT_FALSE(r.pass);
}

TEST(EvaluateTest, MissingOrZeroBaselineCannotBeJudged) {
  Result missing = Evaluate(Make("s.a", 5, "raw.gone", 0.5, Figure::Better::kHigher), {});
  EXPECT_FALSE(missing.ratio);
  EXPECT_FALSE(missing.pass);
  std::vector<Figure> all = {Make("raw.zero", 0, {}, {}, Figure::Better::kHigher)};
  EXPECT_FALSE(Evaluate(Make("s.a", 5, "raw.zero", 0.5, Figure::Better::kHigher), all).pass);
}

TEST(BenchContextTest, ValueReturnsLatest) {
  BenchContext ctx;
  EXPECT_FALSE(ctx.Value("a"));
  ctx.Add(Make("a", 1, {}, {}, Figure::Better::kHigher));
  ctx.Add(Make("a", 2, {}, {}, Figure::Better::kHigher));
  EXPECT_EQ(ctx.Value("a"), 2);
}

TEST(PercentileTest, NearestRank) {
  std::vector<double> v;
  EXPECT_EQ(Percentile(v, 0.5), 0);
  for (int i = 100; i >= 1; --i) v.push_back(i);
  EXPECT_EQ(Percentile(v, 0.50), 50);
  EXPECT_EQ(Percentile(v, 0.99), 99);
  EXPECT_EQ(Percentile(v, 1.0), 100);
  EXPECT_EQ(Percentile(v, 0.0), 1);
}

TEST(RunClosedLoopTest, StopsAtCountBound) {
  BenchContext ctx;
  ctx.warmup = std::chrono::milliseconds(10);
  ctx.duration = std::chrono::seconds(30);
  LoopResult r = RunClosedLoop(
      ctx, 2, 1000, [](int) { return std::function<uint64_t()>([] { return uint64_t{1}; }); });
  EXPECT_GE(r.ops, 1000u);
  EXPECT_LT(r.seconds, 10);
}

TEST(RunClosedLoopTest, StopsAtTimeBound) {
  BenchContext ctx;
  ctx.warmup = std::chrono::milliseconds(0);
  ctx.duration = std::chrono::milliseconds(100);
  LoopResult r = RunClosedLoop(ctx, 1, UINT64_MAX, [](int) {
    return std::function<uint64_t()>([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return uint64_t{1};
    });
  });
  EXPECT_GT(r.ops, 0u);
  EXPECT_NEAR(r.seconds, 0.1, 0.09);
}

TEST(RunClosedLoopTest, RethrowsSetUpAndStepErrors) {
  BenchContext ctx;
  ctx.warmup = std::chrono::milliseconds(10);
  ctx.duration = std::chrono::seconds(30);
  EXPECT_THROW(RunClosedLoop(ctx, 3, 100,
                             [](int i) -> std::function<uint64_t()> {
                               if (i == 1) throw std::runtime_error("no connection");
                               return [] { return uint64_t{1}; };
                             }),
               std::runtime_error);
  std::atomic<int> calls{0};
  EXPECT_THROW(RunClosedLoop(ctx, 2, UINT64_MAX,
                             [&](int) -> std::function<uint64_t()> {
                               return [&]() -> uint64_t {
                                 if (++calls > 50) throw std::runtime_error("lost connection");
                                 return 1;
                               };
                             }),
               std::runtime_error);
}

}  // namespace
}  // namespace zx::bench
