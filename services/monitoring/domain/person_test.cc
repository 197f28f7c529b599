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

// ---- Updates -----------------------------------------------------------------

google::protobuf::FieldMask Mask(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* p : paths) mask.add_paths(p);
  return mask;
}

std::vector<errors::FieldViolation> MaskViolations(const google::protobuf::FieldMask& mask) {
  errors::Validator v;
  ValidatePersonMask(mask, v);
  return errors::FieldViolationsOf(v.ToStatus());
}

TEST(PersonUpdateTest, UpdatablePathsAreAccepted) {
  errors::Validator v;
  auto paths =
      ValidatePersonMask(Mask({"name", "relation", "labour_capacity", "health", "disability_grade",
                               "in_school", "medical_insured", "employed", "employed"}),
                         v);
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(paths.size(), 8u);
}

TEST(PersonUpdateTest, EveryPathThatMayNotChangeIsNamedOnUpdateMask) {
  struct Case {
    const char* path;
    const char* said;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"id_number", "an ID number is not changed; register the person anew"},
           {"sex", "sex"},
           {"birth_date", "birth_date"},
           {"person_id", "person_id"},
           {"household_id", "household_id"},
           {"personal_data_masked", "personal_data_masked"},
           {"nickname", "\"nickname\""}}) {
    SCOPED_TRACE(c.path);
    auto violations = MaskViolations(Mask({"employed", c.path}));
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0].field, "update_mask");
    EXPECT_NE(violations[0].description.find(c.said), std::string::npos)
        << violations[0].description;
  }
}

TEST(PersonUpdateTest, EmptyMaskAsksForTheFields) {
  auto violations = MaskViolations(Mask({}));
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "update_mask");
  EXPECT_NE(violations[0].description.find("name the fields to change"), std::string::npos);
}

v1::Person Stored() {
  v1::Person p = Valid();
  p.set_person_id("ps-0123456789abcdef0123");
  p.set_household_id("hh-0123456789abcdef0123");
  p.set_id_number("110105***********X");
  p.set_name("阿*");
  p.set_sex(v1::SEX_FEMALE);
  p.set_birth_date("1949");
  p.set_personal_data_masked(true);
  return p;
}

std::vector<std::string> MergedFields(const v1::Person& stored, const v1::Person& patch,
                                      const std::vector<std::string>& paths) {
  errors::Validator v;
  ValidatePersonFacts(MergePerson(stored, patch, paths), "person.", v);
  std::vector<std::string> out;
  for (const auto& f : errors::FieldViolationsOf(v.ToStatus())) out.push_back(f.field);
  return out;
}

TEST(PersonUpdateTest, MergeTakesOnlyMaskedFieldsAndKeepsTheIdNumber) {
  v1::Person patch;
  patch.set_id_number("110105194912310021");  // never taken
  patch.set_name("古丽");
  patch.set_labour_capacity(v1::LABOUR_CAPACITY_NONE);
  patch.set_employed(true);
  v1::Person merged = MergePerson(Stored(), patch, {"labour_capacity", "employed"});
  v1::Person expected = Stored();
  expected.set_labour_capacity(v1::LABOUR_CAPACITY_NONE);
  expected.set_employed(true);
  EXPECT_EQ(merged.SerializeAsString(), expected.SerializeAsString());
  EXPECT_EQ(MergePerson(Stored(), patch, {"name"}).name(), "古丽");
}

TEST(PersonUpdateTest, DisabilityGradeRuleHoldsOnTheMergedPerson) {
  v1::Person disabled = Stored();
  disabled.set_health(v1::HEALTH_STATUS_DISABILITY);
  disabled.set_disability_grade(2);
  v1::Person patch;
  patch.set_health(v1::HEALTH_STATUS_HEALTHY);
  // Healthy but still graded: the grade must be cleared in the same update.
  EXPECT_EQ(MergedFields(disabled, patch, {"health"}),
            std::vector<std::string>{"person.disability_grade"});
  EXPECT_TRUE(MergedFields(disabled, patch, {"health", "disability_grade"}).empty());
  // Becoming disabled needs a grade 1..4.
  patch.set_health(v1::HEALTH_STATUS_DISABILITY);
  EXPECT_EQ(MergedFields(Stored(), patch, {"health"}),
            std::vector<std::string>{"person.disability_grade"});
  patch.set_disability_grade(5);
  EXPECT_EQ(MergedFields(Stored(), patch, {"health", "disability_grade"}),
            std::vector<std::string>{"person.disability_grade"});
  patch.set_disability_grade(3);
  EXPECT_TRUE(MergedFields(Stored(), patch, {"health", "disability_grade"}).empty());
  // A grade alone on a healthy person is refused.
  EXPECT_EQ(MergedFields(Stored(), patch, {"disability_grade"}),
            std::vector<std::string>{"person.disability_grade"});
}

TEST(PersonUpdateTest, MergedPersonKeepsTheOtherRulesOfAddPerson) {
  v1::Person patch;  // all unset
  EXPECT_EQ(MergedFields(Stored(), patch, {"name", "relation", "labour_capacity", "health"}),
            (std::vector<std::string>{"person.name", "person.relation", "person.labour_capacity",
                                      "person.health"}));
  patch.set_name(std::string(kMaxNameBytes + 1, 'x'));
  EXPECT_EQ(MergedFields(Stored(), patch, {"name"}), std::vector<std::string>{"person.name"});
  // Fields left out of the mask are not checked against the patch.
  EXPECT_TRUE(MergedFields(Stored(), patch, {"in_school", "medical_insured"}).empty());
}

TEST(PersonUpdateTest, OnlyLabourEmploymentAndHealthReassess) {
  for (const char* path : {"labour_capacity", "employed", "health", "disability_grade"}) {
    EXPECT_TRUE(PersonPathAffectsAssessment(path)) << path;
  }
  for (const char* path : {"name", "relation", "in_school", "medical_insured"}) {
    EXPECT_FALSE(PersonPathAffectsAssessment(path)) << path;
  }
}

}  // namespace
}  // namespace zx::monitoring
