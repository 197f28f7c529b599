#include "services/monitoring/domain/risk.h"

#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace zx::monitoring {
namespace {

using money::Fen;

absl::CivilDay Day(int year, int month, int day) { return absl::CivilDay(year, month, day); }
absl::CivilMonth Month(int year, int month) { return absl::CivilMonth(year, month); }

// Kashgar's Shufu county under the national defaults: line 6,000 yuan,
// orange band 7,200 yuan, yellow band 9,000 yuan.
MonitoringPolicy Policy(int year = 2026) {
  return DefaultPolicy(*division::Code::Parse("653121"), year);
}

// A household with nothing wrong: 20,000 yuan per head, all guarantees met,
// one of two able workers employed, no previous window on record.
RiskInputs Healthy() {
  return RiskInputs{
      .per_capita_net_income = 2000000,
      .total_income = 8000000,
      .rigid_spending = 0,
      .food_clothing_ok = true,
      .education_ok = true,
      .medical_ok = true,
      .housing_ok = true,
      .water_ok = true,
      .today = Day(2026, 6, 15),
      .able_workers = 2,
      .employed_members = 1,
  };
}

std::vector<FactorKind> Kinds(const Assessment& a) {
  std::vector<FactorKind> kinds;
  for (const Factor& f : a.fired) kinds.push_back(f.kind);
  return kinds;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct ColourCase {
  std::string name;
  std::function<void(RiskInputs&)> change;
  Colour colour;
  std::vector<FactorKind> fired;
};

void PrintTo(const ColourCase& c, std::ostream* os) { *os << c.name; }

class AssessColourTest : public testing::TestWithParam<ColourCase> {};

TEST_P(AssessColourTest, ColourAndFiredFactors) {
  RiskInputs inputs = Healthy();
  GetParam().change(inputs);
  auto assessment = Assess(inputs, Policy());
  ASSERT_TRUE(assessment.ok()) << assessment.status();
  EXPECT_EQ(assessment->colour, GetParam().colour) << ColourName(assessment->colour);
  EXPECT_EQ(Kinds(*assessment), GetParam().fired);
}

using K = FactorKind;

INSTANTIATE_TEST_SUITE_P(
    Rules, AssessColourTest,
    testing::Values(
        ColourCase{"Healthy", [](RiskInputs&) {}, Colour::kGreen, {}},
        // Income level against the line (6,000), 1.2x (7,200) and 1.5x (9,000).
        ColourCase{"OneFenBelowLine",
                   [](auto& in) { in.per_capita_net_income = 599999; },
                   Colour::kRed,
                   {K::kIncomeBelowLine}},
        ColourCase{"NegativeIncome",
                   [](auto& in) { in.per_capita_net_income = -5000; },
                   Colour::kRed,
                   {K::kIncomeBelowLine}},
        ColourCase{"ExactlyAtLineIsNotBelowIt",
                   [](auto& in) { in.per_capita_net_income = 600000; },
                   Colour::kOrange,
                   {K::kIncomeBelowOrangeLine}},
        ColourCase{"OneFenBelowOrangeBand",
                   [](auto& in) { in.per_capita_net_income = 719999; },
                   Colour::kOrange,
                   {K::kIncomeBelowOrangeLine}},
        ColourCase{"ExactlyAtOrangeBand",
                   [](auto& in) { in.per_capita_net_income = 720000; },
                   Colour::kYellow,
                   {K::kIncomeBelowYellowLine}},
        ColourCase{"OneFenBelowYellowBand",
                   [](auto& in) { in.per_capita_net_income = 899999; },
                   Colour::kYellow,
                   {K::kIncomeBelowYellowLine}},
        ColourCase{"ExactlyAtYellowBand",
                   [](auto& in) { in.per_capita_net_income = 900000; },
                   Colour::kGreen,
                   {}},
        // Two assurances, three guarantees and water.
        ColourCase{"FoodClothingUnmet",
                   [](auto& in) { in.food_clothing_ok = false; },
                   Colour::kRed,
                   {K::kGuaranteeUnmet}},
        ColourCase{"EducationUnmet",
                   [](auto& in) { in.education_ok = false; },
                   Colour::kRed,
                   {K::kGuaranteeUnmet}},
        ColourCase{"MedicalUnmet",
                   [](auto& in) { in.medical_ok = false; },
                   Colour::kRed,
                   {K::kGuaranteeUnmet}},
        ColourCase{"HousingUnmet",
                   [](auto& in) { in.housing_ok = false; },
                   Colour::kRed,
                   {K::kGuaranteeUnmet}},
        ColourCase{
            "WaterUnsafe", [](auto& in) { in.water_ok = false; }, Colour::kRed, {K::kWaterUnsafe}},
        ColourCase{"UnsetGuaranteesCountAsUnmet",
                   [](auto& in) { in = RiskInputs{.per_capita_net_income = 2000000}; },
                   Colour::kRed,
                   {K::kGuaranteeUnmet, K::kGuaranteeUnmet, K::kGuaranteeUnmet, K::kGuaranteeUnmet,
                    K::kWaterUnsafe}},
        // Income drop against the previous window (20,000 yuan before).
        ColourCase{"DropExactlyThirtyPercent",
                   [](auto& in) {
                     in.previous_window_per_capita = 2000000;
                     in.per_capita_net_income = 1400000;
                   },
                   Colour::kOrange,
                   {K::kIncomeDropOrange}},
        ColourCase{"DropJustUnderThirtyPercent",
                   [](auto& in) {
                     in.previous_window_per_capita = 2000000;
                     in.per_capita_net_income = 1400001;
                   },
                   Colour::kYellow,
                   {K::kIncomeDropYellow}},
        ColourCase{"DropExactlyFifteenPercent",
                   [](auto& in) {
                     in.previous_window_per_capita = 2000000;
                     in.per_capita_net_income = 1700000;
                   },
                   Colour::kYellow,
                   {K::kIncomeDropYellow}},
        ColourCase{"DropJustUnderFifteenPercent",
                   [](auto& in) {
                     in.previous_window_per_capita = 2000000;
                     in.per_capita_net_income = 1700001;
                   },
                   Colour::kGreen,
                   {}},
        ColourCase{"RiseIsNoDrop",
                   [](auto& in) { in.previous_window_per_capita = 1000000; },
                   Colour::kGreen,
                   {}},
        ColourCase{"NoPreviousIncomeNoDrop",
                   [](auto& in) { in.previous_window_per_capita = 0; },
                   Colour::kGreen,
                   {}},
        // Compliant rigid spending against total income (80,000 yuan).
        ColourCase{"RigidExactlyHalfOfIncome",
                   [](auto& in) { in.rigid_spending = 4000000; },
                   Colour::kOrange,
                   {K::kHeavyRigidSpending}},
        ColourCase{"RigidJustUnderHalf",
                   [](auto& in) { in.rigid_spending = 3999999; },
                   Colour::kGreen,
                   {}},
        ColourCase{"RigidWithNoIncome",
                   [](auto& in) {
                     in.total_income = 0;
                     in.rigid_spending = 100;
                   },
                   Colour::kOrange,
                   {K::kHeavyRigidSpending}},
        ColourCase{"NoRigidNoIncome", [](auto& in) { in.total_income = 0; }, Colour::kGreen, {}},
        // Sudden event within 90 days of today (2026-06-15).
        ColourCase{"SuddenEventToday",
                   [](auto& in) { in.last_sudden_event = in.today; },
                   Colour::kOrange,
                   {K::kSuddenEvent}},
        ColourCase{"SuddenEventExactlyNinetyDaysAgo",
                   [](auto& in) { in.last_sudden_event = in.today - 90; },
                   Colour::kOrange,
                   {K::kSuddenEvent}},
        ColourCase{"SuddenEventNinetyOneDaysAgo",
                   [](auto& in) { in.last_sudden_event = in.today - 91; },
                   Colour::kGreen,
                   {}},
        // Employment and credit.
        ColourCase{"NobodyEmployedThoughAbleToWork",
                   [](auto& in) { in.employed_members = 0; },
                   Colour::kYellow,
                   {K::kNoEmployedMember}},
        ColourCase{"NobodyEmployedNobodyAble",
                   [](auto& in) {
                     in.able_workers = 0;
                     in.employed_members = 0;
                   },
                   Colour::kGreen,
                   {}},
        ColourCase{"NoCreditOverdue",
                   [](auto& in) {
                     in.overdue_credit_instalments = 0;
                     in.overdue_credit_fen = 0;
                   },
                   Colour::kGreen,
                   {}},
        ColourCase{"OneFenOfOneInstalmentOverdue",
                   [](auto& in) {
                     in.overdue_credit_instalments = 1;
                     in.overdue_credit_fen = 1;
                   },
                   Colour::kOrange,
                   {K::kCreditOverdue}},
        ColourCase{"CreditOverdueDoesNotOutrankIncomeBelowTheLine",
                   [](auto& in) {
                     in.per_capita_net_income = 599999;
                     in.overdue_credit_instalments = 2;
                     in.overdue_credit_fen = 36250;
                   },
                   Colour::kRed,
                   {K::kIncomeBelowLine, K::kCreditOverdue}},
        // Every fired factor is listed, worst colour first.
        ColourCase{"AllFactorsListedWorstFirst",
                   [](auto& in) {
                     in.per_capita_net_income = 580000;
                     in.housing_ok = false;
                     in.rigid_spending = 5000000;
                     in.employed_members = 0;
                     in.overdue_credit_instalments = 2;
                     in.overdue_credit_fen = 100;
                   },
                   Colour::kRed,
                   {K::kIncomeBelowLine, K::kGuaranteeUnmet, K::kHeavyRigidSpending,
                    K::kCreditOverdue, K::kNoEmployedMember}},
        ColourCase{"OrangeOutranksYellow",
                   [](auto& in) {
                     in.per_capita_net_income = 800000;  // yellow band
                     in.last_sudden_event = in.today - 10;
                   },
                   Colour::kOrange,
                   {K::kSuddenEvent, K::kIncomeBelowYellowLine}}),
    [](const auto& info) { return info.param.name; });

TEST(AssessTest, FactorsCarryValuesAndThresholds) {
  RiskInputs in = Healthy();
  in.per_capita_net_income = 580000;
  in.previous_window_per_capita = 1000000;
  in.total_income = 3000000;
  in.rigid_spending = 1800000;
  in.housing_ok = false;
  in.last_sudden_event = Day(2026, 5, 1);
  in.employed_members = 0;
  auto a = Assess(in, Policy());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->policy_version, "national-default-2026");
  EXPECT_EQ(a->policy_year, 2026);
  const std::vector<Factor> expected = {
      {.kind = K::kIncomeBelowLine, .colour = Colour::kRed, .value = 580000, .threshold = 600000},
      {.kind = K::kGuaranteeUnmet, .colour = Colour::kRed, .detail = "housing"},
      {.kind = K::kIncomeDropOrange,
       .colour = Colour::kOrange,
       .value = 420,
       .threshold = 300,
       .amount = 580000,
       .reference = 1000000},
      {.kind = K::kHeavyRigidSpending,
       .colour = Colour::kOrange,
       .value = 600,
       .threshold = 500,
       .amount = 1800000,
       .reference = 3000000},
      {.kind = K::kSuddenEvent,
       .colour = Colour::kOrange,
       .value = 45,
       .threshold = 90,
       .detail = "2026-05-01"},
      {.kind = K::kNoEmployedMember, .colour = Colour::kYellow, .value = 2, .threshold = 1},
  };
  EXPECT_EQ(a->fired, expected);
}

TEST(AssessTest, ThresholdsComeFromThePolicy) {
  MonitoringPolicy yunnan = DefaultPolicy(*division::Code::Parse("53"), 2024);
  yunnan.version = "yunnan-2024";
  yunnan.monitoring_line_fen = 870000;  // 8,700 yuan
  yunnan.orange_line_permille = 1300;
  RiskInputs in = Healthy();
  in.per_capita_net_income = 860000;  // above 6,000 but below Yunnan's 8,700
  auto a = Assess(in, yunnan);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->colour, Colour::kRed);
  EXPECT_EQ(a->policy_version, "yunnan-2024");

