#include "services/monitoring/domain/household_import.h"

#include <gtest/gtest.h>

#include "absl/strings/str_format.h"

namespace zx::monitoring {
namespace {

const absl::CivilDay kToday(2026, 11, 24);
const division::Code kCounty = *division::Code::Parse("653121000000");

std::string IdNumber(int n) {
  const std::string first17 = absl::StrFormat("65312119800101%03d", n);
  return first17 + id_card::CheckDigit(first17);
}

v1::Person Member(int n, v1::Relation relation) {
  v1::Person p;
  p.set_id_number(IdNumber(n));
  p.set_name("阿依古丽");
  p.set_relation(relation);
  p.set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
  p.set_health(v1::HEALTH_STATUS_HEALTHY);
  return p;
}

v1::HouseholdImportRow Valid() {
  v1::HouseholdImportRow row;
  row.set_row_number(3);
  row.mutable_household()->set_village_code("653121101201");
  row.mutable_household()->set_category(v1::HOUSEHOLD_CATEGORY_LIFTED);
  *row.add_persons() = Member(1, v1::RELATION_HEAD);
  *row.add_persons() = Member(2, v1::RELATION_SPOUSE);
  *row.add_persons() = Member(3, v1::RELATION_CHILD);
  return row;
}

TEST(ImportRow, ValidRowCountsItsMembers) {
  auto result = ValidateImportRow(Valid(), kCounty, kToday, "rows[0].");
  ASSERT_TRUE(std::holds_alternative<ImportedHousehold>(result))
      << std::get<RowViolation>(result).field;
  const auto& h = std::get<ImportedHousehold>(result);
  EXPECT_EQ(h.household.member_count(), 3);
  ASSERT_EQ(h.members.size(), 3u);
  EXPECT_EQ(h.members[0].birth_date, absl::CivilDay(1980, 1, 1));
  EXPECT_EQ(h.normalized_ids[2], IdNumber(3));
}

TEST(ImportRow, EachProblemNamesItsField) {
  struct Case {
    void (*mutate)(v1::HouseholdImportRow&);
    const char* field;
  } cases[] = {
      {[](v1::HouseholdImportRow& r) { r.set_row_number(0); }, "rows[0].row_number"},
      {[](v1::HouseholdImportRow& r) { r.clear_persons(); }, "rows[0].persons"},
      {[](v1::HouseholdImportRow& r) { r.mutable_household()->set_village_code("653122101201"); },
       "rows[0].household.village_code"},
      {[](v1::HouseholdImportRow& r) { r.mutable_household()->set_household_id("hh-1"); },
       "rows[0].household.household_id"},
      {[](v1::HouseholdImportRow& r) { r.mutable_household()->set_member_count(4); },
       "rows[0].household.member_count"},
      {[](v1::HouseholdImportRow& r) { r.mutable_persons(1)->set_id_number("653121198001010021"); },
       "rows[0].persons[1].id_number"},
      {[](v1::HouseholdImportRow& r) { r.mutable_persons(2)->set_id_number(IdNumber(1)); },
       "rows[0].persons[2].id_number"},
      {[](v1::HouseholdImportRow& r) { r.mutable_persons(1)->set_relation(v1::RELATION_HEAD); },
       "rows[0].persons"},
      {[](v1::HouseholdImportRow& r) { r.mutable_persons(0)->set_relation(v1::RELATION_OTHER); },
       "rows[0].persons"},
      {[](v1::HouseholdImportRow& r) { r.mutable_persons(1)->set_household_id("hh-x"); },
       "rows[0].persons[1].household_id"},
      {[](v1::HouseholdImportRow& r) { r.mutable_persons(2)->clear_name(); },
       "rows[0].persons[2].name"},
      {[](v1::HouseholdImportRow& r) {
         r.mutable_guarantees()->set_safe_water(static_cast<v1::GuaranteeStatus>(7));
       },
       "rows[0].guarantees.safe_water"},
  };
  for (const Case& c : cases) {
    v1::HouseholdImportRow row = Valid();
    c.mutate(row);
    auto result = ValidateImportRow(row, kCounty, kToday, "rows[0].");
    ASSERT_TRUE(std::holds_alternative<RowViolation>(result)) << c.field;
    EXPECT_EQ(std::get<RowViolation>(result).field, c.field);
    EXPECT_FALSE(std::get<RowViolation>(result).reason.empty()) << c.field;
  }
}

TEST(ImportRow, TwentyOneMembersAreTooMany) {
  v1::HouseholdImportRow row = Valid();
  for (int i = 4; i <= 21; ++i) *row.add_persons() = Member(i, v1::RELATION_OTHER);
  auto result = ValidateImportRow(row, kCounty, kToday, "rows[5].");
  ASSERT_TRUE(std::holds_alternative<RowViolation>(result));
  EXPECT_EQ(std::get<RowViolation>(result).field, "rows[5].persons");
}

}  // namespace
}  // namespace zx::monitoring
