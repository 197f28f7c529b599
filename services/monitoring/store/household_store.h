// PostgreSQL access for households; runs inside the caller's transaction.
#pragma once

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
// Writes what an update may change: village code, category, relocated,
// member count (the id, created_at and synthetic stay).
void SaveHouseholdFacts(pqxx::transaction_base& tx, const zx::monitoring::v1::Household& h);
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
std::vector<zx::monitoring::v1::Household> LockHouseholdsAfter(pqxx::transaction_base& tx,
                                                               const std::string& village_prefix,
                                                               const std::string& after_id,
                                                               int limit);

}  // namespace zx::monitoring
