#include "services/monitoring/domain/lifecycle.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/strings.h"

namespace zx::monitoring::lifecycle {
namespace {

using division::Level;

// ---- Names ------------------------------------------------------------------

struct StateEntry {
  State state;
  std::string_view name;
  std::string_view label;
};
constexpr std::array<StateEntry, 13> kStates = {{
    {State::kClue, "clue", "clue (线索)"},
    {State::kVillageAssessed, "village_assessed", "village assessed (村级评议)"},
    {State::kPublicized, "publicized", "publicised (公示)"},
    {State::kTownshipReviewed, "township_reviewed", "township reviewed (乡镇审核)"},
    {State::kCountyConfirmed, "county_confirmed", "county confirmed (县级审定)"},
    {State::kAssisted, "assisted", "assisted (一户一策)"},
    {State::kEliminationProposed, "elimination_proposed", "elimination proposed (风险消除申请)"},
    {State::kEliminationVillageAssessed, "elimination_village_assessed",
     "elimination assessed by the village (风险消除 村级评议)"},
    {State::kEliminationPublicized, "elimination_publicized",
     "elimination publicised (风险消除 公示)"},
    {State::kEliminationTownshipReviewed, "elimination_township_reviewed",
     "elimination reviewed by the township (风险消除 乡镇审核)"},
    {State::kRiskEliminated, "risk_eliminated", "risk eliminated (风险消除)"},
    {State::kFollowUp, "follow_up", "follow-up scheduled (回头看)"},
    {State::kClosedNoRisk, "closed_no_risk", "clue closed without inclusion (无需纳入)"},
}};

constexpr std::array<std::pair<ObjectType, std::string_view>, 3> kObjectTypes = {{
    {ObjectType::kUnstableLifted, "unstable_lifted"},
    {ObjectType::kMarginalAtRisk, "marginal_at_risk"},
    {ObjectType::kSuddenHardship, "sudden_hardship"},
}};

constexpr std::array<std::pair<RiskType, std::string_view>, 11> kRiskTypes = {{
    {RiskType::kIllness, "illness"},
    {RiskType::kEducation, "education"},
    {RiskType::kDisability, "disability"},
    {RiskType::kDisaster, "disaster"},
    {RiskType::kAccident, "accident"},
    {RiskType::kIndustryFailure, "industry_failure"},
    {RiskType::kUnstableEmployment, "unstable_employment"},
    {RiskType::kLackOfLabour, "lack_of_labour"},
    {RiskType::kHousing, "housing"},
    {RiskType::kWater, "water"},
    {RiskType::kOther, "other"},
}};

constexpr std::array<std::pair<ActionKind, std::string_view>, 16> kActions = {{
    {ActionKind::kRecordHomeVerification, "record_home_verification"},
    {ActionKind::kRecordDataComparison, "record_data_comparison"},
    {ActionKind::kVillageAssess, "village_assess"},
    {ActionKind::kStartPublicity, "start_publicity"},
    {ActionKind::kRecordObjection, "record_objection"},
    {ActionKind::kResolveObjection, "resolve_objection"},
    {ActionKind::kEndPublicity, "end_publicity"},
    {ActionKind::kTownshipReview, "township_review"},
    {ActionKind::kCountyConfirm, "county_confirm"},
    {ActionKind::kAddPlan, "add_plan"},
    {ActionKind::kProposeElimination, "propose_elimination"},
    {ActionKind::kConfirmElimination, "confirm_elimination"},
    {ActionKind::kScheduleFollowUp, "schedule_follow_up"},
    {ActionKind::kRecordFollowUp, "record_follow_up"},
    {ActionKind::kReject, "reject"},
    {ActionKind::kCloseNoRisk, "close_no_risk"},
}};

constexpr std::array<std::pair<DeadlineKind, std::string_view>, 10> kDeadlineKinds = {{
    {DeadlineKind::kIdentification, "identification"},
    {DeadlineKind::kHomeVerification, "home_verification"},
    {DeadlineKind::kDataComparison, "data_comparison"},
    {DeadlineKind::kVillageAssessment, "village_assessment"},
    {DeadlineKind::kPublicityStart, "publicity_start"},
    {DeadlineKind::kPublicityEnd, "publicity_end"},
    {DeadlineKind::kTownshipReview, "township_review"},
    {DeadlineKind::kCountyDecision, "county_decision"},
    {DeadlineKind::kPlanMissing, "plan_missing"},
    {DeadlineKind::kFollowUp, "follow_up"},
}};

template <typename Enum, std::size_t N>
std::string_view NameIn(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "unknown";
}

template <typename Enum, std::size_t N>
absl::StatusOr<Enum> ParseIn(const std::array<std::pair<Enum, std::string_view>, N>& table,
                             std::string_view name, std::string_view what) {
  std::vector<std::string> known;
  for (const auto& [e, n] : table) {
    if (n == name) return e;
    known.emplace_back(n);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown ", AsAbsl(what), " \"", AsAbsl(name),
                                                 "\"; known: ", absl::StrJoin(known, ", ")));
}

// ---- Progress ---------------------------------------------------------------

// Every milestone of both chains in order. The state alone does not say
// whether home verification, data comparison or the end of publicity has
// happened, so progress is measured in milestones: an action needs the
// object to stand exactly at one milestone, and the milestones between the
// current one and that one are what the official still has to do.
enum Milestone : int {
  kAtClueFound = 0,
  kAtHomeVerified,
  kAtDataCompared,
  kAtVillageAssessed,
  kAtPublicityStarted,
  kAtPublicityEnded,
  kAtTownshipReviewed,
  kAtCountyConfirmed,
  kAtAssisted,
  kAtEliminationProposed,
  kAtEliminationVillageAssessed,
  kAtEliminationPublicityStarted,
  kAtEliminationPublicityEnded,
  kAtEliminationTownshipReviewed,
  kAtRiskEliminated,
  kAtFollowUpScheduled,
};

// nullopt for a closed clue, which has no further milestones.
std::optional<int> MilestoneOf(const MonitoringObject& object) {
  const ReviewRound& round = object.round;
  switch (object.state) {
    case State::kClue:
      if (round.data_compared_at) return kAtDataCompared;
      if (round.home_verified_at) return kAtHomeVerified;
      return kAtClueFound;
    case State::kVillageAssessed:
      return kAtVillageAssessed;
    case State::kPublicized:
      return round.publicity_ended_at ? kAtPublicityEnded : kAtPublicityStarted;
    case State::kTownshipReviewed:
      return kAtTownshipReviewed;
    case State::kCountyConfirmed:
      return kAtCountyConfirmed;
    case State::kAssisted:
      return kAtAssisted;
    case State::kEliminationProposed:
      return kAtEliminationProposed;
    case State::kEliminationVillageAssessed:
      return kAtEliminationVillageAssessed;
    case State::kEliminationPublicized:
      return round.publicity_ended_at ? kAtEliminationPublicityEnded
                                      : kAtEliminationPublicityStarted;
    case State::kEliminationTownshipReviewed:
      return kAtEliminationTownshipReviewed;
    case State::kRiskEliminated:
      // The county decision schedules the follow-up (回头看) itself; once it
      // is recorded and found the household clear, none is pending.
      return object.follow_up_due_at ? kAtFollowUpScheduled : kAtRiskEliminated;
    case State::kFollowUp:
      return kAtFollowUpScheduled;
    case State::kClosedNoRisk:
      return std::nullopt;
  }
  return std::nullopt;
}

// What reaching milestone `m` takes, as a missing step is named to officials.
std::string MilestoneLabel(int m, const LifecycleLimits& limits) {
  switch (m) {
    case kAtClueFound:
      return "a clue (线索)";
    case kAtHomeVerified:
      return "home verification with the household's consent to data checks (入户核实)";
    case kAtDataCompared:
      return "county departments' data comparison (部门数据比对)";
    case kAtVillageAssessed:
      return "village democratic assessment (村级民主评议)";
    case kAtPublicityStarted:
      return "start of village publicity (公示)";
    case kAtPublicityEnded:
      return absl::StrCat("end of publicity after at least ", limits.publicity_min_days, " days");
    case kAtTownshipReviewed:
      return "township review (乡镇审核)";
    case kAtCountyConfirmed:
      return "county confirmation (县级审定)";
    case kAtAssisted:
      return "an assistance plan (一户一策)";
    case kAtEliminationProposed:
      return "a risk-elimination proposal after home verification (风险消除申请)";
    case kAtEliminationVillageAssessed:
      return "village assessment of the elimination (村级评议)";
    case kAtEliminationPublicityStarted:
      return "start of the elimination publicity (公示)";
    case kAtEliminationPublicityEnded:
      return absl::StrCat("end of the elimination publicity after at least ",
                          limits.publicity_min_days, " days");
    case kAtEliminationTownshipReviewed:
      return "township review of the elimination (乡镇审核)";
    case kAtRiskEliminated:
      return "the county decision on risk elimination (县级审定)";
    case kAtFollowUpScheduled:
      return "a scheduled follow-up (回头看)";
  }
  return "an unknown step";
}

// The current step as an official would describe it.
std::string CurrentStepLabel(const MonitoringObject& object) {
  const ReviewRound& round = object.round;
  switch (object.state) {
    case State::kClue:
      if (round.data_compared_at) {
        return "clue (线索), home verification and data comparison done";
      }
      if (round.home_verified_at) return "clue (线索), home verification done";
      return StateLabel(object.state);
    case State::kPublicized:
    case State::kEliminationPublicized:
      return absl::StrCat(StateLabel(object.state),
                          round.publicity_ended_at ? ", publicity ended" : ", publicity running");
    case State::kRiskEliminated:
      if (object.follow_up_due_at) {
        return absl::StrCat(
            StateLabel(object.state), ", follow-up (回头看) due ",
            absl::FormatTime("%Y-%m-%d %H:%M UTC", *object.follow_up_due_at, absl::UTCTimeZone()));
      }
      return StateLabel(object.state);
    default:
      return StateLabel(object.state);
  }
}

// Whether a shared review action (village assessment, publicity, township
// review) belongs to the elimination chain: it does once the household is
// assisted, since identification is complete by then.
bool InEliminationChain(int milestone) { return milestone >= kAtAssisted; }

std::string ActionLabel(ActionKind kind, bool elimination) {
  switch (kind) {
    case ActionKind::kRecordHomeVerification:
      return "home verification (入户核实)";
    case ActionKind::kRecordDataComparison:
      return "data comparison (部门数据比对)";
    case ActionKind::kVillageAssess:
      return elimination ? "village assessment of the elimination (村级评议)"
                         : "village democratic assessment (村级民主评议)";
    case ActionKind::kStartPublicity:
      return elimination ? "starting the elimination publicity (公示)"
                         : "starting village publicity (公示)";
    case ActionKind::kRecordObjection:
      return "recording an objection";
    case ActionKind::kResolveObjection:
      return "resolving an objection";
    case ActionKind::kEndPublicity:
      return "ending publicity (公示)";
    case ActionKind::kTownshipReview:
      return elimination ? "township review of the elimination (乡镇审核)"
                         : "township review (乡镇审核)";
    case ActionKind::kCountyConfirm:
      return "county confirmation (县级审定)";
    case ActionKind::kAddPlan:
      return "adding an assistance plan (一户一策)";
    case ActionKind::kProposeElimination:
      return "proposing risk elimination (风险消除)";
    case ActionKind::kConfirmElimination:
      return "the county decision on risk elimination (风险消除)";
    case ActionKind::kScheduleFollowUp:
      return "scheduling a follow-up (回头看)";
    case ActionKind::kRecordFollowUp:
      return "recording a follow-up (回头看)";
    case ActionKind::kReject:
      return "returning to the previous step";
    case ActionKind::kCloseNoRisk:
      return "closing the clue without inclusion";
  }
  return "this action";
}

// OK when the object stands at `required`; otherwise FAILED_PRECONDITION
// naming the steps still missing, or saying the step is already done.
absl::Status RequireMilestone(const MonitoringObject& object, int current, int required,
                              ActionKind kind, const LifecycleLimits& limits) {
  if (current == required) return absl::OkStatus();
  const std::string action = ActionLabel(kind, InEliminationChain(required));
  if (current < required) {
    std::vector<std::string> missing;
    for (int m = current + 1; m <= required; ++m) missing.push_back(MilestoneLabel(m, limits));
    return absl::FailedPreconditionError(
        absl::StrCat(action, " requires first: ", absl::StrJoin(missing, "; then "),
                     "; current step: ", CurrentStepLabel(object)));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      action,
      " has already been done for this household; current step: ", CurrentStepLabel(object)));
}