  in.per_capita_net_income = 1130000;  // below 1.3 x 8,700 = 11,310 yuan
  a = Assess(in, yunnan);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(Kinds(*a), std::vector<FactorKind>{K::kIncomeBelowOrangeLine});
  EXPECT_EQ(a->fired[0].threshold, 1131000);
  EXPECT_EQ(a->fired[0].reference, 870000);
}

TEST(AssessTest, BandsBetweenWholeFenCompareExactly) {
  MonitoringPolicy policy = Policy();
  policy.monitoring_line_fen = 805001;  // 1.2 x = 966,001.2 fen
  RiskInputs in = Healthy();
  in.per_capita_net_income = 966001;  // below 966,001.2
  auto a = Assess(in, policy);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(Kinds(*a), std::vector<FactorKind>{K::kIncomeBelowOrangeLine});
  EXPECT_EQ(a->fired[0].threshold, 966002);  // rounded up, so value < threshold stays true

  in.per_capita_net_income = 966002;
  a = Assess(in, policy);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Kinds(*a), std::vector<FactorKind>{K::kIncomeBelowYellowLine});
}

TEST(AssessTest, RejectsInvalidPolicyAndInputs) {
  MonitoringPolicy bad = Policy();
  bad.monitoring_line_fen = 0;
  EXPECT_EQ(Assess(Healthy(), bad).status().code(), absl::StatusCode::kInvalidArgument);

  struct Case {
    std::string field;
    std::function<void(RiskInputs&)> change;
  };
  for (const Case& c : {
           Case{"able_workers", [](auto& in) { in.able_workers = -1; }},
           Case{"employed_members", [](auto& in) { in.employed_members = -1; }},
           Case{"overdue_credit_instalments", [](auto& in) { in.overdue_credit_instalments = -1; }},
           Case{"overdue_credit_fen",
                [](auto& in) {
                  in.overdue_credit_instalments = 1;
                  in.overdue_credit_fen = -1;
                }},
           Case{"both zero or both positive", [](auto& in) { in.overdue_credit_fen = 10; }},
           Case{"rigid_spending", [](auto& in) { in.rigid_spending = -1; }},
           Case{"total_income", [](auto& in) { in.total_income = -1; }},
           Case{"last_sudden_event", [](auto& in) { in.last_sudden_event = in.today + 1; }},
       }) {
    RiskInputs in = Healthy();
    c.change(in);
    const absl::Status status = Assess(in, Policy()).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_TRUE(Contains(std::string(status.message()), c.field)) << status.message();
  }
}

