#include "services/monitoring/domain/person.h"

#include "absl/strings/str_cat.h"

namespace zx::monitoring {

namespace v1 = zx::monitoring::v1;

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
  if (p.name().empty()) {
    v.Add(f + "name", "is required");
  } else if (p.name().size() > kMaxNameBytes) {
    v.Add(f + "name", absl::StrCat("must be at most ", kMaxNameBytes, " bytes"));
  }
  if (!p.birth_date().empty() || p.sex() != v1::SEX_UNSPECIFIED) {
    v.Add(f + "birth_date", "sex and birth date come from the ID number; leave them empty");
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
  if (p.personal_data_masked()) v.Add(f + "personal_data_masked", "is set by the server");
  return info;
}

bool MaySeePersonalData(const auth::Principal& principal, std::string_view purpose) {
  return auth::HoldsPersonalDataPrivilege(principal.role) && !purpose.empty();
}

bool IsPersonId(std::string_view id) {
  if (id.size() != 23 || !id.starts_with("ps-")) return false;
  for (char c : id.substr(3)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace zx::monitoring