// ---- Who may act --------------------------------------------------------------

// Roles of the local governments that carry the procedure, with their level.
std::optional<Level> GovernmentLevel(auth::Role role) {
  switch (role) {
    case auth::Role::kVillageCadre:
      return Level::kVillage;
    case auth::Role::kTownshipOfficial:
      return Level::kTownship;
    case auth::Role::kCountyOfficial:
      return Level::kCounty;
    default:
      return std::nullopt;
  }
}

enum class Who {
  kVillageOrAbove,              // village cadre of the village, or township/county official above
  kTownshipOrAbove,             // township official of the township, or county official
  kTownshipOnly,                // township official of the household's township
  kCountyOnly,                  // county official of the household's county
  kCountyDepartmentOrOfficial,  // county department or county official
};

std::string Describe(Who who, const division::Code& village) {
  const std::string township = village.AncestorAt(Level::kTownship).str();
  const std::string county = village.AncestorAt(Level::kCounty).str();
  switch (who) {
    case Who::kVillageOrAbove:
      return absl::StrCat("a village cadre (村干部) of village ", village.str(),
                          ", or a township or county official above it");
    case Who::kTownshipOrAbove:
      return absl::StrCat("a township official (乡镇) of township ", township,
                          ", or a county official of county ", county);
    case Who::kTownshipOnly:
      return absl::StrCat("a township official (乡镇) of township ", township);
    case Who::kCountyOnly:
      return absl::StrCat("a county official (县级) of county ", county);
    case Who::kCountyDepartmentOrOfficial:
      return absl::StrCat("a county department (县直部门) or county official of county ", county);
  }
  return "an authorised official";
}

