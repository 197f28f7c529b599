#include "common/server/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace zx::server {
namespace {

TEST(WorkerPoolTest, RunsEveryQueuedTaskBeforeDrainReturns) {
  std::atomic<int> ran{0};
  WorkerPool pool(2, 1000);
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ran++; }));
  pool.Drain();
  EXPECT_EQ(ran.load(), 500);
  EXPECT_FALSE(pool.TrySubmit([] {})) << "a drained pool refuses work";
}

TEST(WorkerPoolTest, RefusesWhenQueueIsFull) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  WorkerPool pool(1, 2);
  std::atomic<int> started{0};
  ASSERT_TRUE(pool.TrySubmit([&] {
    started++;
    gate.wait();
  }));
  while (started.load() == 0) std::this_thread::yield();
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_TRUE(pool.TrySubmit([] {}));
  EXPECT_FALSE(pool.TrySubmit([] {})) << "third queued task exceeds max_queued=2";
  release.set_value();
}

}  // namespace
}  // namespace zx::server
