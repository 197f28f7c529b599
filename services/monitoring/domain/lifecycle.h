// The lifecycle of a monitoring object (监测对象): how a household at risk is
// identified (识别, RULES M7/M7a), assisted (一户一策), declared free of risk
// (风险消除, M9/M9a) and re-checked later (回头看).
//
// Pure logic: the caller passes the current object, the action, the time and
// every outside fact (such as the M9 income check); nothing here reads a
// clock, touches storage or knows protobuf. Apply() never mutates its input,
// so the service can persist the returned object and its new history step in
// one transaction, or drop both.
//
// The two chains, one state per completed step (no step may be skipped, M7):
//
//   identification (识别, M7)              elimination (风险消除, M9a)
//   kClue                 线索             kAssisted                  一户一策
//    │ home verification + consent,        │ ProposeElimination (入户核实)
//    │ department data comparison          kEliminationProposed
//    │ (facts recorded while a clue)        │ VillageAssess
//    │ VillageAssess                       kEliminationVillageAssessed
//   kVillageAssessed      村级评议          │ StartPublicity
//    │ StartPublicity                      kEliminationPublicized
//   kPublicized           公示              │ (objections, EndPublicity ≥ N days)
//    │ (objections, EndPublicity ≥ N days)  │ TownshipReview
//    │ TownshipReview                      kEliminationTownshipReviewed
//   kTownshipReviewed     乡镇审核          │ ConfirmElimination (county)
//    │ CountyConfirm (type M1, risks M8)   kRiskEliminated            风险消除
//   kCountyConfirmed      县级审定          │ (follow-up due follow_up_days later)
//    │ AddPlan                             │ ScheduleFollowUp (optional: moves it)
//   kAssisted             一户一策          kFollowUp                  回头看
//                                          │ RecordFollowUp: still eliminated →
//                                          │ kRiskEliminated; risk returned → kClue
//
// The county decision on elimination schedules the follow-up itself (issue
// 3): the object stays kRiskEliminated with follow_up_due_at set, and the
// follow-up can be recorded straight away; ScheduleFollowUp moves the date
// (state kFollowUp). One follow-up per elimination: one that finds the
// household still clear schedules no other (a township may, by hand).
//
// kClosedNoRisk (无需纳入) ends a clue that needs no inclusion, before county
// confirmation only; a confirmed object leaves monitoring only through risk
// elimination, which is never a delete.
//
// Reject (and a review with approve = false) returns the object to the state
// before its current one — e.g. the county sends a township-reviewed object
// back to the township — with a reason; it is done by whoever would take the
// next step forward.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/auth.h"
#include "common/division/division.h"
#include "services/monitoring/domain/risk.h"

