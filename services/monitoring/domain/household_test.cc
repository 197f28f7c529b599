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

// ---- Updates -----------------------------------------------------------------

google::protobuf::FieldMask Mask(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* p : paths) mask.add_paths(p);
  return mask;
}

std::vector<errors::FieldViolation> MaskViolations(const google::protobuf::FieldMask& mask) {
  errors::Validator v;
  ValidateHouseholdMask(mask, v);
  return errors::FieldViolationsOf(v.ToStatus());
}

TEST(HouseholdUpdateTest, UpdatablePathsAreAcceptedOnceInOrder) {
  errors::Validator v;
  auto paths = ValidateHouseholdMask(
      Mask({"member_count", "village_code", "category", "relocated", "member_count"}), v);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(paths,
            (std::vector<std::string>{"member_count", "village_code", "category", "relocated"}));
}

TEST(HouseholdUpdateTest, EveryPathThatMayNotChangeIsNamedOnUpdateMask) {
  struct Case {
    const char* path;
    const char* said;  // the violation names the path
  };
  for (const Case& c :
       std::initializer_list<Case>{{"household_id", "household_id"},
                                   {"created_at", "created_at"},
                                   {"synthetic", "synthetic"},
                                   {"colour", "\"colour\""},
                                   {"household.member_count", "household.member_count"},
                                   {"", "\"\""}}) {
    SCOPED_TRACE(c.path);
    auto violations = MaskViolations(Mask({"category", c.path}));
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].field, "update_mask");
    EXPECT_NE(violations[0].description.find(c.said), std::string::npos)
        << violations[0].description;
  }
  // Two bad paths: two violations, each naming its path.
  auto two = MaskViolations(Mask({"synthetic", "household_id"}));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_NE(two[0].description.find("synthetic"), std::string::npos);
  EXPECT_NE(two[1].description.find("household_id"), std::string::npos);
}

TEST(HouseholdUpdateTest, EmptyMaskAsksForTheFields) {
  auto violations = MaskViolations(Mask({}));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "update_mask");
  EXPECT_NE(violations[0].description.find("name the fields to change"), std::string::npos);
}

TEST(HouseholdUpdateTest, MergeTakesOnlyMaskedFields) {
  Household stored = Valid();
  stored.set_household_id("hh-0123456789abcdef0123");
  stored.set_synthetic(true);
  stored.mutable_created_at()->set_seconds(1700000000);
  Household patch;
  patch.set_household_id("hh-ffffffffffffffffffff");  // ignored: names the target only
  patch.set_village_code("653121101202");
  patch.set_category(zx::monitoring::v1::HOUSEHOLD_CATEGORY_ORDINARY);
  patch.set_relocated(true);
  patch.set_member_count(2);

  Household merged = MergeHousehold(stored, patch, {"member_count"});
  Household expected = stored;
  expected.set_member_count(2);
  EXPECT_EQ(merged.SerializeAsString(), expected.SerializeAsString());

  merged = MergeHousehold(stored, patch, {"village_code", "category", "relocated"});
  EXPECT_EQ(merged.household_id(), stored.household_id());
  EXPECT_EQ(merged.village_code(), "653121101202");
  EXPECT_EQ(merged.category(), zx::monitoring::v1::HOUSEHOLD_CATEGORY_ORDINARY);
  EXPECT_TRUE(merged.relocated());
  EXPECT_EQ(merged.member_count(), 4);
  EXPECT_TRUE(merged.synthetic());
  EXPECT_EQ(merged.created_at().seconds(), 1700000000);
}

TEST(HouseholdUpdateTest, MergedHouseholdKeepsTheRulesOfANewOne) {
  Household stored = Valid();
  stored.set_household_id("hh-0123456789abcdef0123");
  stored.mutable_created_at()->set_seconds(1700000000);
  auto fields = [&](const Household& patch, const std::vector<std::string>& paths) {
    errors::Validator v;
    ValidateHouseholdFacts(MergeHousehold(stored, patch, paths), Shufu(), "household.", v);
    std::vector<std::string> out;
    for (const auto& f : errors::FieldViolationsOf(v.ToStatus())) out.push_back(f.field);
    return out;
  };
  // The stored id and created_at are facts of an existing household, not violations.
  EXPECT_TRUE(fields(Household(), {}).empty());
  Household patch;  // all zero
  EXPECT_EQ(fields(patch, {"member_count"}), std::vector<std::string>{"household.member_count"});
  EXPECT_EQ(fields(patch, {"category"}), std::vector<std::string>{"household.category"});
  EXPECT_TRUE(fields(patch, {"relocated"}).empty());
  patch.set_member_count(kMaxMembers + 1);
  EXPECT_EQ(fields(patch, {"member_count"}), std::vector<std::string>{"household.member_count"});
  patch.set_village_code("653122101201");  // another county: not kept here
  EXPECT_EQ(fields(patch, {"village_code"}), std::vector<std::string>{"household.village_code"});
  patch.set_village_code("653121101000");  // a township
  EXPECT_EQ(fields(patch, {"village_code"}), std::vector<std::string>{"household.village_code"});
  patch.set_village_code("653121102203");
  EXPECT_TRUE(fields(patch, {"village_code"}).empty());
}

}  // namespace
}  // namespace zx::monitoring
