#include "services/monitoring/store/household_cache_refresh.h"

#include <chrono>
#include <optional>
#include <thread>

#include <pqxx/pqxx>

#include "common/logging/logging.h"
#include "common/pg/pg.h"
#include "services/monitoring/store/household_store.h"

namespace zx::monitoring {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr auto kRetryInterval = std::chrono::seconds(1);

// One poll: everything written since `horizon` (everything when empty) into
// the cache. Returns the next horizon: the xmin of this poll's snapshot. A
// transaction not yet committed when the snapshot was taken has a number
// at or above that xmin, so the next poll reads its rows; one committed
// before is in this poll's rows.
int64_t Poll(pqxx::connection& conn, std::optional<int64_t> horizon, HouseholdCache& cache,
             int64_t* applied) {
  const absl::Time snapshot_taken = absl::Now();
  pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(
      conn);
  const int64_t xmin =
      tx.exec1("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")[0].as<int64_t>();
  ForEachHouseholdWrittenSince(tx, horizon, [&](const v1::Household& h, int64_t version) {
    if (cache.Apply(h, version)) ++*applied;
  });
  tx.commit();
  // Every change committed before the snapshot is in; later ones are at
  // most one poll away.
  cache.SetAsOf(snapshot_taken);
  return xmin;
}

void Sleep(const std::atomic<bool>& stop, std::chrono::milliseconds total) {
  for (auto slept = std::chrono::milliseconds(0); slept < total && !stop;
       slept += std::chrono::milliseconds(100)) {
    std::this_thread::sleep_for(std::min(total - slept, std::chrono::milliseconds(100)));
  }
}

}  // namespace

void RunHouseholdCacheRefresher(const server::Runtime& rt, HouseholdCache& cache,
                                const std::atomic<bool>& stop) {
  std::optional<pqxx::connection> conn;
  std::optional<int64_t> horizon;
  bool failing = false;
  while (!stop) {
    try {
      if (!conn) {
        // A statement timeout, so a hung query cannot hold up shutdown for long.
        conn.emplace(pg::WithSearchPath(rt.config.pg, rt.schema, {{"statement_timeout", "30s"}}));
      }
      const absl::Time started = absl::Now();
      int64_t applied = 0;
      const bool full = !horizon.has_value();
      horizon = Poll(*conn, horizon, cache, &applied);
      if (full || failing) {
        logging::Info("household_cache_current",
                      {{"households", std::to_string(cache.size())},
                       {"applied", std::to_string(applied)},
                       {"ms", std::to_string(absl::ToInt64Milliseconds(absl::Now() - started))}});
      }
      failing = false;
      Sleep(stop, kPollInterval);
    } catch (const std::exception& e) {
      if (!failing) logging::Warn("household_cache_poll_failed", {{"error", e.what()}});
      failing = true;
      // A new connection and a full reload into an emptied copy: the database
      // reached next may be a promoted standby or a restore, whose
      // transaction numbers and versions may have gone back.
      conn.reset();
      horizon.reset();
      cache.Clear();
      Sleep(stop, kRetryInterval);
    }
  }
}

}  // namespace zx::monitoring