// --- Explain ---

Assessment AssessOrDie(const RiskInputs& in) {
  auto a = Assess(in, Policy());
  EXPECT_TRUE(a.ok()) << a.status();
  return a.value_or(Assessment{});
}

TEST(ExplainTest, BelowTheLineInBothLanguages) {
  RiskInputs in = Healthy();
  in.per_capita_net_income = 580000;
  const Assessment a = AssessOrDie(in);

  const Explanation zh = Explain(a, Language::kZh);
  ASSERT_EQ(zh.factors.size(), 1u);
  EXPECT_TRUE(Contains(zh.factors[0], "人均纯收入 5,800.00 元，低于监测线 6,000.00 元"))
      << zh.factors[0];
  EXPECT_TRUE(Contains(zh.headline, "红色")) << zh.headline;
  EXPECT_TRUE(Contains(zh.headline, "national-default-2026")) << zh.headline;

  const Explanation en = Explain(a, Language::kEn);
  ASSERT_EQ(en.factors.size(), 1u);
  EXPECT_TRUE(Contains(en.factors[0],
                       "Per-capita net income 5,800.00 yuan is below the monitoring line "
                       "6,000.00 yuan"))
      << en.factors[0];
  EXPECT_TRUE(Contains(en.headline, "RED")) << en.headline;
  EXPECT_TRUE(Contains(en.headline, "national-default-2026")) << en.headline;
}

struct ExplainCase {
  std::string name;
  std::function<void(RiskInputs&)> change;
  std::vector<std::string> zh_parts;
  std::vector<std::string> en_parts;
};

void PrintTo(const ExplainCase& c, std::ostream* os) { *os << c.name; }

class ExplainFactorTest : public testing::TestWithParam<ExplainCase> {};