absl::Status CheckJurisdiction(const MonitoringObject& object, const Actor& actor) {
  if (actor.division.IsAncestorOrSelfOf(object.village)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("household ", object.household_id, " in village ", object.village.str(),
                   " is outside the jurisdiction of ", actor.division.str()));
}

absl::Status CheckRole(const MonitoringObject& object, const Actor& actor, Who who,
                       const std::string& action) {
  std::optional<Level> level = GovernmentLevel(actor.role);
  if (actor.role == auth::Role::kDepartment && who == Who::kCountyDepartmentOrOfficial) {
    level = Level::kCounty;
  }
  bool role_fits = false;
  if (level) {
    switch (who) {
      case Who::kVillageOrAbove:
        role_fits = true;
        break;
      case Who::kTownshipOrAbove:
        role_fits = *level != Level::kVillage;
        break;
      case Who::kTownshipOnly:
        role_fits = *level == Level::kTownship;
        break;
      case Who::kCountyOnly:
      case Who::kCountyDepartmentOrOfficial:
        role_fits = *level == Level::kCounty;
        break;
    }
  }
  if (!role_fits) {
    return absl::PermissionDeniedError(
        absl::StrCat(action, " must be done by ", Describe(who, object.village), "; the caller is ",
                     AsAbsl(auth::RoleName(actor.role)), " of ", actor.division.str()));
  }
  // An official acts for the one division of their level that contains the
  // household: a "county official" registered at the prefecture, or a
  // village cadre registered at the township, does not qualify.
  const division::Code own = object.village.AncestorAt(*level);
  if (actor.division != own) {
    return absl::PermissionDeniedError(
        absl::StrCat(action, " must be done by ", Describe(who, object.village), "; the caller is ",
                     AsAbsl(auth::RoleName(actor.role)), " registered at ", actor.division.str(),
                     ", not at ", own.str()));
  }
  return absl::OkStatus();
}

// ---- Formatting ---------------------------------------------------------------

