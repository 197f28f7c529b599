#include "services/monitoring/domain/lifecycle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace zx::monitoring::lifecycle {
namespace {

using auth::Role;

division::Code Div(std::string_view code) { return *division::Code::Parse(code); }

// A household in village 653121101201 of township 653121101, Shufu county
// (疏附县), Kashgar; its officials, and officials of neighbouring divisions.
constexpr std::string_view kVillage = "653121101201";
constexpr std::string_view kTownship = "653121101000";
constexpr std::string_view kCounty = "653121000000";

Actor Cadre() {
  return {.user_id = "cadre-1", .role = Role::kVillageCadre, .division = Div(kVillage)};
}
Actor TownshipOfficial() {
  return {.user_id = "township-1", .role = Role::kTownshipOfficial, .division = Div(kTownship)};
}
Actor CountyOfficial() {
  return {.user_id = "county-1", .role = Role::kCountyOfficial, .division = Div(kCounty)};
}
Actor Department() {
  return {.user_id = "medical-insurance-1", .role = Role::kDepartment, .division = Div(kCounty)};
}
Actor Someone(Role role, std::string_view division) {
  return {.user_id = "someone", .role = role, .division = Div(division)};
}

// The clue is found on 1 March 2024 at 09:00; Day(n) is n days later.
const absl::Time kClueFound =
    absl::FromCivil(absl::CivilMinute(2024, 3, 1, 9, 0), absl::UTCTimeZone());
absl::Time Day(int n) { return kClueFound + absl::Hours(24) * n; }

Action Act(ActionKind kind, Actor actor, absl::Time at, std::string reason) {
  return Action{.kind = kind, .actor = std::move(actor), .at = at, .reason = std::move(reason)};
}

// The whole path of acceptance criterion 1: identification of a 边缘易致贫户
// with 因务工就业不稳, a plan, elimination, and a follow-up.
std::vector<Action> HappyPath() {
  std::vector<Action> path;
  Action home = Act(ActionKind::kRecordHomeVerification, Cadre(), Day(1), "入户核实：务工收入骤减");
  home.household_consent = true;
  path.push_back(home);
  path.push_back(
      Act(ActionKind::kRecordDataComparison, Department(), Day(3), "医保、民政数据比对完成"));
  path.push_back(Act(ActionKind::kVillageAssess, Cadre(), Day(4), "村民代表会议评议通过"));
  path.push_back(Act(ActionKind::kStartPublicity, Cadre(), Day(5), "村委会公示栏公示"));
  path.push_back(Act(ActionKind::kEndPublicity, Cadre(), Day(10), "公示期满无异议"));
  path.push_back(Act(ActionKind::kTownshipReview, TownshipOfficial(), Day(11), "乡镇审核通过"));
  Action confirm = Act(ActionKind::kCountyConfirm, CountyOfficial(), Day(12), "县级审定为监测对象");
  confirm.object_type = ObjectType::kMarginalAtRisk;
  confirm.risk_types = {RiskType::kUnstableEmployment};
  confirm.identification_factors =
      std::vector<FactorKind>{FactorKind::kIncomeBelowLine, FactorKind::kNoEmployedMember};
  path.push_back(confirm);
  Action plan = Act(ActionKind::kAddPlan, Cadre(), Day(14), "一户一策：就业帮扶");
  plan.plan_id = "plan-0001";
  path.push_back(plan);
  path.push_back(Act(ActionKind::kProposeElimination, Cadre(), Day(200), "入户核实：收入稳定"));
  path.push_back(Act(ActionKind::kVillageAssess, Cadre(), Day(202), "评议同意消除风险"));
  path.push_back(Act(ActionKind::kStartPublicity, Cadre(), Day(203), "风险消除公示"));
  path.push_back(Act(ActionKind::kEndPublicity, Cadre(), Day(208), "公示期满无异议"));
  path.push_back(Act(ActionKind::kTownshipReview, TownshipOfficial(), Day(209), "乡镇审核同意"));
  path.push_back(
      Act(ActionKind::kConfirmElimination, CountyOfficial(), Day(210), "县级审定风险消除"));
  Action schedule =
      Act(ActionKind::kScheduleFollowUp, TownshipOfficial(), Day(211), "半年后回头看");
  schedule.follow_up_due = Day(400);
  path.push_back(schedule);
  Action follow_up = Act(ActionKind::kRecordFollowUp, Cadre(), Day(390), "回头看：收入稳定");
  follow_up.follow_up_outcome = FollowUpOutcome::kRiskStillEliminated;
  path.push_back(follow_up);
  return path;
}

// Stages of the happy path: the number of its actions applied.
enum Stage : int {
  kAtClue = 0,
  kAtHomeVerified,
  kAtDataCompared,
  kAtVillageAssessed,
  kAtPublicityRunning,
  kAtPublicityEnded,
  kAtTownshipReviewed,
  kAtCountyConfirmed,
  kAtAssisted,
  kAtEliminationProposed,
  kAtEliminationVillageAssessed,
  kAtEliminationPublicityRunning,
  kAtEliminationPublicityEnded,
  kAtEliminationTownshipReviewed,
  kAtRiskEliminated,
  kAtFollowUp,
  kAtFollowUpDone,
};

// What must be done next at each stage, as the refusal messages name it.
const std::vector<std::string> kNextStep = {
    "home verification",
    "data comparison",
    "village democratic assessment",
    "start of village publicity",
    "end of publicity after at least 5 days",
    "township review (乡镇审核)",
    "county confirmation",
    "an assistance plan",
    "risk-elimination proposal",
    "village assessment of the elimination",
    "start of the elimination publicity",
    "end of the elimination publicity after at least 5 days",
    "township review of the elimination",
    "county decision on risk elimination",
    "a scheduled follow-up",
};

MonitoringObject NewObject() {
  return *NewClue("hh-00000000000000000001", Div(kVillage), kClueFound);
}

MonitoringObject After(int stage, const LifecycleLimits& limits = {}) {
  MonitoringObject object = NewObject();
  const std::vector<Action> path = HappyPath();
  for (int i = 0; i < stage; ++i) {
    absl::StatusOr<MonitoringObject> next = Apply(object, path[i], limits);
    if (!next.ok()) {
      ADD_FAILURE() << "happy-path action " << i << " failed: " << next.status();
      return object;
    }
    object = *std::move(next);
  }
  return object;
}

// The status has `code` and its message contains every fragment and none of
// the absent ones.
::testing::AssertionResult IsError(const absl::Status& status, absl::StatusCode code,
                                   const std::vector<std::string>& fragments,
                                   const std::vector<std::string>& absent = {}) {
  if (status.code() != code) {
    return ::testing::AssertionFailure()
           << "expected " << absl::StatusCodeToString(code) << ", got " << status;
  }
  for (const std::string& f : fragments) {
    if (status.message().find(f) == absl::string_view::npos) {
      return ::testing::AssertionFailure() << "message lacks \"" << f << "\": " << status.message();
    }
  }
  for (const std::string& f : absent) {
    if (status.message().find(f) != absl::string_view::npos) {
      return ::testing::AssertionFailure()
             << "message should not name \"" << f << "\": " << status.message();
    }
  }
  return ::testing::AssertionSuccess();
}

std::vector<Deadline> OfKind(const std::vector<Deadline>& all, DeadlineKind kind) {
  std::vector<Deadline> out;
  for (const Deadline& d : all) {
    if (d.kind == kind) out.push_back(d);
  }
  return out;
}

// ---- The whole path ------------------------------------------------------------

TEST(LifecycleTest, HappyPathRecordsEveryStepWithActorAndReason) {
  const std::vector<State> expected_states = {
      State::kClue,
      State::kClue,
      State::kVillageAssessed,
      State::kPublicized,
      State::kPublicized,
      State::kTownshipReviewed,
      State::kCountyConfirmed,
      State::kAssisted,
      State::kEliminationProposed,
      State::kEliminationVillageAssessed,
      State::kEliminationPublicized,
      State::kEliminationPublicized,
      State::kEliminationTownshipReviewed,
      State::kRiskEliminated,
      State::kFollowUp,
      State::kRiskEliminated,
  };
  const std::vector<Action> path = HappyPath();
  ASSERT_EQ(path.size(), expected_states.size());
  MonitoringObject object = NewObject();
  for (std::size_t i = 0; i < path.size(); ++i) {
    const MonitoringObject before = object;
    absl::StatusOr<MonitoringObject> next = Apply(object, path[i], {});
    ASSERT_TRUE(next.ok()) << "action " << i << ": " << next.status();
    EXPECT_EQ(next->state, expected_states[i]) << "after action " << i;
    // Apply returns a new object; the one passed in is untouched.
    EXPECT_EQ(object.history.size(), before.history.size());
    EXPECT_EQ(object.state, before.state);
    object = *std::move(next);
  }

  ASSERT_EQ(object.history.size(), path.size());
  State from = State::kClue;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const Step& step = object.history[i];
    EXPECT_EQ(step.from, from) << "step " << i;
    EXPECT_EQ(step.to, expected_states[i]) << "step " << i;
    EXPECT_EQ(step.action, path[i].kind) << "step " << i;
    EXPECT_EQ(step.actor.user_id, path[i].actor.user_id) << "step " << i;
    EXPECT_EQ(step.actor.role, path[i].actor.role) << "step " << i;
    EXPECT_EQ(step.actor.division, path[i].actor.division) << "step " << i;
    EXPECT_EQ(step.at, path[i].at) << "step " << i;
    EXPECT_EQ(step.reason, path[i].reason) << "step " << i;
    EXPECT_TRUE(step.approved) << "step " << i;
    from = step.to;
  }
  EXPECT_EQ(object.history[6].detail, "type marginal_at_risk; risks unstable_employment");
  EXPECT_EQ(object.history[4].detail, "publicity ran 5 days");

