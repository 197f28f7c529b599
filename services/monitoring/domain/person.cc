#include "services/monitoring/domain/person.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace zx::monitoring {

std::optional<id_card::IdCardInfo> ValidateNewPerson(const v1::Person& p, absl::CivilDay today,
                                                     std::string_view prefix,
                                                     errors::Validator& v) {
  const std::string f(prefix);
  if (!p.person_id().empty()) v.Add(f + "person_id", "is assigned by the server; leave it empty");
  std::optional<id_card::IdCardInfo> info;
  auto parsed = id_card::Parse(p.id_number(), today);
  if (!parsed.ok()) {
    v.Add(f + "id_number", std::string(parsed.status().message()));
  } else {
    info = *parsed;
  }
  ValidatePersonFacts(p, prefix, v);
  if (!p.birth_date().empty() || p.sex() != v1::SEX_UNSPECIFIED) {
    v.Add(f + "birth_date", "sex and birth date come from the ID number; leave them empty");
  }
  if (p.personal_data_masked()) v.Add(f + "personal_data_masked", "is set by the server");
  return info;
}

void ValidatePersonFacts(const v1::Person& p, std::string_view prefix, errors::Validator& v) {
  const std::string f(prefix);
  if (p.name().empty()) {
    v.Add(f + "name", "is required");
  } else if (p.name().size() > kMaxNameBytes) {
    v.Add(f + "name", absl::StrCat("must be at most ", kMaxNameBytes, " bytes"));
  }
  if (!v1::Relation_IsValid(p.relation()) || p.relation() == v1::RELATION_UNSPECIFIED) {
    v.Add(f + "relation", "must be set (RELATION_HEAD, RELATION_SPOUSE, ...)");
  }
  if (!v1::LabourCapacity_IsValid(p.labour_capacity()) ||
      p.labour_capacity() == v1::LABOUR_CAPACITY_UNSPECIFIED) {
    v.Add(f + "labour_capacity", "must be set (FULL, PARTIAL or NONE)");
  }
  if (!v1::HealthStatus_IsValid(p.health()) || p.health() == v1::HEALTH_STATUS_UNSPECIFIED) {
    v.Add(f + "health", "must be set (HEALTHY, CHRONIC_ILLNESS, SERIOUS_ILLNESS, DISABILITY)");
  }
  if (p.health() == v1::HEALTH_STATUS_DISABILITY) {
    if (p.disability_grade() < 1 || p.disability_grade() > 4) {
      v.Add(f + "disability_grade", "must be 1..4 for a person with a disability");
    }
  } else if (p.disability_grade() != 0) {
    v.Add(f + "disability_grade", "is only set when health is HEALTH_STATUS_DISABILITY");
  }
}

namespace {

constexpr std::string_view kUpdatablePersonPaths[] = {
    "name",      "relation",        "labour_capacity", "health", "disability_grade",
    "in_school", "medical_insured", "employed"};

}  // namespace

std::vector<std::string> ValidatePersonMask(const google::protobuf::FieldMask& mask,
                                            errors::Validator& v) {
  std::vector<std::string> paths;
  if (mask.paths().empty()) {
    v.Add("update_mask",
          "name the fields to change (name, relation, labour_capacity, health, disability_grade, "
          "in_school, medical_insured, employed)");
    return paths;
  }
  for (const std::string& path : mask.paths()) {
    if (std::find(std::begin(kUpdatablePersonPaths), std::end(kUpdatablePersonPaths), path) !=
        std::end(kUpdatablePersonPaths)) {
      if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
    } else if (path == "id_number") {
      v.Add("update_mask", "id_number: an ID number is not changed; register the person anew");
    } else if (path == "sex" || path == "birth_date") {
      v.Add("update_mask", absl::StrCat(path, " comes from the ID number and is never changed"));
    } else if (path == "person_id") {
      v.Add("update_mask", "person_id names the person and is never changed");
    } else if (path == "household_id") {
      v.Add("update_mask",
            "household_id is never changed; register the person in the other "
            "household anew");
    } else if (path == "personal_data_masked") {
      v.Add("update_mask", "personal_data_masked is set by the server");
    } else {
      v.Add("update_mask", absl::StrCat("\"", path,
                                        "\" is not an updatable field of Person (name, relation, "
                                        "labour_capacity, health, disability_grade, in_school, "
                                        "medical_insured, employed)"));
    }
  }
  return paths;
}

v1::Person MergePerson(const v1::Person& stored, const v1::Person& patch,
                       const std::vector<std::string>& paths) {
  v1::Person merged = stored;
  for (const std::string& path : paths) {
    if (path == "name") {
      merged.set_name(patch.name());
    } else if (path == "relation") {
      merged.set_relation(patch.relation());
    } else if (path == "labour_capacity") {
      merged.set_labour_capacity(patch.labour_capacity());
    } else if (path == "health") {
      merged.set_health(patch.health());
    } else if (path == "disability_grade") {
      merged.set_disability_grade(patch.disability_grade());
    } else if (path == "in_school") {
      merged.set_in_school(patch.in_school());
    } else if (path == "medical_insured") {
      merged.set_medical_insured(patch.medical_insured());
    } else if (path == "employed") {
      merged.set_employed(patch.employed());
    }
  }
  return merged;
}

bool PersonPathAffectsAssessment(std::string_view path) {
  return path == "labour_capacity" || path == "employed" || path == "health" ||
         path == "disability_grade";
}

bool IsPersonId(std::string_view id) {
  if (id.size() != 23 || !id.starts_with("ps-")) return false;
  for (char c : id.substr(3)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace zx::monitoring
