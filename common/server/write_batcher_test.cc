#include "common/server/write_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

namespace zx::server {
namespace {

struct Item {
  int value = 0;
  int doubled = 0;
  absl::Status status;
};

TEST(WriteBatcherTest, SettlesEveryItemAndBatchesUnderConcurrency) {
  std::atomic<int> batches{0};
  std::atomic<int> largest{0};
  std::atomic<int> in_flight{0};
  std::atomic<int> most_in_flight{0};
  WriteBatcher<Item> batcher({.max_batch = 8, .max_concurrent = 2},
                             [&](std::span<Item* const> batch) {
                               const int now = ++in_flight;
                               most_in_flight = std::max(most_in_flight.load(), now);
                               batches++;
                               largest = std::max(largest.load(), static_cast<int>(batch.size()));
                               // Long enough for the other threads to queue up behind.
                               std::this_thread::sleep_for(std::chrono::milliseconds(2));
                               for (Item* item : batch) item->doubled = item->value * 2;
                               --in_flight;
                             });
  constexpr int kThreads = 16, kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Item item{.value = t * 1000 + i};
        batcher.Submit(item);
        if (item.doubled != item.value * 2 || !item.status.ok()) wrong++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(largest.load(), 8) << "max_batch is respected";
  EXPECT_GT(largest.load(), 1) << "waiting items were worked together";
  EXPECT_LT(batches.load(), kThreads * kPerThread) << "fewer batches than items";
  EXPECT_LE(most_in_flight.load(), 2) << "max_concurrent is respected";
}

TEST(WriteBatcherTest, AloneAnItemIsItsOwnBatch) {
  std::vector<size_t> sizes;
  WriteBatcher<Item> batcher({}, [&](std::span<Item* const> batch) {
    sizes.push_back(batch.size());
    for (Item* item : batch) item->doubled = item->value * 2;
  });
  Item a{.value = 3}, b{.value = 4};
  batcher.Submit(a);
  batcher.Submit(b);
  EXPECT_EQ(a.doubled, 6);
  EXPECT_EQ(b.doubled, 8);
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 1}));
}

TEST(WriteBatcherTest, AThrowingBatchFailsItsItemsAndLeavesTheBatcherWorking) {
  bool fail = true;
  WriteBatcher<Item> batcher({}, [&](std::span<Item* const> batch) {
    if (fail) throw std::runtime_error("boom");
    for (Item* item : batch) item->doubled = item->value * 2;
  });
  Item a{.value = 1};
  batcher.Submit(a);
  EXPECT_EQ(a.status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(a.status.message(), "boom");
  fail = false;
  Item b{.value = 2};
  batcher.Submit(b);
  EXPECT_TRUE(b.status.ok());
  EXPECT_EQ(b.doubled, 4);
}

}  // namespace
}  // namespace zx::server
