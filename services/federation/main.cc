// zx-federation: serves health, reflection, metrics and ServiceInfo; its domain
// arrives with the federation issue (see docs/ARCHITECTURE.md).
#include "common/server/server.h"

namespace zx::migrations {
const std::vector<MigrationFile>& FederationMigrations();
}

int main(int argc, char** argv) {
  return zx::server::RunServiceMain(
      zx::server::ServiceSpec{.name = "federation",
                              .grpc_service_name = "zx.federation.v1.FederationService",
                              .migrations = &zx::migrations::FederationMigrations(),
                              .make_services = {}},
      argc, argv);
}