namespace zx::monitoring::lifecycle {

enum class State {
  kClue,              // 线索: a clue was found, identification not finished
  kVillageAssessed,   // 村级评议: home verification, consent, data comparison and
                      //           the village democratic assessment are done
  kPublicized,        // 公示: village publicity started (and possibly ended)
  kTownshipReviewed,  // 乡镇审核: approved by the township
  kCountyConfirmed,   // 县级审定/确认: a monitoring object (监测对象), type and risks set
  kAssisted,          // 一户一策: at least one assistance plan is in place
  kEliminationProposed,          // 风险消除申请: home verification found the risk gone
  kEliminationVillageAssessed,   // 风险消除 村级评议
  kEliminationPublicized,        // 风险消除 公示
  kEliminationTownshipReviewed,  // 风险消除 乡镇审核
  kRiskEliminated,               // 风险消除: decided by the county; the record stays
  kFollowUp,                     // 回头看: a re-check of the eliminated household is scheduled
  kClosedNoRisk,  // 无需纳入: the clue was closed without inclusion, with a reason
};

// Identifiers for protos, SQL and logs: "clue", "village_assessed", ...
std::string_view StateName(State state);
absl::StatusOr<State> ParseState(std::string_view name);
// For officials: "village assessed (村级评议)".
std::string StateLabel(State state);

// Monitoring-object types (RULES M1).
enum class ObjectType {
  kUnstableLifted,  // 脱贫不稳定户
  kMarginalAtRisk,  // 边缘易致贫户
  kSuddenHardship,  // 突发严重困难户
};
std::string_view ObjectTypeName(ObjectType type);  // "unstable_lifted", ...
absl::StatusOr<ObjectType> ParseObjectType(std::string_view name);

// Risk types (RULES M8).
enum class RiskType {
  kIllness,             // 因病
  kEducation,           // 因学
  kDisability,          // 因残
  kDisaster,            // 因自然灾害
  kAccident,            // 因意外事故
  kIndustryFailure,     // 因产业项目失败
  kUnstableEmployment,  // 因务工就业不稳
  kLackOfLabour,        // 缺劳动力
  kHousing,             // 住房安全
  kWater,               // 饮水安全
  kOther,               // 其他
};
std::string_view RiskTypeName(RiskType type);  // "illness", "unstable_employment", ...
absl::StatusOr<RiskType> ParseRiskType(std::string_view name);

enum class ActionKind {
  // Identification facts recorded while the object is a clue (M7).
  kRecordHomeVerification,  // 入户核实 with the household's consent to data checks
  kRecordDataComparison,    // 部门数据比对 by a county department (or county official)
  // Shared by both chains; which chain is meant follows from the state.
  kVillageAssess,     // 村级民主评议
  kStartPublicity,    // 公示 starts
  kRecordObjection,   // an objection raised during publicity (text in `reason`)
  kResolveObjection,  // the objection was looked into: upheld or dismissed
  kEndPublicity,      // 公示 ends: at least publicity_min_days, no open objection
  kTownshipReview,    // 乡镇审核: approve or reject
  // Identification decision and assistance.
  kCountyConfirm,  // 县级审定: approve (with type and risks) or reject
  kAddPlan,        // 一户一策 plan added
  // Elimination.
  kProposeElimination,  // 风险消除 proposed after home verification
  kConfirmElimination,  // county decision on elimination: approve or reject
  kScheduleFollowUp,    // 回头看 scheduled
  kRecordFollowUp,      // 回头看 done: risk still eliminated, or risk returned
  // Corrections.
  kReject,       // return to the previous step, with a reason
  kCloseNoRisk,  // close a clue that needs no inclusion, with a reason
};
std::string_view ActionName(ActionKind kind);  // "village_assess", ...

// Who acted. The level of a step follows from the role; the division must be
// the household's village, or its township or county, at the role's level.
struct Actor {
  std::string user_id;
  auth::Role role = auth::Role::kOperator;
  division::Code division;
};
Actor ActorOf(const auth::Principal& principal);

enum class FollowUpOutcome {
  kRiskStillEliminated,  // 回头看: the household stays clear of risk
  kRiskReturned,         // risk is back: identification starts again from a clue
};

struct Action {
  ActionKind kind;
  Actor actor;
  absl::Time at;
  // Required on every step: the basis of the step as the official states it;
  // for kRecordObjection, the objection itself; for rejections, why.
  std::string reason;