TEST_P(ExplainFactorTest, NamesTheFactorAndItsFigures) {
  RiskInputs in = Healthy();
  GetParam().change(in);
  const Assessment a = AssessOrDie(in);
  ASSERT_EQ(a.fired.size(), 1u);
  const std::string zh = Explain(a, Language::kZh).factors.at(0);
  const std::string en = Explain(a, Language::kEn).factors.at(0);
  for (const std::string& part : GetParam().zh_parts) {
    EXPECT_TRUE(Contains(zh, part)) << "\"" << part << "\" not in: " << zh;
  }
  for (const std::string& part : GetParam().en_parts) {
    EXPECT_TRUE(Contains(en, part)) << "\"" << part << "\" not in: " << en;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Factors, ExplainFactorTest,
    testing::Values(
        ExplainCase{"OrangeBand",
                    [](auto& in) { in.per_capita_net_income = 650000; },
                    {"【橙色】", "6,500.00 元", "橙色预警线 7,200.00 元", "6,000.00 元的 1.2 倍"},
                    {"[orange]", "6,500.00 yuan", "orange line 7,200.00 yuan",
                     "1.2 times the monitoring line 6,000.00 yuan"}},
        ExplainCase{"YellowBand",
                    [](auto& in) { in.per_capita_net_income = 800000; },
                    {"【黄色】", "8,000.00 元", "黄色预警线 9,000.00 元", "1.5 倍"},
                    {"[yellow]", "8,000.00 yuan", "yellow line 9,000.00 yuan", "1.5 times"}},
        ExplainCase{"Drop",
                    [](auto& in) {
                      in.previous_window_per_capita = 2000000;
                      in.per_capita_net_income = 1300000;
                    },
                    {"20,000.00 元", "13,000.00 元", "下降 35.0%", "橙色预警标准", "30.0%"},
                    {"from 20,000.00 yuan", "to 13,000.00 yuan", "fall of 35.0%",
                     "orange threshold of 30.0%"}},
        ExplainCase{"RigidSpending",
                    [](auto& in) { in.rigid_spending = 4800000; },
                    {"合规自付刚性支出 48,000.00 元", "80,000.00 元", "60.0%", "50.0%"},
                    {"rigid spending of 48,000.00 yuan", "60.0%", "80,000.00 yuan", "50.0%"}},
        ExplainCase{"RigidSpendingWithoutIncome",
                    [](auto& in) {
                      in.total_income = 0;
                      in.rigid_spending = 300000;
                    },
                    {"3,000.00 元", "家庭总收入为 0.00 元"},
                    {"3,000.00 yuan", "total household income of 0.00 yuan"}},
        ExplainCase{"Housing",
                    [](auto& in) { in.housing_ok = false; },
                    {"两不愁三保障", "住房安全"},
                    {"Basic guarantee not met", "safe housing"}},
        ExplainCase{"FoodClothing",
                    [](auto& in) { in.food_clothing_ok = false; },
                    {"不愁吃、不愁穿"},
                    {"food and clothing"}},
        ExplainCase{
            "Water", [](auto& in) { in.water_ok = false; }, {"饮水安全"}, {"Drinking water"}},
        ExplainCase{"SuddenEvent",
                    [](auto& in) { in.last_sudden_event = Day(2026, 3, 17); },
                    {"2026-03-17", "90 天"},
                    {"2026-03-17", "90 days ago", "90 days"}},
        ExplainCase{"NoEmployedMember",
                    [](auto& in) { in.employed_members = 0; },
                    {"2 名", "无人就业"},
                    {"2 household member(s) able to work", "none"}},
        ExplainCase{"OverdueCredit",
                    [](auto& in) {
                      in.overdue_credit_instalments = 3;
                      in.overdue_credit_fen = 5437500;
                    },
                    {"扶贫小额信贷", "3 期", "逾期金额 54,375.00 元", "本项目自定"},
                    {"3 micro-credit instalment(s) overdue", "54,375.00 yuan unpaid",
                     "defined by this project"}}),
    [](const auto& info) { return info.param.name; });

TEST(ExplainTest, GreenSaysNothingFired) {
  const Assessment a = AssessOrDie(Healthy());
  EXPECT_TRUE(Explain(a, Language::kZh).factors.empty());
  EXPECT_TRUE(Contains(Explain(a, Language::kZh).headline, "绿色"));
  EXPECT_TRUE(Contains(Explain(a, Language::kEn).headline, "GREEN"));
}

TEST(ExplainTest, OneSentencePerFiredFactorInOrder) {
  RiskInputs in = Healthy();
  in.per_capita_net_income = 580000;
  in.water_ok = false;
  in.employed_members = 0;
  const Assessment a = AssessOrDie(in);
  const Explanation en = Explain(a, Language::kEn);
  ASSERT_EQ(en.factors.size(), 3u);
  EXPECT_TRUE(Contains(en.factors[0], "monitoring line"));
  EXPECT_TRUE(Contains(en.factors[1], "water"));
  EXPECT_TRUE(Contains(en.factors[2], "able to work"));
  EXPECT_TRUE(Contains(en.headline, "3 risk factor"));
}

// --- M1 object types ---

TEST(SuggestObjectTypeTest, FollowsM1) {
  struct Case {
    std::string name;
    bool lifted;
    std::function<void(RiskInputs&)> change;
    std::optional<ObjectType> type;
  };
  for (const Case& c : {
           Case{"LiftedBelowLine", true, [](auto& in) { in.per_capita_net_income = 580000; },
                ObjectType::kUnstableLifted},
           Case{"OrdinaryBelowLine", false, [](auto& in) { in.per_capita_net_income = 580000; },
                ObjectType::kMarginalAtRisk},
           Case{"BelowLineWithRigidSpendingIsStillByIncome", true,
                [](auto& in) {
                  in.per_capita_net_income = 580000;
                  in.rigid_spending = 6000000;
                },
                ObjectType::kUnstableLifted},
           Case{"OrdinaryAboveLineHeavyRigid", false, [](auto& in) { in.rigid_spending = 6000000; },
                ObjectType::kSuddenHardship},
           Case{"LiftedAboveLineSharpDrop", true,
                [](auto& in) {
                  in.previous_window_per_capita = 2000000;
                  in.per_capita_net_income = 1000000;
                },
                ObjectType::kSuddenHardship},
           Case{"AtTheLineIsAboveIt", false,
                [](auto& in) {
                  in.per_capita_net_income = 600000;
                  in.rigid_spending = 6000000;
                },
                ObjectType::kSuddenHardship},
           Case{"ModestDropIsNoType", true,
                [](auto& in) {
                  in.previous_window_per_capita = 2000000;
                  in.per_capita_net_income = 1600000;
                },
                std::nullopt},
           Case{"GuaranteeAloneIsForOfficials", true, [](auto& in) { in.housing_ok = false; },
                std::nullopt},
           Case{"Healthy", false, [](RiskInputs&) {}, std::nullopt},
       }) {
    RiskInputs in = Healthy();
    c.change(in);
    EXPECT_EQ(SuggestObjectType(c.lifted, AssessOrDie(in)), c.type) << c.name;
  }
}

// --- M9 risk elimination ---

// Proposed in July 2026 after six months at 6,500 yuan, with everything else
// in order; identified for lack of employment (and income below the line),
// as recorded at identification.
EliminationInputs Eliminable() {
  EliminationInputs in{
      .proposal_month = Month(2026, 7),
      .current = Healthy(),
      .triggering_factors = std::vector<FactorKind>{K::kIncomeBelowLine, K::kNoEmployedMember}};
  for (int m = 1; m <= 6; ++m) in.per_capita_by_month.push_back({Month(2026, m), 650000});
  in.current.per_capita_net_income = 650000;
  in.current.today = Day(2026, 7, 3);
  return in;
}

TEST(EliminationTest, StableHouseholdCanBeEliminated) {
  EXPECT_TRUE(CheckElimination(Eliminable(), Policy()).ok());
  // The income bands of the colour rules (6,500 < 7,200) do not block it.
  auto blockers = FindEliminationBlockers(Eliminable(), Policy());
  ASSERT_TRUE(blockers.ok()) << blockers.status();
  EXPECT_TRUE(blockers->empty());
}

TEST(EliminationTest, IncomeExactlyAtTheLineIsStable) {
  EliminationInputs in = Eliminable();
  for (auto& m : in.per_capita_by_month) m.per_capita_net_income = 600000;
  EXPECT_TRUE(CheckElimination(in, Policy()).ok());
}

struct BlockCase {
  std::string name;
  std::function<void(EliminationInputs&)> change;
  std::vector<EliminationBlock> blocks;
  std::vector<std::string> message_parts;
};

void PrintTo(const BlockCase& c, std::ostream* os) { *os << c.name; }

class EliminationBlockTest : public testing::TestWithParam<BlockCase> {};

TEST_P(EliminationBlockTest, RefusedNamingEveryReason) {
  EliminationInputs in = Eliminable();
  GetParam().change(in);
  auto blockers = FindEliminationBlockers(in, Policy());
  ASSERT_TRUE(blockers.ok()) << blockers.status();
  std::vector<EliminationBlock> blocks;
  for (const auto& b : *blockers) blocks.push_back(b.block);
  EXPECT_EQ(blocks, GetParam().blocks);

  const absl::Status status = CheckElimination(in, Policy());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(status.message());
  for (const std::string& part : GetParam().message_parts) {
    EXPECT_TRUE(Contains(message, part)) << "\"" << part << "\" not in: " << message;
  }
}

using B = EliminationBlock;

INSTANTIATE_TEST_SUITE_P(
    M9, EliminationBlockTest,
    testing::Values(
        BlockCase{"OneMonthBelowLine",
                  [](auto& in) { in.per_capita_by_month[2].per_capita_net_income = 599999; },
                  {B::kIncomeNotStable},
                  {"income not stably above the 2026 monitoring line (6,000.00 yuan) for 6 "
                   "months",
                   "2026-03 5,999.99 yuan"}},
        BlockCase{
            "MonthWithoutFigure",
            [](auto& in) { in.per_capita_by_month.erase(in.per_capita_by_month.begin() + 3); },
            {B::kIncomeNotStable},
            {"2026-04 no figure"}},
        BlockCase{"ProposalMonthItselfDoesNotCount",
                  [](auto& in) { in.proposal_month = Month(2026, 8); },
                  {B::kIncomeNotStable},
                  {"2026-07 no figure"}},
        BlockCase{"HousingGuaranteeUnmet",
                  [](auto& in) { in.current.housing_ok = false; },
                  {B::kGuaranteeUnmet},
                  {"housing guarantee unmet"}},
        BlockCase{"MedicalGuaranteeUnmet",
                  [](auto& in) { in.current.medical_ok = false; },
                  {B::kGuaranteeUnmet},
                  {"medical guarantee unmet"}},
        BlockCase{"WaterUnsafe",
                  [](auto& in) { in.current.water_ok = false; },
                  {B::kGuaranteeUnmet},
                  {"drinking water unsafe"}},
        BlockCase{"RigidSpendingUncontrolled",
                  [](auto& in) { in.current.rigid_spending = 5000000; },
                  {B::kRigidSpendingUncontrolled},
                  {"rigid spending uncontrolled", "62.5%", "50.0%"}},
        BlockCase{"TriggeringRiskPersists",
                  [](auto& in) { in.current.employed_members = 0; },
                  {B::kRiskPersists},
                  {"no member employed although 2 can work",
                   "the risk that led to identification persists"}},
        BlockCase{"NewRisk",
                  [](auto& in) { in.current.last_sudden_event = Day(2026, 6, 20); },
                  {B::kNewRisk},
                  {"sudden event on 2026-06-20", "(new risk)"}},
        BlockCase{"IncomeFalling",
                  [](auto& in) { in.current.previous_window_per_capita = 800000; },
                  {B::kNewRisk},
                  {"fell 18.7%"}},
        BlockCase{"FloorWithNobodyAbleToWork",
                  [](auto& in) {
                    in.current.social_assistance_floor = true;
                    in.current.able_workers = 0;
                    in.current.employed_members = 0;
                  },
                  {B::kFloorWithNobodyAbleToWork},
                  {"household under 兜底 with nobody able to work stays monitored (M9)"}},
        BlockCase{"EveryReasonAtOnce",
                  [](auto& in) {
                    in.per_capita_by_month.clear();
                    in.current.housing_ok = false;
                    in.current.rigid_spending = 5000000;
                    in.current.overdue_credit_instalments = 1;
                    in.current.overdue_credit_fen = 1;
                    in.current.social_assistance_floor = true;
                    in.current.able_workers = 0;
                    in.current.employed_members = 0;
                  },
                  {B::kIncomeNotStable, B::kGuaranteeUnmet, B::kRigidSpendingUncontrolled,
                   B::kNewRisk, B::kFloorWithNobodyAbleToWork},
                  {"income not stably above", "housing guarantee unmet",
                   "rigid spending uncontrolled", "1 micro-credit instalment(s) overdue", "兜底"}}),
    [](const auto& info) { return info.param.name; });

// How a non-income factor that still fires is worded depends on what is on
// record about identification: named among the factors that fired then ->
// it persists; not among them (the record is known, possibly empty) -> a new
// risk; no record at all (objects identified before the factors were kept)
// -> neither claim, only that the risk is still present.
struct WordingCase {
  std::string name;
  std::optional<std::vector<FactorKind>> triggering;
  std::function<void(EliminationInputs&)> change;
  EliminationBlock block;
  std::string says;
  std::vector<std::string> never_says;
};

void PrintTo(const WordingCase& c, std::ostream* os) { *os << c.name; }

class EliminationWordingTest : public testing::TestWithParam<WordingCase> {};

TEST_P(EliminationWordingTest, SaysOnlyWhatTheRecordSupports) {
  const WordingCase& c = GetParam();
  EliminationInputs in = Eliminable();
  in.triggering_factors = c.triggering;
  c.change(in);
  auto blockers = FindEliminationBlockers(in, Policy());
  ASSERT_TRUE(blockers.ok()) << blockers.status();
  ASSERT_EQ(blockers->size(), 1u);
  EXPECT_EQ((*blockers)[0].block, c.block);
  const std::string& reason = (*blockers)[0].reason;
  EXPECT_TRUE(Contains(reason, c.says)) << reason;
  for (const std::string& absent : c.never_says) {
    EXPECT_FALSE(Contains(reason, absent)) << reason;
  }
}

const std::string kPersists = "(the risk that led to identification persists)";
const std::string kNew = "(new risk)";
const std::string kStillPresent = "(risk still present)";
void SuddenEventInJune(EliminationInputs& in) { in.current.last_sudden_event = Day(2026, 6, 20); }
void NobodyEmployed(EliminationInputs& in) { in.current.employed_members = 0; }

INSTANTIATE_TEST_SUITE_P(
    M9, EliminationWordingTest,
    testing::Values(WordingCase{"SuddenEventThatLedToIdentificationPersists",
                                std::vector<FactorKind>{K::kIncomeBelowLine, K::kSuddenEvent},
                                SuddenEventInJune,
                                B::kRiskPersists,
                                kPersists,
                                {kNew, kStillPresent}},
                    WordingCase{"SuddenEventNotAmongTheIdentifyingFactorsIsNew",
                                std::vector<FactorKind>{K::kIncomeBelowLine, K::kNoEmployedMember},
                                SuddenEventInJune,
                                B::kNewRisk,
                                kNew,
                                {kPersists, kStillPresent}},
                    WordingCase{"NothingFiredAtIdentificationSoAnyFactorIsNew",
                                std::vector<FactorKind>{},
                                SuddenEventInJune,
                                B::kNewRisk,
                                kNew,
                                {kPersists, kStillPresent}},
                    WordingCase{"SuddenEventWithoutARecordIsStillPresent",
                                std::nullopt,
                                SuddenEventInJune,
                                B::kRiskStillPresent,
                                kStillPresent,
                                {kPersists, kNew}},
                    WordingCase{"NoEmployedMemberThatLedToIdentificationPersists",
                                std::vector<FactorKind>{K::kNoEmployedMember},
                                NobodyEmployed,
                                B::kRiskPersists,
                                kPersists,
                                {kNew, kStillPresent}},
                    WordingCase{"NoEmployedMemberWithoutARecordIsStillPresent",
                                std::nullopt,
                                NobodyEmployed,
                                B::kRiskStillPresent,
                                kStillPresent,
                                {kPersists, kNew}},
                    // Guarantees and rigid spending are named by their own M9 rule,
                    // whatever the record says.
                    WordingCase{"GuaranteeIsNamedByItsRuleWithoutARecord",
                                std::nullopt,
                                [](auto& in) { in.current.housing_ok = false; },
                                B::kGuaranteeUnmet,
                                "housing guarantee unmet",
                                {kPersists, kNew, kStillPresent}}),
    [](const auto& info) { return info.param.name; });

TEST(EliminationTest, FloorHouseholdWithSomeoneAbleToWorkCanBeEliminated) {
  EliminationInputs in = Eliminable();
  in.current.social_assistance_floor = true;
  in.current.able_workers = 1;  // one is enough
  in.current.employed_members = 1;
  EXPECT_TRUE(CheckElimination(in, Policy()).ok());
  // Nobody able to work but not under 兜底: no M9 bar either.
  in = Eliminable();
  in.current.able_workers = 0;
  in.current.employed_members = 0;
  EXPECT_TRUE(CheckElimination(in, Policy()).ok());
}

TEST(EliminationTest, JudgedAgainstTheCurrentYearLine) {
  // Stable at 7,000 yuan: above the 2025 line of 6,000 but not the 2026 line
  // of 8,700 that the region published since.
  EliminationInputs in = Eliminable();
  for (auto& m : in.per_capita_by_month) m.per_capita_net_income = 700000;
  in.current.per_capita_net_income = 700000;
  MonitoringPolicy line_2025 = Policy(2025);
  MonitoringPolicy line_2026 = Policy(2026);
  line_2026.monitoring_line_fen = 870000;

  const absl::Status status = CheckElimination(in, line_2026);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Contains(std::string(status.message()), "2026 monitoring line (8,700.00 yuan)"))
      << status.message();

  // The line of another year is refused outright, not silently used.
  const absl::Status wrong_year = CheckElimination(in, line_2025);
  EXPECT_EQ(wrong_year.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(std::string(wrong_year.message()), "2026")) << wrong_year.message();
}

