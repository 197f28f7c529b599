// A zx service binary (built next to zx-bench) run as its own process on
// loopback for a suite: free ports, the bench's PostgreSQL and Redis, dev
// tokens, its log in $TMPDIR/zx-bench-<service>.log, and its peak RSS
// sampled every 100 ms. SIGTERM and wait on destruction.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench.h"

namespace zx::bench {

// Throws std::runtime_error(what) unless ok: a suite's set-up failed.
void Check(bool ok, const std::string& what);

// A free TCP port on 127.0.0.1 (bound and released).
int FreePort();

class ServiceProcess {
 public:
  // `service` is "monitoring", "assets", ...: runs zx-<service> with
  // --division `division` and `extra_args` after the common ones. Its Redis
  // namespace is `redis_namespace`, or zx:bench-<service> when empty
  // (services that exchange events must share one).
  ServiceProcess(const BenchContext& ctx, const std::string& service, const std::string& division,
                 const std::vector<std::string>& extra_args = {},
                 const std::string& redis_namespace = "");
  ~ServiceProcess();
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  std::string address() const;
  const std::string& log() const { return log_; }
  double max_rss_mib() const { return max_rss_kib_.load() / 1024.0; }

  // Calls `probe` every 100 ms until it returns true (at most 60 s); throws
  // when the process exits or the time is up.
  void WaitServing(const std::function<bool()>& probe) const;

 private:
  void SampleRss();

  std::string name_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string log_;
  std::thread sampler_;
  std::atomic<bool> stop_{false};
  std::atomic<long> max_rss_kib_{0};
};

}  // namespace zx::bench