  // kTownshipReview, kCountyConfirm, kConfirmElimination: false rejects.
  bool approve = true;
  // kRecordHomeVerification: the household signed its consent to data checks
  // (授权承诺); without it the departments may not compare data.
  bool household_consent = false;
  // kCountyConfirm with approve: the type (M1) and at least one risk type (M8).
  std::optional<ObjectType> object_type;
  std::vector<RiskType> risk_types;
  // kCountyConfirm with approve: the risk factors that fire in the
  // household's assessment at the decision (risk.h), kept on the object as
  // identification_factors; nullopt when the caller could not assess it.
  std::optional<std::vector<FactorKind>> identification_factors;
  // kResolveObjection: which objection (1-based, in order of recording) and
  // whether it was found right.
  int objection_id = 0;
  bool objection_upheld = false;
  // kAddPlan: the plan's id in the assistance-plan store.
  std::string plan_id;
  // kScheduleFollowUp: when the re-check is due (after `at`); replaces the
  // date set by the elimination decision or an earlier schedule.
  absl::Time follow_up_due = absl::InfinitePast();
  // kRecordFollowUp.
  std::optional<FollowUpOutcome> follow_up_outcome;
  // kProposeElimination, kConfirmElimination with approve: the caller's M9
  // check (income stably above the current-year line, guarantees and water,
  // no 兜底 household without labour, ...). A non-OK status refuses the step
  // and is returned unchanged, so its reasons reach the official.
  absl::Status elimination_check;
};

struct Objection {
  int id = 0;  // 1-based within the current publicity
  std::string text;
  std::string recorded_by;  // user id of the official who recorded it
  absl::Time recorded_at;
  bool resolved = false;
  bool upheld = false;
  std::string resolution;
  std::optional<absl::Time> resolved_at;
};

// One entry of the history: every action that was applied, including facts
// that do not change the state (from == to) and rejections (approved false).
struct Step {
  State from;
  State to;
  ActionKind action;
  Actor actor;
  absl::Time at;
  std::string reason;
  bool approved = true;
  // What the step decided beyond the move, for the history view, e.g.
  // "type marginal_at_risk; risks unstable_employment" or "objection 1 dismissed".
  std::string detail;
};

// Facts of the identification or elimination round under way. Reset when a
// round starts (a new clue, an elimination proposal); a rejection clears the
// facts of the steps it undoes.
struct ReviewRound {
  absl::Time started_at;                          // clue found, or elimination proposed
  std::optional<absl::Time> home_verified_at;     // 入户核实
  bool household_consented = false;               // 授权承诺 (identification)
  std::optional<absl::Time> data_compared_at;     // 部门比对 (identification)
  std::optional<absl::Time> village_assessed_at;  // 民主评议
  std::optional<absl::Time> publicity_started_at;
  std::optional<absl::Time> publicity_ended_at;
  std::vector<Objection> objections;  // of the current publicity
  std::optional<absl::Time> township_reviewed_at;
};

struct MonitoringObject {
  std::string household_id;
  division::Code village;  // the household's village (level kVillage)
  State state = State::kClue;
  absl::Time clue_found_at;  // start of the identification time limit (M7a)
  ReviewRound round;

  // Set by county confirmation.
  std::optional<ObjectType> object_type;
  std::vector<RiskType> risk_types;
  std::optional<absl::Time> confirmed_at;
  // The risk factors that fired in the household's assessment when the
  // county confirmed it (识别), so that elimination (M9) can tell a risk
  // that persists from a new one. Empty: none fired. nullopt: not on record
  // (confirmed before the factors were kept, or not assessable then) — a
  // blocker then claims neither. Cleared when risk returns at a follow-up;
  // the next confirmation records them again.
  std::optional<std::vector<FactorKind>> identification_factors;

  std::vector<std::string> plan_ids;  // 一户一策 plans, in order added
  std::optional<absl::Time> eliminated_at;
  std::optional<absl::Time> follow_up_due_at;  // 回头看 pending: set by the elimination
                                               // decision or ScheduleFollowUp
  std::optional<absl::Time> last_follow_up_at;

