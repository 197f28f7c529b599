#include "services/monitoring/domain/policy.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "common/errors/errors.h"

namespace zx::monitoring {
namespace {

division::Code Code(std::string_view text) { return *division::Code::Parse(text); }

absl::CivilDay Day(int year, int month, int day) { return absl::CivilDay(year, month, day); }

division::Code Yunnan() { return Code("53"); }
division::Code Chuxiong() { return Code("5323"); }
division::Code Dayao() { return Code("532326"); }
division::Code Yaoan() { return Code("532325"); }
division::Code DayaoVillage() { return Code("532326101201"); }
division::Code Xinjiang() { return Code("65"); }

MonitoringPolicy Published(std::string version, const division::Code& owner, int year,
                           absl::CivilDay from, money::Fen line) {
  MonitoringPolicy p = DefaultPolicy(owner, year);
  p.version = std::move(version);
  p.effective_from = from;
  p.monitoring_line_fen = line;
  return p;
}

std::vector<std::string> InvalidFields(const MonitoringPolicy& policy) {
  std::vector<std::string> fields;
  for (const auto& v : errors::FieldViolationsOf(Validate(policy))) fields.push_back(v.field);
  return fields;
}

TEST(DefaultPolicyTest, CarriesTheNationalDefaults) {
  const MonitoringPolicy p = DefaultPolicy(Xinjiang(), 2026);
  EXPECT_EQ(p.version, "national-default-2026");
  EXPECT_EQ(p.owner, Xinjiang());
  EXPECT_EQ(p.year, 2026);
  EXPECT_EQ(p.effective_from, absl::CivilDay(2026, 1, 1));
  EXPECT_EQ(p.monitoring_line_fen, 600000);  // 6,000 yuan, the national 2021 line
  EXPECT_EQ(p.orange_line_permille, 1200);
  EXPECT_EQ(p.yellow_line_permille, 1500);
  EXPECT_EQ(p.orange_income_drop_permille, 300);
  EXPECT_EQ(p.yellow_income_drop_permille, 150);
  EXPECT_EQ(p.heavy_rigid_spending_permille, 500);
  EXPECT_EQ(p.sudden_event_days, 90);
  EXPECT_EQ(p.stable_months_required, 6);
  EXPECT_EQ(p.publicity_min_days, 5);
  EXPECT_EQ(p.identification_limit_days, 15);
  EXPECT_EQ(p.plan_missing_days, 30);
  EXPECT_TRUE(Validate(p).ok());
}

struct InvalidCase {
  std::string name;
  std::function<void(MonitoringPolicy&)> change;
  std::vector<std::string> fields;
};

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

class ValidateTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(ValidateTest, NamesTheBadField) {
  MonitoringPolicy p = DefaultPolicy(Yunnan(), 2024);
  GetParam().change(p);
  const absl::Status status = Validate(p);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InvalidFields(p), GetParam().fields);
  for (const auto& field : GetParam().fields) {
    EXPECT_NE(status.message().find(field), std::string::npos) << status.message();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Policies, ValidateTest,
    testing::Values(
        InvalidCase{"NoVersion", [](auto& p) { p.version = ""; }, {"version"}},
        InvalidCase{"TownshipOwner", [](auto& p) { p.owner = Code("532326101"); }, {"owner"}},
        InvalidCase{"YearZero", [](auto& p) { p.year = 0; }, {"year"}},
        InvalidCase{"EffectiveAfterYear",
                    [](auto& p) { p.effective_from = absl::CivilDay(2025, 1, 1); },
                    {"effective_from"}},
        InvalidCase{
            "LineZero", [](auto& p) { p.monitoring_line_fen = 0; }, {"monitoring_line_fen"}},
        InvalidCase{
            "LineNegative", [](auto& p) { p.monitoring_line_fen = -1; }, {"monitoring_line_fen"}},
        InvalidCase{
            "LineTooLargeForBands",
            [](auto& p) { p.monitoring_line_fen = std::numeric_limits<money::Fen>::max() / 4 * 3; },
            {"monitoring_line_fen"}},
        InvalidCase{"OrangeBandAtLine",
                    [](auto& p) { p.orange_line_permille = 1000; },
                    {"orange_line_permille"}},
        InvalidCase{"OrangeAboveYellow",
                    [](auto& p) {
                      p.orange_line_permille = 1600;
                      p.yellow_line_permille = 1500;
                    },
                    {"yellow_line_permille"}},
        InvalidCase{"OrangeEqualsYellow",
                    [](auto& p) { p.orange_line_permille = 1500; },
                    {"yellow_line_permille"}},
        InvalidCase{"YellowDropZero",
                    [](auto& p) { p.yellow_income_drop_permille = 0; },
                    {"yellow_income_drop_permille"}},
        InvalidCase{"OrangeDropNotAboveYellow",
                    [](auto& p) { p.orange_income_drop_permille = 150; },
                    {"orange_income_drop_permille"}},
        InvalidCase{"OrangeDropOverWhole",
                    [](auto& p) { p.orange_income_drop_permille = 1001; },
                    {"orange_income_drop_permille"}},
        InvalidCase{"RigidZero",
                    [](auto& p) { p.heavy_rigid_spending_permille = 0; },
                    {"heavy_rigid_spending_permille"}},
        InvalidCase{
            "SuddenDaysZero", [](auto& p) { p.sudden_event_days = 0; }, {"sudden_event_days"}},
        InvalidCase{"StableMonthsZero",
                    [](auto& p) { p.stable_months_required = 0; },
                    {"stable_months_required"}},
        InvalidCase{
            "PublicityZero", [](auto& p) { p.publicity_min_days = 0; }, {"publicity_min_days"}},
        InvalidCase{"PublicityLongerThanLimit",
                    [](auto& p) {
                      p.publicity_min_days = 15;
                      p.publicity_end_days = 20;
                    },
                    {"publicity_min_days"}},
        InvalidCase{"PublicityEndsBeforeItsMinimum",
                    [](auto& p) { p.publicity_end_days = 4; },
                    {"publicity_end_days"}},
        InvalidCase{"CountyDecisionZero",
                    [](auto& p) { p.county_decision_days = 0; },
                    {"county_decision_days"}},
        InvalidCase{
            "PlanMissingZero", [](auto& p) { p.plan_missing_days = 0; }, {"plan_missing_days"}},
        InvalidCase{
            "ScaleWindowZero", [](auto& p) { p.scale_window_days = 0; }, {"scale_window_days"}},
        InvalidCase{"ScaleCountyNewObjectsZero",
                    [](auto& p) { p.scale_county_new_objects = 0; },
                    {"scale_county_new_objects"}},
        InvalidCase{"SeveralAtOnce",
                    [](auto& p) {
                      p.monitoring_line_fen = 0;
                      p.scale_township_new_red = -3;
                    },
                    {"monitoring_line_fen", "scale_township_new_red"}}),
    [](const auto& info) { return info.param.name; });

TEST(ValidateTest, PolicyPublishedAheadOfItsYearIsValid) {
  MonitoringPolicy p = DefaultPolicy(Yunnan(), 2024);
  p.effective_from = absl::CivilDay(2023, 12, 15);
  EXPECT_TRUE(Validate(p).ok());
}

TEST(ResolvePolicyTest, CountyInheritsFromRegion) {
  const std::vector<MonitoringPolicy> published = {
      Published("yunnan-2024", Yunnan(), 2024, Day(2024, 1, 1), 870000)};
  auto p = ResolvePolicy(published, Dayao(), 2024, Day(2024, 6, 1));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->version, "yunnan-2024");
  EXPECT_EQ(p->monitoring_line_fen, 870000);
}

TEST(ResolvePolicyTest, MostSpecificOwnerWins) {
  const std::vector<MonitoringPolicy> published = {
      Published("dayao-2024", Dayao(), 2024, Day(2024, 1, 1), 900000),
      Published("yunnan-2024", Yunnan(), 2024, Day(2024, 1, 1), 870000),
      Published("chuxiong-2024", Chuxiong(), 2024, Day(2024, 1, 1), 880000),
  };
  struct Case {
    division::Code division;
    std::string version;
  };
  for (const Case& c : {Case{Dayao(), "dayao-2024"}, Case{DayaoVillage(), "dayao-2024"},
                        Case{Yaoan(), "chuxiong-2024"}, Case{Chuxiong(), "chuxiong-2024"},
                        Case{Yunnan(), "yunnan-2024"}, Case{Code("5301"), "yunnan-2024"}}) {
    auto p = ResolvePolicy(published, c.division, 2024, Day(2024, 6, 1));
    ASSERT_TRUE(p.ok()) << c.division << ": " << p.status();
    EXPECT_EQ(p->version, c.version) << c.division;
  }
}

TEST(ResolvePolicyTest, OtherRegionsAndYearsDoNotApply) {
  const std::vector<MonitoringPolicy> published = {
      Published("yunnan-2023", Yunnan(), 2023, Day(2023, 1, 1), 805000),
      Published("xinjiang-2024", Xinjiang(), 2024, Day(2024, 1, 1), 600000),
  };
  auto p = ResolvePolicy(published, Dayao(), 2024, Day(2024, 6, 1));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(p.status().message().find("532326000000"), std::string::npos);
  EXPECT_NE(p.status().message().find("2024"), std::string::npos);
}

TEST(ResolvePolicyTest, EffectiveDatesDecideWhichVersionApplies) {
  const std::vector<MonitoringPolicy> published = {
      Published("yunnan-2024-a", Yunnan(), 2024, Day(2024, 1, 1), 860000),
      Published("yunnan-2024-b", Yunnan(), 2024, Day(2024, 7, 1), 870000),
      Published("dayao-2024", Dayao(), 2024, Day(2024, 9, 1), 900000),
  };
  struct Case {
    absl::CivilDay date;
    std::string version;
  };
  for (const Case& c :
       {Case{Day(2024, 6, 30), "yunnan-2024-a"}, Case{Day(2024, 7, 1), "yunnan-2024-b"},
        Case{Day(2024, 8, 31), "yunnan-2024-b"}, Case{Day(2024, 9, 1), "dayao-2024"}}) {
    auto p = ResolvePolicy(published, Dayao(), 2024, c.date);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->version, c.version) << c.date;
  }
  // Before anything took effect there is no policy, not a silent default.
  EXPECT_EQ(ResolvePolicy(published, Dayao(), 2024, Day(2023, 12, 31)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(ResolvePolicyTest, LevelAboveCanForbidOverrides) {
  MonitoringPolicy region = Published("yunnan-2024", Yunnan(), 2024, Day(2024, 1, 1), 870000);
  region.allow_lower_level_override = false;
  const std::vector<MonitoringPolicy> published = {
      region, Published("dayao-2024", Dayao(), 2024, Day(2024, 1, 1), 900000)};
  auto p = ResolvePolicy(published, Dayao(), 2024, Day(2024, 6, 1));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->version, "yunnan-2024");

  // A prefecture that forbids overrides stops its counties but not itself.
  MonitoringPolicy prefecture =
      Published("chuxiong-2024", Chuxiong(), 2024, Day(2024, 1, 1), 880000);
  prefecture.allow_lower_level_override = false;
  const std::vector<MonitoringPolicy> nested = {
      Published("yunnan-2024", Yunnan(), 2024, Day(2024, 1, 1), 870000), prefecture,
      Published("dayao-2024", Dayao(), 2024, Day(2024, 1, 1), 900000)};
  p = ResolvePolicy(nested, Dayao(), 2024, Day(2024, 6, 1));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->version, "chuxiong-2024");
}

TEST(ResolvePolicyTest, TwoVersionsOnTheSameDayAreAConflict) {
  const std::vector<MonitoringPolicy> published = {
      Published("yunnan-2024-a", Yunnan(), 2024, Day(2024, 1, 1), 860000),
      Published("yunnan-2024-b", Yunnan(), 2024, Day(2024, 1, 1), 870000),
  };
  auto p = ResolvePolicy(published, Dayao(), 2024, Day(2024, 6, 1));
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(p.status().message().find("yunnan-2024-a"), std::string::npos);
  EXPECT_NE(p.status().message().find("yunnan-2024-b"), std::string::npos);
}

}  // namespace
}  // namespace zx::monitoring
