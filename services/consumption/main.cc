// zx-consumption: serves health, reflection, metrics and ServiceInfo; its domain
// arrives with the consumption issue (see docs/ARCHITECTURE.md).
#include "common/server/server.h"

namespace zx::migrations {
const std::vector<MigrationFile>& ConsumptionMigrations();
}

int main(int argc, char** argv) {
  return zx::server::RunServiceMain(
      zx::server::ServiceSpec{.name = "consumption",
                              .grpc_service_name = "zx.consumption.v1.ConsumptionService",
                              .migrations = &zx::migrations::ConsumptionMigrations(),
                              .make_services = {}},
      argc, argv);
}