  EXPECT_EQ(object.object_type, ObjectType::kMarginalAtRisk);
  EXPECT_EQ(object.risk_types, std::vector<RiskType>{RiskType::kUnstableEmployment});
  EXPECT_EQ(object.confirmed_at, Day(12));
  // The factors that led to identification stay on the object for M9.
  EXPECT_EQ(object.identification_factors,
            (std::vector<FactorKind>{FactorKind::kIncomeBelowLine, FactorKind::kNoEmployedMember}));
  EXPECT_EQ(object.plan_ids, std::vector<std::string>{"plan-0001"});
  EXPECT_EQ(object.eliminated_at, Day(210));
  EXPECT_EQ(object.last_follow_up_at, Day(390));
  EXPECT_FALSE(object.follow_up_due_at.has_value());
}

// What led to identification is recorded as the caller assessed it at the
// county decision: none fired (known empty) is not the same as unknown.
TEST(LifecycleTest, CountyConfirmationKeepsTheFactorsAsAssessed) {
  Action confirm = HappyPath()[kAtTownshipReviewed];
  confirm.identification_factors = std::vector<FactorKind>{};
  absl::StatusOr<MonitoringObject> none = Apply(After(kAtTownshipReviewed), confirm, {});
  ASSERT_TRUE(none.ok()) << none.status();
  ASSERT_TRUE(none->identification_factors.has_value());
  EXPECT_TRUE(none->identification_factors->empty());

  confirm.identification_factors.reset();
  absl::StatusOr<MonitoringObject> unknown = Apply(After(kAtTownshipReviewed), confirm, {});
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_FALSE(unknown->identification_factors.has_value());

  confirm.identification_factors = std::vector<FactorKind>{FactorKind::kSuddenEvent};
  confirm.approve = false;
  absl::StatusOr<MonitoringObject> rejected = Apply(After(kAtTownshipReviewed), confirm, {});
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_FALSE(rejected->identification_factors.has_value());
}

// ---- No step may be skipped (M7, M9a) ---------------------------------------------

TEST(LifecycleTest, EveryLaterStepIsRefusedUntilItsTurn) {
  const std::vector<Action> path = HappyPath();
  for (int stage = kAtClue; stage < kAtFollowUpDone; ++stage) {
    const MonitoringObject object = After(stage);
    for (int later = stage + 1; later < static_cast<int>(path.size()); ++later) {
      // Village assessment, publicity and township review serve both chains:
      // a later action of the kind due now is simply the step due now.
      if (path[later].kind == path[stage].kind) continue;
      absl::StatusOr<MonitoringObject> result = Apply(object, path[later], {});
      // The elimination decision scheduled the follow-up itself (issue 3):
      // scheduling it by hand is optional, so it can be recorded at once.
      if (stage == kAtRiskEliminated && later == kAtFollowUp) {
        EXPECT_TRUE(result.ok()) << result.status();
        continue;
      }
      ASSERT_FALSE(result.ok()) << "stage " << stage << " accepted action " << later;
      const std::string current = absl::StrCat("current step: ", StateLabel(object.state));
      const bool same_chain = (stage >= kAtAssisted) == (later >= kAtAssisted);
      if (same_chain) {
        EXPECT_TRUE(IsError(result.status(), absl::StatusCode::kFailedPrecondition,
                            {kNextStep[stage], current}))
            << "stage " << stage << ", action " << later;
      } else {
        // A shared review action before assistance means the identification
        // step of that kind: either still ahead (then the next step is named)
        // or already done.
        EXPECT_TRUE(IsError(result.status(), absl::StatusCode::kFailedPrecondition, {current}))
            << "stage " << stage << ", action " << later;
        const bool names_next =
            result.status().message().find(kNextStep[stage]) != absl::string_view::npos;
        const bool already_done =
            result.status().message().find("already been done") != absl::string_view::npos;
        EXPECT_TRUE(names_next || already_done) << result.status();
      }
    }
  }
}

