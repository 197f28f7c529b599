// The rules of the employment service (RULES E1–E4, M9b), pure: no I/O, no
// clock (every date is an argument), so they are unit-tested as tables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/base/ids.h"
#include "common/errors/errors.h"
#include "common/money/money.h"
#include "common/time/time.h"
#include "zx/employment/v1/employment.pb.h"

namespace zx::employment {

// Matching weights: arc costs of the min-cost flow (lower is better).
struct Weights {
  int64_t monitored_household = 300;
  int64_t lifted_household = 200;
  int64_t yulu_graduate = 100;
  int64_t relocated_household = 100;
  int64_t wage_per_100_yuan = 5;  // 3,000 yuan a month -> 150
  int64_t in_region_penalty = 100;
  int64_t out_of_region_penalty = 250;
  int64_t preferred_skill = 40;
  // Gain of any placement: above the largest distance penalty, so every
  // feasible job is worth proposing (一人一岗) once households are covered.
  int64_t placement = 300;
};

// Defaults follow RULES E2/E4 and the brief; a published policy overrides.
struct Policy {
  int overdue_wage_day = 15;     // 两不拖欠: last month's wage due by the 15th
  int post_min_age = 16;         // E2: age ≥ 16
  int post_max_age = 60;         // E2: new hires ≤ 60 (up to 65 where configured)
  int transport_min_months = 3;  // E4
  money::Fen transport_other_county_fen = 200 * 100;      // E4 example
  money::Fen transport_other_prefecture_fen = 300 * 100;  // E4 example
  money::Fen transport_other_province_fen = 600 * 100;    // E4 example
  Weights weights;
};

v1::EmploymentPolicy PolicyToProto(const Policy& policy);
// Fields left 0 keep the default.
Policy PolicyFromProto(const v1::EmploymentPolicy& proto);
void ValidatePolicy(const v1::EmploymentPolicy& policy, errors::Validator& v);

// ---- Ids, dates ----------------------------------------------------------------
using time::FormatDate;  // common/time: dates and months as the API carries them
using time::FormatMonth;
using time::ParseDate;
using time::ParseMonth;
// Completed years on `day`.
int AgeOn(absl::CivilDay birth, absl::CivilDay day);
// Completed months between `start` and `day`: a month is complete on the
// start's day of the month, or on the last day of a month too short to have
// that day (from 01-31, 02-28 completes one month and 04-30 three; before
// 2026-11-25 04-30 counted two, as a start on the 31st completed no month
// ending on the 30th).
int MonthsBetween(absl::CivilDay start, absl::CivilDay day);
// E4 months in work of a placement on duty since `start` and, if it ended,
// until `end`: completed months up to `as_of` or the end, whichever is
// earlier (an ended placement keeps the months it worked).
int MonthsInWork(absl::CivilDay start, std::optional<absl::CivilDay> end, absl::CivilDay as_of);

// ---- Dates that decide eligibility ------------------------------------------------
// A placement's start date (StartPlacement) starts its months in work (E4)
// and its wages: not after `today` (a future start counted as on duty now)
// and not before the day it was accepted (`accepted_on`; for a placement
// accepted before the day was recorded, not more than
// kStartDatePastDaysWithoutAcceptance days before today). Violations on
// "start_date".
inline constexpr int kStartDatePastDaysWithoutAcceptance = 31;
void CheckStartDate(absl::CivilDay start, std::optional<absl::CivilDay> accepted_on,
                    absl::CivilDay today, errors::Validator& v);
// A post's agreement start is the day its age rule (E2) is checked on and
// the first month of its subsidy: at most kAgreementStartPastDays before
// `today` (an appointment recorded late) and kAgreementStartFutureDays
// after it (signed ahead for the next quarter). Violations on
// "agreement_start".
inline constexpr int kAgreementStartPastDays = 31;
inline constexpr int kAgreementStartFutureDays = 92;
void CheckAgreementStart(absl::CivilDay start, absl::CivilDay today, errors::Validator& v);

// ---- Personal data -----------------------------------------------------------------
// The worker as answered without clear personal data: the birth date cut to
// its year ("YYYY"), as monitoring answers a person (with the region of a
// masked ID number, the full date leaves a handful of ID numbers), and
// marked personal_data_masked. Every stored answer (idempotency) is masked.
void MaskPersonalData(v1::Worker& w);
// The priority flags monitoring's events feed (monitored_household: set by
// monitoring.object_confirmed, cleared by monitoring.risk_eliminated) come
// from the recorded household status, whatever the caller sent: `monitored`
// as recorded, or nullopt when no event about the household was recorded
// (not monitored). The other flags are the caller's.
void ApplyHouseholdStatus(v1::Worker& w, std::optional<bool> monitored);
// A worker is filed under a household of their own county: when monitoring's
// events named the household's village (`household_village`), a village in
// another county than the worker's division is INVALID_ARGUMENT on
// "worker.household_id". Households no event named are not checked.
absl::Status CheckHouseholdCounty(const v1::Worker& w,
                                  const std::optional<std::string>& household_village);

// ---- Validation of records ----------------------------------------------------------
void ValidateWorker(const v1::Worker& w, errors::Validator& v);
void ValidateEmployer(const v1::Employer& e, errors::Validator& v);
void ValidateJob(const v1::Job& j, errors::Validator& v);

// ---- Where a job is, seen from a worker (E1 willingness, E4 destination) ----------
// The willingness a worker needs to take a job at `location`.
v1::Willingness ReachOf(std::string_view worker_division, std::string_view job_location,
                        bool partner_province);
v1::Destination DestinationOf(std::string_view worker_division, std::string_view job_location,
                              bool partner_province);
const char* WillingnessName(v1::Willingness w);  // "local", "in-region", ...

// ---- Hard constraints (E1) -------------------------------------------------------
// OK when the worker may be proposed for the job; otherwise FAILED_PRECONDITION
// naming the rule ("E1.willingness: ...").
absl::Status CheckEligible(const v1::Worker& worker, const v1::Job& job);

// E3: a workshop is certified with ≥ 5 lifted workers.
bool WorkshopCertified(const v1::Employer& employer);

// ---- Placements -----------------------------------------------------------------
absl::Status CheckPlacementTransition(v1::PlacementStatus from, v1::PlacementStatus to);

// E1 一人一岗 (one person, one job): a worker takes a placement (accepts a
// proposal) or is appointed to a post only while holding no other accepted
// or on-duty placement. `held` are the worker's accepted and on-duty
// placements (the one being accepted, `taking_placement_id`, is skipped);
// `taking_post` for an appointment. FAILED_PRECONDITION: "E2.orderly_exit"
// when a post would be appointed to a holder of a regular job on duty (a post
// holder taking a regular job leaves the post, so none is appointed to
// one), "E1.one_job" otherwise, naming the placement held; it must end
// first (EndPlacement, or ReviewPostExit for a post).
absl::Status CheckOneJob(const std::vector<v1::Placement>& held,
                         std::string_view taking_placement_id, bool taking_post);

// ---- Public-welfare posts (E2, M9b) --------------------------------------------------
// Refusals are FAILED_PRECONDITION naming the rule: "E2.local_registration",
// "E2.age", "E2.village_cadre", "E2.one_per_household".
absl::Status CheckPostAppointment(const v1::Worker& worker, const v1::Job& job,
                                  const Policy& policy, absl::CivilDay on,
                                  bool household_holds_post);
// The attendance of a month whose subsidy is paid is what the payment rests
// on: recording other days for it is FAILED_PRECONDITION ("E2.attendance").
// `recorded_days` what is on record, `paid` whether the month's subsidy was
// paid. The same days again change nothing and pass.
absl::Status CheckAttendanceRewrite(std::optional<int> recorded_days, bool paid, int days,
                                    std::string_view month);
// 在岗领补: a subsidy only for a month with on-duty attendance ("E2.attendance").
absl::Status CheckPostSubsidy(std::optional<int> days_on_duty, std::string_view month);
// A post's pay goes through its subsidy (attendance checked), never as a
// wage: RecordWage refuses a public-welfare post ("E2.attendance"); regular
// jobs and 以工代赈 pay wages.
absl::Status CheckPaidAsWage(const v1::Placement& placement);
// The months a post's attendance and subsidy may be for: from the agreement
// start (else the placement's start) to the agreement end, or the day the
// post ended if earlier. Else FAILED_PRECONDITION naming `month` and the
// agreement dates ("E2.agreement").
absl::Status CheckPostMonth(const v1::Placement& placement, absl::CivilMonth month);

// 有序退岗 (E2): no post subsidy for a month in which the holder had a
// regular job on duty while the post ran. `regular_jobs` are the worker's
// regular placements with a start date (on duty or ended). The post runs in
// the month from its start (agreement start, else start date) to its end
// date if it ended; a regular job from its start date to its end date if
// ended. One shared day is the handover of an orderly exit (the post ends
// the day the job starts) and refuses nothing; more is FAILED_PRECONDITION
// "E2.orderly_exit" naming the month and the regular placement.
absl::Status CheckNoRegularJobInMonth(const v1::Placement& post,
                                      const std::vector<v1::Placement>& regular_jobs,
                                      absl::CivilMonth month);

struct ExitDecision {
  bool exit = false;
  v1::EndReason reason = v1::END_REASON_UNSPECIFIED;
  std::string rule;
  std::string detail;
};
// 有序退岗: a holder taking a regular job exits; risk elimination ends the
// post only after the agreement ends (M9b).
ExitDecision DecidePostExit(absl::CivilDay agreement_end,
                            std::optional<absl::CivilDay> risk_eliminated_on,
                            bool holds_regular_job, absl::CivilDay as_of);

// ---- Wages (两不拖欠) ---------------------------------------------------------------
// The month whose wage must be paid by `as_of`: the previous month once the
// policy's day is reached, else none.
std::optional<absl::CivilMonth> WageDueMonth(absl::CivilDay as_of, const Policy& policy);
// Whether a placement on duty since `start` owes `due`'s wage given the
// months already paid.
bool WageOverdue(absl::CivilDay start, absl::CivilMonth due,
                 const std::vector<std::string>& paid_months);
// The latest month whose wage must be paid by `as_of`: the previous month
// once the policy's day is reached, else the one before.
absl::CivilMonth LastDueMonth(absl::CivilDay as_of, const Policy& policy);
// The unpaid months of a placement that ran from `start` to `end`, up to
// `last_due` (months after the end are never owed), in order.
std::vector<absl::CivilMonth> UnpaidMonthsOfEnded(absl::CivilDay start, absl::CivilDay end,
                                                  absl::CivilMonth last_due,
                                                  const std::vector<std::string>& paid_months);

// The months a wage (RecordWage) may be for: from the placement's start
// month to, once it ended, its end month (a placement ended in August is
// owed nothing for September). Else INVALID_ARGUMENT naming `month` and the
// date it is outside of.
absl::Status CheckWageMonth(const v1::Placement& placement, absl::CivilMonth month);
// Whether an ended placement that ran from `start` to `end` has every
// month's wage paid: it can owe nothing again (no wage is removed, an ended
// placement does not change, months after the end are never owed), so the
// overdue sweep need not visit it any more.
bool WagesSettled(absl::CivilDay start, absl::CivilDay end,
                  const std::vector<std::string>& paid_months);
// A month that has begun by `today` (attendance is recorded for days on
// duty that have happened): a later month is a violation on `field` naming
// the current month.
void CheckMonthBegun(absl::CivilMonth month, absl::CivilDay today, const std::string& field,
                     errors::Validator& v);

// ---- Transport subsidy (E4) ------------------------------------------------------------
// The amount for `destination` after `months_in_work` months, or
// FAILED_PRECONDITION naming the rule ("E4.months_in_work", "E4.destination",
// "E4.monitoring_status").
absl::StatusOr<money::Fen> TransportSubsidy(v1::Destination destination, int months_in_work,
                                            bool priority_household, const Policy& policy);
std::string QuarterOf(absl::CivilDay day);  // "2026-Q4"
// E4 is paid quarterly: once per person a quarter, whatever the number of
// placements. `granted` are the subsidies the worker already received;
// FAILED_PRECONDITION "E4.once_per_quarter" naming the one of `quarter`;
// ALREADY_EXISTS when `placement_id` has had its subsidy (one-time).
absl::Status CheckTransportOncePerQuarter(const std::vector<v1::TransportSubsidy>& granted,
                                          const std::string& placement_id,
                                          const std::string& quarter);

// ---- 雨露计划 (E5) -----------------------------------------------------------------
// Domain rule only; no RPC yet.
enum class YuluHousehold { kLifted, kMonitored, kMonitoredEliminated, kOther };
enum class YuluStudy { kEnrolled, kSuspended, kDroppedOut };
struct YuluTerm {
  // The household's status on the first day of the term decides (E5).
  YuluHousehold household_on_term_start = YuluHousehold::kOther;
  bool full_time_vocational = false;  // secondary or higher vocational, full time
  YuluStudy study = YuluStudy::kEnrolled;
};
// The term's payment (half of the yearly amount), or FAILED_PRECONDITION
// naming the rule: "E5.household_status", "E5.school", "E5.suspended"
// (paused: payments resume with the study), "E5.dropped_out" (stopped).
absl::StatusOr<money::Fen> YuluTermPayment(const YuluTerm& term, money::Fen yearly_fen);

}  // namespace zx::employment
