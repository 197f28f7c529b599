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
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/audit/audit_log.h"
#include "common/auth/auth.h"
#include "common/config/config.h"
#include "common/errors/errors.h"
#include "common/events/events.h"
#include "common/metrics/grpc_metrics.h"
#include "common/migrations/migrations.h"
#include "common/personal_data/personal_data.h"
#include "common/pg/pg.h"
#include "common/server/state_gauges.h"
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
  std::unique_ptr<audit::Log> audit_log;  // this service's tamper-evident log (§17)

  // Long-running work of the service (job workers, schedulers): started
  // after the server, asked to stop (the flag) and joined on shutdown.
  using BackgroundTask = std::function<void(const std::atomic<bool>& stop)>;
  std::vector<BackgroundTask> background_tasks;
  // Gauges of stored state, refreshed in the background (state_gauges.h).
  std::vector<StateGauge> state_gauges;

  // Set first thing in Server::Shutdown, before gRPC stops accepting and
  // drains calls: long-lived calls (server streams) end themselves when they
  // see it, so the drain does not wait for the grace period.
  std::atomic<bool> stopping{false};

  // Consumes another service's stream (group = this service).
  void AddConsumer(std::string_view source_service, events::Handler handler);
  void AddConsumer(std::string_view source_service, events::BatchWorkFactory make_work);
  std::vector<std::unique_ptr<events::Consumer>> consumers;
};

// What the audit log needs to know about a call, gathered as it runs
// (docs/ARCHITECTURE.md §17). A call gets an entry when its authorized
// action is a write (whatever the result), when it is refused
// (UNAUTHENTICATED, PERMISSION_DENIED) or when it returned personal data in
// clear.
struct CallAudit {
  std::string action;  // the most significant authorized action: a write over a read
  auth::Access access = auth::Access::kOperate;
  std::string resource_division;
  std::string refused_action;  // the first action refused, with its division
  std::string refused_division;
  std::string resource_id;  // optional: the record the call changed or read
  bool personal_data_read = false;
  std::string purpose;
  std::string note;  // optional: a short, non-personal summary of an OK result
  // The handler wrote the OK result's entry in its own transaction
  // (CallContext::OkAuditEntry, audit::AppendInTransaction) and it committed:
  // an OK answer then appends nothing more.
  bool ok_entry_committed = false;

  // Records one authorization outcome.
  void Record(std::string_view action, const division::Code& resource, const absl::Status& outcome);
};

// Per-call facts handed to a handler.
struct CallContext {
  Runtime& runtime;
  auth::Principal principal;
  std::string request_id;  // x-request-id metadata, or generated
  absl::Time deadline;     // the client's, capped at 30 s
  std::string method;      // "/zx.assets.v1.AssetsService/RegisterAsset"
  // The record the call changed, when the handler names it (the audit
  // entry's resource id).
  std::string audit_resource;
  // Filled by Authorize and AuditPersonalDataRead; mutable because those are
  // bookkeeping of a const call (handlers pass `const CallContext&`).
  mutable CallAudit audit;

  pg::TxOptions tx() const { return pg::TxOptions{.deadline = deadline}; }
  // Authorize(principal, action, division) — the one shared check. It also
  // remembers the action and division for the audit entry.
  absl::Status Authorize(std::string_view action, const division::Code& resource) const {
    absl::Status outcome = auth::Authorize(principal, action, resource);
    audit.Record(action, resource, outcome);
    return outcome;
  }
  // The entry an OK answer to this call is audited with, as it stands now,
  // for handlers that write it in their own transaction (then they set
  // audit.ok_entry_committed once that committed).
  audit::Entry OkAuditEntry() const;
  // Call when the response carries personal data in clear: the call is
  // audited, with the purpose the request stated. The answer waits until
  // the entry is durable, and is withheld if it cannot be written.
  void AuditPersonalDataRead(std::string_view resource_id, std::string_view purpose) const {
    audit.personal_data_read = true;
    audit.resource_id = std::string(resource_id);
    audit.purpose = std::string(purpose);
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

// The gRPC method of a call ("/zx.assets.v1.AssetsService/RegisterAsset"),
// or "" (known while the call lives; noted by the server's interceptor).
std::string CallMethod(const grpc::ServerContextBase& ctx);

// Appends the call's audit entry when one is due (see CallAudit) and
// returns the status to answer with: `result`, or UNAVAILABLE when the entry
// could not be made durable (so clear personal data is never answered
// unaudited; a committed write is then retried by its request_id and
// audited on the replay). Blocks: call it on the worker pool. Handle does
// this for unary calls; streaming reactors call it before they finish.
// The audit entry of a call that ended with `result` (AuditCall writes it).
audit::Entry AuditEntryOf(const Runtime& runtime, std::string method, const std::string& request_id,
                          const auth::Principal* principal, const CallAudit& facts,
                          const absl::Status& result);
absl::Status AuditCall(Runtime& runtime, const grpc::ServerContextBase& ctx,
                       const std::string& request_id, const auth::Principal* principal,
                       const CallAudit& audit, const absl::Status& result);

// Server credentials of the mutual-TLS listener: the config's certificate
// and key, client certificates required and verified against its CA.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MutualTlsServerCredentials(
    const config::ServiceConfig& config);

// Channel credentials for calling a peer's mutual-TLS listener.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MutualTlsChannelCredentials(
    const std::string& ca_file, const std::string& cert_file, const std::string& key_file);

// The x-request-id of a call, or a new one.
std::string RequestIdOf(const grpc::ServerContextBase& ctx);

struct ServiceSpec {
  std::string name;               // "monitoring": schema, stream and metric label
  std::string grpc_service_name;  // for health, e.g. "zx.monitoring.v1.MonitoringService"
  const std::vector<migrations::MigrationFile>* migrations = nullptr;
  // Optional: refuses a configuration the service cannot run with (checked
  // before anything starts).
  std::function<absl::Status(const config::ServiceConfig&)> check_config;
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
  int tls_port() const { return tls_port_; }  // 0 without --tls-cert
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
  int tls_port_ = 0;
  int metrics_port_ = 0;
  bool shut_down_ = false;
};

// main() of every service: parse config, start, wait for SIGTERM/SIGINT,
// shut down gracefully. Returns the process exit code.
int RunServiceMain(ServiceSpec spec, int argc, char** argv);

std::string_view Version();

// A new record id: "<prefix>-" + 20 random hex digits (80 bits, libsodium).
std::string NewId(std::string_view prefix);

// An optional date field of a request: empty means today; otherwise it must
// be a date like 2026-11-02 (a violation on `field`, and nullopt).
std::optional<absl::CivilDay> DateOrToday(const std::string& text, const std::string& field,
                                          errors::Validator& v);

// Who acted, at what level, when — truncated to microseconds, what
// PostgreSQL keeps, so a stamp read back equals the one returned.
zx::common::v1::AuditStamp Stamp(const auth::Principal& principal, absl::Time at = absl::Now());

// A division code read back from the database: invalid means a broken row
// (INTERNAL), not bad input.
absl::StatusOr<division::Code> StoredDivision(const std::string& code);

}  // namespace zx::server