TEST(LifecycleTest, RefusalNamesEveryMissingStepAndNoneDone) {
  const std::vector<Action> path = HappyPath();
  struct Case {
    int stage;
    int action;
    std::vector<std::string> names;
    std::vector<std::string> not_named;
  };
  const std::vector<Case> cases = {
      {kAtVillageAssessed,
       kAtPublicityEnded,  // township review
       {"township review (乡镇审核) requires first: start of village publicity (公示); then end "
        "of publicity after at least 5 days; current step: village assessed (村级评议)"},
       {"village democratic assessment"}},
      {kAtClue,
       kAtDataCompared,  // village assessment
       {"home verification", "data comparison", "current step: clue (线索)"},
       {"publicity"}},
      {kAtPublicityRunning,
       kAtPublicityEnded,
       {"end of publicity after at least 5 days", "publicity running"},
       {"start of village publicity"}},
      {kAtClue,
       kAtTownshipReviewed,  // county confirmation
       {"home verification", "data comparison", "village democratic assessment",
        "start of village publicity", "end of publicity", "township review"},
       {}},
      {kAtCountyConfirmed, kAtAssisted, {"an assistance plan (一户一策)"}, {"township review"}},
      {kAtAssisted,
       kAtEliminationTownshipReviewed,  // county decision on elimination
       {"risk-elimination proposal", "village assessment of the elimination",
        "start of the elimination publicity", "end of the elimination publicity",
        "township review of the elimination", "current step: assisted"},
       {"county confirmation"}},
      // The elimination decision schedules one follow-up; once it is done,
      // another must be scheduled first.
      {kAtFollowUpDone, kAtFollowUp, {"a scheduled follow-up (回头看)"}, {}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<MonitoringObject> result = Apply(After(c.stage), path[c.action], {});
    EXPECT_TRUE(
        IsError(result.status(), absl::StatusCode::kFailedPrecondition, c.names, c.not_named))
        << "stage " << c.stage << ", action " << c.action;
  }
}

TEST(LifecycleTest, StepAlreadyDoneIsRefused) {
  const std::vector<Action> path = HappyPath();
  Action assess = path[kAtDataCompared];
  assess.at = Day(13);
  EXPECT_TRUE(IsError(Apply(After(kAtCountyConfirmed), assess, {}).status(),
                      absl::StatusCode::kFailedPrecondition,
                      {"already been done", "current step: county confirmed"}));
  // The identification decision cannot be taken again during elimination.
  Action confirm = path[kAtTownshipReviewed];
  confirm.at = Day(209);
  EXPECT_TRUE(IsError(Apply(After(kAtEliminationPublicityEnded), confirm, {}).status(),
                      absl::StatusCode::kFailedPrecondition, {"already been done"}));
}

TEST(LifecycleTest, EliminationIsOnlyProposedFromAssisted) {
  const std::vector<Action> path = HappyPath();
  Action propose = path[kAtAssisted];
  EXPECT_TRUE(IsError(Apply(After(kAtCountyConfirmed), propose, {}).status(),
                      absl::StatusCode::kFailedPrecondition, {"an assistance plan"}));
  EXPECT_TRUE(IsError(Apply(After(kAtEliminationProposed), propose, {}).status(),
                      absl::StatusCode::kFailedPrecondition, {"already been done"}));
  EXPECT_TRUE(Apply(After(kAtAssisted), propose, {}).ok());
}

// ---- Publicity (公示) -------------------------------------------------------------

TEST(LifecycleTest, PublicityShorterThanTheMinimumIsRefused) {
  const MonitoringObject running = After(kAtPublicityRunning);  // started on Day(5)
  Action end = Act(ActionKind::kEndPublicity, Cadre(), Day(9) + absl::Hours(23), "公示结束");
  EXPECT_TRUE(IsError(Apply(running, end, {}).status(), absl::StatusCode::kFailedPrecondition,
                      {"at least 5 days", "publicity_min_days", "4 days 23 hours"}));

  end.at = Day(10);  // exactly five days
  absl::StatusOr<MonitoringObject> ended = Apply(running, end, {});
  ASSERT_TRUE(ended.ok()) << ended.status();
  EXPECT_EQ(ended->round.publicity_ended_at, Day(10));
  EXPECT_EQ(ended->state, State::kPublicized);

  // The minimum comes from the limits, not from the code.
  LifecycleLimits seven_days;
  seven_days.publicity_min_days = 7;
  seven_days.publicity_end_days = 9;
  EXPECT_TRUE(IsError(Apply(running, end, seven_days).status(),
                      absl::StatusCode::kFailedPrecondition, {"at least 7 days", "5 days"}));
  EXPECT_TRUE(IsError(Apply(running, HappyPath()[kAtPublicityEnded], seven_days).status(),
                      absl::StatusCode::kFailedPrecondition,
                      {"end of publicity after at least 7 days"}));
}

TEST(LifecycleTest, EliminationPublicityHasTheSameMinimum) {
  const MonitoringObject running = After(kAtEliminationPublicityRunning);  // started Day(203)
  Action end = Act(ActionKind::kEndPublicity, Cadre(), Day(207) + absl::Hours(23), "公示结束");
  EXPECT_TRUE(IsError(Apply(running, end, {}).status(), absl::StatusCode::kFailedPrecondition,
                      {"at least 5 days", "4 days 23 hours"}));
  end.at = Day(208);
  EXPECT_TRUE(Apply(running, end, {}).ok());
}

TEST(LifecycleTest, UnresolvedObjectionBlocksEndingPublicity) {
  MonitoringObject object = After(kAtPublicityRunning);
  object = *Apply(object,
                  Act(ActionKind::kRecordObjection, Cadre(), Day(6), "村民反映家中有经营收入"), {});
  ASSERT_EQ(object.round.objections.size(), 1u);
  EXPECT_EQ(object.round.objections[0].text, "村民反映家中有经营收入");

  const Action end = Act(ActionKind::kEndPublicity, Cadre(), Day(11), "公示结束");
  EXPECT_TRUE(IsError(Apply(object, end, {}).status(), absl::StatusCode::kFailedPrecondition,
                      {"objection 1", "unresolved"}));

  Action dismiss = Act(ActionKind::kResolveObjection, Cadre(), Day(11), "核实：经营已停业，无收入");
  dismiss.objection_id = 1;
  object = *Apply(object, dismiss, {});
  EXPECT_EQ(object.history.back().detail, "objection 1 dismissed");
  absl::StatusOr<MonitoringObject> ended = Apply(object, end, {});
  ASSERT_TRUE(ended.ok()) << ended.status();

  // Objections belong to the running publicity only.
  EXPECT_TRUE(IsError(
      Apply(*ended, Act(ActionKind::kRecordObjection, Cadre(), Day(11), "迟到的异议"), {}).status(),
      absl::StatusCode::kFailedPrecondition, {"publicity has already ended"}));
}

TEST(LifecycleTest, ObjectionsAreResolvedOnceAndMustExist) {
  MonitoringObject object = After(kAtPublicityRunning);
  object = *Apply(object, Act(ActionKind::kRecordObjection, Cadre(), Day(6), "异议"), {});
  Action resolve = Act(ActionKind::kResolveObjection, Cadre(), Day(7), "核实不属实");
  resolve.objection_id = 2;
  EXPECT_TRUE(IsError(Apply(object, resolve, {}).status(), absl::StatusCode::kInvalidArgument,
                      {"objection 2 does not exist"}));
  resolve.objection_id = 1;
  object = *Apply(object, resolve, {});
  EXPECT_TRUE(IsError(Apply(object, resolve, {}).status(), absl::StatusCode::kFailedPrecondition,
                      {"already resolved"}));
}

TEST(LifecycleTest, UpheldObjectionSendsTheCaseBackAndANewPublicityRunsInFull) {
  MonitoringObject object = After(kAtPublicityRunning);
  object = *Apply(object, Act(ActionKind::kRecordObjection, Cadre(), Day(6), "收入未下降"), {});
  Action uphold = Act(ActionKind::kResolveObjection, Cadre(), Day(8), "核实属实");
  uphold.objection_id = 1;
  uphold.objection_upheld = true;
  object = *Apply(object, uphold, {});
  EXPECT_TRUE(
      IsError(Apply(object, Act(ActionKind::kEndPublicity, Cadre(), Day(11), "结束"), {}).status(),
              absl::StatusCode::kFailedPrecondition, {"objection 1", "upheld"}));

  object = *Apply(object, Act(ActionKind::kReject, Cadre(), Day(11), "异议属实，重新评议"), {});
  EXPECT_EQ(object.state, State::kVillageAssessed);
  EXPECT_FALSE(object.round.publicity_started_at.has_value());
  EXPECT_TRUE(object.round.objections.empty());

  object = *Apply(object, Act(ActionKind::kStartPublicity, Cadre(), Day(12), "重新公示"), {});
  EXPECT_TRUE(
      IsError(Apply(object, Act(ActionKind::kEndPublicity, Cadre(), Day(16), "结束"), {}).status(),
              absl::StatusCode::kFailedPrecondition, {"4 days"}));
  EXPECT_TRUE(Apply(object, Act(ActionKind::kEndPublicity, Cadre(), Day(17), "结束"), {}).ok());
}

// ---- Rejection returns to the previous step ------------------------------------------

TEST(LifecycleTest, RejectionReturnsToThePreviousStep) {
  struct Case {
    int stage;
    ActionKind kind;
    Actor actor;
    State back_to;
  };
  const std::vector<Case> cases = {
      {kAtVillageAssessed, ActionKind::kReject, Cadre(), State::kClue},
      {kAtPublicityRunning, ActionKind::kReject, Cadre(), State::kVillageAssessed},
      {kAtPublicityEnded, ActionKind::kReject, TownshipOfficial(), State::kVillageAssessed},
      {kAtPublicityEnded, ActionKind::kTownshipReview, TownshipOfficial(), State::kVillageAssessed},
      {kAtTownshipReviewed, ActionKind::kCountyConfirm, CountyOfficial(), State::kPublicized},
      {kAtTownshipReviewed, ActionKind::kReject, CountyOfficial(), State::kPublicized},
      {kAtEliminationProposed, ActionKind::kReject, Cadre(), State::kAssisted},
      {kAtEliminationVillageAssessed, ActionKind::kReject, Cadre(), State::kEliminationProposed},
      {kAtEliminationPublicityEnded, ActionKind::kTownshipReview, TownshipOfficial(),
       State::kEliminationVillageAssessed},
      {kAtEliminationTownshipReviewed, ActionKind::kConfirmElimination, CountyOfficial(),
       State::kEliminationPublicized},
  };
  for (const Case& c : cases) {
    const MonitoringObject object = After(c.stage);
    Action reject =
        Act(c.kind, c.actor, object.history.back().at + absl::Hours(1), "材料不全，退回");
    reject.approve = false;
    absl::StatusOr<MonitoringObject> back = Apply(object, reject, {});
    ASSERT_TRUE(back.ok()) << "stage " << c.stage << ": " << back.status();
    EXPECT_EQ(back->state, c.back_to) << "stage " << c.stage;
    const Step& step = back->history.back();
    EXPECT_EQ(step.from, object.state);
    EXPECT_EQ(step.to, c.back_to);
    EXPECT_FALSE(step.approved);
    EXPECT_EQ(step.reason, "材料不全，退回");
    EXPECT_EQ(step.actor.user_id, c.actor.user_id);
  }
}

TEST(LifecycleTest, AfterARejectionTheReturnedStepIsTakenAgain) {
  const std::vector<Action> path = HappyPath();
  // The county sends the case back to the township, which reviews it again
  // without a new publicity.
  Action county_rejects = Act(ActionKind::kCountyConfirm, CountyOfficial(), Day(12), "请核实收入");
  county_rejects.approve = false;
  MonitoringObject object = *Apply(After(kAtTownshipReviewed), county_rejects, {});
  Action review_again = path[kAtPublicityEnded];
  review_again.at = Day(13);
  object = *Apply(object, review_again, {});
  EXPECT_EQ(object.state, State::kTownshipReviewed);

  // The township sends the case back to the village: the publicity is void,
  // so the township cannot review until a new one has ended.
  Action township_rejects = path[kAtPublicityEnded];
  township_rejects.approve = false;
  object = *Apply(After(kAtPublicityEnded), township_rejects, {});
  review_again.at = Day(12);
  EXPECT_TRUE(IsError(Apply(object, review_again, {}).status(),
                      absl::StatusCode::kFailedPrecondition,
                      {"start of village publicity", "current step: village assessed"}));
}

TEST(LifecycleTest, DecisionsAndCluesHaveNothingToReturnTo) {
  struct Case {
    int stage;
    Actor actor;
    std::string names;
  };
  const std::vector<Case> cases = {
      {kAtClue, Cadre(), "close_no_risk"},
      {kAtDataCompared, Cadre(), "close_no_risk"},
      {kAtCountyConfirmed, CountyOfficial(), "risk elimination"},
      {kAtAssisted, CountyOfficial(), "risk elimination"},
      {kAtRiskEliminated, CountyOfficial(), "follow-up"},
  };
  for (const Case& c : cases) {
    const MonitoringObject object = After(c.stage);
    const absl::Time at = object.history.empty() ? Day(1) : object.history.back().at;
    EXPECT_TRUE(IsError(Apply(object, Act(ActionKind::kReject, c.actor, at, "退回"), {}).status(),
                        absl::StatusCode::kFailedPrecondition, {"nothing to return to", c.names}))
        << "stage " << c.stage;
  }
}

// ---- Who may act --------------------------------------------------------------------

TEST(LifecycleTest, WrongRoleOrJurisdictionIsPermissionDenied) {
  const std::vector<Action> path = HappyPath();
  struct Case {
    std::string name;
    int stage;
    int action;  // index into the happy path; its actor is replaced
    Actor actor;
    std::vector<std::string> names;
  };
  const std::vector<Case> cases = {
      {"cadre of a neighbouring village",
       kAtDataCompared,
       kAtDataCompared,
       Someone(Role::kVillageCadre, "653121101202"),
       {"outside the jurisdiction", "653121101202"}},
      {"official of another township",
       kAtPublicityEnded,
       kAtPublicityEnded,
       Someone(Role::kTownshipOfficial, "653121102000"),
       {"outside the jurisdiction"}},
      {"official of another county",
       kAtTownshipReviewed,
       kAtTownshipReviewed,
       Someone(Role::kCountyOfficial, "653122000000"),
       {"outside the jurisdiction"}},
      {"village cadre doing the township review",
       kAtPublicityEnded,
       kAtPublicityEnded,
       Cadre(),
       {"township official", "653121101000", "village_cadre"}},
      {"county official doing the township review",
       kAtPublicityEnded,
       kAtPublicityEnded,
       CountyOfficial(),
       {"township official"}},
      {"township official confirming for the county",
       kAtTownshipReviewed,
       kAtTownshipReviewed,
       TownshipOfficial(),
       {"county official", "653121000000"}},
      {"prefecture official confirming for the county",
       kAtTownshipReviewed,
       kAtTownshipReviewed,
       Someone(Role::kPrefectureOfficial, "653100000000"),
       {"county official"}},
      {"county official registered at the prefecture",
       kAtTownshipReviewed,
       kAtTownshipReviewed,
       Someone(Role::kCountyOfficial, "653100000000"),
       {"registered at 653100000000", "not at 653121000000"}},
      {"village cadre registered at the township",
       kAtDataCompared,
       kAtDataCompared,
       Someone(Role::kVillageCadre, std::string(kTownship)),
       {"registered at 653121101000"}},
      {"village cadre recording data comparison",
       kAtHomeVerified,
       kAtHomeVerified,
       Cadre(),
       {"county department"}},
      {"department of another county",
       kAtHomeVerified,
       kAtHomeVerified,
       Someone(Role::kDepartment, "653122000000"),
       {"outside the jurisdiction"}},
      {"auditor assessing for the village",
       kAtDataCompared,
       kAtDataCompared,
       Someone(Role::kAuditor, std::string(kCounty)),
       {"village cadre", "auditor"}},
      {"township official deciding elimination",
       kAtEliminationTownshipReviewed,
       kAtEliminationTownshipReviewed,
       TownshipOfficial(),
       {"county official"}},
      // The level is checked before the state: a cadre never confirms.
      {"village cadre confirming a bare clue",
       kAtClue,
       kAtTownshipReviewed,
       Cadre(),
       {"county official"}},
  };
  for (const Case& c : cases) {
    Action action = path[c.action];
    action.actor = c.actor;
    EXPECT_TRUE(IsError(Apply(After(c.stage), action, {}).status(),
                        absl::StatusCode::kPermissionDenied, c.names))
        << c.name;
  }
}

TEST(LifecycleTest, RejectingIsForWhoeverTakesTheNextStep) {
  // After publicity the next step is the township's, so the village may no
  // longer withdraw the case on its own.
  const MonitoringObject ended = After(kAtPublicityEnded);
  EXPECT_TRUE(IsError(Apply(ended, Act(ActionKind::kReject, Cadre(), Day(10), "撤回"), {}).status(),
                      absl::StatusCode::kPermissionDenied, {"township official"}));
  EXPECT_TRUE(IsError(
      Apply(ended, Act(ActionKind::kCloseNoRisk, Cadre(), Day(10), "不符合条件"), {}).status(),
      absl::StatusCode::kPermissionDenied, {"township official"}));
}

TEST(LifecycleTest, OfficialsAboveTheVillageMayTakeVillageSteps) {
  const std::vector<Action> path = HappyPath();
  for (const Actor& actor : {TownshipOfficial(), CountyOfficial()}) {
    Action assess = path[kAtDataCompared];
    assess.actor = actor;
    absl::StatusOr<MonitoringObject> assessed = Apply(After(kAtDataCompared), assess, {});
    ASSERT_TRUE(assessed.ok()) << assessed.status();
    EXPECT_EQ(assessed->history.back().actor.user_id, actor.user_id);
  }
  Action compare = path[kAtHomeVerified];
  compare.actor = CountyOfficial();
  EXPECT_TRUE(Apply(After(kAtHomeVerified), compare, {}).ok());
}

TEST(LifecycleTest, ActorOfCopiesThePrincipal) {
  const auth::Principal principal{
      .user_id = "u-7", .role = Role::kTownshipOfficial, .division = Div(kTownship)};
  const Actor actor = ActorOf(principal);
  EXPECT_EQ(actor.user_id, "u-7");
  EXPECT_EQ(actor.role, Role::kTownshipOfficial);
  EXPECT_EQ(actor.division, Div(kTownship));
}

// ---- Elimination check hook (M9) -------------------------------------------------------

TEST(LifecycleTest, ConfirmEliminationRequiresTheEliminationCheck) {
  const MonitoringObject reviewed = After(kAtEliminationTownshipReviewed);
  Action confirm = HappyPath()[kAtEliminationTownshipReviewed];
  confirm.elimination_check = absl::FailedPreconditionError(
      "per-capita net income has been above the 2024 line for 4 of the required 6 months");
  absl::StatusOr<MonitoringObject> refused = Apply(reviewed, confirm, {});
  EXPECT_TRUE(IsError(refused.status(), absl::StatusCode::kFailedPrecondition,
                      {"4 of the required 6 months"}));
  EXPECT_EQ(reviewed.state, State::kEliminationTownshipReviewed);

  // The hook's own code passes through too.
  confirm.elimination_check = absl::UnavailableError("income records could not be read");
  EXPECT_EQ(Apply(reviewed, confirm, {}).status().code(), absl::StatusCode::kUnavailable);

  // Sending the case back needs no passing check.
  confirm.approve = false;
  absl::StatusOr<MonitoringObject> returned = Apply(reviewed, confirm, {});
  ASSERT_TRUE(returned.ok()) << returned.status();
  EXPECT_EQ(returned->state, State::kEliminationPublicized);

  confirm.approve = true;
  confirm.elimination_check = absl::OkStatus();
  absl::StatusOr<MonitoringObject> eliminated = Apply(reviewed, confirm, {});
  ASSERT_TRUE(eliminated.ok()) << eliminated.status();
  EXPECT_EQ(eliminated->state, State::kRiskEliminated);
  EXPECT_EQ(eliminated->eliminated_at, confirm.at);
}

TEST(LifecycleTest, ProposeEliminationRequiresTheEliminationCheck) {
  Action propose = HappyPath()[kAtAssisted];
  propose.elimination_check = absl::FailedPreconditionError(
      "the household has nobody able to work and is under the 低保 floor: it stays monitored");
  EXPECT_TRUE(IsError(Apply(After(kAtAssisted), propose, {}).status(),
                      absl::StatusCode::kFailedPrecondition, {"stays monitored"}));
}

TEST(LifecycleTest, TheStepIsCheckedBeforeTheEliminationHook) {
  Action confirm = HappyPath()[kAtEliminationTownshipReviewed];
  confirm.elimination_check = absl::FailedPreconditionError("income unstable");
  EXPECT_TRUE(IsError(Apply(After(kAtAssisted), confirm, {}).status(),
                      absl::StatusCode::kFailedPrecondition, {"risk-elimination proposal"},
                      {"income unstable"}));
}

// ---- Plans, closing, follow-up ----------------------------------------------------------

TEST(LifecycleTest, PlansAreAddedWhileAssistedOnly) {
  Action second = Act(ActionKind::kAddPlan, Cadre(), Day(30), "增加公益岗位");
  second.plan_id = "plan-0002";
  absl::StatusOr<MonitoringObject> two = Apply(After(kAtAssisted), second, {});
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->state, State::kAssisted);
  EXPECT_EQ(two->plan_ids, (std::vector<std::string>{"plan-0001", "plan-0002"}));

  second.at = Day(202);
  EXPECT_TRUE(IsError(Apply(After(kAtEliminationProposed), second, {}).status(),
                      absl::StatusCode::kFailedPrecondition,
                      {"only while the household is assisted", "elimination proposed"}));
}