  std::vector<Step> history;
};

// Time limits, in days. Defaults: RULES M7/M7a/M10 where the rules give a
// figure, project defaults otherwise. Each per-step limit counts from the
// completion of the step before it; the per-step limits add up to more than
// the identification limit on purpose: each is a ceiling for its own step,
// while identification as a whole must still finish within its own limit.
// Deadlines only raise alerts: a late step is still accepted, because
// refusing it would leave a household outside the system (体外循环).
struct LifecycleLimits {
  int publicity_min_days = 5;          // M7: village publicity lasts at least 5 days
  int identification_limit_days = 15;  // M7a: clue found -> county confirmation
  int home_verification_days = 3;      // M7a (2–3 days): clue found -> home verification
  int data_comparison_days = 5;        // M7a: home verification -> data comparison
  int village_assessment_days = 3;     // project: data comparison (or elimination
                                       //   proposal) -> village assessment
  int publicity_start_days = 2;        // project: village assessment -> publicity starts
  int publicity_end_days = 7;          // project: publicity start -> publicity ended
                                       //   (minimum 5 days + 2 to settle objections)
  int township_review_days = 5;        // project: publicity ended -> township review
  int county_decision_days = 5;        // project: township review -> county decision
  int plan_missing_days = 30;          // M10: county confirmation -> first plan
  int follow_up_days = 180;            // project (policy follow_up_days): county decision on
                                       //   elimination -> the follow-up (回头看) re-check
};

// INVALID_ARGUMENT naming the first limit that makes no sense (not positive,
// or publicity_end_days below publicity_min_days).
absl::Status ValidateLimits(const LifecycleLimits& limits);

// A new object in state kClue. INVALID_ARGUMENT if the household id is empty
// or `village` is not a village code.
absl::StatusOr<MonitoringObject> NewClue(std::string household_id, const division::Code& village,
                                         absl::Time found_at);

// When the follow-up (回头看) of `object` is due: follow_up_due_at, or, for
// an object eliminated before the county decision scheduled the follow-up
// itself (no date on record, and no follow-up recorded since the
// elimination), follow_up_days after the elimination decision. nullopt when
// no follow-up is pending. Apply and DueDeadlines treat such an object as
// having that date, so its follow-up is alerted, recorded and moved like
// any other, and the object Apply returns has the date on record.
std::optional<absl::Time> PendingFollowUp(const MonitoringObject& object,
                                          const LifecycleLimits& limits);

// Applies `action` to `object` and returns the new object with one step
// appended to its history. Errors (the input is never changed):
//  * INVALID_ARGUMENT: missing user id or reason, a time before the previous
//    step, missing type/risk types, an unknown objection, bad limits;
//  * PERMISSION_DENIED: the household's village is outside the actor's
//    division, or the role/level does not match the step (the message names
//    the required role and division);
//  * FAILED_PRECONDITION: the step is not allowed now; the message names the
//    missing step(s) and the current step, or the publicity/objection rule
//    that blocks it;
//  * the status of `elimination_check` unchanged when it is not OK.
absl::StatusOr<MonitoringObject> Apply(const MonitoringObject& object, const Action& action,
                                       const LifecycleLimits& limits);

enum class DeadlineKind {
  kIdentification,     // M7a: the whole identification, clue -> county confirmation
  kHomeVerification,   // 入户核实
  kDataComparison,     // 部门比对
  kVillageAssessment,  // 民主评议 (either chain)
  kPublicityStart,     // 公示 to start (either chain)
  kPublicityEnd,       // 公示 to be ended (either chain)
  kTownshipReview,     // 乡镇审核 (either chain)
  kCountyDecision,     // 县级审定 (either chain)
  kPlanMissing,        // M10: no 一户一策 plan yet after confirmation
  kFollowUp,           // 回头看 due
};
std::string_view DeadlineKindName(DeadlineKind kind);  // "identification", ...

struct Deadline {
  DeadlineKind kind;
  absl::Time due_at;
  bool overdue = false;  // now > due_at: the limit is reached only after the full day count
  State state;           // the object's state when computed
  ActionKind awaited;    // the action that meets the deadline
};

// Every deadline still pending for `object` at `now`, overdue or not, for a
// scheduler to raise alerts: the identification limit while identification
// runs, the limit of the next step of the round under way, the plan-missing
// limit, the follow-up due date (from the elimination decision, or as
// scheduled by hand) until the follow-up is recorded. Limits are assumed
// valid (ValidateLimits).
std::vector<Deadline> DueDeadlines(const MonitoringObject& object, absl::Time now,
                                   const LifecycleLimits& limits);

}  // namespace zx::monitoring::lifecycle
