// The assessment in parts, shared by the one-household path (AssessAndStore:
// RPCs and events) and the batch path of re-assessment jobs: what is loaded,
// how it becomes risk inputs, the stored assessment, and what a change of
// colour sets off.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "common/server/server.h"
#include "services/monitoring/api/alerts.h"
#include "services/monitoring/domain/income.h"
#include "services/monitoring/domain/policy.h"
#include "services/monitoring/domain/risk.h"
#include "services/monitoring/store/credit_store.h"
#include "services/monitoring/store/record_store.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

// Everything the risk inputs of one household are computed from.
struct HouseholdInputs {
  HouseholdRecords records;  // the current and the previous 12-month window
  std::optional<v1::Guarantees> guarantees;
  LabourSummary labour;
  CreditOverdue credit;
  std::optional<absl::CivilDay> last_sudden_event;  // on or before today
};

// Every published policy, parsed; and the one in effect for `division` on
// `date` among them (FAILED_PRECONDITION naming PublishPolicy when none).
std::vector<MonitoringPolicy> LoadPublishedPolicies(pqxx::transaction_base& tx);
absl::StatusOr<MonitoringPolicy> ResolveFromPublished(
    const std::vector<MonitoringPolicy>& published, const division::Code& division,
    absl::CivilDay date);

// Pure: the risk inputs (and the net income of the current window).
absl::StatusOr<RiskInputs> RiskInputsFrom(const v1::Household& household,
                                          const HouseholdInputs& loaded, absl::CivilDay today,
                                          NetIncome* net);

// Pure but for the clock: the assessment as stored, explanations included
// unless only its fingerprint is wanted (AssessmentFingerprint leaves them out).
v1::Assessment MakeAssessment(const v1::Household& household, const RiskInputs& in,
                              const NetIncome& net, const Assessment& assessed,
                              bool with_explanations = true);

// After the assessment is saved: the platform clue (turning RED/ORANGE), the
// NEW_RED alert, and monitoring.household_color_changed — each only when the
// colour changed. Inside the caller's transaction. With `deferred` (a batch)
// the events and the M12 checks are left there, for the caller to append and
// run once (DeferredEffects::Run).
absl::Status AssessmentEffects(pqxx::transaction_base& tx, const server::Runtime& rt,
                               const v1::Household& household, const v1::Assessment& a,
                               v1::Colour previous_colour, const std::string& causation_id,
                               DeferredEffects* deferred = nullptr);

// Re-assesses `households` (each locked by the caller) in bulk: one query
// per kind of input for all of them, the rules in memory, and writes only
// for households whose result differs from their stored one (the same
// result records nothing). A change of colour has the effects of
// AssessmentEffects, caused by the causation id at the household's index.
// A household without a policy in effect fails the batch, or with
// `skip_without_policy` is logged and left for the job that publishing a
// policy starts.
absl::Status ReassessBatch(pqxx::transaction_base& tx, const server::Runtime& rt,
                           const std::vector<v1::Household>& households,
                           const std::vector<std::string>& causation_ids, bool skip_without_policy);

}  // namespace zx::monitoring
