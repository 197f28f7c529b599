#include "services/monitoring/domain/alerts.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace zx::monitoring::alerts {
namespace {

namespace lc = lifecycle;

division::Code Div(std::string_view code) { return *division::Code::Parse(code); }

const absl::Time kNow = absl::FromCivil(absl::CivilMinute(2026, 3, 1, 9, 0), absl::UTCTimeZone());
absl::Time Days(double n) { return kNow + absl::Hours(24 * n); }

// ---- Scale warnings: exactly at the threshold is a warning -----------------

struct ScaleCase {
  std::string name;
  int64_t count;
  int threshold;
  std::optional<absl::Time> last_warning_at;
  bool raise;
};

class ScaleWarningTest : public ::testing::TestWithParam<ScaleCase> {};

TEST_P(ScaleWarningTest, Decides) {
  const ScaleCase& c = GetParam();
  EXPECT_EQ(ShouldRaiseScaleWarning(c.count, c.threshold, c.last_warning_at, kNow, 30), c.raise);
}

// Skipping the count is safe: where it is not needed, no count raises.
TEST_P(ScaleWarningTest, CountIsNeededWhereSomeCountWouldRaise) {
  const ScaleCase& c = GetParam();
  bool some_count_raises = false;
  for (int64_t count :
       {int64_t{0}, int64_t{1}, c.count, int64_t{c.threshold}, int64_t{1'000'000}}) {
    some_count_raises |= ShouldRaiseScaleWarning(count, c.threshold, c.last_warning_at, kNow, 30);
  }
  EXPECT_EQ(ScaleCountNeeded(c.threshold, c.last_warning_at, kNow, 30), some_count_raises);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ScaleWarningTest,
    ::testing::Values(ScaleCase{"OneBelowThreshold", 9, 10, std::nullopt, false},
                      ScaleCase{"ExactlyAtThreshold", 10, 10, std::nullopt, true},
                      ScaleCase{"AboveThresholdNeverWarned", 11, 10, std::nullopt, true},
                      ScaleCase{"ThresholdOfOne", 1, 1, std::nullopt, true},
                      ScaleCase{"ZeroCount", 0, 1, std::nullopt, false},
                      ScaleCase{"NoThresholdAtThisLevel", 100, 0, std::nullopt, false},
                      ScaleCase{"AlreadyWarnedInWindow", 11, 10, Days(-1), false},
                      ScaleCase{"WarnedJustNow", 10, 10, kNow, false},
                      // The window is [now - 30 days, now]: a warning exactly at its start
                      // still covers it; one a microsecond earlier does not.
                      ScaleCase{"WarnedExactlyAtWindowStart", 10, 10, Days(-30), false},
                      ScaleCase{"WarnedJustBeforeWindow", 10, 10, Days(-30) - absl::Microseconds(1),
                                true},
                      ScaleCase{"WarnedBeforeWindowButBelowThreshold", 9, 10, Days(-60), false}),
    [](const auto& info) { return info.param.name; });

TEST(ScaleThresholdTest, ComesFromThePolicyPerLevelAndMetric) {
  MonitoringPolicy p = DefaultPolicy(Div("650000"), 2026);
  EXPECT_EQ(p.scale_window_days, 30);
  EXPECT_EQ(ScaleThreshold(p, ScaleMetric::kNewRed, division::Level::kTownship), 10);
  EXPECT_EQ(ScaleThreshold(p, ScaleMetric::kNewRed, division::Level::kCounty), 50);
  EXPECT_EQ(ScaleThreshold(p, ScaleMetric::kNewObjects, division::Level::kTownship), 10);
  EXPECT_EQ(ScaleThreshold(p, ScaleMetric::kNewObjects, division::Level::kCounty), 50);
  p.scale_township_new_objects = 3;
  p.scale_county_new_red = 7;
  EXPECT_EQ(ScaleThreshold(p, ScaleMetric::kNewObjects, division::Level::kTownship), 3);
  EXPECT_EQ(ScaleThreshold(p, ScaleMetric::kNewRed, division::Level::kCounty), 7);
  EXPECT_EQ(ScaleThreshold(p, ScaleMetric::kNewRed, division::Level::kVillage), 0);
  EXPECT_EQ(ScaleThreshold(p, ScaleMetric::kNewRed, division::Level::kPrefecture), 0);
}

TEST(ScaleWindowTest, StartsWindowDaysBeforeNow) {
  EXPECT_EQ(ScaleWindowStart(kNow, 30), Days(-30));
  EXPECT_EQ(ScaleWindowStart(kNow, 1), Days(-1));
}

// ---- Deadlines ----------------------------------------------------------------

lc::Deadline Dl(lc::DeadlineKind kind, absl::Time due) {
  return lc::Deadline{.kind = kind,
                      .due_at = due,
                      .overdue = kNow > due,
                      .state = lc::State::kClue,
                      .awaited = lc::ActionKind::kCountyConfirm};
}

struct DeadlineCase {
  std::string name;
  std::vector<lc::Deadline> deadlines;
  std::vector<AlertKind> alerts;
  std::optional<absl::Time> next_scan;
};

class DeadlineAlertTest : public ::testing::TestWithParam<DeadlineCase> {};

TEST_P(DeadlineAlertTest, AlertsOverdueAndSchedulesTheNextPending) {
  const DeadlineCase& c = GetParam();
  std::vector<AlertKind> kinds;
  for (const DeadlineAlert& a : OverdueAlerts(c.deadlines)) {
    kinds.push_back(a.kind);
    EXPECT_TRUE(a.deadline.overdue);
  }
  EXPECT_EQ(kinds, c.alerts);
  EXPECT_EQ(NextScanAt(c.deadlines), c.next_scan);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DeadlineAlertTest,
    ::testing::Values(
        DeadlineCase{"Nothing", {}, {}, std::nullopt},
        DeadlineCase{"NotYetDue",
                     {Dl(lc::DeadlineKind::kIdentification, Days(10)),
                      Dl(lc::DeadlineKind::kHomeVerification, Days(2))},
                     {},
                     Days(2)},
        // Due exactly now is not overdue yet (the full day count must pass).
        DeadlineCase{"DueExactlyNow", {Dl(lc::DeadlineKind::kHomeVerification, kNow)}, {}, kNow},
        DeadlineCase{"StepOverdueIdentificationPending",
                     {Dl(lc::DeadlineKind::kIdentification, Days(10)),
                      Dl(lc::DeadlineKind::kHomeVerification, Days(-1))},
                     {AlertKind::kOverdueStep},
                     Days(10)},
        DeadlineCase{"BothOverdueNothingLeftToScan",
                     {Dl(lc::DeadlineKind::kIdentification, Days(-1) - absl::Microseconds(1)),
                      Dl(lc::DeadlineKind::kHomeVerification, Days(-5))},
                     {AlertKind::kOverdueStep, AlertKind::kOverdueStep},
                     std::nullopt},
        DeadlineCase{"PlanMissingIsItsOwnKind",
                     {Dl(lc::DeadlineKind::kPlanMissing, kNow - absl::Microseconds(1))},
                     {AlertKind::kPlanMissing},
                     std::nullopt},
        DeadlineCase{"FollowUpOverdueIsAStep",
                     {Dl(lc::DeadlineKind::kFollowUp, Days(-3))},
                     {AlertKind::kOverdueStep},
                     std::nullopt}),
    [](const auto& info) { return info.param.name; });

// ---- Keys and texts -----------------------------------------------------------

TEST(KeyTest, SameCauseSameKeyDifferentCauseDifferentKey) {
  const std::string hh = "hh-0123456789abcdef0123";
  EXPECT_EQ(NewRedKey(hh, kNow), NewRedKey(hh, kNow));
  EXPECT_NE(NewRedKey(hh, kNow), NewRedKey(hh, kNow + absl::Microseconds(1)));
  const std::string mo = "mo-0123456789abcdef0123";
  EXPECT_EQ(DeadlineKey(mo, lc::DeadlineKind::kIdentification, kNow),
            DeadlineKey(mo, lc::DeadlineKind::kIdentification, kNow));
  EXPECT_NE(DeadlineKey(mo, lc::DeadlineKind::kIdentification, kNow),
            DeadlineKey(mo, lc::DeadlineKind::kHomeVerification, kNow));
  EXPECT_NE(DeadlineKey(mo, lc::DeadlineKind::kIdentification, kNow),
            DeadlineKey(mo, lc::DeadlineKind::kIdentification, Days(1)));
  EXPECT_NE(ScaleKey(ScaleMetric::kNewRed, Div("653121101"), "a"),
            ScaleKey(ScaleMetric::kNewObjects, Div("653121101"), "a"));
  EXPECT_NE(ScaleKey(ScaleMetric::kNewRed, Div("653121101"), "a"),
            ScaleKey(ScaleMetric::kNewRed, Div("653121"), "a"));
}

TEST(DetailTest, NamesTheFiguresInBothLanguages) {
  const Detail scale = DescribeScale(ScaleMetric::kNewRed, Div("653121101"), 10, 10, 30);
  EXPECT_NE(scale.zh.find("乡镇 653121101000"), std::string::npos) << scale.zh;
  EXPECT_NE(scale.zh.find("红色"), std::string::npos) << scale.zh;
  EXPECT_NE(scale.en.find("10 households turned RED in the last 30 days"), std::string::npos)
      << scale.en;
  const Detail plan =
      DescribeDeadline(DeadlineAlert{.kind = AlertKind::kPlanMissing,
                                     .deadline = Dl(lc::DeadlineKind::kPlanMissing, Days(-1))},
                       "hh-1");
  EXPECT_NE(plan.zh.find("一户一策"), std::string::npos) << plan.zh;
  EXPECT_NE(plan.en.find("M10"), std::string::npos) << plan.en;
  const Detail step =
      DescribeDeadline(DeadlineAlert{.kind = AlertKind::kOverdueStep,
                                     .deadline = Dl(lc::DeadlineKind::kIdentification, Days(-1))},
                       "hh-1");
  EXPECT_NE(step.zh.find("识别认定"), std::string::npos) << step.zh;
  EXPECT_NE(step.en.find("identification overdue"), std::string::npos) << step.en;
}

}  // namespace
}  // namespace zx::monitoring::alerts
