#include "tools/zxgen/population.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/division/division.h"
#include "services/monitoring/domain/household_import.h"
#include "services/monitoring/domain/survey.h"

namespace zx::zxgen {
namespace {

PopulationOptions Options(int64_t households, uint64_t seed = 7) {
  PopulationOptions o;
  o.households = households;
  o.seed = seed;
  return o;
}

std::vector<GeneratedHousehold> All(const PopulationOptions& options) {
  std::vector<GeneratedHousehold> out;
  for (const CountyPlan& plan : PlanPrefecture(options)) {
    CountyGenerator gen(options, plan);
    while (gen.HasNext()) out.push_back(gen.Next());
  }
  return out;
}

TEST(Plan, KashgarCountiesShareTheHouseholdsInWholeVillages) {
  const auto plans = PlanPrefecture(Options(100'000));
  ASSERT_EQ(plans.size(), 12u) << "Kashgar's 12 county-level divisions";
  int64_t next = 0;
  std::set<std::string> villages;
  for (const CountyPlan& plan : plans) {
    const auto county = division::Code::Parse(plan.county);
    ASSERT_TRUE(county.ok());
    ASSERT_NE(division::FindKnown(*county), nullptr) << plan.county << " is a real code";
    EXPECT_EQ(plan.first, next);
    next = plan.end;
    for (const Village& v : plan.villages) {
      const auto code = division::Code::Parse(v.code);
      ASSERT_TRUE(code.ok()) << v.code;
      EXPECT_EQ(code->level(), division::Level::kVillage);
      EXPECT_TRUE(county->IsAncestorOrSelfOf(*code));
      EXPECT_TRUE(villages.insert(v.code).second) << v.code;
    }
  }
  EXPECT_EQ(next, 100'000);
  EXPECT_EQ(villages.size(), 334u);  // ceil(100,000 / 300)
  EXPECT_TRUE(PlanPrefecture({.prefecture = "999900000000"}).empty());
}

TEST(Population, TheSameSeedGivesTheSamePrefecture) {
  const auto a = All(Options(600, 7));
  const auto b = All(Options(600, 7));
  const auto c = All(Options(600, 8));
  ASSERT_EQ(a.size(), 600u);
  ASSERT_EQ(b.size(), 600u);
  int differing = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].row.SerializeAsString(), b[i].row.SerializeAsString()) << i;
    EXPECT_EQ(a[i].survey.SerializeAsString(), b[i].survey.SerializeAsString()) << i;
    differing += a[i].row.SerializeAsString() != c[i].row.SerializeAsString();
  }
  EXPECT_GT(differing, 590) << "another seed, another prefecture";
}

TEST(Population, DistributionsAreThoseOfTheBrief) {
  const PopulationOptions options = Options(24'000);
  const auto all = All(options);
  ASSERT_EQ(all.size(), 24'000u);
  const division::Code prefecture = *division::Code::Parse(options.prefecture);
  std::map<int, int> sizes;
  int lifted = 0, below = 0, ill = 0, able_households = 0, unmet = 0;
  std::set<std::string> ids;
  for (const GeneratedHousehold& g : all) {
    // Every row passes the service's own rules.
    auto valid = monitoring::ValidateImportRow(g.row, prefecture, options.today, "rows[0].");
    ASSERT_TRUE(std::holds_alternative<monitoring::ImportedHousehold>(valid))
        << std::get<monitoring::RowViolation>(valid).field << ": "
        << std::get<monitoring::RowViolation>(valid).reason;
    EXPECT_FALSE(monitoring::ValidateSurveyRow(g.survey, options.today, "rows[0]."));
    ++sizes[g.row.persons_size()];
    lifted += g.row.household().category() == v1::HOUSEHOLD_CATEGORY_LIFTED;
    below += g.per_capita_fen < options.line_fen;
    const v1::Guarantees& gu = g.row.guarantees();
    for (v1::GuaranteeStatus s : {gu.food_clothing(), gu.compulsory_education(), gu.basic_medical(),
                                  gu.safe_housing(), gu.safe_water()}) {
      ASSERT_NE(s, v1::GUARANTEE_STATUS_UNSPECIFIED) << "every household checked";
    }
    unmet += gu.food_clothing() == v1::GUARANTEE_STATUS_UNMET ||
             gu.compulsory_education() == v1::GUARANTEE_STATUS_UNMET ||
             gu.basic_medical() == v1::GUARANTEE_STATUS_UNMET ||
             gu.safe_housing() == v1::GUARANTEE_STATUS_UNMET ||
             gu.safe_water() == v1::GUARANTEE_STATUS_UNMET;
    bool able = false, illness = false;
    for (const v1::Person& p : g.row.persons()) {
      EXPECT_TRUE(ids.insert(p.id_number()).second) << p.id_number() << " twice";
      EXPECT_EQ(p.id_number().substr(0, 6), g.row.household().village_code().substr(0, 6));
      able |= p.labour_capacity() == v1::LABOUR_CAPACITY_FULL;
      illness |= p.health() != v1::HEALTH_STATUS_HEALTHY;
    }
    able_households += able;
    ill += illness;
    // The survey row is the year's net income: gross minus production costs.
    const v1::SurveyRow& s = g.survey;
    EXPECT_EQ(s.wage_fen() + s.operating_fen() + s.property_fen() + s.transfer_fen() -
                  s.production_cost_fen(),
              g.per_capita_fen * g.row.persons_size());
    EXPECT_EQ(s.id_number(), g.row.persons(0).id_number());
  }
  for (int size = 1; size <= 8; ++size) EXPECT_GT(sizes[size], 300) << "size " << size;
  EXPECT_EQ(sizes.size(), 8u);
  EXPECT_NEAR(lifted / 24'000.0, 0.25, 0.015);
  EXPECT_NEAR(below / 24'000.0, 0.05, 0.01);
  EXPECT_GT(able_households / 24'000.0, 0.8);
  EXPECT_GT(ill / 24'000.0, 0.2);
  EXPECT_GT(unmet, 100) << "~0.75% with a guarantee unmet";
  EXPECT_LT(unmet, 300);
}

}  // namespace
}  // namespace zx::zxgen
