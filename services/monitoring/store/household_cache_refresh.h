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
// of its own. Survives a lost database: the cache stops answering (its
// as-of time ages past the lag it allows) and the next poll that works
// catches up, since transaction numbers only grow.
void RunHouseholdCacheRefresher(const server::Runtime& rt, HouseholdCache& cache,
                                const std::atomic<bool>& stop);

}  // namespace zx::monitoring