TEST(LifecycleTest, ClosedClueTakesNoFurtherStep) {
  MonitoringObject object = After(kAtVillageAssessed);
  absl::StatusOr<MonitoringObject> closed = Apply(
      object, Act(ActionKind::kCloseNoRisk, TownshipOfficial(), Day(5), "人均纯收入高于监测线2倍"),
      {});
  ASSERT_TRUE(closed.ok()) << closed.status();
  EXPECT_EQ(closed->state, State::kClosedNoRisk);
  EXPECT_EQ(closed->history.back().reason, "人均纯收入高于监测线2倍");
  EXPECT_TRUE(IsError(
      Apply(*closed, Act(ActionKind::kStartPublicity, Cadre(), Day(6), "公示"), {}).status(),
      absl::StatusCode::kFailedPrecondition, {"closed without inclusion", "new clue"}));
  EXPECT_TRUE(DueDeadlines(*closed, Day(100), {}).empty());

  // A confirmed object is not closed: it leaves monitoring by elimination.
  EXPECT_TRUE(IsError(Apply(After(kAtCountyConfirmed),
                            Act(ActionKind::kCloseNoRisk, CountyOfficial(), Day(13), "撤销"), {})
                          .status(),
                      absl::StatusCode::kFailedPrecondition, {"risk elimination"}));
}

