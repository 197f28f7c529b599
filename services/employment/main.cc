// zx-employment: serves health, reflection, metrics and ServiceInfo; its domain
// arrives with the employment issue (see docs/ARCHITECTURE.md).
#include "common/server/server.h"

namespace zx::migrations {
const std::vector<MigrationFile>& EmploymentMigrations();
}

int main(int argc, char** argv) {
  return zx::server::RunServiceMain(
      zx::server::ServiceSpec{.name = "employment",
                              .grpc_service_name = "zx.employment.v1.EmploymentService",
                              .migrations = &zx::migrations::EmploymentMigrations(),
                              .make_services = {}},
      argc, argv);
}