TEST(EliminationTest, StabilityPeriodComesFromThePolicy) {
  EliminationInputs in = Eliminable();
  in.per_capita_by_month[0].per_capita_net_income = 500000;  // January 2026
  MonitoringPolicy policy = Policy();
  EXPECT_FALSE(CheckElimination(in, policy).ok());
  policy.stable_months_required = 5;  // February .. June only
  EXPECT_TRUE(CheckElimination(in, policy).ok());
}

// ---- Income drop measured exactly on the household totals ----------------------------

// The fall is (previous − current) ÷ previous per-capita net income, where
// each per-capita figure is a household net total ÷ members. Measured on the
// totals (cross-multiplied in 128 bits), never on the per-capita figures
// rounded down to the fen, so exactly 30% / 15% fires and 29.999…% does not.
struct ExactDropCase {
  std::string name;
  Fen previous_net;
  int previous_members;
  Fen current_net;
  int current_members;
  std::optional<FactorKind> fired;  // the drop factor, if any
  std::int64_t permille;            // its value: the exact fall, rounded down
};

void PrintTo(const ExactDropCase& c, std::ostream* os) { *os << c.name; }

class ExactDropTest : public ::testing::TestWithParam<ExactDropCase> {};

// Healthy() with the two windows' figures; per-capita figures rounded down as
// ComputeNetIncome rounds them.
RiskInputs WithWindows(Fen previous_net, int previous_members, Fen current_net,
                       int current_members) {
  RiskInputs in = Healthy();
  in.per_capita_net_income = current_net / current_members;
  in.previous_window_per_capita = previous_net / previous_members;
  in.current_net = HouseholdNet{.net_income = current_net, .members = current_members};
  in.previous_net = HouseholdNet{.net_income = previous_net, .members = previous_members};
  return in;
}

