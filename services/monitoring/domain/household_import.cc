#include "services/monitoring/domain/household_import.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/domain/person.h"

namespace zx::monitoring {
namespace {

std::optional<RowViolation> FirstViolation(const errors::Validator& v) {
  if (v.ok()) return std::nullopt;
  auto violations = errors::FieldViolationsOf(v.ToStatus());
  if (violations.empty()) return RowViolation{"rows", "is not valid"};
  return RowViolation{violations.front().field, violations.front().description};
}

}  // namespace

std::variant<RowViolation, ImportedHousehold> ValidateImportRow(const v1::HouseholdImportRow& row,
                                                                const division::Code& instance,
                                                                absl::CivilDay today,
                                                                const std::string& prefix) {
  if (row.row_number() < 1) {
    return RowViolation{absl::StrCat(prefix, "row_number"), "must be at least 1"};
  }
  const int n = row.persons_size();
  if (n < 1 || n > kMaxMembers) {
    return RowViolation{absl::StrCat(prefix, "persons"),
                        absl::StrCat("must hold 1 to ", kMaxMembers, " members, got ", n)};
  }
  ImportedHousehold out;
  out.household = row.household();
  if (out.household.member_count() == 0) out.household.set_member_count(n);
  errors::Validator v;
  ValidateNewHousehold(out.household, instance, absl::StrCat(prefix, "household."), v);
  if (auto bad = FirstViolation(v)) return *bad;
  if (out.household.member_count() != n) {
    return RowViolation{absl::StrCat(prefix, "household.member_count"),
                        absl::StrCat("says ", out.household.member_count(), " but the row has ", n,
                                     " persons; leave it 0 to count them")};
  }
  int heads = 0;
  std::set<std::string> seen;
  for (int j = 0; j < n; ++j) {
    const v1::Person& p = row.persons(j);
    const std::string where = absl::StrCat(prefix, "persons[", j, "].");
    if (!p.household_id().empty()) {
      return RowViolation{where + "household_id", "is the household of this row; leave it empty"};
    }
    errors::Validator pv;
    auto info = ValidateNewPerson(p, today, where, pv);
    if (auto bad = FirstViolation(pv)) return *bad;
    std::string id = id_card::Normalize(p.id_number());
    if (!seen.insert(id).second) {
      return RowViolation{where + "id_number", "appears twice in this household"};
    }
    if (p.relation() == v1::RELATION_HEAD) ++heads;
    out.members.push_back(*info);
    out.normalized_ids.push_back(std::move(id));
  }
  const v1::Guarantees& g = row.guarantees();
  for (const auto& [field, status] :
       {std::pair{"food_clothing", g.food_clothing()},
        std::pair{"compulsory_education", g.compulsory_education()},
        std::pair{"basic_medical", g.basic_medical()}, std::pair{"safe_housing", g.safe_housing()},
        std::pair{"safe_water", g.safe_water()}}) {
    if (!v1::GuaranteeStatus_IsValid(status)) {
      return RowViolation{absl::StrCat(prefix, "guarantees.", field),
                          "must be MET, UNMET or UNSPECIFIED"};
    }
  }
  if (heads != 1) {
    return RowViolation{absl::StrCat(prefix, "persons"),
                        absl::StrCat("must name exactly one RELATION_HEAD, got ", heads)};
  }
  return out;
}

}  // namespace zx::monitoring
