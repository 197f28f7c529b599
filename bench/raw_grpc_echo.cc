// raw.grpc_echo: unary echo against an in-process callback server on
// 127.0.0.1 (port 0), driven by the callback client API with a fixed number of
// calls in flight; every completion re-issues its call. ~100-byte payloads.

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench.h"
#include "zx/testing/v1/echo.grpc.pb.h"

namespace zx::bench {
namespace {

using zx::testing::v1::Echo;
using zx::testing::v1::EchoRequest;
using zx::testing::v1::EchoResponse;

constexpr size_t kPayloadBytes = 100;
constexpr int kMaxChannels = 4;  // connections the load spreads over
constexpr auto kCallDeadline = std::chrono::seconds(5);
constexpr uint64_t kMaxMeasuredCalls = 20'000'000;  // count bound of one run
constexpr size_t kMaxLatencySamples = 4'000'000;    // memory bound of one run
constexpr auto kDrainTimeout = std::chrono::seconds(15);

class EchoService final : public Echo::CallbackService {
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const EchoRequest* request,
                                 EchoResponse* response) override {
    response->set_payload(request->payload());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

struct RunResult {
  uint64_t calls = 0;   // successful calls started and finished in the window
  uint64_t errors = 0;  // failed calls in any phase
  std::string first_error;
  double seconds = 0;
  std::vector<double> latencies_ms;
};

// Keeps `in_flight` calls outstanding until Stop(); one Slot per call in flight.
// A slot's callbacks are serialised (one outstanding call each), so its fields
// need no lock.
class EchoLoad {
 public:
  enum Phase : int { kWarmup = 0, kMeasure = 1, kStop = 2 };

  EchoLoad(const std::vector<std::unique_ptr<Echo::Stub>>& stubs, int in_flight,
           const std::string& payload) {
    slots_.reserve(static_cast<size_t>(in_flight));
    for (int i = 0; i < in_flight; ++i) {
      auto slot = std::make_unique<Slot>();
      slot->stub = stubs[static_cast<size_t>(i) % stubs.size()].get();
      slot->request.set_payload(payload);
      slot->latencies_ms.reserve(kMaxLatencySamples / static_cast<size_t>(in_flight) / 8);
      slots_.push_back(std::move(slot));
    }
  }

  void Start() {
    active_ = static_cast<int>(slots_.size());
    for (auto& slot : slots_) Issue(slot.get());
  }

  void BeginMeasure() {
    measure_start_ = std::chrono::steady_clock::now();
    phase_.store(kMeasure);
  }

  // Waits until the window ends or the count bound is hit; then stops issuing.
  void MeasureFor(std::chrono::duration<double> window) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, window, [&] { return measured_.load() >= kMaxMeasuredCalls; });
    }
    measure_end_ = std::chrono::steady_clock::now();
    phase_.store(kStop);
  }

  // True when every outstanding call completed (callbacks no longer touch us).
  bool Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kDrainTimeout, [&] { return active_ == 0; });
  }

  RunResult Collect() {
    RunResult result;
    result.seconds = std::chrono::duration<double>(measure_end_ - measure_start_).count();
    for (auto& slot : slots_) {
      result.calls += slot->calls;
      result.errors += slot->errors;
      if (result.first_error.empty()) result.first_error = slot->first_error;
      result.latencies_ms.insert(result.latencies_ms.end(), slot->latencies_ms.begin(),
                                 slot->latencies_ms.end());
    }
    return result;
  }

 private:
  struct Slot {
    Echo::Stub* stub = nullptr;
    // The context of the call just completed is destroyed only when the next
    // call is issued, i.e. never inside its own completion callback.
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientContext> previous;
    EchoRequest request;
    EchoResponse response;
    std::chrono::steady_clock::time_point started;
    int started_phase = kWarmup;
    uint64_t calls = 0;
    uint64_t errors = 0;
    std::string first_error;
    std::vector<double> latencies_ms;
  };

  void Issue(Slot* slot) {
    slot->previous = std::move(slot->context);
    slot->context = std::make_unique<grpc::ClientContext>();
    slot->started = std::chrono::steady_clock::now();
    slot->context->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    slot->started_phase = phase_.load();
    slot->stub->async()->Echo(slot->context.get(), &slot->request, &slot->response,
                              [this, slot](grpc::Status status) { OnDone(slot, status); });
  }

  void OnDone(Slot* slot, const grpc::Status& status) {
    const auto finished = std::chrono::steady_clock::now();
    const int phase = phase_.load();
    if (!status.ok()) {
      if (slot->errors++ == 0) {
        slot->first_error = std::to_string(status.error_code()) + ": " + status.error_message();
      }
    } else if (slot->started_phase == kMeasure && phase == kMeasure) {
      ++slot->calls;
      if (slot->latencies_ms.size() < kMaxLatencySamples / slots_.size()) {
        slot->latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(finished - slot->started).count());
      }
      if (measured_.fetch_add(1) + 1 == kMaxMeasuredCalls) cv_.notify_all();
    }
    if (phase == kStop) {
      std::lock_guard<std::mutex> lock(mu_);
      if (--active_ == 0) cv_.notify_all();
      return;
    }
    Issue(slot);
  }

  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<int> phase_{kWarmup};
  std::atomic<uint64_t> measured_{0};
  std::chrono::steady_clock::time_point measure_start_;
  std::chrono::steady_clock::time_point measure_end_;
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;  // guarded by mu_
};

