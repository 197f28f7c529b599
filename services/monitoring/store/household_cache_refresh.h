// Keeps a HouseholdCache current: loads every household at start, then
// every 100 ms reads the rows written by transactions its previous snapshot
// could not see (docs/ARCHITECTURE.md §13, "GetHousehold from memory").
#pragma once

#include <atomic>

#include "absl/status/status.h"
#include "common/server/server.h"
#include "services/monitoring/domain/household_cache.h"

namespace zx::monitoring {

// Follows the households table into `cache` until `stop`, on a connection
// of its own. After a failed poll it empties the cache (which then answers
// nothing) and loads it whole again once the database answers.
void RunHouseholdCacheRefresher(const server::Runtime& rt, HouseholdCache& cache,
                                const std::atomic<bool>& stop);

}  // namespace zx::monitoring
