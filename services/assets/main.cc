// zx-assets: serves health, reflection, metrics and ServiceInfo; its domain
// arrives with the assets issue (see docs/ARCHITECTURE.md).
#include "common/server/server.h"

namespace zx::migrations {
const std::vector<MigrationFile>& AssetsMigrations();
}

int main(int argc, char** argv) {
  return zx::server::RunServiceMain(
      zx::server::ServiceSpec{.name = "assets",
                              .grpc_service_name = "zx.assets.v1.AssetsService",
                              .migrations = &zx::migrations::AssetsMigrations(),
                              .make_services = {}},
      argc, argv);
}