// "4 days 23 hours", "5 days", "2 days 3 hours 10 minutes".
std::string FormatDays(absl::Duration d) {
  const int64_t minutes = absl::ToInt64Minutes(d);
  const int64_t days = minutes / (24 * 60);
  const int64_t hours = (minutes / 60) % 24;
  const int64_t mins = minutes % 60;
  std::string out = absl::StrCat(days, days == 1 ? " day" : " days");
  if (hours != 0) absl::StrAppend(&out, " ", hours, hours == 1 ? " hour" : " hours");
  if (mins != 0) absl::StrAppend(&out, " ", mins, mins == 1 ? " minute" : " minutes");
  return out;
}

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", t, absl::UTCTimeZone());
}

absl::Duration Days(int days) { return absl::Hours(24) * days; }

bool IsBlank(std::string_view text) { return absl::StripAsciiWhitespace(AsAbsl(text)).empty(); }

// ---- Validation -----------------------------------------------------------------

absl::Status ValidateAction(const MonitoringObject& object, const Action& action) {
  if (IsBlank(action.actor.user_id)) {
    return absl::InvalidArgumentError("the acting official's user id is missing");
  }
  if (IsBlank(action.reason)) {
    return absl::InvalidArgumentError(
        absl::StrCat("a reason is required for every step (", AsAbsl(ActionName(action.kind)),
                     "): state the basis of the step or, for an objection, the objection"));
  }
  if (action.at == absl::InfinitePast() || action.at == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError("the time of the step is missing");
  }
  absl::Time earliest = object.clue_found_at;
  if (!object.history.empty()) earliest = std::max(earliest, object.history.back().at);
  if (action.at < earliest) {
    return absl::InvalidArgumentError(
        absl::StrCat("the step is dated ", FormatUtc(action.at), ", before the previous step (",
                     FormatUtc(earliest), "); steps are recorded in the order they happen"));
  }
  switch (action.kind) {
    case ActionKind::kCountyConfirm:
      if (!action.approve) break;
      if (!action.object_type) {
        return absl::InvalidArgumentError(
            "county confirmation must set the monitoring-object type: unstable_lifted "
            "(脱贫不稳定户), marginal_at_risk (边缘易致贫户) or sudden_hardship (突发严重困难户)");
      }
      if (action.risk_types.empty()) {
        return absl::InvalidArgumentError(
            "county confirmation must name at least one risk type (风险类型), e.g. illness or "
            "unstable_employment");
      }
      for (std::size_t i = 0; i < action.risk_types.size(); ++i) {
        for (std::size_t j = i + 1; j < action.risk_types.size(); ++j) {
          if (action.risk_types[i] == action.risk_types[j]) {
            return absl::InvalidArgumentError(absl::StrCat(
                "risk type ", AsAbsl(RiskTypeName(action.risk_types[i])), " is given twice"));
          }
        }
      }
      break;
    case ActionKind::kAddPlan:
      if (IsBlank(action.plan_id)) {
        return absl::InvalidArgumentError("the assistance plan's id is missing");
      }
      break;
    case ActionKind::kScheduleFollowUp:
      if (action.follow_up_due <= action.at) {
        return absl::InvalidArgumentError(
            "the follow-up (回头看) must be due after the day it is scheduled");
      }
      break;
    case ActionKind::kRecordFollowUp:
      if (!action.follow_up_outcome) {
        return absl::InvalidArgumentError(
            "the follow-up outcome is missing: risk still eliminated, or risk returned");
      }
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

// ---- Rejection --------------------------------------------------------------------

struct Return {
  State to;
  Who who;  // whoever would take the next step forward from the current one
};

// Where a rejection at `milestone` returns to, or nullopt if nothing can.
std::optional<Return> ReturnFrom(int milestone) {
  switch (milestone) {
    case kAtVillageAssessed:
      return Return{State::kClue, Who::kVillageOrAbove};
    case kAtPublicityStarted:
      return Return{State::kVillageAssessed, Who::kVillageOrAbove};
    case kAtPublicityEnded:
      return Return{State::kVillageAssessed, Who::kTownshipOnly};
    case kAtTownshipReviewed:
      return Return{State::kPublicized, Who::kCountyOnly};
    case kAtEliminationProposed:
      return Return{State::kAssisted, Who::kVillageOrAbove};
    case kAtEliminationVillageAssessed:
      return Return{State::kEliminationProposed, Who::kVillageOrAbove};
    case kAtEliminationPublicityStarted:
      return Return{State::kEliminationVillageAssessed, Who::kVillageOrAbove};
    case kAtEliminationPublicityEnded:
      return Return{State::kEliminationVillageAssessed, Who::kTownshipOnly};
    case kAtEliminationTownshipReviewed:
      return Return{State::kEliminationPublicized, Who::kCountyOnly};
    default:
      return std::nullopt;
  }
}

// Clears the facts of the step being undone, so it has to be done again.
void Undo(int milestone, MonitoringObject& next) {
  ReviewRound& round = next.round;
  switch (milestone) {
    case kAtVillageAssessed:
    case kAtEliminationVillageAssessed:
      round.village_assessed_at.reset();
      break;
    case kAtPublicityStarted:
    case kAtPublicityEnded:
    case kAtEliminationPublicityStarted:
    case kAtEliminationPublicityEnded:
      // The whole publicity is void: a new one runs its full minimum again.
      // Its objections stay in the history.
      round.publicity_started_at.reset();
      round.publicity_ended_at.reset();
      round.objections.clear();
      break;
    case kAtTownshipReviewed:
    case kAtEliminationTownshipReviewed:
      round.township_reviewed_at.reset();
      break;
    case kAtEliminationProposed:
      round = ReviewRound{.started_at = next.round.started_at};
      break;
    default:
      break;
  }
}

absl::Status NoReturnError(const MonitoringObject& object, int milestone) {
  std::string why;
  if (milestone <= kAtDataCompared) {
    why =
        "a clue has no earlier step; if it needs no inclusion, close it with a reason "
        "(close_no_risk)";
  } else if (milestone <= kAtAssisted) {
    why =
        "the county decision is final; a monitoring object leaves monitoring only through "
        "risk elimination (风险消除, M9a)";
  } else {
    why =
        "the county decision on elimination is final; if risk returns, record it at the "
        "follow-up (回头看)";
  }
  return absl::FailedPreconditionError(
      absl::StrCat("nothing to return to: ", why, "; current step: ", CurrentStepLabel(object)));
}

// Moves `next` back one step as a rejection by `actor`.
absl::Status RejectInto(const MonitoringObject& object, int milestone, const Action& action,
                        bool check_role, MonitoringObject& next, Step& step) {
  const std::optional<Return> back = ReturnFrom(milestone);
  if (!back) return NoReturnError(object, milestone);
  if (check_role) {
    if (absl::Status s =
            CheckRole(object, action.actor, back->who, ActionLabel(ActionKind::kReject, false));
        !s.ok()) {
      return s;
    }
  }
  Undo(milestone, next);
  next.state = back->to;
  step.approved = false;
  step.detail = absl::StrCat("returned to ", StateLabel(back->to));
  return absl::OkStatus();
}

// ---- Publicity --------------------------------------------------------------------

absl::Status CheckPublicityMayEnd(const ReviewRound& round, absl::Time at,
                                  const LifecycleLimits& limits) {
  const absl::Duration ran = at - *round.publicity_started_at;
  if (ran < Days(limits.publicity_min_days)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "publicity (公示) must run at least ", limits.publicity_min_days,
        " days (publicity_min_days); it has run ", FormatDays(ran), " and may end from ",
        FormatUtc(*round.publicity_started_at + Days(limits.publicity_min_days))));
  }
  std::vector<std::string> open;
  std::vector<std::string> upheld;
  for (const Objection& o : round.objections) {
    if (!o.resolved) {
      open.push_back(absl::StrCat(o.id));
    } else if (o.upheld) {
      upheld.push_back(absl::StrCat(o.id));
    }
  }
  if (!open.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("publicity cannot end while objection ", absl::StrJoin(open, ", "),
                     " is unresolved; look into it and record the resolution first"));
  }
  if (!upheld.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "publicity cannot end because objection ", absl::StrJoin(upheld, ", "),
        " was upheld; return the case to the village assessment (reject) or close the clue"));
  }
  return absl::OkStatus();
}

