// gRPC handlers of zx.consumption.v1.ConsumptionService: validate, authorize
// on the record's division, then one transaction through the store. The
// rules live in domain/consumption.h.
#pragma once

#include "common/server/server.h"

namespace zx::consumption {

// The spec main() runs and tests start in-process.
server::ServiceSpec ConsumptionSpec();

}  // namespace zx::consumption
