// Storage of roll-ups (0007_rollups.sql): per-household contributions,
// insert-only deltas, compacted counters per division and daily closings.
// Every function runs inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/division/division.h"
#include "services/monitoring/domain/rollup.h"

namespace zx::monitoring {

// Re-reads what the roll-up counts of these households and records the
// difference from their last contribution. Every write that changes a
// household's facts (registry, assessment, monitoring object) calls it in the
// same transaction, so the roll-up is never ahead of or behind the data.
absl::Status RefreshRollup(pqxx::transaction_base& tx,
                           const std::vector<std::string>& household_ids);
inline absl::Status RefreshRollup(pqxx::transaction_base& tx, const std::string& household_id) {
  return RefreshRollup(tx, std::vector<std::string>{household_id});
}

// The live counters of `division` (any level): compacted plus pending.
RollupCounters ReadRollup(pqxx::transaction_base& tx, const division::Code& division);
// The counters as closed at the end of `day`; nullopt when that day was not
// closed (the service was not running after it).
std::optional<RollupCounters> ReadClosedRollup(pqxx::transaction_base& tx,
                                               const division::Code& division, absl::CivilDay day);
// The earliest closed day, if any.
std::optional<absl::CivilDay> EarliestClosing(pqxx::transaction_base& tx);

// Recounts `division` from the households themselves (a full scan): what
// ReadRollup must equal. For verification, never for answering.
absl::StatusOr<RollupCounters> RecountRollup(pqxx::transaction_base& tx,
                                             const division::Code& division, int64_t* households);

// Folds pending deltas into the counters of every level; returns how many
// deltas were folded. One compactor at a time (transaction advisory lock);
// a second caller returns 0 at once.
int64_t CompactRollup(pqxx::transaction_base& tx);
// Closes `day` with the current counters unless it is closed already.
// Call after CompactRollup in the same transaction.
bool CloseRollupDay(pqxx::transaction_base& tx, absl::CivilDay day);
// Households without a contribution yet (registered before roll-ups
// existed): refreshes up to `limit` of them; returns how many.
absl::StatusOr<int> CatchUpRollup(pqxx::transaction_base& tx, int limit);

}  // namespace zx::monitoring