TEST_P(ExactDropTest, ComparesTheHouseholdTotalsExactly) {
  const ExactDropCase& c = GetParam();
  const RiskInputs in =
      WithWindows(c.previous_net, c.previous_members, c.current_net, c.current_members);
  absl::StatusOr<Assessment> a = Assess(in, Policy());
  ASSERT_TRUE(a.ok()) << a.status();
  std::vector<Factor> drops;
  for (const Factor& f : a->fired) {
    if (f.kind == FactorKind::kIncomeDropOrange || f.kind == FactorKind::kIncomeDropYellow) {
      drops.push_back(f);
    }
  }
  if (!c.fired) {
    EXPECT_TRUE(drops.empty()) << FactorKindName(drops[0].kind) << " " << drops[0].value;
    return;
  }
  ASSERT_EQ(drops.size(), 1u);
  EXPECT_EQ(drops[0].kind, *c.fired);
  EXPECT_EQ(drops[0].value, c.permille);
  EXPECT_EQ(drops[0].threshold, *c.fired == FactorKind::kIncomeDropOrange ? 300 : 150);
  // The explanation keeps the per-capita figures.
  EXPECT_EQ(drops[0].amount, in.per_capita_net_income);
  EXPECT_EQ(drops[0].reference, *in.previous_window_per_capita);
}

