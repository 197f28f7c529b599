// A fixed set of threads for blocking work (PostgreSQL, Redis) handed off
// from gRPC callback threads, which must never block. The queue is bounded:
// when it is full the call is refused (RESOURCE_EXHAUSTED) instead of
// queueing without limit.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace zx::server {

class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();  // finishes queued work, then joins

  // False when the queue is full or the pool is stopping.
  bool TrySubmit(std::function<void()> task);
  // Stops accepting, runs what is queued, joins the threads.
  void Drain();

 private:
  void Loop();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace zx::server
