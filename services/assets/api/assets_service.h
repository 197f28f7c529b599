// gRPC handlers of zx.assets.v1.AssetsService: validate, authorize on the
// record's division, then one transaction through the store. Thin by design:
// the rules live in domain/assets.h.
#pragma once

#include "common/server/server.h"

namespace zx::assets {

// The spec main() runs and tests start in-process.
server::ServiceSpec AssetsSpec();

}  // namespace zx::assets