INSTANTIATE_TEST_SUITE_P(
    Boundaries, ExactDropTest,
    ::testing::Values(
        // The reviewer's case: per capita 2,000,001 -> 1,400,001 fen looks
        // like a 29.99998% fall (299‰, YELLOW); the household fell from
        // 6,000,005 to 4,200,003 fen, 30.0000083%: ORANGE.
        ExactDropCase{"ReviewerCaseIsOrange", 6000005, 3, 4200003, 3, FactorKind::kIncomeDropOrange,
                      300},
        ExactDropCase{"ExactlyThirtyPercent", 6000000, 3, 4200000, 3, FactorKind::kIncomeDropOrange,
                      300},
        ExactDropCase{"OneFenUnderThirtyPercent", 6000000, 3, 4200001, 3,
                      FactorKind::kIncomeDropYellow, 299},
        // The other way round: rounded 10,000,000 -> 7,000,000 per capita
        // shows exactly 30%, the household fell 29.99999%: YELLOW.
        ExactDropCase{"RoundedThirtyButTrulyLessIsYellow", 30000000, 3, 21000002, 3,
                      FactorKind::kIncomeDropYellow, 299},
        ExactDropCase{"ExactlyFifteenPercent", 8000000, 4, 6800000, 4,
                      FactorKind::kIncomeDropYellow, 150},
        // Rounded 2,000,001 -> 1,700,001 shows 149‰; truly 15.0000042%.
        ExactDropCase{"RoundedUnderFifteenButTrulyFifteenIsYellow", 6000005, 3, 5100003, 3,
                      FactorKind::kIncomeDropYellow, 150},
        // Rounded 10,000,000 -> 8,500,000 shows 15%; truly 14.99999%.
        ExactDropCase{"RoundedFifteenButTrulyLessIsNoDrop", 30000000, 3, 25500002, 3, std::nullopt,
                      0},
        // Members differ between the windows: 2,000,000 -> 1,400,000 per capita.
        ExactDropCase{"MembersChangedExactlyThirtyPercent", 8000000, 4, 7000000, 5,
                      FactorKind::kIncomeDropOrange, 300},
        ExactDropCase{"MembersChangedJustUnderThirtyPercent", 8000000, 4, 7000001, 5,
                      FactorKind::kIncomeDropYellow, 299},
        ExactDropCase{"RiseIsNoDrop", 6000000, 3, 6000001, 3, std::nullopt, 0},
        // Net income below zero (costs above income): more than a 100% fall.
        ExactDropCase{"FallBelowZero", 1000000, 1, -1000000, 1, FactorKind::kIncomeDropOrange,
                      2000},
        // Figures at the edge of int64 still compare exactly in 128 bits.
        ExactDropCase{"HugeFigures", std::numeric_limits<Fen>::max(), 1,
                      std::numeric_limits<Fen>::max() / 10 * 7, 1, FactorKind::kIncomeDropOrange,
                      300},
        ExactDropCase{"HugeFiguresManyMembers", std::numeric_limits<Fen>::max(), 1000000,
                      std::numeric_limits<Fen>::max() / 100 * 80, 999999,
                      FactorKind::kIncomeDropYellow, 199}),
    [](const ::testing::TestParamInfo<ExactDropCase>& info) { return info.param.name; });

TEST(ExactDropTest, WithoutTheTotalsTheRoundedFiguresAreUsed) {
  // Older stored inputs carry the rounded per-capita figures only.
  RiskInputs in = WithWindows(6000005, 3, 4200003, 3);
  in.current_net.reset();
  in.previous_net.reset();
  absl::StatusOr<Assessment> a = Assess(in, Policy());
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Kinds(*a), std::vector<FactorKind>{FactorKind::kIncomeDropYellow});
  EXPECT_EQ(a->fired[0].value, 299);
  // Only the current total known: no exact comparison either.
  in.current_net = HouseholdNet{.net_income = 4200003, .members = 3};
  EXPECT_EQ(Assess(in, Policy())->fired[0].value, 299);
}

TEST(ExactDropTest, NoPreviousIncomeNoDrop) {
  // Nothing before, or less than a fen a head: no base for a share.
  for (const RiskInputs& in :
       {WithWindows(0, 3, 0, 3), WithWindows(2, 3, 0, 3), WithWindows(-300, 3, -600, 3)}) {
    absl::StatusOr<Assessment> a = Assess(in, Policy());
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_FALSE(a->Fired(FactorKind::kIncomeDropOrange));
    EXPECT_FALSE(a->Fired(FactorKind::kIncomeDropYellow));
  }
}