RunResult RunEcho(const BenchContext& ctx, const std::vector<std::unique_ptr<Echo::Stub>>& stubs,
                  int in_flight) {
  const std::string payload(kPayloadBytes, 'x');
  auto load = std::make_unique<EchoLoad>(stubs, in_flight, payload);
  load->Start();
  std::this_thread::sleep_for(ctx.warmup);
  load->BeginMeasure();
  load->MeasureFor(ctx.duration);
  if (!load->Drain()) {
    // Callbacks may still reference the load: leak it rather than free it under them.
    (void)load.release();
    throw std::runtime_error("grpc echo: calls did not drain after stop");
  }
  RunResult result = load->Collect();
  if (result.errors > 0) {
    throw std::runtime_error("grpc echo: " + std::to_string(result.errors) +
                             " failed calls, first: " + result.first_error);
  }
  return result;
}

}  // namespace

void RawGrpcEchoSuite(BenchContext& ctx) {
  ctx.SetInfo("grpc", grpc::Version());
  EchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) throw std::runtime_error("grpc echo: server did not start");
  const std::string target = "127.0.0.1:" + std::to_string(port);

  auto shutdown = [&] { server->Shutdown(std::chrono::system_clock::now() + kCallDeadline); };
  try {
    for (int in_flight : {1, 16, 64}) {
      // Separate connections: a local subchannel pool per channel, so channels
      // with equal arguments do not share one connection.
      std::vector<std::unique_ptr<Echo::Stub>> stubs;
      const int channels = std::min(in_flight, kMaxChannels);
      for (int i = 0; i < channels; ++i) {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        args.SetInt("zx.bench.channel", i);
        auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
        if (!channel->WaitForConnected(std::chrono::system_clock::now() + kCallDeadline)) {
          throw std::runtime_error("grpc echo: channel did not connect to " + target);
        }
        stubs.push_back(Echo::NewStub(channel));
      }
      RunResult run = RunEcho(ctx, stubs, in_flight);
      const double qps = run.seconds > 0 ? static_cast<double>(run.calls) / run.seconds : 0;
      spdlog::info("grpc echo c{}: {} calls in {:.2f} s over {} channel(s)", in_flight, run.calls,
                   run.seconds, channels);
      ctx.Add({.id = "raw.grpc_echo.qps_c" + std::to_string(in_flight),
               .value = qps,
               .unit = "req/s",
               .baseline_id = std::nullopt,
               .target = std::nullopt,
               .better = Figure::Better::kHigher});
      if (in_flight == 64) {
        const double p50 = Percentile(run.latencies_ms, 0.50);
        const double p99 = Percentile(run.latencies_ms, 0.99);
        ctx.Add({.id = "raw.grpc_echo.p50_ms_c64",
                 .value = p50,
                 .unit = "ms",
                 .baseline_id = std::nullopt,
                 .target = std::nullopt,
                 .better = Figure::Better::kLower});
        ctx.Add({.id = "raw.grpc_echo.p99_ms_c64",
                 .value = p99,
                 .unit = "ms",
                 .baseline_id = std::nullopt,
                 .target = std::nullopt,
                 .better = Figure::Better::kLower});
      }
    }
  } catch (...) {
    shutdown();
    throw;
  }
  shutdown();
}

}  // namespace zx::bench
