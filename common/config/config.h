// Service configuration: command-line flags, each also read from an
// environment variable (12-factor). Validated before anything starts and
// printed at start with secrets redacted.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace zx::config {

struct ServiceConfig {
  std::string service;        // "monitoring", "assets", ... (set by main, not a flag)
  std::string instance;       // --instance / ZX_INSTANCE, e.g. "shufu"
  std::string division_code;  // --division / ZX_DIVISION_CODE, 12 digits (normalised)
  std::string host = "127.0.0.1";
  int grpc_port = 0;
  int metrics_port = 0;
  std::string pg;  // libpq conninfo
  std::string redis = "127.0.0.1:6379";
  std::string redis_namespace;  // default "zx:<first 6 digits of division>"
  int pg_pool_size = 8;
  int worker_threads = 64;
  // Consumers per source stream (same group): events of one stream are
  // handled this many at a time. Order across households is not kept, and
  // need not be: each event is applied once, under the household's lock.
  int consumer_workers = 2;
  bool allow_dev_tokens = false;
  std::string token_keys_file;
  // Keys sealing personal data at rest (common/personal_data). Without it a
  // development server uses a random key that is lost at exit.
  std::string personal_data_keys_file;
  std::string log_level = "info";
  int shutdown_grace_seconds = 10;
  // Largest request message the gRPC server accepts (--max-message-bytes);
  // larger ones fail with RESOURCE_EXHAUSTED before any handler runs.
  int max_message_bytes = 4 << 20;
  // Mutual TLS listener (docs/ARCHITECTURE.md §19): served when --tls-cert is
  // set, on --tls-host (default: --host) and --tls-port (0: a free port).
  // Callers must present a certificate signed by --tls-ca; the certificate
  // is their identity. Instances call each other's federation this way.
  std::string tls_host;
  int tls_port = 0;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  // The federation service's peers and local services (protobuf text).
  std::string federation_config;
  // The monitoring service's in-memory copy of the household registry, read
  // by GetHousehold (docs/ARCHITECTURE.md §13, "GetHousehold from memory"):
  // at most this many households (~50 bytes each); 0 turns it off.
  int household_cache_max = 2'000'000;
  // Days a mutating call's request_id and stored response are kept
  // (--idempotency-retention-days): a repeat within them replays, a repeat
  // after them runs again. Older records are purged in the background, so the
  // table and the personal data in stored responses do not grow without
  // bound. 0 keeps them forever.
  int idempotency_retention_days = 90;

  // Derived by Validate().
  std::string redis_host;
  int redis_port = 0;
};

// Parses flags and environment into a config and validates it. `--help`
// prints usage and exits the process with status 0.
absl::StatusOr<ServiceConfig> ParseServiceConfig(std::string service, int argc,
                                                 const char* const* argv);

// Checks every field; fills the derived ones. Errors name the flag.
absl::Status Validate(ServiceConfig& config);

// One line per setting, secrets (passwords in conninfo) redacted.
std::string Describe(const ServiceConfig& config);

// "host=x password=secret" -> "host=x password=***".
std::string RedactConninfo(std::string_view conninfo);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

}  // namespace zx::config
