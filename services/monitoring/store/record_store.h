// PostgreSQL access for income and expense records, guarantees, policies and
// assessments; all inside the caller's transaction.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "services/monitoring/domain/income.h"
#include "services/monitoring/domain/policy.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

// False when the record is an event already booked (same source_ref).
bool InsertIncome(pqxx::transaction_base& tx, const zx::monitoring::v1::IncomeRecord& record);
// InsertIncome for many records in one statement; returns the ids of those
// inserted (an event already booked is not).
std::set<std::string> InsertIncomes(pqxx::transaction_base& tx,
                                    const std::vector<zx::monitoring::v1::IncomeRecord>& records);
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

// The household's records changed without a re-assessment: its stored
// inputs no longer describe it, so a POLICY job must recompute it from its
// records rather than re-use them. Locks the household (FOR NO KEY UPDATE:
// not a share lock, which a later AssessAndStore in the same transaction
// would have to upgrade, deadlocking with a second writer), so it waits for
// a re-assessment holding it; inputs that one restores from records read
// before this change are then cleared after it (RestoreStoredInputs).
void ForgetStoredInputs(pqxx::transaction_base& tx, const std::string& household_id);

// Sudden events (突发事件), appended.
void InsertSuddenEvent(pqxx::transaction_base& tx, const zx::monitoring::v1::SuddenEvent& event);
// The day of the household's latest sudden event on or before `today`.
std::optional<absl::CivilDay> LoadLastSuddenEvent(pqxx::transaction_base& tx,
                                                  const std::string& household_id,
                                                  absl::CivilDay today);
std::map<std::string, absl::CivilDay> LoadLastSuddenEventsBatch(pqxx::transaction_base& tx,
                                                                const std::vector<std::string>& ids,
                                                                absl::CivilDay today);

struct LabourSummary {
  int able_workers = 0;  // full or partial labour capacity
  int employed = 0;
};
LabourSummary LoadLabourSummary(pqxx::transaction_base& tx, const std::string& household_id);

// False when (owner, version) was already published.
bool InsertPolicy(pqxx::transaction_base& tx, const zx::monitoring::v1::MonitoringPolicy& policy);
std::vector<zx::monitoring::v1::MonitoringPolicy> LoadPolicies(pqxx::transaction_base& tx);

// What makes two assessments the same result (colour, policy, figures,
// factors; not the time or the wording), as a short hex digest.
std::string AssessmentFingerprint(const zx::monitoring::v1::Assessment& a);

// ---- The batch path of re-assessment: one query per kind for many households.
std::map<std::string, HouseholdRecords> LoadRecordsBatch(pqxx::transaction_base& tx,
                                                         const std::vector<std::string>& ids,
                                                         absl::CivilMonth first,
                                                         absl::CivilMonth last);
std::map<std::string, zx::monitoring::v1::Guarantees> LoadGuaranteesBatch(
    pqxx::transaction_base& tx, const std::vector<std::string>& ids);
std::map<std::string, LabourSummary> LoadLabourBatch(pqxx::transaction_base& tx,
                                                     const std::vector<std::string>& ids);
struct CurrentColour {
  zx::monitoring::v1::Colour colour = zx::monitoring::v1::COLOUR_UNSPECIFIED;
  std::string fingerprint;
  std::optional<int64_t> per_capita_fen, previous_per_capita_fen;
  // False when a record change cleared the inputs (ForgetStoredInputs).
  bool inputs_stored = false;
};
std::map<std::string, CurrentColour> LoadColoursBatch(pqxx::transaction_base& tx,
                                                      const std::vector<std::string>& ids);
// Puts back the stored inputs of households whose assessment from their
// records came out the same after ForgetStoredInputs; ids and inputs paired
// by index. A policy job can then apply new figures to them without their
// records. The households must be locked (FOR UPDATE) since their records
// were read: ForgetStoredInputs waits for that lock.
void RestoreStoredInputs(pqxx::transaction_base& tx, const std::vector<std::string>& ids,
                         const std::vector<std::string>& inputs);
// SaveAssessment for many households at once (COPY and one upsert);
// `inputs` at the same index as its assessment.
void SaveAssessments(pqxx::transaction_base& tx,
                     const std::vector<zx::monitoring::v1::Assessment>& assessments,
                     const std::vector<std::string>& inputs);

// Stores the assessment and makes it the household's current colour, with
// the encoded inputs it was made from (domain EncodeInputs); returns the
// previous colour (COLOUR_UNSPECIFIED when first assessed).
zx::monitoring::v1::Colour SaveAssessment(pqxx::transaction_base& tx,
                                          const zx::monitoring::v1::Assessment& assessment,
                                          const std::string& inputs);
std::optional<zx::monitoring::v1::Assessment> LatestAssessment(pqxx::transaction_base& tx,
                                                               const std::string& household_id);

}  // namespace zx::monitoring