// RecordObjection and ResolveObjection happen only while publicity runs.
absl::Status RequirePublicityRunning(const MonitoringObject& object, int current, bool elimination,
                                     ActionKind kind, const LifecycleLimits& limits) {
  const int running = elimination ? kAtEliminationPublicityStarted : kAtPublicityStarted;
  if (current == running + 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "publicity has already ended; ", ActionLabel(kind, elimination),
        " is possible only while publicity runs; current step: ", CurrentStepLabel(object)));
  }
  return RequireMilestone(object, current, running, kind, limits);
}

std::string Join(const std::vector<RiskType>& risks) {
  std::vector<std::string> names;
  for (RiskType r : risks) names.emplace_back(RiskTypeName(r));
  return absl::StrJoin(names, ", ");
}

}  // namespace

// ---- Public names -------------------------------------------------------------------

std::string_view StateName(State state) {
  for (const StateEntry& e : kStates) {
    if (e.state == state) return e.name;
  }
  return "unknown";
}

absl::StatusOr<State> ParseState(std::string_view name) {
  std::vector<std::string> known;
  for (const StateEntry& e : kStates) {
    if (e.name == name) return e.state;
    known.emplace_back(e.name);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown lifecycle state \"", AsAbsl(name),
                                                 "\"; known: ", absl::StrJoin(known, ", ")));
}

std::string StateLabel(State state) {
  for (const StateEntry& e : kStates) {
    if (e.state == state) return std::string(e.label);
  }
  return "unknown state";
}

std::string_view ObjectTypeName(ObjectType type) { return NameIn(kObjectTypes, type); }
absl::StatusOr<ObjectType> ParseObjectType(std::string_view name) {
  return ParseIn(kObjectTypes, name, "monitoring-object type");
}
std::string_view RiskTypeName(RiskType type) { return NameIn(kRiskTypes, type); }
absl::StatusOr<RiskType> ParseRiskType(std::string_view name) {
  return ParseIn(kRiskTypes, name, "risk type");
}
std::string_view ActionName(ActionKind kind) { return NameIn(kActions, kind); }
std::string_view DeadlineKindName(DeadlineKind kind) { return NameIn(kDeadlineKinds, kind); }

Actor ActorOf(const auth::Principal& principal) {
  return Actor{
      .user_id = principal.user_id, .role = principal.role, .division = principal.division};
}