TEST(ExactDropTest, TotalsMustAgreeWithThePerCapitaFigures) {
  const auto refused = [](const RiskInputs& in, const std::string& names) {
    absl::StatusOr<Assessment> a = Assess(in, Policy());
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << names;
    EXPECT_TRUE(Contains(std::string(a.status().message()), names)) << a.status();
  };
  RiskInputs in = WithWindows(6000005, 3, 4200003, 3);
  in.per_capita_net_income = 1400000;  // 4,200,003 ÷ 3 rounds down to 1,400,001
  refused(in, "current_net");
  in = WithWindows(6000005, 3, 4200003, 3);
  in.previous_window_per_capita = 2000002;
  refused(in, "previous_net");
  in = WithWindows(6000005, 3, 4200003, 3);
  in.current_net->members = 0;
  refused(in, "current_net");
  in = WithWindows(6000005, 3, 4200003, 3);
  in.previous_net->members = -1;
  refused(in, "previous_net");
  in = WithWindows(6000005, 3, 4200003, 3);
  in.current_net.reset();
  refused(in, "previous_net");
  in = WithWindows(6000005, 3, 4200003, 3);
  in.previous_window_per_capita.reset();
  refused(in, "previous_net");
}

TEST(NamesTest, StableIdentifiers) {
  EXPECT_EQ(ColourName(Colour::kRed), "red");
  EXPECT_EQ(ColourName(Colour::kGreen), "green");
  EXPECT_EQ(FactorKindName(K::kIncomeBelowOrangeLine), "income_below_orange_line");
  EXPECT_EQ(FactorKindName(K::kNoEmployedMember), "no_employed_member");
  // Stored names parse back, every one of them; others are refused.
  for (int k = 0; k <= static_cast<int>(K::kCreditOverdue); ++k) {
    const K kind = static_cast<K>(k);
    EXPECT_EQ(ParseFactorKind(FactorKindName(kind)), kind) << FactorKindName(kind);
  }
  EXPECT_FALSE(ParseFactorKind("unknown").has_value());
  EXPECT_FALSE(ParseFactorKind("").has_value());
  EXPECT_EQ(GuaranteeName(Guarantee::kFoodClothing), "food_clothing");
  EXPECT_EQ(ObjectTypeName(ObjectType::kSuddenHardship), "sudden_hardship");
}

TEST(StoredInputsTest, RoundTripKeepsEveryField) {
  RiskInputs in;
  in.per_capita_net_income = 812'345;
  in.previous_window_per_capita = 1'000'001;
  in.total_income = 3'500'000;
  in.rigid_spending = 42;
  in.food_clothing_ok = true;
  in.medical_ok = true;
  in.water_ok = true;
  in.last_sudden_event = absl::CivilDay(2026, 9, 30);
  in.today = absl::CivilDay(2026, 11, 23);
  in.able_workers = 2;
  in.employed_members = 1;
  in.social_assistance_floor = true;
  in.overdue_credit_instalments = 3;
  in.overdue_credit_fen = 150'000;
  const std::string encoded = EncodeInputs(in);
  const auto back = DecodeInputs(encoded);
  ASSERT_TRUE(back.has_value()) << encoded;
  EXPECT_EQ(EncodeInputs(*back), encoded);
  EXPECT_EQ(back->previous_window_per_capita, in.previous_window_per_capita);
  EXPECT_EQ(back->last_sudden_event, in.last_sudden_event);
  EXPECT_TRUE(back->food_clothing_ok && back->medical_ok && back->water_ok);
  EXPECT_FALSE(back->education_ok || back->housing_ok);
  EXPECT_EQ(back->today, in.today);
  EXPECT_EQ(back->overdue_credit_fen, 150'000);
  EXPECT_TRUE(back->social_assistance_floor);
  // The same assessment either way.
  const MonitoringPolicy p = DefaultPolicy(*division::Code::Parse("653121000000"), 2026);
  EXPECT_EQ(Assess(in, p)->fired, Assess(*back, p)->fired);
}

TEST(StoredInputsTest, AbsentOptionalsStayAbsent) {
  RiskInputs in;
  in.today = absl::CivilDay(2026, 1, 1);
  const auto back = DecodeInputs(EncodeInputs(in));
  ASSERT_TRUE(back.has_value());
  EXPECT_FALSE(back->previous_window_per_capita.has_value());
  EXPECT_FALSE(back->last_sudden_event.has_value());
}

TEST(StoredInputsTest, TheExactTotalsAreKept) {
  RiskInputs in = WithWindows(6000005, 3, 4200003, 3);
  const std::string encoded = EncodeInputs(in);
  const auto back = DecodeInputs(encoded);
  ASSERT_TRUE(back.has_value()) << encoded;
  EXPECT_EQ(EncodeInputs(*back), encoded);
  EXPECT_EQ(back->current_net, in.current_net);
  EXPECT_EQ(back->previous_net, in.previous_net);
  // A re-assessment from the stored inputs decides as the first one did.
  EXPECT_EQ(Assess(*back, Policy())->colour, Colour::kOrange);
  EXPECT_EQ(Assess(in, Policy())->fired, Assess(*back, Policy())->fired);

  // Only the current total (no previous window).
  in.previous_net.reset();
  in.previous_window_per_capita.reset();
  const auto current_only = DecodeInputs(EncodeInputs(in));
  ASSERT_TRUE(current_only.has_value()) << EncodeInputs(in);
  EXPECT_EQ(current_only->current_net, in.current_net);
  EXPECT_FALSE(current_only->previous_net.has_value());

  // Inputs without totals are stored as before.
  EXPECT_TRUE(EncodeInputs(Healthy()).starts_with("v1;")) << EncodeInputs(Healthy());
}

TEST(StoredInputsTest, AnythingElseIsRefused) {
  for (const char* bad :
       {"", "v1", "v2;1;-;1;1;31;-;2026-01-01;1;1;0;0;0", "v1;x;-;1;1;31;-;2026-01-01;1;1;0;0;0",
        "v1;1;-;1;1;32;-;2026-01-01;1;1;0;0;0", "v1;1;-;1;1;31;-;2026-13-01;1;1;0;0;0",
        "v1;1;-;1;1;31;-;2026-01-01;1;1;2;0;0", "v1;1;-;1;1;31;-;2026-01-01;1;1;0;0;0;extra"}) {
    EXPECT_FALSE(DecodeInputs(bad).has_value()) << bad;
  }
  EXPECT_TRUE(DecodeInputs("v1;1;-;1;1;31;-;2026-01-01;1;1;0;0;0").has_value());
}

}  // namespace
}  // namespace zx::monitoring
