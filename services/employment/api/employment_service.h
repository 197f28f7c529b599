// gRPC handlers of zx.employment.v1.EmploymentService: validate, authorize on
// the record's division, then one transaction through the store. Thin by
// design: the rules live in domain/employment.h and domain/matching.h.
#pragma once

#include "common/server/server.h"
#include "common/time/time.h"

namespace zx::employment {

// The spec main() runs and tests start in-process.
server::ServiceSpec EmploymentSpec();

// The clock "today" is read from (the empty `as_of` of a request, and the
// latest `as_of` one may name); nullptr is the system clock. For tests:
// process-wide, not owned.
void SetEmploymentClockForTesting(time::Clock* clock);

}  // namespace zx::employment
