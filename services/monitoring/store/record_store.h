// PostgreSQL access for income and expense records, guarantees, policies and
// assessments; all inside the caller's transaction.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "services/monitoring/domain/income.h"
#include "services/monitoring/domain/policy.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

// False when the record is an event already booked (same source_ref).
bool InsertIncome(pqxx::transaction_base& tx, const zx::monitoring::v1::IncomeRecord& record);
void InsertExpense(pqxx::transaction_base& tx, const zx::monitoring::v1::ExpenseRecord& record);

struct HouseholdRecords {
  std::vector<IncomeRecord> income;
  std::vector<ProductionCost> costs;
  std::vector<RigidSpending> rigid;
};
// Records of the household for months in [first, last].
HouseholdRecords LoadRecords(pqxx::transaction_base& tx, const std::string& household_id,
                             absl::CivilMonth first, absl::CivilMonth last);

void UpsertGuarantees(pqxx::transaction_base& tx, const std::string& household_id,
                      const zx::monitoring::v1::Guarantees& guarantees);
std::optional<zx::monitoring::v1::Guarantees> LoadGuarantees(pqxx::transaction_base& tx,
                                                             const std::string& household_id);

struct LabourSummary {
  int able_workers = 0;  // full or partial labour capacity
  int employed = 0;
};
LabourSummary LoadLabourSummary(pqxx::transaction_base& tx, const std::string& household_id);

// False when (owner, version) was already published.
bool InsertPolicy(pqxx::transaction_base& tx, const zx::monitoring::v1::MonitoringPolicy& policy);
std::vector<zx::monitoring::v1::MonitoringPolicy> LoadPolicies(pqxx::transaction_base& tx);

// Stores the assessment and makes it the household's current colour;
// returns the previous colour (COLOUR_UNSPECIFIED when first assessed).
zx::monitoring::v1::Colour SaveAssessment(pqxx::transaction_base& tx,
                                          const zx::monitoring::v1::Assessment& assessment);
std::optional<zx::monitoring::v1::Assessment> LatestAssessment(pqxx::transaction_base& tx,
                                                               const std::string& household_id);

}  // namespace zx::monitoring
