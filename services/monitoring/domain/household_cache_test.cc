#include "services/monitoring/domain/household_cache.h"

#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"

namespace zx::monitoring {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);

v1::Household Household(std::string id, int members = 4) {
  v1::Household h;
  h.set_household_id(std::move(id));
  h.set_village_code("653121100201");
  h.set_category(v1::HOUSEHOLD_CATEGORY_LIFTED);
  h.set_relocated(true);
  h.set_member_count(members);
  h.set_synthetic(false);
  h.mutable_created_at()->set_seconds(1'700'000'123);
  h.mutable_created_at()->set_nanos(456'789'000);
  return h;
}

TEST(HouseholdCacheTest, GivesBackEveryFieldItKept) {
  HouseholdCache cache(100);
  cache.SetAsOf(kNow);
  const v1::Household h = Household("hh-0123456789abcdef0123");
  ASSERT_TRUE(cache.Apply(h, 1));
  auto found = cache.Find(h.household_id(), kNow);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->SerializeAsString(), h.SerializeAsString()) << found->DebugString();
  EXPECT_EQ(cache.size(), 1u);
}

TEST(HouseholdCacheTest, VillageCodesKeepTheirLeadingDigitsAndTimesBefore1970) {
  HouseholdCache cache(100);
  cache.SetAsOf(kNow);
  v1::Household h = Household("hh-00000000000000000001");
  h.set_village_code("053121100201");
  h.mutable_created_at()->set_seconds(-2);
  h.mutable_created_at()->set_nanos(250'000'000);
  ASSERT_TRUE(cache.Apply(h, 1));
  auto found = cache.Find(h.household_id(), kNow);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->village_code(), "053121100201");
  EXPECT_EQ(found->created_at().seconds(), -2);
  EXPECT_EQ(found->created_at().nanos(), 250'000'000);
}

TEST(HouseholdCacheTest, AnOlderOrEqualVersionNeverReplacesANewerOne) {
  HouseholdCache cache(100);
  cache.SetAsOf(kNow);
  const std::string id = "hh-aaaaaaaaaaaaaaaaaaaa";
  ASSERT_TRUE(cache.Apply(Household(id, 3), 5));
  EXPECT_FALSE(cache.Apply(Household(id, 2), 4));  // a poll that read before the update
  EXPECT_FALSE(cache.Apply(Household(id, 2), 5));
  EXPECT_EQ(cache.Find(id, kNow)->member_count(), 3);
  EXPECT_TRUE(cache.Apply(Household(id, 6), 6));
  EXPECT_EQ(cache.Find(id, kNow)->member_count(), 6);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(HouseholdCacheTest, AnswersNothingWhenNotCurrent) {
  HouseholdCache cache(100);
  const std::string id = "hh-bbbbbbbbbbbbbbbbbbbb";
  ASSERT_TRUE(cache.Apply(Household(id), 1));
  EXPECT_FALSE(cache.Find(id, kNow).has_value()) << "never polled: not current";
  cache.set_max_lag(absl::Seconds(2));
  cache.SetAsOf(kNow);
  EXPECT_TRUE(cache.Find(id, kNow + absl::Seconds(2)).has_value());
  EXPECT_FALSE(cache.Find(id, kNow + absl::Milliseconds(2001)).has_value());
}

TEST(HouseholdCacheTest, StopsTakingNewHouseholdsWhenFullButStillFollowsThoseItHolds) {
  HouseholdCache cache(2);
  cache.SetAsOf(kNow);
  ASSERT_TRUE(cache.Apply(Household("hh-00000000000000000001"), 1));
  ASSERT_TRUE(cache.Apply(Household("hh-00000000000000000002"), 1));
  EXPECT_FALSE(cache.Apply(Household("hh-00000000000000000003"), 1));
  EXPECT_FALSE(cache.Find("hh-00000000000000000003", kNow).has_value());
  EXPECT_TRUE(cache.Apply(Household("hh-00000000000000000002", 7), 2));
  EXPECT_EQ(cache.Find("hh-00000000000000000002", kNow)->member_count(), 7);
  EXPECT_EQ(cache.size(), 2u);

  HouseholdCache off(0);
  off.SetAsOf(kNow);
  EXPECT_FALSE(off.Apply(Household("hh-00000000000000000001"), 1));
}

TEST(HouseholdCacheTest, KeepsNothingThatIsNotAStoredHousehold) {
  HouseholdCache cache(100);
  cache.SetAsOf(kNow);
  EXPECT_FALSE(cache.Apply(Household("hh-0123456789ABCDEF0123"), 1)) << "upper case is another id";
  EXPECT_FALSE(cache.Apply(Household("hh-0123"), 1));
  EXPECT_FALSE(cache.Apply(Household("xx-0123456789abcdef0123"), 1));
  EXPECT_FALSE(cache.Apply(Household("hh-0123456789abcdef0123"), 0));
  v1::Household bad_village = Household("hh-0123456789abcdef0123");
  bad_village.set_village_code("65312110020x");
  EXPECT_FALSE(cache.Apply(bad_village, 1));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.Find("hh-0123456789ABCDEF0123", kNow).has_value());
}

TEST(HouseholdCacheTest, ANewerVersionItCannotHoldDropsTheOlderOne) {
  HouseholdCache cache(100);
  cache.SetAsOf(kNow);
  const std::string id = "hh-cccccccccccccccccccc";
  ASSERT_TRUE(cache.Apply(Household(id), 1));
  v1::Household odd = Household(id);
  odd.set_category(static_cast<v1::HouseholdCategory>(300));  // set by hand in SQL
  EXPECT_FALSE(cache.Apply(odd, 2));
  EXPECT_FALSE(cache.Find(id, kNow).has_value()) << "version 1 must not answer for version 2";
  EXPECT_EQ(cache.size(), 0u);
}

TEST(HouseholdCacheTest, ClearDropsEverythingAndAnswersNothingUntilCurrentAgain) {
  HouseholdCache cache(100);
  cache.SetAsOf(kNow);
  ASSERT_TRUE(cache.Apply(Household("hh-00000000000000000001"), 3));
  ASSERT_TRUE(cache.Apply(Household("hh-00000000000000000002"), 1));
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  // A restored database may hold an older version: after Clear it is kept.
  ASSERT_TRUE(cache.Apply(Household("hh-00000000000000000001", 2), 1));
  EXPECT_FALSE(cache.Find("hh-00000000000000000001", kNow).has_value()) << "not current yet";
  cache.SetAsOf(kNow);
  EXPECT_EQ(cache.Find("hh-00000000000000000001", kNow)->member_count(), 2);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(HouseholdCacheTest, ConcurrentWritersLeaveTheNewestVersion) {
  HouseholdCache cache(1000);
  cache.SetAsOf(kNow);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int version = 1 + t; version <= 400; version += 4) {
        for (int i = 0; i < 50; ++i) {
          cache.Apply(Household(absl::StrFormat("hh-%020x", i), version % 20 + 1), version);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(cache.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(cache.Find(absl::StrFormat("hh-%020x", i), kNow)->member_count(), 400 % 20 + 1);
  }
}

}  // namespace
}  // namespace zx::monitoring
