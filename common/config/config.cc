#include "common/config/config.h"

#include "common/base/strings.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/division/division.h"
#include "common/errors/errors.h"

namespace zx::config {

absl::StatusOr<ServiceConfig> ParseServiceConfig(std::string service, int argc,
                                                 const char* const* argv) {
  ServiceConfig c;
  c.service = std::move(service);
  CLI::App app{"zhenxing " + c.service + " service"};
  app.option_defaults()->always_capture_default();
  app.add_option("--instance", c.instance, "Instance name, e.g. shufu")->envname("ZX_INSTANCE");
  app.add_option("--division", c.division_code, "12-digit division code of the instance")
      ->envname("ZX_DIVISION_CODE");
  app.add_option("--host", c.host, "Address to listen on")->envname("ZX_HOST");
  app.add_option("--grpc-port", c.grpc_port, "gRPC port")->envname("ZX_GRPC_PORT");
  app.add_option("--metrics-port", c.metrics_port, "Prometheus /metrics port")
      ->envname("ZX_METRICS_PORT");
  app.add_option("--pg", c.pg, "PostgreSQL conninfo")->envname("ZX_PG");
  app.add_option("--redis", c.redis, "Redis host:port")->envname("ZX_REDIS");
  app.add_option("--redis-namespace", c.redis_namespace, "Prefix of this instance's Redis keys")
      ->envname("ZX_REDIS_NAMESPACE");
  app.add_option("--pg-pool", c.pg_pool_size, "PostgreSQL connections")->envname("ZX_PG_POOL");
  app.add_option("--consumer-workers", c.consumer_workers,
                 "Consumers per source event stream (handled concurrently)")
      ->envname("ZX_CONSUMER_WORKERS");
  app.add_option("--household-cache-max", c.household_cache_max,
                 "monitoring: households kept in memory for GetHousehold (0: none)")
      ->envname("ZX_HOUSEHOLD_CACHE_MAX");
  app.add_option("--idempotency-retention-days", c.idempotency_retention_days,
                 "Days a request_id replays its stored response before it is purged (0: forever)")
      ->envname("ZX_IDEMPOTENCY_RETENTION_DAYS");
  app.add_option("--workers", c.worker_threads, "Threads running blocking handler work")
      ->envname("ZX_WORKERS");
  app.add_flag("--allow-dev-tokens", c.allow_dev_tokens,
               "Accept unsigned development tokens from loopback peers")
      ->envname("ZX_ALLOW_DEV_TOKENS");
  app.add_option("--token-keys", c.token_keys_file, "File of Ed25519 token verification keys")
      ->envname("ZX_TOKEN_KEYS");
  app.add_option("--personal-data-keys", c.personal_data_keys_file,
                 "File of keys sealing ID numbers and names at rest")
      ->envname("ZX_PERSONAL_DATA_KEYS");
  app.add_option("--log-level", c.log_level, "trace|debug|info|warn|error")
      ->envname("ZX_LOG_LEVEL");
  app.add_option("--shutdown-grace", c.shutdown_grace_seconds, "Seconds to drain on SIGTERM")
      ->envname("ZX_SHUTDOWN_GRACE");
  app.add_option("--max-message-bytes", c.max_message_bytes,
                 "Largest gRPC request message accepted, in bytes")
      ->envname("ZX_MAX_MESSAGE_BYTES");
  app.add_option("--tls-host", c.tls_host, "Address of the mutual-TLS listener (default --host)")
      ->envname("ZX_TLS_HOST");
  app.add_option("--tls-port", c.tls_port, "Port of the mutual-TLS listener (0: a free port)")
      ->envname("ZX_TLS_PORT");
  app.add_option("--tls-cert", c.tls_cert, "PEM certificate of this instance (enables mTLS)")
      ->envname("ZX_TLS_CERT");
  app.add_option("--tls-key", c.tls_key, "PEM private key of --tls-cert")->envname("ZX_TLS_KEY");
  app.add_option("--tls-ca", c.tls_ca, "PEM CA certificates that sign peers' certificates")
      ->envname("ZX_TLS_CA");
  app.add_option("--federation-config", c.federation_config,
                 "Federation peers and local services (protobuf text format)")
      ->envname("ZX_FEDERATION_CONFIG");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::exit(app.exit(e));
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(absl::StrCat("command line: ", e.what()));
  }
  if (auto status = Validate(c); !status.ok()) return status;
  return c;
}

