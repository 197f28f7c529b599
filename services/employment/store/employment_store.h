// SQL of the employment service, inside the caller's transaction: plain
// functions over a transaction, so callers can batch them (group commit).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "common/division/division.h"
#include "services/employment/domain/employment.h"
#include "zx/employment/v1/employment.pb.h"

namespace zx::employment {

// "653121%" for a county: the LIKE pattern of every code inside `division`.
std::string DivisionPattern(const division::Code& division);

// ---- Workers, employers, jobs -------------------------------------------------------
// Inserts or replaces the worker (keyed by worker_id); a second worker for
// one person is ALREADY_EXISTS (unique person_id).
void UpsertWorker(pqxx::transaction_base& tx, const v1::Worker& worker);
std::optional<v1::Worker> FindWorker(pqxx::transaction_base& tx, const std::string& worker_id);
std::vector<v1::Worker> ListWorkers(pqxx::transaction_base& tx, const division::Code& division,
                                    const std::string& after_worker_id, int limit);

void UpsertEmployer(pqxx::transaction_base& tx, const v1::Employer& employer);
std::optional<v1::Employer> FindEmployer(pqxx::transaction_base& tx,
                                         const std::string& employer_id);
void UpsertJob(pqxx::transaction_base& tx, const v1::Job& job, const std::string& owner_division);
// With `filled` set from the accepted and on-duty placements.
std::optional<v1::Job> FindJob(pqxx::transaction_base& tx, const std::string& job_id, bool lock);

// ---- Matching -----------------------------------------------------------------------
struct MatchingData {
  std::vector<v1::Worker> workers;              // available, able, without an active placement
  std::vector<v1::Job> jobs;                    // open regular and 以工代赈 jobs, `filled` set
  std::vector<std::string> covered_households;  // with an accepted/on-duty member
  std::vector<std::string> worker_stamps;       // for the snapshot id
};
// Ends the open proposals of the division's workers (superseded by a new
// run), then loads what the run sees: jobs owned inside the division or by
// one of its ancestors (prefecture and partner-province jobs).
MatchingData LoadMatchingData(pqxx::transaction_base& tx, const division::Code& division);
void InsertRun(pqxx::transaction_base& tx, const v1::MatchingRun& run);
std::optional<v1::MatchingRun> FindRun(pqxx::transaction_base& tx, const std::string& run_id);

// ---- Placements ------------------------------------------------------------------------
void InsertPlacement(pqxx::transaction_base& tx, const v1::Placement& p,
                     const std::string& division_code);
// Many placements in one statement (a matching run's proposals).
void InsertPlacements(pqxx::transaction_base& tx, const std::vector<v1::Placement>& ps,
                      const std::vector<std::string>& division_codes);
std::optional<v1::Placement> FindPlacement(pqxx::transaction_base& tx,
                                           const std::string& placement_id, bool lock);
void UpdatePlacement(pqxx::transaction_base& tx, const v1::Placement& p);
bool HouseholdHoldsPost(pqxx::transaction_base& tx, const std::string& household_id);
bool WorkerHoldsRegularJob(pqxx::transaction_base& tx, const std::string& worker_id);
// Locks the worker's row (FOR UPDATE) until the transaction ends: accepting
// a placement and appointing a post lock it before checking the worker's
// placements (E1 one job), so two concurrent calls for one worker cannot
// both pass the check. False when there is no such worker.
bool LockWorker(pqxx::transaction_base& tx, const std::string& worker_id);
// The worker's accepted and on-duty placements.
std::vector<v1::Placement> ActivePlacementsOfWorker(pqxx::transaction_base& tx,
                                                    const std::string& worker_id);
// The worker's regular placements that were on duty (a start date: on duty
// or ended).
std::vector<v1::Placement> RegularJobsOfWorker(pqxx::transaction_base& tx,
                                               const std::string& worker_id);

// ---- Wages, attendance, alerts, subsidies ----------------------------------------------------
void InsertWage(pqxx::transaction_base& tx, const v1::WageRecord& w);
std::vector<std::string> PaidMonths(pqxx::transaction_base& tx, const std::string& placement_id);
void UpsertAttendance(pqxx::transaction_base& tx, const v1::Attendance& a);
// Whether a wage or subsidy of `month` is paid for the placement.
bool MonthPaid(pqxx::transaction_base& tx, const std::string& placement_id,
               const std::string& month);
std::optional<int> DaysOnDuty(pqxx::transaction_base& tx, const std::string& placement_id,
                              const std::string& month);
// On-duty regular and 以工代赈 placements of the division.
std::vector<v1::Placement> OnDutyPlacements(pqxx::transaction_base& tx,
                                            const division::Code& division);
// Ended regular and 以工代赈 placements of the division that were on duty
// (a start date), started before `before` (a date) and are not yet known to
// be settled (MarkWagesSettled): those that may still owe wages. Served by
// the partial index placements_ended_unsettled (migration 0005).
std::vector<v1::Placement> EndedPlacements(pqxx::transaction_base& tx,
                                           const division::Code& division,
                                           const std::string& before);
// EndedPlacements' statement ($1 the division's LIKE pattern, $2 `before`),
// for tests of its plan.
extern const char kEndedPlacementsQuery[];
// Marks an ended placement whose wages are all paid (WagesSettled): the
// sweep leaves it out from now on.
void MarkWagesSettled(pqxx::transaction_base& tx, const std::string& placement_id);
// Records the alert unless one for its (placement, month) exists; returns
// whether it is new. When it exists, `alert` becomes the recorded one (its
// first raised_on and rule): a check lists arrears still unpaid as raised.
bool RecordAlert(pqxx::transaction_base& tx, v1::OverdueWageAlert& alert);
// A second subsidy of a placement, or of a worker in one quarter, is
// ALREADY_EXISTS (migration 0006).
void InsertTransportSubsidy(pqxx::transaction_base& tx, const v1::TransportSubsidy& s,
                            const std::string& worker_id);
// The transport subsidies granted to the worker (through any placement).
std::vector<v1::TransportSubsidy> TransportSubsidiesOfWorker(pqxx::transaction_base& tx,
                                                             const std::string& worker_id);

// ---- Household status (from monitoring events) -----------------------------------------
// Records the status unless one decided later (as_of) is already recorded;
// false when it was older and left the record as it was.
// `village_code` (the event's, "" for none) replaces the recorded one
// only when given.
bool SetHouseholdStatus(pqxx::transaction_base& tx, const std::string& household_id, bool monitored,
                        const std::optional<std::string>& risk_eliminated_on,
                        const std::string& as_of, const std::string& village_code = "");
// The household's village as monitoring's events named it, if any.
std::optional<std::string> HouseholdVillage(pqxx::transaction_base& tx,
                                            const std::string& household_id);
// The recorded risk elimination date ("YYYY-MM-DD"), if any.
std::optional<std::string> RiskEliminatedOn(pqxx::transaction_base& tx,
                                            const std::string& household_id);
// Whether the household is monitored, as the monitoring events recorded
// it; nullopt when no event about it has been recorded.
std::optional<bool> HouseholdMonitored(pqxx::transaction_base& tx, const std::string& household_id);
std::vector<v1::Worker> WorkersOfHousehold(pqxx::transaction_base& tx,
                                           const std::string& household_id);

// ---- Policy and roll-ups ---------------------------------------------------------------
void InsertPolicy(pqxx::transaction_base& tx, const v1::EmploymentPolicy& policy);
// The latest policy published by the division or its nearest ancestor.
std::optional<v1::EmploymentPolicy> LoadPolicyFor(pqxx::transaction_base& tx,
                                                  const division::Code& division);
v1::EmploymentRollup LoadRollup(pqxx::transaction_base& tx, const division::Code& division);

}  // namespace zx::employment
