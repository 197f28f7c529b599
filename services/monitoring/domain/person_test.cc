#include "services/monitoring/domain/person.h"

#include <gtest/gtest.h>

namespace zx::monitoring {
namespace {

namespace v1 = zx::monitoring::v1;

const absl::CivilDay kToday(2026, 11, 23);

v1::Person Valid() {
  v1::Person p;
  p.set_id_number("11010519491231002X");
  p.set_name("阿依古丽");
  p.set_relation(v1::RELATION_HEAD);
  p.set_labour_capacity(v1::LABOUR_CAPACITY_FULL);
  p.set_health(v1::HEALTH_STATUS_HEALTHY);
  return p;
}

std::vector<std::string> Fields(const v1::Person& p) {
  errors::Validator v;
  ValidateNewPerson(p, kToday, "person.", v);
  std::vector<std::string> out;
  for (const auto& f : errors::FieldViolationsOf(v.ToStatus())) out.push_back(f.field);
  return out;
}

TEST(PersonTest, ValidPersonYieldsBirthDateAndSex) {
  errors::Validator v;
  auto info = ValidateNewPerson(Valid(), kToday, "person.", v);
  EXPECT_TRUE(v.ok());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->birth_date, absl::CivilDay(1949, 12, 31));
  EXPECT_EQ(info->sex, id_card::Sex::kFemale);
}

TEST(PersonTest, BadIdNumberIsNamed) {
  v1::Person p = Valid();
  p.set_id_number("110105194912310021");  // wrong check digit
  EXPECT_EQ(Fields(p), std::vector<std::string>{"person.id_number"});
  p.set_id_number("");
  EXPECT_EQ(Fields(p), std::vector<std::string>{"person.id_number"});
}

TEST(PersonTest, EnumsAndDisabilityGrade) {
  v1::Person p = Valid();
  p.set_relation(v1::RELATION_UNSPECIFIED);
  p.set_labour_capacity(static_cast<v1::LabourCapacity>(42));
  p.set_health(v1::HEALTH_STATUS_DISABILITY);
  EXPECT_EQ(Fields(p), (std::vector<std::string>{"person.relation", "person.labour_capacity",
                                                 "person.disability_grade"}));
  p = Valid();
  p.set_disability_grade(2);
  EXPECT_EQ(Fields(p), std::vector<std::string>{"person.disability_grade"});
  p.set_health(v1::HEALTH_STATUS_DISABILITY);
  EXPECT_TRUE(Fields(p).empty());
}

TEST(PersonTest, ServerFieldsAreRefused) {
  v1::Person p = Valid();
  p.set_person_id("ps-00000000000000000000");
  p.set_birth_date("1949-12-31");
  p.set_name("");
  EXPECT_EQ(Fields(p),
            (std::vector<std::string>{"person.person_id", "person.name", "person.birth_date"}));
}

TEST(PersonTest, PersonalDataNeedsPrivilegeAndPurpose) {
  auto p = [](auth::Role role) {
    return auth::Principal{"u", role, *division::Code::Parse("653121"), "", ""};
  };
  EXPECT_TRUE(MaySeePersonalData(p(auth::Role::kCountyOfficial), "verification visit"));
  EXPECT_FALSE(MaySeePersonalData(p(auth::Role::kCountyOfficial), ""));
  EXPECT_FALSE(MaySeePersonalData(p(auth::Role::kPrefectureOfficial), "oversight"));
  EXPECT_FALSE(MaySeePersonalData(p(auth::Role::kOperator), "debugging"));
}

}  // namespace
}  // namespace zx::monitoring