TEST(LifecycleTest, RiskReturningAtFollowUpStartsIdentificationAgain) {
  Action follow_up = Act(ActionKind::kRecordFollowUp, Cadre(), Day(390), "回头看：再次失业");
  follow_up.follow_up_outcome = FollowUpOutcome::kRiskReturned;
  absl::StatusOr<MonitoringObject> again = Apply(After(kAtFollowUp), follow_up, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state, State::kClue);
  EXPECT_EQ(again->clue_found_at, Day(390));
  EXPECT_FALSE(again->object_type.has_value());
  // The next confirmation records what leads to it then.
  EXPECT_FALSE(again->identification_factors.has_value());
  // Nothing of the first identification is lost.
  EXPECT_EQ(again->history.size(), static_cast<std::size_t>(kAtFollowUp) + 1);
  EXPECT_EQ(again->history[kAtTownshipReviewed].action, ActionKind::kCountyConfirm);

  EXPECT_TRUE(IsError(
      Apply(*again, Act(ActionKind::kVillageAssess, Cadre(), Day(391), "评议"), {}).status(),
      absl::StatusCode::kFailedPrecondition, {"home verification"}));
  const std::vector<Deadline> identification =
      OfKind(DueDeadlines(*again, Day(391), {}), DeadlineKind::kIdentification);
  ASSERT_EQ(identification.size(), 1u);
  EXPECT_EQ(identification[0].due_at, Day(405));
}