absl::Status ValidateLimits(const LifecycleLimits& limits) {
  const std::array<std::pair<std::string_view, int>, 11> fields = {{
      {"publicity_min_days", limits.publicity_min_days},
      {"identification_limit_days", limits.identification_limit_days},
      {"home_verification_days", limits.home_verification_days},
      {"data_comparison_days", limits.data_comparison_days},
      {"village_assessment_days", limits.village_assessment_days},
      {"publicity_start_days", limits.publicity_start_days},
      {"publicity_end_days", limits.publicity_end_days},
      {"township_review_days", limits.township_review_days},
      {"county_decision_days", limits.county_decision_days},
      {"plan_missing_days", limits.plan_missing_days},
      {"follow_up_days", limits.follow_up_days},
  }};
  for (const auto& [name, days] : fields) {
    if (days <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("lifecycle limit ", AsAbsl(name), " must be at least 1 day, not ", days));
    }
  }
  if (limits.publicity_end_days < limits.publicity_min_days) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lifecycle limit publicity_end_days (", limits.publicity_end_days,
        ") cannot be shorter than publicity_min_days (", limits.publicity_min_days, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<MonitoringObject> NewClue(std::string household_id, const division::Code& village,
                                         absl::Time found_at) {
  if (IsBlank(household_id)) return absl::InvalidArgumentError("the household id is missing");
  if (village.level() != Level::kVillage) {
    return absl::InvalidArgumentError(
        absl::StrCat("a household belongs to a village; ", village.str(), " is a ",
                     AsAbsl(division::LevelName(village.level())), " code"));
  }
  return MonitoringObject{.household_id = std::move(household_id),
                          .village = village,
                          .state = State::kClue,
                          .clue_found_at = found_at,
                          .round = ReviewRound{.started_at = found_at}};
}

// ---- Apply ----------------------------------------------------------------------------

std::optional<absl::Time> PendingFollowUp(const MonitoringObject& object,
                                          const LifecycleLimits& limits) {
  if (object.follow_up_due_at) return object.follow_up_due_at;
  // Eliminated before the county decision scheduled the follow-up itself
  // (issue 3): due as if it had, unless one was recorded since.
  if (object.state != State::kRiskEliminated || !object.eliminated_at) return std::nullopt;
  if (object.last_follow_up_at && *object.last_follow_up_at >= *object.eliminated_at) {
    return std::nullopt;
  }
  return *object.eliminated_at + Days(limits.follow_up_days);
}

absl::StatusOr<MonitoringObject> Apply(const MonitoringObject& stored, const Action& action,
                                       const LifecycleLimits& limits) {
  if (absl::Status s = ValidateLimits(limits); !s.ok()) return s;
  // An object eliminated before the decision scheduled the follow-up gets
  // its date here, so the follow-up is recorded (or moved) as any other, and
  // the object returned keeps the date.
  std::optional<MonitoringObject> dated;
  if (!stored.follow_up_due_at) {
    if (const std::optional<absl::Time> due = PendingFollowUp(stored, limits)) {
      dated = stored;
      dated->follow_up_due_at = due;
    }
  }
  const MonitoringObject& object = dated ? *dated : stored;
  if (absl::Status s = ValidateAction(object, action); !s.ok()) return s;
  // Jurisdiction comes before anything about the case, so that an outsider
  // learns nothing about where it stands.
  if (absl::Status s = CheckJurisdiction(object, action.actor); !s.ok()) return s;
  const std::optional<int> current = MilestoneOf(object);
  if (!current) {
    return absl::FailedPreconditionError(
        "this clue was closed without inclusion (无需纳入); no further step is possible. If "
        "the household is at risk again, raise a new clue");
  }
  const bool elimination = InEliminationChain(*current);
  const auto check_role = [&](Who who) {
    return CheckRole(object, action.actor, who, ActionLabel(action.kind, elimination));
  };
  const auto require = [&](int milestone) {
    return RequireMilestone(object, *current, milestone, action.kind, limits);
  };

  MonitoringObject next = object;
  ReviewRound& round = next.round;
  Step step{.from = object.state,
            .to = object.state,
            .action = action.kind,
            .actor = action.actor,
            .at = action.at,
            .reason = action.reason};
  absl::Status status;

  switch (action.kind) {
    case ActionKind::kRecordHomeVerification:
      if (status = check_role(Who::kVillageOrAbove); !status.ok()) break;
      if (status = require(kAtClueFound); !status.ok()) break;
      if (!action.household_consent) {
        status = absl::FailedPreconditionError(
            "home verification must record the household's signed consent to data checks "
            "(授权承诺); without it the county departments may not compare its data");
        break;
      }
      round.home_verified_at = action.at;
      round.household_consented = true;
      step.detail = "household consented to data checks";
      break;

    case ActionKind::kRecordDataComparison:
      if (status = check_role(Who::kCountyDepartmentOrOfficial); !status.ok()) break;
      if (status = require(kAtHomeVerified); !status.ok()) break;
      round.data_compared_at = action.at;
      break;

    case ActionKind::kVillageAssess:
      if (status = check_role(Who::kVillageOrAbove); !status.ok()) break;
      if (status = require(elimination ? kAtEliminationProposed : kAtDataCompared); !status.ok()) {
        break;
      }
      round.village_assessed_at = action.at;
      next.state = elimination ? State::kEliminationVillageAssessed : State::kVillageAssessed;
      break;

    case ActionKind::kStartPublicity:
      if (status = check_role(Who::kVillageOrAbove); !status.ok()) break;
      if (status = require(elimination ? kAtEliminationVillageAssessed : kAtVillageAssessed);
          !status.ok()) {
        break;
      }
      round.publicity_started_at = action.at;
      round.publicity_ended_at.reset();
      round.objections.clear();
      next.state = elimination ? State::kEliminationPublicized : State::kPublicized;
      break;

    case ActionKind::kRecordObjection: {
      if (status = check_role(Who::kVillageOrAbove); !status.ok()) break;
      if (status = RequirePublicityRunning(object, *current, elimination, action.kind, limits);
          !status.ok()) {
        break;
      }
      const int id = static_cast<int>(round.objections.size()) + 1;
      round.objections.push_back(Objection{.id = id,
                                           .text = action.reason,
                                           .recorded_by = action.actor.user_id,
                                           .recorded_at = action.at});
      step.detail = absl::StrCat("objection ", id, " recorded");
      break;
    }

    case ActionKind::kResolveObjection: {
      if (status = check_role(Who::kVillageOrAbove); !status.ok()) break;
      if (status = RequirePublicityRunning(object, *current, elimination, action.kind, limits);
          !status.ok()) {
        break;
      }
      auto it = std::find_if(round.objections.begin(), round.objections.end(),
                             [&](const Objection& o) { return o.id == action.objection_id; });
      if (it == round.objections.end()) {
        status = absl::InvalidArgumentError(absl::StrCat(
            "objection ", action.objection_id, " does not exist in the current publicity (",
            round.objections.size(), " recorded)"));
        break;
      }
      if (it->resolved) {
        status = absl::FailedPreconditionError(
            absl::StrCat("objection ", it->id, " was already resolved on ",
                         FormatUtc(*it->resolved_at), ": ", it->resolution));
        break;
      }
      it->resolved = true;
      it->upheld = action.objection_upheld;
      it->resolution = action.reason;
      it->resolved_at = action.at;
      step.detail =
          absl::StrCat("objection ", it->id, action.objection_upheld ? " upheld" : " dismissed");
      break;
    }

    case ActionKind::kEndPublicity:
      if (status = check_role(Who::kVillageOrAbove); !status.ok()) break;
      if (status = require(elimination ? kAtEliminationPublicityStarted : kAtPublicityStarted);
          !status.ok()) {
        break;
      }
      if (status = CheckPublicityMayEnd(round, action.at, limits); !status.ok()) break;
      round.publicity_ended_at = action.at;
      step.detail =
          absl::StrCat("publicity ran ", FormatDays(action.at - *round.publicity_started_at));
      break;

    case ActionKind::kTownshipReview:
      if (status = check_role(Who::kTownshipOnly); !status.ok()) break;
      if (status = require(elimination ? kAtEliminationPublicityEnded : kAtPublicityEnded);
          !status.ok()) {
        break;
      }
      if (!action.approve) {
        status = RejectInto(object, *current, action, /*check_role=*/false, next, step);
        break;
      }
      round.township_reviewed_at = action.at;
      next.state = elimination ? State::kEliminationTownshipReviewed : State::kTownshipReviewed;
      break;

    case ActionKind::kCountyConfirm:
      if (status = check_role(Who::kCountyOnly); !status.ok()) break;
      if (status = require(kAtTownshipReviewed); !status.ok()) break;
      if (!action.approve) {
        status = RejectInto(object, *current, action, /*check_role=*/false, next, step);
        break;
      }
      next.state = State::kCountyConfirmed;
      next.object_type = action.object_type;
      next.risk_types = action.risk_types;
      next.confirmed_at = action.at;
      next.identification_factors = action.identification_factors;
      step.detail = absl::StrCat("type ", AsAbsl(ObjectTypeName(*action.object_type)), "; risks ",
                                 Join(action.risk_types));
      break;

    case ActionKind::kAddPlan:
      if (status = check_role(Who::kVillageOrAbove); !status.ok()) break;
      if (*current > kAtAssisted) {
        status = absl::FailedPreconditionError(absl::StrCat(
            "an assistance plan can be added only while the household is assisted, before "
            "elimination is proposed; if it needs new measures, withdraw the elimination "
            "(reject); current step: ",
            CurrentStepLabel(object)));
        break;
      }
      if (*current != kAtAssisted) {
        if (status = require(kAtCountyConfirmed); !status.ok()) break;
      }
      next.plan_ids.push_back(action.plan_id);
      next.state = State::kAssisted;
      step.detail = absl::StrCat("plan ", action.plan_id);
      break;

    case ActionKind::kProposeElimination:
      if (status = check_role(Who::kVillageOrAbove); !status.ok()) break;
      if (status = require(kAtAssisted); !status.ok()) break;
      if (status = action.elimination_check; !status.ok()) break;
      // The proposal is the elimination round's home verification (M9a).
      next.round = ReviewRound{.started_at = action.at, .home_verified_at = action.at};
      next.state = State::kEliminationProposed;
      break;

    case ActionKind::kConfirmElimination:
      if (status = check_role(Who::kCountyOnly); !status.ok()) break;
      if (status = require(kAtEliminationTownshipReviewed); !status.ok()) break;
      if (!action.approve) {
        status = RejectInto(object, *current, action, /*check_role=*/false, next, step);
        break;
      }
      if (status = action.elimination_check; !status.ok()) break;
      next.state = State::kRiskEliminated;
      next.eliminated_at = action.at;
      // Issue 3: the follow-up (回头看) is scheduled by the decision itself,
      // follow_up_days later (policy), so the deadline scheduler alerts when
      // it is not done in time; ScheduleFollowUp may still move it. One
      // follow-up per elimination: RULES M9/M9a require none further, and
      // the policy counts follow_up_days from the elimination. A follow-up
      // that finds the household clear leaves it eliminated with none
      // pending (a township may schedule another by hand); a RED or ORANGE
      // assessment meanwhile adds a clue to the still-open object for the
      // follow-up to see (it does not restart identification).
      next.follow_up_due_at = action.at + Days(limits.follow_up_days);
      step.detail = absl::StrCat("follow-up (回头看) due ", FormatUtc(*next.follow_up_due_at));
      break;

    case ActionKind::kScheduleFollowUp:
      if (status = check_role(Who::kTownshipOrAbove); !status.ok()) break;
      // After elimination, or to move a follow-up already scheduled (by the
      // county decision or by hand).
      if (*current != kAtFollowUpScheduled) {
        if (status = require(kAtRiskEliminated); !status.ok()) break;
      }
      next.follow_up_due_at = action.follow_up_due;
      next.state = State::kFollowUp;
      step.detail = absl::StrCat("follow-up due ", FormatUtc(action.follow_up_due));
      break;

    case ActionKind::kRecordFollowUp:
      if (status = check_role(Who::kVillageOrAbove); !status.ok()) break;
      if (status = require(kAtFollowUpScheduled); !status.ok()) break;
      next.last_follow_up_at = action.at;
      next.follow_up_due_at.reset();
      if (*action.follow_up_outcome == FollowUpOutcome::kRiskStillEliminated) {
        next.state = State::kRiskEliminated;
        step.detail = "risk still eliminated";
      } else {
        // Risk is back: the household goes through identification again,
        // with a fresh time limit; the earlier decisions stay in the history.
        next.state = State::kClue;
        next.clue_found_at = action.at;
        next.round = ReviewRound{.started_at = action.at};
        next.object_type.reset();
        next.risk_types.clear();
        next.confirmed_at.reset();
        next.identification_factors.reset();
        next.eliminated_at.reset();
        step.detail = "risk returned; identification starts again";
      }
      break;

    case ActionKind::kReject:
      status = RejectInto(object, *current, action, /*check_role=*/true, next, step);
      break;

    case ActionKind::kCloseNoRisk:
      if (status = check_role(Who::kTownshipOrAbove); !status.ok()) break;
      if (*current > kAtTownshipReviewed) {
        status = absl::FailedPreconditionError(absl::StrCat(
            "only a clue not yet confirmed by the county can be closed without inclusion; a "
            "monitoring object leaves monitoring only through risk elimination (M9a); current "
            "step: ",
            CurrentStepLabel(object)));
        break;
      }
      next.state = State::kClosedNoRisk;
      break;
  }

  if (!status.ok()) return status;
  step.to = next.state;
  next.history.push_back(std::move(step));
  return next;
}

// ---- Deadlines ------------------------------------------------------------------------

std::vector<Deadline> DueDeadlines(const MonitoringObject& object, absl::Time now,
                                   const LifecycleLimits& limits) {
  std::vector<Deadline> out;
  std::optional<int> current = MilestoneOf(object);
  if (!current) return out;
  // The follow-up of an object eliminated before the decision scheduled it
  // (no date on record) is due all the same: PendingFollowUp.
  const std::optional<absl::Time> follow_up = PendingFollowUp(object, limits);
  if (follow_up && *current == kAtRiskEliminated) current = kAtFollowUpScheduled;
  const auto add = [&](DeadlineKind kind, absl::Time due, ActionKind awaited) {
    out.push_back(Deadline{.kind = kind,
                           .due_at = due,
                           .overdue = now > due,
                           .state = object.state,
                           .awaited = awaited});
  };
  const ReviewRound& round = object.round;

  if (*current < kAtCountyConfirmed) {
    add(DeadlineKind::kIdentification,
        object.clue_found_at + Days(limits.identification_limit_days), ActionKind::kCountyConfirm);
  }
  switch (*current) {
    case kAtClueFound:
      add(DeadlineKind::kHomeVerification, round.started_at + Days(limits.home_verification_days),
          ActionKind::kRecordHomeVerification);
      break;
    case kAtHomeVerified:
      add(DeadlineKind::kDataComparison,
          *round.home_verified_at + Days(limits.data_comparison_days),
          ActionKind::kRecordDataComparison);
      break;
    case kAtDataCompared:
      add(DeadlineKind::kVillageAssessment,
          *round.data_compared_at + Days(limits.village_assessment_days),
          ActionKind::kVillageAssess);
      break;
    case kAtEliminationProposed:
      add(DeadlineKind::kVillageAssessment, round.started_at + Days(limits.village_assessment_days),
          ActionKind::kVillageAssess);
      break;
    case kAtVillageAssessed:
    case kAtEliminationVillageAssessed:
      add(DeadlineKind::kPublicityStart,
          *round.village_assessed_at + Days(limits.publicity_start_days),
          ActionKind::kStartPublicity);
      break;
    case kAtPublicityStarted:
    case kAtEliminationPublicityStarted:
      add(DeadlineKind::kPublicityEnd,
          *round.publicity_started_at + Days(limits.publicity_end_days), ActionKind::kEndPublicity);
      break;
    case kAtPublicityEnded:
    case kAtEliminationPublicityEnded:
      add(DeadlineKind::kTownshipReview,
          *round.publicity_ended_at + Days(limits.township_review_days),
          ActionKind::kTownshipReview);
      break;
    case kAtTownshipReviewed:
      add(DeadlineKind::kCountyDecision,
          *round.township_reviewed_at + Days(limits.county_decision_days),
          ActionKind::kCountyConfirm);
      break;
    case kAtEliminationTownshipReviewed:
      add(DeadlineKind::kCountyDecision,
          *round.township_reviewed_at + Days(limits.county_decision_days),
          ActionKind::kConfirmElimination);
      break;
    case kAtCountyConfirmed:
      add(DeadlineKind::kPlanMissing, *object.confirmed_at + Days(limits.plan_missing_days),
          ActionKind::kAddPlan);
      break;
    case kAtFollowUpScheduled:  // by the elimination decision or by hand
      if (follow_up) add(DeadlineKind::kFollowUp, *follow_up, ActionKind::kRecordFollowUp);
      break;
    default:  // assisted; risk eliminated with its follow-up done: nothing is due
      break;
  }
  return out;
}

}  // namespace zx::monitoring::lifecycle
