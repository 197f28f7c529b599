// Group commit for hot write RPCs. Each handler thread hands its item to the
// batcher and blocks; one of the waiting threads becomes the leader, takes
// every item queued so far (up to max_batch) and runs them as one batch —
// one transaction, a few multi-row statements and one commit (one WAL flush)
// for many requests. Under light load a batch is a single item and costs
// what the unbatched path cost; under load the per-request round trips and
// commits are shared. Nothing waits on a timer to fill a batch.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "absl/status/status.h"

namespace zx::server {

template <typename Item>
class WriteBatcher {
 public:
  struct Options {
    size_t max_batch = 64;
    // Batches in flight at once: one builds while another waits for its
    // commit to be flushed.
    int max_concurrent = 2;
  };
  // Works a batch: sets every item's `status` (an absl::Status member) and
  // whatever else the item carries back.
  using BatchFn = std::function<void(std::span<Item* const> batch)>;

  WriteBatcher(Options options, BatchFn fn) : options_(options), fn_(std::move(fn)) {}

  // Blocks until the batch holding `item` has been worked. `item` must stay
  // alive until then (it lives on the caller's stack).
  void Submit(Item& item) {
    Slot slot{&item};
    std::unique_lock lock(mu_);
    queue_.push_back(&slot);
    while (!slot.done) {
      if (active_ < options_.max_concurrent && !queue_.empty()) {
        LeadOneBatch(lock);
        continue;
      }
      cv_.wait(lock);
    }
  }

 private:
  struct Slot {
    Item* item;
    bool done = false;
  };

  // Called with `lock` held; returns with it held.
  void LeadOneBatch(std::unique_lock<std::mutex>& lock) {
    const size_t n = std::min(queue_.size(), options_.max_batch);
    std::vector<Slot*> slots(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    ++active_;
    lock.unlock();
    std::vector<Item*> items;
    items.reserve(n);
    for (Slot* s : slots) items.push_back(s->item);
    try {
      fn_(std::span<Item* const>(items));
    } catch (const std::exception& e) {
      // The batch function settles its own errors; this only keeps a bug
      // from stranding the followers.
      for (Item* item : items) item->status = absl::InternalError(e.what());
    }
    lock.lock();
    --active_;
    for (Slot* s : slots) s->done = true;
    cv_.notify_all();
  }

  const Options options_;
  const BatchFn fn_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Slot*> queue_;
  int active_ = 0;
};

}  // namespace zx::server
