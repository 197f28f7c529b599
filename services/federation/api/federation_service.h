// gRPC handlers of zx.federation.v1.FederationService (people on this
// instance) and PeerService (other instances, mutual TLS), the per-peer
// delivery workers and the overdue-directive sweep. Rules live in
// domain/federation.h, SQL in store/.
#pragma once

#include "absl/status/statusor.h"
#include "common/server/server.h"
#include "services/federation/domain/federation.h"

namespace zx::federation {

// Reads and checks --federation-config (INVALID_ARGUMENT naming the field).
absl::StatusOr<std::pair<v1::FederationConfig, Topology>> LoadFederationConfig(
    const config::ServiceConfig& config);

// The spec main() runs and tests start in-process.
server::ServiceSpec FederationSpec();

}  // namespace zx::federation