absl::Status Validate(ServiceConfig& c) {
  errors::Validator v;
  if (c.service.empty()) v.Add("service", "must be set by the binary");
  if (c.instance.empty() || !std::regex_match(c.instance, std::regex("[a-z][a-z0-9-]{0,39}"))) {
    v.Add("--instance", "must be 1-40 lower-case letters, digits or '-', starting with a letter");
  }
  auto code = division::Code::Parse(c.division_code);
  if (!code.ok()) {
    v.Add("--division", std::string(code.status().message()));
  } else {
    c.division_code = code->str();
    if (code->level() > division::Level::kCounty) {
      v.Add("--division", "an instance runs for a region, prefecture or county, not below");
    }
  }
  // Port 0 asks the kernel for a free port (tests start services that way).
  if (c.grpc_port < 0 || c.grpc_port > 65535) v.Add("--grpc-port", "must be in 0..65535");
  if (c.metrics_port < 0 || c.metrics_port > 65535) {
    v.Add("--metrics-port", "must be in 0..65535");
  }
  if (c.grpc_port == c.metrics_port && c.grpc_port != 0) {
    v.Add("--metrics-port", "must differ from --grpc-port");
  }
  // Until mutual TLS lands, the server speaks plaintext: refuse anything but loopback.
  if (!IsLoopbackHost(c.host)) {
    v.Add("--host", "plaintext serving is allowed only on loopback (127.0.0.0/8, ::1)");
  }
  if (c.pg.empty()) v.Add("--pg", "PostgreSQL conninfo is required");
  std::vector<std::string> redis = absl::StrSplit(c.redis, absl::MaxSplits(':', 1));
  int port = 0;
  if (redis.size() != 2 || redis[0].empty() || !absl::SimpleAtoi(redis[1], &port) || port < 1 ||
      port > 65535) {
    v.Add("--redis", "must be host:port");
  } else {
    c.redis_host = redis[0];
    c.redis_port = port;
  }
  if (c.redis_namespace.empty() && code.ok()) {
    c.redis_namespace = absl::StrCat("zx:", code->str().substr(0, 6));
  }
  if (c.pg_pool_size < 1 || c.pg_pool_size > 256) v.Add("--pg-pool", "must be in 1..256");
  if (c.worker_threads < 1 || c.worker_threads > 1024) v.Add("--workers", "must be in 1..1024");
  if (c.household_cache_max < 0) v.Add("--household-cache-max", "must not be negative");
  // At least a week: clients, the federation's catch-up queue and operators
  // re-running an import retry within days, never weeks later.
  if (c.idempotency_retention_days != 0 &&
      (c.idempotency_retention_days < 7 || c.idempotency_retention_days > 3650)) {
    v.Add("--idempotency-retention-days", "must be 0 (forever) or in 7..3650");
  }
  if (c.consumer_workers < 1 || c.consumer_workers > 64) {
    v.Add("--consumer-workers", "must be in 1..64");
  }
  static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
  if (std::find(kLevels.begin(), kLevels.end(), c.log_level) == kLevels.end()) {
    v.Add("--log-level", "must be one of trace, debug, info, warn, error");
  }
  if (c.personal_data_keys_file.empty() && !c.allow_dev_tokens) {
    v.Add("--personal-data-keys", "is required outside development (without --allow-dev-tokens)");
  }
  if (c.shutdown_grace_seconds < 0 || c.shutdown_grace_seconds > 600) {
    v.Add("--shutdown-grace", "must be in 0..600 seconds");
  }
  if (c.max_message_bytes < (64 << 10) || c.max_message_bytes > (64 << 20)) {
    v.Add("--max-message-bytes", "must be in 65536..67108864 (64 KiB..64 MiB)");
  }
  if (c.tls_host.empty()) c.tls_host = c.host;
  if (c.tls_port < 0 || c.tls_port > 65535) v.Add("--tls-port", "must be in 0..65535");
  if (!c.tls_cert.empty() || !c.tls_key.empty() || !c.tls_ca.empty()) {
    for (const auto& [flag, file] :
         {std::pair{"--tls-cert", &c.tls_cert}, std::pair{"--tls-key", &c.tls_key},
          std::pair{"--tls-ca", &c.tls_ca}}) {
      if (file->empty()) {
        v.Add(flag, "--tls-cert, --tls-key and --tls-ca go together");
      } else if (!std::filesystem::is_regular_file(*file)) {
        v.Add(flag, absl::StrCat("no such file: ", *file));
      }
    }
  }
  return v.ToStatus();
}

std::string RedactConninfo(std::string_view conninfo) {
  static const std::regex kPassword(R"((password\s*=\s*)('[^']*'|\S+))", std::regex::icase);
  static const std::regex kUriPassword(R"((://[^:/@]+:)[^@]*@)");
  std::string out = std::regex_replace(std::string(conninfo), kPassword, "$1***");
  return std::regex_replace(out, kUriPassword, "$1***@");
}

std::string Describe(const ServiceConfig& c) {
  return absl::StrCat(
      "service=", c.service, " instance=", c.instance, " division=", c.division_code,
      " host=", c.host, " grpc_port=", c.grpc_port, " metrics_port=", c.metrics_port, " pg=\"",
      RedactConninfo(c.pg), "\" redis=", c.redis, " redis_namespace=", c.redis_namespace,
      " pg_pool=", c.pg_pool_size, " workers=", c.worker_threads,
      c.service == "monitoring" ? absl::StrCat(" household_cache_max=", c.household_cache_max) : "",
      " allow_dev_tokens=", c.allow_dev_tokens ? "true" : "false",
      " token_keys=", c.token_keys_file.empty() ? "(none)" : c.token_keys_file,
      " personal_data_keys=",
      c.personal_data_keys_file.empty() ? "(development: random, lost at exit)"
                                        : c.personal_data_keys_file,
      " log_level=", c.log_level, " shutdown_grace_s=", c.shutdown_grace_seconds,
      " max_message_bytes=", c.max_message_bytes, " idempotency_retention_days=",
      c.idempotency_retention_days == 0 ? std::string("forever")
                                        : std::to_string(c.idempotency_retention_days),
      " tls=", c.tls_cert.empty() ? "(off)" : absl::StrCat(c.tls_host, ":", c.tls_port),
      c.federation_config.empty() ? "" : " federation_config=", c.federation_config);
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "[::1]") return true;
  if (!host.starts_with("127.")) return false;
  std::vector<std::string> parts = absl::StrSplit(AsAbsl(host), '.');
  if (parts.size() != 4) return false;
  for (const auto& p : parts) {
    int n = 0;
    if (!absl::SimpleAtoi(p, &n) || n < 0 || n > 255) return false;
  }
  return true;
}

}  // namespace zx::config