// ---- Input checks -------------------------------------------------------------------------

TEST(LifecycleTest, MalformedActionsAreInvalidArguments) {
  const std::vector<Action> path = HappyPath();
  struct Case {
    std::string name;
    int stage;
    Action action;
    std::string names;
  };
  Action no_reason = path[kAtDataCompared];
  no_reason.reason = "  ";
  Action no_user = path[kAtDataCompared];
  no_user.actor.user_id = "";
  Action backdated = path[kAtDataCompared];
  backdated.at = Day(2);  // data comparison was recorded on Day(3)
  Action no_type = path[kAtTownshipReviewed];
  no_type.object_type.reset();
  Action no_risk = path[kAtTownshipReviewed];
  no_risk.risk_types.clear();
  Action twice = path[kAtTownshipReviewed];
  twice.risk_types = {RiskType::kIllness, RiskType::kIllness};
  Action no_plan_id = path[kAtCountyConfirmed];
  no_plan_id.plan_id = "";
  Action due_before = path[kAtRiskEliminated];
  due_before.follow_up_due = due_before.at;
  Action no_outcome = path[kAtFollowUp];
  no_outcome.follow_up_outcome.reset();
  const std::vector<Case> cases = {
      {"blank reason", kAtDataCompared, no_reason, "reason is required"},
      {"no user", kAtDataCompared, no_user, "user id"},
      {"backdated", kAtDataCompared, backdated, "before the previous step"},
      {"no type", kAtTownshipReviewed, no_type, "monitoring-object type"},
      {"no risk type", kAtTownshipReviewed, no_risk, "at least one risk type"},
      {"risk type twice", kAtTownshipReviewed, twice, "illness is given twice"},
      {"no plan id", kAtCountyConfirmed, no_plan_id, "plan's id"},
      {"follow-up due at once", kAtRiskEliminated, due_before, "due after"},
      {"no follow-up outcome", kAtFollowUp, no_outcome, "outcome"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(IsError(Apply(After(c.stage), c.action, {}).status(),
                        absl::StatusCode::kInvalidArgument, {c.names}))
        << c.name;
  }
}

TEST(LifecycleTest, HomeVerificationNeedsTheHouseholdsConsent) {
  Action home = HappyPath()[kAtClue];
  home.household_consent = false;
  EXPECT_TRUE(IsError(Apply(NewObject(), home, {}).status(), absl::StatusCode::kFailedPrecondition,
                      {"consent"}));
}

TEST(LifecycleTest, LimitsAndNewCluesAreValidated) {
  LifecycleLimits limits;
  limits.publicity_min_days = 0;
  EXPECT_TRUE(
      IsError(ValidateLimits(limits), absl::StatusCode::kInvalidArgument, {"publicity_min_days"}));
  EXPECT_TRUE(IsError(Apply(NewObject(), HappyPath()[0], limits).status(),
                      absl::StatusCode::kInvalidArgument, {"publicity_min_days"}));
  limits = {};
  limits.publicity_end_days = 4;
  EXPECT_TRUE(
      IsError(ValidateLimits(limits), absl::StatusCode::kInvalidArgument, {"publicity_end_days"}));
  EXPECT_TRUE(ValidateLimits({}).ok());

  EXPECT_TRUE(IsError(NewClue("hh-1", Div(kTownship), kClueFound).status(),
                      absl::StatusCode::kInvalidArgument, {"township"}));
  EXPECT_TRUE(IsError(NewClue("", Div(kVillage), kClueFound).status(),
                      absl::StatusCode::kInvalidArgument, {"household id"}));
}

// ---- Deadlines (M7a, M10) -------------------------------------------------------------------

TEST(LifecycleTest, IdentificationIsOverdueOnlyAfterFifteenDays) {
  const MonitoringObject reviewed = After(kAtTownshipReviewed);
  const auto identification = [&](absl::Time now) {
    std::vector<Deadline> found =
        OfKind(DueDeadlines(reviewed, now, {}), DeadlineKind::kIdentification);
    EXPECT_EQ(found.size(), 1u);
    return found.empty() ? Deadline{} : found[0];
  };
  EXPECT_EQ(identification(Day(15)).due_at, Day(15));
  EXPECT_FALSE(identification(Day(15)).overdue);  // the 15th day is still in time
  EXPECT_TRUE(identification(Day(15) + absl::Minutes(1)).overdue);
  EXPECT_TRUE(identification(Day(16)).overdue);
  EXPECT_EQ(identification(Day(16)).awaited, ActionKind::kCountyConfirm);
  EXPECT_EQ(identification(Day(16)).state, State::kTownshipReviewed);

  LifecycleLimits ten_days;
  ten_days.identification_limit_days = 10;
  const std::vector<Deadline> shorter =
      OfKind(DueDeadlines(reviewed, Day(11), ten_days), DeadlineKind::kIdentification);
  ASSERT_EQ(shorter.size(), 1u);
  EXPECT_TRUE(shorter[0].overdue);

  // Confirmed: identification is complete and no longer due.
  EXPECT_TRUE(
      OfKind(DueDeadlines(After(kAtCountyConfirmed), Day(40), {}), DeadlineKind::kIdentification)
          .empty());
}

TEST(LifecycleTest, EachStepHasItsOwnDeadline) {
  struct Case {
    int stage;
    DeadlineKind kind;
    absl::Time due;
    ActionKind awaited;
  };
  const std::vector<Case> cases = {
      {kAtClue, DeadlineKind::kHomeVerification, Day(3), ActionKind::kRecordHomeVerification},
      {kAtHomeVerified, DeadlineKind::kDataComparison, Day(1 + 5),
       ActionKind::kRecordDataComparison},
      {kAtDataCompared, DeadlineKind::kVillageAssessment, Day(3 + 3), ActionKind::kVillageAssess},
      {kAtVillageAssessed, DeadlineKind::kPublicityStart, Day(4 + 2), ActionKind::kStartPublicity},
      {kAtPublicityRunning, DeadlineKind::kPublicityEnd, Day(5 + 7), ActionKind::kEndPublicity},
      {kAtPublicityEnded, DeadlineKind::kTownshipReview, Day(10 + 5), ActionKind::kTownshipReview},
      {kAtTownshipReviewed, DeadlineKind::kCountyDecision, Day(11 + 5), ActionKind::kCountyConfirm},
      {kAtCountyConfirmed, DeadlineKind::kPlanMissing, Day(12 + 30), ActionKind::kAddPlan},
      {kAtEliminationProposed, DeadlineKind::kVillageAssessment, Day(200 + 3),
       ActionKind::kVillageAssess},
      {kAtEliminationVillageAssessed, DeadlineKind::kPublicityStart, Day(202 + 2),
       ActionKind::kStartPublicity},
      {kAtEliminationPublicityRunning, DeadlineKind::kPublicityEnd, Day(203 + 7),
       ActionKind::kEndPublicity},
      {kAtEliminationPublicityEnded, DeadlineKind::kTownshipReview, Day(208 + 5),
       ActionKind::kTownshipReview},
      {kAtEliminationTownshipReviewed, DeadlineKind::kCountyDecision, Day(209 + 5),
       ActionKind::kConfirmElimination},
      {kAtFollowUp, DeadlineKind::kFollowUp, Day(400), ActionKind::kRecordFollowUp},
  };
  for (const Case& c : cases) {
    const MonitoringObject object = After(c.stage);
    std::vector<Deadline> all =
        DueDeadlines(object, object.history.empty() ? kClueFound : object.history.back().at, {});
    // Besides the identification limit, exactly one step is awaited.
    std::vector<Deadline> steps;
    for (const Deadline& d : all) {
      if (d.kind != DeadlineKind::kIdentification) steps.push_back(d);
    }
    ASSERT_EQ(steps.size(), 1u) << "stage " << c.stage;
    EXPECT_EQ(steps[0].kind, c.kind) << "stage " << c.stage;
    EXPECT_EQ(steps[0].due_at, c.due) << "stage " << c.stage;
    EXPECT_EQ(steps[0].awaited, c.awaited) << "stage " << c.stage;
    EXPECT_FALSE(steps[0].overdue) << "stage " << c.stage;
  }
}

TEST(LifecycleTest, PlanMissingIsOverdueAfterThirtyDays) {
  const MonitoringObject confirmed = After(kAtCountyConfirmed);  // confirmed on Day(12)
  const auto plan_missing = [&](absl::Time now) {
    return OfKind(DueDeadlines(confirmed, now, {}), DeadlineKind::kPlanMissing);
  };
  ASSERT_EQ(plan_missing(Day(42)).size(), 1u);
  EXPECT_FALSE(plan_missing(Day(42))[0].overdue);
  EXPECT_TRUE(plan_missing(Day(43))[0].overdue);
  // With a plan, nothing is due.
  EXPECT_TRUE(DueDeadlines(After(kAtAssisted), Day(100), {}).empty());
}

// Issue 3: the follow-up (回头看) is scheduled by the county decision on
// elimination itself, follow_up_days after it (default 180), so the deadline
// scheduler raises an alert when it passes although nobody scheduled it.
TEST(LifecycleTest, FollowUpIsDueAfterEliminationWithoutScheduling) {
  const MonitoringObject eliminated = After(kAtRiskEliminated);  // decided on Day(210)
  EXPECT_EQ(eliminated.state, State::kRiskEliminated);
  EXPECT_EQ(eliminated.follow_up_due_at, Day(210 + 180));
  EXPECT_EQ(eliminated.history.back().detail, "follow-up (回头看) due 2025-03-26 09:00 UTC");

  const std::vector<Deadline> due = DueDeadlines(eliminated, Day(300), {});
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, DeadlineKind::kFollowUp);
  EXPECT_EQ(due[0].due_at, Day(390));
  EXPECT_EQ(due[0].awaited, ActionKind::kRecordFollowUp);
  EXPECT_EQ(due[0].state, State::kRiskEliminated);
  EXPECT_FALSE(due[0].overdue);
  // The 180th day is still in time; a minute later it is overdue.
  EXPECT_FALSE(DueDeadlines(eliminated, Day(390), {})[0].overdue);
  EXPECT_TRUE(DueDeadlines(eliminated, Day(390) + absl::Minutes(1), {})[0].overdue);

  // The policy's figure, not a constant.
  LifecycleLimits thirty;
  thirty.follow_up_days = 30;
  const MonitoringObject sooner = After(kAtRiskEliminated, thirty);
  EXPECT_EQ(sooner.follow_up_due_at, Day(240));
  const std::vector<Deadline> sooner_due = DueDeadlines(sooner, Day(241), thirty);
  ASSERT_EQ(sooner_due.size(), 1u);
  EXPECT_EQ(sooner_due[0].due_at, Day(240));
  EXPECT_TRUE(sooner_due[0].overdue);
}

