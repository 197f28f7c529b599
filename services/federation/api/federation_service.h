// gRPC handlers of zx.federation.v1.FederationService (people on this
// instance) and PeerService (other instances, mutual TLS), the per-peer
// delivery workers and the overdue-directive sweep. Rules live in
// domain/federation.h, SQL in store/.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/server/server.h"
#include "services/federation/domain/federation.h"

namespace zx::federation {

// --federation-config as read and checked, and what it names.
struct FederationSetup {
  v1::FederationConfig config;
  Topology topology;
  // The secret key of service_token_secret_file, signing the calls to the
  // local services; empty without one (development tokens).
  std::string service_token_secret;
};

// Reads and checks --federation-config and the service key file it names
// (INVALID_ARGUMENT naming the field).
absl::StatusOr<FederationSetup> LoadFederationConfig(const config::ServiceConfig& config);

// The spec main() runs and tests start in-process.
server::ServiceSpec FederationSpec();

}  // namespace zx::federation
