// A zx service binary (built next to zx-bench) run as its own process on
// loopback for a suite: free ports, the bench's PostgreSQL and Redis, dev
// tokens, its log in $TMPDIR/zx-bench-<service>.log, and its peak RSS
// sampled every 100 ms. SIGTERM and wait on destruction.
#pragma once

#include <sys/types.h>

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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
  // `instance` names it (--instance, and the log zx-bench-<service>.log or,
  // for another instance than "bench", zx-bench-<instance>-<service>.log).
  ServiceProcess(const BenchContext& ctx, const std::string& service, const std::string& division,
                 const std::vector<std::string>& extra_args = {},
                 const std::string& redis_namespace = "", const std::string& instance = "bench");
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

// A bulk load over `streams` concurrent bidirectional streams: rows
// [0, rows) in messages of `per_message`, stream s sending messages s,
// s + streams, ...; each message waits for its response (as a client that
// wants its per-row results would). `open(ctx)` starts a stream,
// `fill(stream, first, end, request)` builds a message, `check(response)`
// returns an error text ("" when every row is fine) and runs under a lock.
// Fails the suite on an error; returns the seconds from opening the
// streams to their end.
template <typename Request, typename Response, typename Open, typename Fill, typename CheckFn>
double StreamRows(const std::string& what, int64_t rows, int streams, int per_message, Open open,
                  Fill fill, CheckFn check) {
  std::mutex mu;
  std::string error;
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      grpc::ClientContext cctx;
      auto stream = open(cctx);
      for (int64_t first = int64_t{s} * per_message; first < rows;
           first += int64_t{streams} * per_message) {
        Request req;
        fill(s, first, std::min(rows, first + per_message), req);
        Response resp;
        if (!stream->Write(req) || !stream->Read(&resp)) break;
        std::lock_guard lock(mu);
        if (std::string e = check(resp); !e.empty() && error.empty()) error = std::move(e);
      }
      stream->WritesDone();
      Response last;
      while (stream->Read(&last)) {
      }
      const grpc::Status st = stream->Finish();
      if (!st.ok()) {
        std::lock_guard lock(mu);
        error = st.error_message();
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Check(error.empty(), absl::StrCat(what, ": ", error));
  return seconds;
}

}  // namespace zx::bench
