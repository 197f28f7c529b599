#include "services/monitoring/domain/rollup.h"

#include <gtest/gtest.h>

namespace zx::monitoring {
namespace {

using lifecycle::ObjectType;
using lifecycle::RiskType;
using lifecycle::State;

HouseholdFacts Assessed(int64_t per_capita, std::optional<int64_t> previous = std::nullopt) {
  HouseholdFacts f;
  f.lifted = true;
  f.members = 4;
  f.colour = RollupColour::kGreen;
  f.per_capita_fen = per_capita;
  f.previous_per_capita_fen = previous;
  return f;
}

TEST(RollupContribution, NewHouseholdCountsOnlyRegistryFacts) {
  HouseholdFacts f;
  f.members = 3;
  f.relocated = true;
  const RollupCounters c = Contribution(f);
  EXPECT_EQ(c, (RollupCounters{{"households", 1},
                               {"members", 3},
                               {"category.ordinary", 1},
                               {"relocated", 1},
                               {"colour.unassessed", 1}}));
}

TEST(RollupContribution, MonitoredObjectCountsTypeColourAndEveryRisk) {
  HouseholdFacts f = Assessed(700'000, 900'000);
  f.colour = RollupColour::kRed;
  f.object = HouseholdFacts::Object{State::kAssisted,
                                    ObjectType::kMarginalAtRisk,
                                    {RiskType::kIllness, RiskType::kUnstableEmployment}};
  const RollupCounters c = Contribution(f);
  EXPECT_EQ(CounterValue(c, "object.state.assisted"), 1);
  EXPECT_EQ(CounterValue(c, "monitored"), 1);
  EXPECT_EQ(CounterValue(c, "monitored.colour.red"), 1);
  EXPECT_EQ(CounterValue(c, "monitored.type.marginal_at_risk"), 1);
  EXPECT_EQ(CounterValue(c, "monitored.risk.illness"), 1);
  EXPECT_EQ(CounterValue(c, "monitored.risk.unstable_employment"), 1);
  EXPECT_EQ(CounterValue(c, "eliminated"), 0);
  EXPECT_EQ(CounterValue(c, "lifted.income_fell"), 1);
}

TEST(RollupContribution, ClueIsNotYetMonitoredAndEliminatedIsCountedApart) {
  HouseholdFacts clue;
  clue.object = HouseholdFacts::Object{State::kClue, std::nullopt, {}};
  EXPECT_EQ(CounterValue(Contribution(clue), "monitored"), 0);
  EXPECT_EQ(CounterValue(Contribution(clue), "object.state.clue"), 1);

  HouseholdFacts done;
  done.object =
      HouseholdFacts::Object{State::kFollowUp, ObjectType::kUnstableLifted, {RiskType::kIllness}};
  const RollupCounters c = Contribution(done);
  EXPECT_EQ(CounterValue(c, "eliminated"), 1);
  EXPECT_EQ(CounterValue(c, "eliminated.type.unstable_lifted"), 1);
  EXPECT_EQ(CounterValue(c, "monitored"), 0);
  EXPECT_EQ(CounterValue(c, "monitored.risk.illness"), 0);
}

TEST(RollupCounters, SubtractingEverythingLeavesNothing) {
  RollupCounters sum;
  const RollupCounters a = Contribution(Assessed(500'000, 400'000));
  const RollupCounters b = Contribution(Assessed(800'000));
  AddCounters(sum, a);
  AddCounters(sum, b);
  AddCounters(sum, a, -1);
  EXPECT_EQ(sum, b) << "order of changes must not matter";
  AddCounters(sum, b, -1);
  EXPECT_TRUE(sum.empty());
}

TEST(RollupCounters, EncodeDecodeRoundTripsAndRejectsGarbage) {
  const RollupCounters c = Contribution(Assessed(-12'345, 99));
  auto decoded = DecodeCounters(EncodeCounters(c));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, c);
  EXPECT_TRUE(DecodeCounters("").ok());
  EXPECT_FALSE(DecodeCounters("households").ok());
  EXPECT_FALSE(DecodeCounters("households=x").ok());
  EXPECT_FALSE(DecodeCounters("=1").ok());
}

TEST(RollupFigures, MedianIsTheMidpointOfTheLowerMediansBand) {
  struct Case {
    std::vector<int64_t> incomes;
    int64_t median;
    int64_t mean;
  } cases[] = {
      {{}, 0, 0},
      {{5'000}, 5'000, 5'000},                 // band 0: 0-99.99 yuan
      {{-3'000}, 5'000, -3'000},               // negative incomes share band 0
      {{600'000}, 605'000, 600'000},           // exactly on a band edge
      {{599'999}, 595'000, 599'999},           // one fen below it
      {{100'000, 300'000}, 105'000, 200'000},  // lower median of two
      {{100'000, 300'000, 900'000}, 305'000, 433'333},
      {{20'000'000'000}, 9'995'000, 20'000'000'000},  // beyond the last band
  };
  for (const Case& c : cases) {
    RollupCounters sum;
    for (int64_t income : c.incomes) AddCounters(sum, Contribution(Assessed(income)));
    const RollupFigures f = DeriveFigures(sum);
    EXPECT_EQ(f.median_per_capita_fen, c.median) << c.incomes.size();
    EXPECT_EQ(f.mean_per_capita_fen, c.mean) << c.incomes.size();
    EXPECT_EQ(f.assessed_households, static_cast<int64_t>(c.incomes.size()));
  }
}

TEST(RollupFigures, ShareOfLiftedWhoseIncomeFellAndGrowth) {
  RollupCounters sum;
  AddCounters(sum, Contribution(Assessed(900'000, 1'000'000)));    // fell
  AddCounters(sum, Contribution(Assessed(1'000'000, 1'000'000)));  // equal: not fallen
  AddCounters(sum, Contribution(Assessed(1'300'000, 1'000'000)));  // rose
  AddCounters(sum, Contribution(Assessed(800'000)));  // no previous window: not compared
  HouseholdFacts ordinary = Assessed(100'000, 500'000);
  ordinary.lifted = false;  // fell, but not lifted
  AddCounters(sum, Contribution(ordinary));
  const RollupFigures f = DeriveFigures(sum);
  EXPECT_EQ(f.lifted_compared, 3);
  EXPECT_EQ(f.lifted_income_fell, 1);
  EXPECT_EQ(f.lifted_income_fell_permille, 333);
  EXPECT_EQ(f.compared_households, 4);
  // (0.9 + 1.0 + 1.3 + 0.1) / (1.0 * 3 + 0.5) - 1 = 3.3 / 3.5 - 1 = -57‰
  EXPECT_EQ(f.income_growth_permille, -57);
}

}  // namespace
}  // namespace zx::monitoring