// Objects eliminated before the county decision scheduled the follow-up
// (回头看) itself carry no follow-up date. Their follow-up is due all the
// same, follow_up_days after the elimination, until one is recorded: the
// deadline scheduler sees it and it can be recorded without a schedule.
TEST(LifecycleTest, ObjectEliminatedWithoutAFollowUpDateStillHasItsFollowUpDue) {
  MonitoringObject legacy = After(kAtRiskEliminated);  // decided on Day(210)
  legacy.follow_up_due_at.reset();                     // as stored before the change

  const std::vector<Deadline> due = DueDeadlines(legacy, Day(300), {});
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, DeadlineKind::kFollowUp);
  EXPECT_EQ(due[0].due_at, Day(390));
  EXPECT_EQ(due[0].awaited, ActionKind::kRecordFollowUp);
  EXPECT_EQ(due[0].state, State::kRiskEliminated);
  EXPECT_FALSE(due[0].overdue);
  EXPECT_TRUE(DueDeadlines(legacy, Day(390) + absl::Minutes(1), {})[0].overdue);
  // The policy's figure, counted from the elimination decision.
  LifecycleLimits thirty;
  thirty.follow_up_days = 30;
  const std::vector<Deadline> sooner = DueDeadlines(legacy, Day(241), thirty);
  ASSERT_EQ(sooner.size(), 1u);
  EXPECT_EQ(sooner[0].due_at, Day(240));
  EXPECT_TRUE(sooner[0].overdue);

  // It is recorded like any other due follow-up, and then nothing is due.
  Action record = Act(ActionKind::kRecordFollowUp, Cadre(), Day(385), "回头看：收入稳定");
  record.follow_up_outcome = FollowUpOutcome::kRiskStillEliminated;
  absl::StatusOr<MonitoringObject> clear = Apply(legacy, record, {});
  ASSERT_TRUE(clear.ok()) << clear.status();
  EXPECT_EQ(clear->state, State::kRiskEliminated);
  EXPECT_EQ(clear->last_follow_up_at, Day(385));
  EXPECT_FALSE(clear->follow_up_due_at.has_value());
  EXPECT_TRUE(DueDeadlines(*clear, Day(800), {}).empty());

  // A township may still move it; the date is then on record.
  Action schedule = Act(ActionKind::kScheduleFollowUp, TownshipOfficial(), Day(211), "回头看");
  schedule.follow_up_due = Day(300);
  absl::StatusOr<MonitoringObject> moved = Apply(legacy, schedule, {});
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->follow_up_due_at, Day(300));

  // A follow-up recorded before this elimination (of an earlier one, whose
  // risk returned) does not count for it.
  MonitoringObject again = legacy;
  again.last_follow_up_at = Day(100);
  ASSERT_EQ(DueDeadlines(again, Day(300), {}).size(), 1u);
  EXPECT_EQ(DueDeadlines(again, Day(300), {})[0].due_at, Day(390));
  // One recorded since the elimination does: nothing more is due.
  again.last_follow_up_at = Day(250);
  EXPECT_TRUE(DueDeadlines(again, Day(300), {}).empty());
}

