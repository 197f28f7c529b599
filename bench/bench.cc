#include "bench/bench.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <latch>
#include <mutex>
#include <thread>
#include <utility>

namespace zx::bench {

void BenchContext::Add(Figure figure) { figures_.push_back(std::move(figure)); }

std::optional<double> BenchContext::Value(std::string_view id) const {
  // The latest figure with this id wins (a suite may refine a figure).
  for (auto it = figures_.rbegin(); it != figures_.rend(); ++it) {
    if (it->id == id) return it->value;
  }
  return std::nullopt;
}

void BenchContext::SetInfo(std::string key, std::string value) {
  info_[std::move(key)] = std::move(value);
}

Result Evaluate(const Figure& figure, const std::vector<Figure>& all) {
  Result result{figure, std::nullopt, std::nullopt};
  const bool higher = figure.better == Figure::Better::kHigher;
  auto compare = [higher](double measured, double target) {
    return higher ? measured >= target : measured <= target;
  };
  if (figure.baseline_id) {
    std::optional<double> base;
    for (const Figure& f : all) {
      if (f.id == *figure.baseline_id) base = f.value;
    }
    if (!base || *base == 0 || !std::isfinite(*base)) return result;  // cannot judge
    result.ratio = figure.value / *base;
    if (figure.target) result.pass = compare(*result.ratio, *figure.target);
    return result;
  }
  if (figure.target) result.pass = compare(figure.value, *figure.target);
  return result;
}

LoopResult RunClosedLoop(const BenchContext& ctx, int threads, uint64_t max_ops,
                         const std::function<std::function<uint64_t()>(int)>& make_step) {
  enum Phase : int { kWarmup = 0, kMeasure = 1, kStop = 2 };
  std::atomic<int> phase{kWarmup};
  std::atomic<uint64_t> measured{0};
  std::mutex mu;
  std::condition_variable cv;
  std::exception_ptr error;  // guarded by mu
  std::latch ready(threads);
  std::latch go(1);

  auto fail = [&](std::exception_ptr e) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::move(e);
    }
    phase.store(kStop);
    cv.notify_all();
  };

  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      std::function<uint64_t()> step;
      try {
        step = make_step(i);
      } catch (...) {
        fail(std::current_exception());
      }
      ready.count_down();
      go.wait();
      if (!step) return;
      try {
        while (true) {
          const int before = phase.load(std::memory_order_acquire);
          if (before == kStop) break;
          const uint64_t n = step();
          if (before == kMeasure && phase.load(std::memory_order_acquire) == kMeasure) {
            if (measured.fetch_add(n) + n >= max_ops) cv.notify_all();
          }
        }
      } catch (...) {
        fail(std::current_exception());
      }
    });
  }

  ready.wait();  // every worker set up (or failed)
  go.count_down();
  LoopResult result;
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, ctx.warmup, [&] { return error != nullptr; });
  }
  int expected = kWarmup;
  if (phase.compare_exchange_strong(expected, kMeasure)) {
    const auto start = std::chrono::steady_clock::now();
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, ctx.duration,
                  [&] { return error != nullptr || measured.load() >= max_ops; });
    }
    expected = kMeasure;
    phase.compare_exchange_strong(expected, kStop);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  phase.store(kStop);
  for (std::thread& t : workers) t.join();
  if (error) std::rethrow_exception(error);
  result.ops = measured.load();
  return result;
}

double Percentile(std::vector<double>& samples, double q) {
  if (samples.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
  size_t index = rank == 0 ? 0 : rank - 1;
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(index),
                   samples.end());
  return samples[index];
}

}  // namespace zx::bench
