// gRPC handlers of zx.employment.v1.EmploymentService: validate, authorize on
// the record's division, then one transaction through the store. Thin by
// design: the rules live in domain/employment.h and domain/matching.h.
#pragma once

#include "common/server/server.h"

namespace zx::employment {

// The spec main() runs and tests start in-process.
server::ServiceSpec EmploymentSpec();

}  // namespace zx::employment