// A rejected elimination is no elimination: no follow-up is scheduled.
TEST(LifecycleTest, RejectedEliminationSchedulesNoFollowUp) {
  Action reject = HappyPath()[kAtEliminationTownshipReviewed];
  reject.approve = false;
  absl::StatusOr<MonitoringObject> returned =
      Apply(After(kAtEliminationTownshipReviewed), reject, {});
  ASSERT_TRUE(returned.ok()) << returned.status();
  EXPECT_FALSE(returned->follow_up_due_at.has_value());
  EXPECT_TRUE(OfKind(DueDeadlines(*returned, Day(500), {}), DeadlineKind::kFollowUp).empty());
}

// The scheduled follow-up is recorded directly; one that finds the household
// still clear schedules no further one (RULES M9/M9a ask for one re-check
// after elimination; more are scheduled by hand), and nothing is due after it.
TEST(LifecycleTest, TheScheduledFollowUpIsRecordedWithoutAManualSchedule) {
  Action record = Act(ActionKind::kRecordFollowUp, Cadre(), Day(385), "回头看：收入稳定");
  record.follow_up_outcome = FollowUpOutcome::kRiskStillEliminated;
  absl::StatusOr<MonitoringObject> clear = Apply(After(kAtRiskEliminated), record, {});
  ASSERT_TRUE(clear.ok()) << clear.status();
  EXPECT_EQ(clear->state, State::kRiskEliminated);
  EXPECT_EQ(clear->last_follow_up_at, Day(385));
  EXPECT_FALSE(clear->follow_up_due_at.has_value());
  EXPECT_TRUE(DueDeadlines(*clear, Day(800), {}).empty());
  EXPECT_TRUE(DueDeadlines(After(kAtFollowUpDone), Day(800), {}).empty());

  // A second follow-up needs a schedule first...
  record.at = Day(600);
  EXPECT_TRUE(IsError(Apply(*clear, record, {}).status(), absl::StatusCode::kFailedPrecondition,
                      {"a scheduled follow-up", "current step: risk eliminated"}));
  // ...which a township official may still set by hand.
  Action schedule = Act(ActionKind::kScheduleFollowUp, TownshipOfficial(), Day(400), "再次回头看");
  schedule.follow_up_due = Day(700);
  absl::StatusOr<MonitoringObject> again = Apply(*clear, schedule, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state, State::kFollowUp);
  const std::vector<Deadline> due = DueDeadlines(*again, Day(701), {});
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].kind, DeadlineKind::kFollowUp);
  EXPECT_EQ(due[0].due_at, Day(700));
  EXPECT_TRUE(due[0].overdue);

  // Risk found back at the scheduled follow-up: identification again.
  record.at = Day(385);
  record.follow_up_outcome = FollowUpOutcome::kRiskReturned;
  absl::StatusOr<MonitoringObject> back = Apply(After(kAtRiskEliminated), record, {});
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->state, State::kClue);
  EXPECT_FALSE(back->follow_up_due_at.has_value());
  EXPECT_TRUE(OfKind(DueDeadlines(*back, Day(386), {}), DeadlineKind::kFollowUp).empty());
}

// A manual ScheduleFollowUp still works after elimination: it moves the date
// set by the county decision (earlier or later).
TEST(LifecycleTest, AManualScheduleMovesTheFollowUp) {
  Action schedule = Act(ActionKind::kScheduleFollowUp, TownshipOfficial(), Day(211), "提前回头看");
  schedule.follow_up_due = Day(300);
  absl::StatusOr<MonitoringObject> moved = Apply(After(kAtRiskEliminated), schedule, {});
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->state, State::kFollowUp);
  EXPECT_EQ(moved->follow_up_due_at, Day(300));
  const std::vector<Deadline> due = DueDeadlines(*moved, Day(250), {});
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].due_at, Day(300));
  // And once more, later.
  schedule.at = Day(212);
  schedule.follow_up_due = Day(450);
  absl::StatusOr<MonitoringObject> later = Apply(*moved, schedule, {});
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->follow_up_due_at, Day(450));
  // Village cadres do not schedule it.
  schedule.actor = Cadre();
  EXPECT_EQ(Apply(After(kAtRiskEliminated), schedule, {}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(LifecycleTest, FollowUpDaysMustBePositive) {
  LifecycleLimits none;
  none.follow_up_days = 0;
  EXPECT_TRUE(
      IsError(ValidateLimits(none), absl::StatusCode::kInvalidArgument, {"follow_up_days"}));
}

// ---- Names ------------------------------------------------------------------------------------

TEST(LifecycleTest, NamesRoundTripAndUnknownNamesAreRefused) {
  for (State s : {State::kClue, State::kVillageAssessed, State::kPublicized,
                  State::kTownshipReviewed, State::kCountyConfirmed, State::kAssisted,
                  State::kEliminationProposed, State::kEliminationVillageAssessed,
                  State::kEliminationPublicized, State::kEliminationTownshipReviewed,
                  State::kRiskEliminated, State::kFollowUp, State::kClosedNoRisk}) {
    absl::StatusOr<State> parsed = ParseState(StateName(s));
    ASSERT_TRUE(parsed.ok()) << StateName(s);
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(StateName(State::kRiskEliminated), "risk_eliminated");
  EXPECT_EQ(*ParseRiskType("unstable_employment"), RiskType::kUnstableEmployment);
  EXPECT_EQ(*ParseObjectType("sudden_hardship"), ObjectType::kSuddenHardship);
  EXPECT_TRUE(IsError(ParseRiskType("poverty").status(), absl::StatusCode::kInvalidArgument,
                      {"poverty", "lack_of_labour"}));
  EXPECT_FALSE(ParseState("deleted").ok());
}

}  // namespace
}  // namespace zx::monitoring::lifecycle
