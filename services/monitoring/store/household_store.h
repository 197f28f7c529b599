// PostgreSQL access for households; runs inside the caller's transaction.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "services/monitoring/domain/household.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

void InsertHousehold(pqxx::transaction_base& tx, const zx::monitoring::v1::Household& h);
std::optional<zx::monitoring::v1::Household> FindHousehold(pqxx::transaction_base& tx,
                                                           const std::string& household_id);
// FindHousehold, the row locked FOR UPDATE until the transaction ends.
std::optional<zx::monitoring::v1::Household> LockHousehold(pqxx::transaction_base& tx,
                                                           const std::string& household_id);
// Locks the households of `ids` that exist FOR UPDATE, in id order (the one
// order every multi-household lock takes, so lockers queue, never deadlock),
// and returns them by id.
std::map<std::string, zx::monitoring::v1::Household> LockHouseholdsInOrder(
    pqxx::transaction_base& tx, const std::vector<std::string>& ids);
// Writes what an update may change: village code, category, relocated,
// member count (the id, created_at and synthetic stay). Returns the row's
// new version (migration 0015: raised by every update).
int64_t SaveHouseholdFacts(pqxx::transaction_base& tx, const zx::monitoring::v1::Household& h);
// A household's version when it is registered.
constexpr int64_t kFirstHouseholdVersion = 1;

// Calls `fn` with each household (and its version) last written by a
// transaction numbered `since_txid` or above, or with every household when
// `since_txid` is empty; read through a cursor, 10,000 rows at a time.
void ForEachHouseholdWrittenSince(
    pqxx::transaction_base& tx, std::optional<int64_t> since_txid,
    const std::function<void(const zx::monitoring::v1::Household&, int64_t version)>& fn);
// The state of the household's open monitoring object (any state but
// closed_no_risk), if it has one.
std::optional<std::string> OpenObjectState(pqxx::transaction_base& tx,
                                           const std::string& household_id);

// Households whose village code starts with `village_prefix`, ordered by
// (village_code, household_id), after `after` (exclusive), at most `limit`.
std::vector<zx::monitoring::v1::Household> ListHouseholds(pqxx::transaction_base& tx,
                                                          const std::string& village_prefix,
                                                          const PageCursor& after, int limit);

// Up to `limit` households of the village prefix after `after_id` in id
// order, locked FOR UPDATE (the batch path of re-assessment).
// A household with its current assessment as stored, for re-assessment.
struct HouseholdWithAssessment {
  zx::monitoring::v1::Household household;
  zx::monitoring::v1::Colour colour = zx::monitoring::v1::COLOUR_UNSPECIFIED;  // never assessed
  std::string fingerprint;
  std::string inputs;  // EncodeInputs of the current assessment, or ""
  bool active_loan = false;
};
// Up to `limit` households of the prefix after `after_id` in id order, not
// locked (the caller locks those it will change).
std::vector<HouseholdWithAssessment> HouseholdsWithAssessmentAfter(
    pqxx::transaction_base& tx, const std::string& village_prefix, const std::string& after_id,
    int limit);
// Locks the households (in id order, as every batch does) and returns the
// stored inputs of each one's current assessment ("" when none).
std::map<std::string, std::string> LockHouseholdsWithInputs(pqxx::transaction_base& tx,
                                                            const std::vector<std::string>& ids);

std::vector<zx::monitoring::v1::Household> LockHouseholdsAfter(pqxx::transaction_base& tx,
                                                               const std::string& village_prefix,
                                                               const std::string& after_id,
                                                               int limit);

}  // namespace zx::monitoring
