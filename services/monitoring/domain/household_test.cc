#include "services/monitoring/domain/household.h"

#include <gtest/gtest.h>

namespace zx::monitoring {
namespace {

using zx::monitoring::v1::Household;

division::Code Shufu() { return *division::Code::Parse("653121000000"); }

Household Valid() {
  Household h;
  h.set_village_code("653121101201");
  h.set_category(zx::monitoring::v1::HOUSEHOLD_CATEGORY_LIFTED);
  h.set_member_count(4);
  return h;
}

std::vector<std::string> Fields(const Household& h) {
  errors::Validator v;
  ValidateNewHousehold(h, Shufu(), "household.", v);
  std::vector<std::string> out;
  for (const auto& f : errors::FieldViolationsOf(v.ToStatus())) out.push_back(f.field);
  return out;
}

TEST(HouseholdTest, ValidHouseholdHasNoViolations) { EXPECT_TRUE(Fields(Valid()).empty()); }

TEST(HouseholdTest, VillageCodeMustBeAVillageInsideTheInstance) {
  Household h = Valid();
  h.set_village_code("65312110120");
  EXPECT_EQ(Fields(h), std::vector<std::string>{"household.village_code"});
  h.set_village_code("653121101000");  // a township
  EXPECT_EQ(Fields(h), std::vector<std::string>{"household.village_code"});
  h.set_village_code("653122101201");  // Shule, not Shufu
  EXPECT_EQ(Fields(h), std::vector<std::string>{"household.village_code"});
}

TEST(HouseholdTest, EveryBadFieldIsReported) {
  Household h = Valid();
  h.set_household_id("hh-00000000000000000001");
  h.set_category(zx::monitoring::v1::HOUSEHOLD_CATEGORY_UNSPECIFIED);
  h.set_member_count(0);
  EXPECT_EQ(Fields(h), (std::vector<std::string>{"household.household_id", "household.category",
                                                 "household.member_count"}));
  h = Valid();
  h.set_member_count(kMaxMembers + 1);
  EXPECT_EQ(Fields(h), std::vector<std::string>{"household.member_count"});
}

TEST(HouseholdTest, VillagePrefixFollowsLevel) {
  EXPECT_EQ(VillagePrefix(*division::Code::Parse("653100")), "6531");
  EXPECT_EQ(VillagePrefix(Shufu()), "653121");
  EXPECT_EQ(VillagePrefix(*division::Code::Parse("653121101")), "653121101");
  EXPECT_EQ(VillagePrefix(*division::Code::Parse("653121101201")), "653121101201");
}

TEST(HouseholdTest, HouseholdIdShape) {
  EXPECT_TRUE(IsHouseholdId("hh-0123456789abcdef0123"));
  EXPECT_FALSE(IsHouseholdId("hh-0123456789ABCDEF0123"));
  EXPECT_FALSE(IsHouseholdId("hh-0123"));
  EXPECT_FALSE(IsHouseholdId("xx-0123456789abcdef0123"));
}

TEST(HouseholdTest, PageTokenRoundTrips) {
  const PageCursor cursor{"653121101201", "hh-0123456789abcdef0123"};
  auto back = DecodePageToken(EncodePageToken(cursor));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->village_code, cursor.village_code);
  EXPECT_EQ(back->household_id, cursor.household_id);
  EXPECT_TRUE(DecodePageToken("")->village_code.empty());
  for (std::string_view bad :
       {"x", "653121101201", "653121101201.hh-1", "65312110120.hh-0123456789abcdef0123"}) {
    EXPECT_EQ(DecodePageToken(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(HouseholdTest, PageSizeDefaultsAndCaps) {
  EXPECT_EQ(*EffectivePageSize(0), kDefaultPageSize);
  EXPECT_EQ(*EffectivePageSize(7), 7);
  EXPECT_EQ(*EffectivePageSize(100000), kMaxPageSize);
  EXPECT_EQ(EffectivePageSize(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace zx::monitoring
