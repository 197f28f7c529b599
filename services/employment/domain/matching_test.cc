#include "services/employment/domain/matching.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "services/employment/testing/baselines.h"

namespace zx::employment {
namespace {

constexpr int64_t kVillage = 653121101201;
constexpr int64_t kOtherCounty = 653122101201;
constexpr int64_t kPartner = 440000000000;

MatchWorker W(int32_t household, v1::Willingness willingness, uint8_t flags = kLifted) {
  return MatchWorker{.household = household,
                     .division = kVillage,
                     .willingness = willingness,
                     .language_level = 3,
                     .flags = flags};
}
MatchJob J(int64_t location, int32_t slots, int64_t wage_fen = 300'000, bool partner = false) {
  return MatchJob{
      .location = location, .partner_province = partner, .wage_fen = wage_fen, .free_slots = slots};
}

TEST(MatchingTest, CoversHouseholdsBeforeWages) {
  // Household 0 has two workers, household 1 one; one well-paid slot and one
  // poorly paid. Both households must be covered.
  MatchingInput in;
  in.households = 2;
  in.workers = {W(0, v1::WILLINGNESS_LOCAL), W(0, v1::WILLINGNESS_LOCAL),
                W(1, v1::WILLINGNESS_LOCAL)};
  in.jobs = {J(kVillage, 2, 900'000), J(kVillage, 1, 200'000)};
  // Worker 2 (household 1) can only take the poor job? No: both. Make the
  // rich job take household 0's two workers unless coverage wins.
  in.candidates = {{0, 0}, {1, 0}, {2, 1}, {0, 1}};
  auto r = SolveMatching(in, Weights{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->covered_after, 2);
  EXPECT_EQ(r->households_total, 2);
  EXPECT_EQ(r->proposals.size(), 3u);
}

TEST(MatchingTest, CoverageBeatsAnyWage) {
  // One slot; a monitored household's worker with a higher-paid fit versus a
  // household that is not yet covered: the uncovered household wins.
  MatchingInput in;
  in.households = 2;
  in.household_covered = {true, false};
  in.workers = {W(0, v1::WILLINGNESS_LOCAL, kMonitored | kLifted | kYulu | kRelocated),
                W(1, v1::WILLINGNESS_LOCAL, 0)};
  in.jobs = {J(kVillage, 1)};
  auto r = SolveMatching(in, Weights{});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->proposals.size(), 1u);
  EXPECT_EQ(r->proposals[0].worker, 1);
  EXPECT_TRUE(r->proposals[0].covers_household);
  EXPECT_EQ(r->covered_before, 1);
  EXPECT_EQ(r->covered_after, 2);
}

TEST(MatchingTest, NeverProposesBeyondWillingness) {
  MatchingInput in;
  in.households = 3;
  in.workers = {W(0, v1::WILLINGNESS_LOCAL), W(1, v1::WILLINGNESS_IN_REGION),
                W(2, v1::WILLINGNESS_OUT_OF_REGION)};
  // Only far jobs: the local worker stays unassigned even though a slot is free.
  in.jobs = {J(kOtherCounty, 5), J(kPartner, 5, 800'000, true)};
  auto r = SolveMatching(in, Weights{});
  ASSERT_TRUE(r.ok());
  std::set<int32_t> assigned;
  for (const auto& p : r->proposals) {
    assigned.insert(p.worker);
    EXPECT_LE(ReachOf(in.workers[p.worker].division, in.jobs[p.job].location,
                      in.jobs[p.job].partner_province),
              in.workers[p.worker].willingness);
  }
  EXPECT_EQ(assigned, (std::set<int32_t>{1, 2}));
  EXPECT_EQ(r->covered_after, 2);
  EXPECT_EQ(r->households_total, 3);
}

TEST(MatchingTest, RequirementsAndSlotsAreHard) {
  MatchingInput in;
  in.households = 3;
  in.workers = {W(0, v1::WILLINGNESS_LOCAL), W(1, v1::WILLINGNESS_LOCAL),
                W(2, v1::WILLINGNESS_LOCAL)};
  in.workers[0].skills = {7};
  auto job = J(kVillage, 1);
  job.required = {7};
  in.jobs = {job, J(kVillage, 1)};
  auto r = SolveMatching(in, Weights{});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->proposals.size(), 2u);
  std::vector<int32_t> per_job(2, 0);
  for (const auto& p : r->proposals) {
    ++per_job[p.job];
    if (p.job == 0) {
      EXPECT_EQ(p.worker, 0);
    }
  }
  EXPECT_EQ(per_job, (std::vector<int32_t>{1, 1}));
}

TEST(MatchingTest, ReasonsNameTheRules) {
  MatchingInput in;
  in.households = 1;
  in.workers = {W(0, v1::WILLINGNESS_IN_REGION, kMonitored)};
  in.workers[0].skills = {0, 1};
  auto job = J(kOtherCounty, 1);
  job.required = {0};
  job.preferred = {1};
  in.jobs = {job};
  auto r = SolveMatching(in, Weights{});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->proposals.size(), 1u);
  const auto reasons = ExplainProposal(in.workers[0], in.jobs[0], r->proposals[0], Weights{},
                                       {"welding", "driving"});
  std::set<std::string> rules;
  for (const auto& x : reasons) rules.insert(x.rule());
  for (const char* rule : {"E1.household_coverage", "E1.priority", "E1.willingness",
                           "E1.requirements", "E1.wage", "E1.skill_fit", "E1.slots"}) {
    EXPECT_TRUE(rules.count(rule)) << rule;
  }
  EXPECT_NE(reasons[2].detail().find("in-region"), std::string::npos) << reasons[2].detail();
}

// Random instances: coverage equals the exact bound, is at least the greedy
// baseline's, and no proposal breaks a hard constraint.
class RandomMatchingTest : public ::testing::TestWithParam<int> {};
TEST_P(RandomMatchingTest, ReachesTheExactBound) {
  std::mt19937 rng(GetParam());
  MatchingInput in;
  in.households = 30;
  for (int32_t h = 0; h < in.households; ++h) in.household_covered.push_back(rng() % 10 == 0);
  for (int i = 0; i < 50; ++i) {
    auto w = W(static_cast<int32_t>(rng() % 30), static_cast<v1::Willingness>(1 + rng() % 3),
               static_cast<uint8_t>(rng() % 16));
    if (rng() % 2) w.skills.push_back(rng() % 4);
    w.capacity = rng() % 8 == 0 ? v1::LABOUR_CAPACITY_PARTIAL : v1::LABOUR_CAPACITY_FULL;
    in.workers.push_back(w);
  }
  const int64_t locations[] = {kVillage, 653121102000, kOtherCounty, 652900000000, kPartner};
  int slots = 0;
  while (slots < 20) {
    const int64_t loc = locations[rng() % 5];
    auto j = J(loc, static_cast<int32_t>(1 + rng() % 3), 150'000 + 10'000 * (rng() % 30),
               loc == kPartner);
    if (rng() % 3 == 0) j.required.push_back(rng() % 4);
    j.light_work = rng() % 2;
    slots += j.free_slots;
    in.jobs.push_back(j);
  }
  auto r = SolveMatching(in, Weights{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->covered_after, testing::MaxHouseholdsCoverable(in));
  EXPECT_GE(r->covered_after, testing::GreedyHouseholdsCovered(in));
  std::vector<int32_t> used(in.jobs.size(), 0);
  std::set<int32_t> workers;
  for (const auto& p : r->proposals) {
    EXPECT_TRUE(InfeasibleRule(in.workers[p.worker], in.jobs[p.job]).empty());
    EXPECT_TRUE(workers.insert(p.worker).second) << "a worker twice";
    ++used[p.job];
  }
  for (size_t j = 0; j < in.jobs.size(); ++j) EXPECT_LE(used[j], in.jobs[j].free_slots);

  // Candidates from the county/region buckets give the same optimum.
  MatchingInput indexed = in;
  indexed.candidates = CandidatesByReach(in);
  indexed.candidates_given = true;
  auto by_reach = SolveMatching(indexed, Weights{});
  ASSERT_TRUE(by_reach.ok());
  EXPECT_EQ(by_reach->covered_after, r->covered_after);
  EXPECT_EQ(by_reach->objective, r->objective);
  EXPECT_EQ(by_reach->edges, r->edges);
}
INSTANTIATE_TEST_SUITE_P(Seeds, RandomMatchingTest, ::testing::Range(1, 41));

}  // namespace
}  // namespace zx::employment
