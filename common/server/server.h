// The one way a zhenxing service starts, serves and stops: config, logging,
// metrics exposer, PostgreSQL pool and migrations, outbox relay, consumers,
// a gRPC server with health checking, reflection and metrics, per-call
// request ids, authentication, deadlines and logs — and a graceful shutdown
// on SIGTERM (stop accepting, drain calls, flush the outbox, exit 0).
#pragma once

#include <grpcpp/grpcpp.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/auth.h"
#include "common/config/config.h"
#include "common/errors/errors.h"
#include "common/events/events.h"
#include "common/metrics/grpc_metrics.h"
#include "common/migrations/migrations.h"
#include "common/personal_data/personal_data.h"
#include "common/pg/pg.h"
#include "common/server/worker_pool.h"
#include "zx/common/v1/types.pb.h"

namespace zx::server {

// Everything a service's handlers share.
struct Runtime {
  explicit Runtime(division::Code instance_division) : division(std::move(instance_division)) {}
  config::ServiceConfig config;
  std::string schema;      // PostgreSQL schema of the service = its name
  std::string stream_key;  // the service's own event stream
  division::Code division;
  absl::Time started_at;
  std::shared_ptr<prometheus::Registry> registry;
  std::unique_ptr<pg::Pool> pool;
  std::unique_ptr<WorkerPool> workers;
  std::optional<auth::TokenVerifier> token_verifier;
  std::optional<personal_data::Vault> vault;

  // Long-running work of the service (job workers, schedulers): started
  // after the server, asked to stop (the flag) and joined on shutdown.
  using BackgroundTask = std::function<void(const std::atomic<bool>& stop)>;
  std::vector<BackgroundTask> background_tasks;

  // Set first thing in Server::Shutdown, before gRPC stops accepting and
  // drains calls: long-lived calls (server streams) end themselves when they
  // see it, so the drain does not wait for the grace period.
  std::atomic<bool> stopping{false};

  // Consumes another service's stream (group = this service).
  void AddConsumer(std::string_view source_service, events::Handler handler);
  void AddConsumer(std::string_view source_service, events::BatchWorkFactory make_work);
  std::vector<std::unique_ptr<events::Consumer>> consumers;
};

// Per-call facts handed to a handler.
struct CallContext {
  Runtime& runtime;
  auth::Principal principal;
  std::string request_id;  // x-request-id metadata, or generated
  absl::Time deadline;     // the client's, capped at 30 s
  pg::TxOptions tx() const { return pg::TxOptions{.deadline = deadline}; }
  // Authorize(principal, action, division) — the one shared check.
  absl::Status Authorize(std::string_view action, const division::Code& resource) const {
    return auth::Authorize(principal, action, resource);
  }
};

// Authenticates the caller from metadata / peer identity.
absl::StatusOr<auth::Principal> Authenticate(const grpc::CallbackServerContext& ctx,
                                             const Runtime& runtime);

// Runs `fn(CallContext&) -> absl::Status` on the worker pool and finishes the
// call with the mapped status. Use in every callback handler:
//   return server::Handle(ctx, rt_, [=](CallContext& c) { ...; return absl::OkStatus(); });
grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* ctx, Runtime& runtime,
                                 std::function<absl::Status(CallContext&)> fn);

struct ServiceSpec {
  std::string name;               // "monitoring": schema, stream and metric label
  std::string grpc_service_name;  // for health, e.g. "zx.monitoring.v1.MonitoringService"
  const std::vector<migrations::MigrationFile>* migrations = nullptr;
  // Builds the service's gRPC services; may call runtime.AddConsumer().
  std::function<std::vector<std::unique_ptr<grpc::Service>>(Runtime&)> make_services;
};

class Server {
 public:
  // Starts everything and returns once the server is SERVING.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServiceSpec spec,
                                                       config::ServiceConfig config);
  ~Server();

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  Runtime& runtime() { return *runtime_; }
  events::Relay& relay() { return *relay_; }

  // Health NOT_SERVING, stop accepting, drain calls (up to `grace`), stop
  // consumers, flush the outbox relay.
  void Shutdown(absl::Duration grace);

 private:
  Server() = default;
  ServiceSpec spec_;
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<metrics::GrpcMetrics> grpc_metrics_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<events::Relay> relay_;
  std::atomic<bool> stop_background_{false};
  std::vector<std::thread> background_threads_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  bool shut_down_ = false;
};

// main() of every service: parse config, start, wait for SIGTERM/SIGINT,
// shut down gracefully. Returns the process exit code.
int RunServiceMain(ServiceSpec spec, int argc, char** argv);

std::string_view Version();

// A new record id: "<prefix>-" + 20 random hex digits (80 bits, libsodium).
std::string NewId(std::string_view prefix);

// Who acted, at what level, when — truncated to microseconds, what
// PostgreSQL keeps, so a stamp read back equals the one returned.
zx::common::v1::AuditStamp Stamp(const auth::Principal& principal, absl::Time at = absl::Now());

// A division code read back from the database: invalid means a broken row
// (INTERNAL), not bad input.
absl::StatusOr<division::Code> StoredDivision(const std::string& code);

}  // namespace zx::server
