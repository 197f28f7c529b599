#include "services/monitoring/domain/household.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace zx::monitoring {

void ValidateNewHousehold(const zx::monitoring::v1::Household& h, const division::Code& instance,
                          std::string_view prefix, errors::Validator& v) {
  const std::string p(prefix);
  if (!h.household_id().empty()) {
    v.Add(p + "household_id", "is assigned by the server; leave it empty");
  }
  ValidateHouseholdFacts(h, instance, prefix, v);
  if (h.has_created_at()) v.Add(p + "created_at", "is set by the server; leave it empty");
}

void ValidateHouseholdFacts(const zx::monitoring::v1::Household& h, const division::Code& instance,
                            std::string_view prefix, errors::Validator& v) {
  const std::string p(prefix);
  auto village = division::Code::Parse(h.village_code());
  if (!village.ok()) {
    v.Add(p + "village_code", std::string(village.status().message()));
  } else if (village->level() != division::Level::kVillage) {
    v.Add(p + "village_code",
          absl::StrCat("must be a village (村) code, got a ",
                       std::string(division::LevelName(village->level())), " code"));
  } else if (!instance.IsAncestorOrSelfOf(*village)) {
    v.Add(p + "village_code", absl::StrCat("village ", village->str(),
                                           " is not kept by this instance (", instance.str(), ")"));
  }
  if (h.category() != zx::monitoring::v1::HOUSEHOLD_CATEGORY_LIFTED &&
      h.category() != zx::monitoring::v1::HOUSEHOLD_CATEGORY_ORDINARY) {
    v.Add(p + "category", "must be HOUSEHOLD_CATEGORY_LIFTED or HOUSEHOLD_CATEGORY_ORDINARY");
  }
  if (h.member_count() < 1 || h.member_count() > kMaxMembers) {
    v.Add(p + "member_count",
          absl::StrCat("must be between 1 and ", kMaxMembers, ", got ", h.member_count()));
  }
}

std::vector<std::string> ValidateHouseholdMask(const google::protobuf::FieldMask& mask,
                                               errors::Validator& v) {
  std::vector<std::string> paths;
  if (mask.paths().empty()) {
    v.Add("update_mask",
          "name the fields to change (village_code, category, relocated, member_count)");
    return paths;
  }
  for (const std::string& path : mask.paths()) {
    if (path == "village_code" || path == "category" || path == "relocated" ||
        path == "member_count") {
      if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
    } else if (path == "household_id") {
      v.Add("update_mask", "household_id names the household and is never changed");
    } else if (path == "created_at" || path == "synthetic") {
      v.Add("update_mask", absl::StrCat(path,
                                        " is set when the household is created and is "
                                        "never changed"));
    } else {
      v.Add("update_mask", absl::StrCat("\"", path,
                                        "\" is not an updatable field of Household (village_code, "
                                        "category, relocated, member_count)"));
    }
  }
  return paths;
}

zx::monitoring::v1::Household MergeHousehold(const zx::monitoring::v1::Household& stored,
                                             const zx::monitoring::v1::Household& patch,
                                             const std::vector<std::string>& paths) {
  zx::monitoring::v1::Household merged = stored;
  for (const std::string& path : paths) {
    if (path == "village_code") {
      merged.set_village_code(patch.village_code());
    } else if (path == "category") {
      merged.set_category(patch.category());
    } else if (path == "relocated") {
      merged.set_relocated(patch.relocated());
    } else if (path == "member_count") {
      merged.set_member_count(patch.member_count());
    }
  }
  return merged;
}

std::string VillagePrefix(const division::Code& division) {
  switch (division.level()) {
    case division::Level::kRegion:
      return division.str().substr(0, 2);
    case division::Level::kPrefecture:
      return division.str().substr(0, 4);
    case division::Level::kCounty:
      return division.str().substr(0, 6);
    case division::Level::kTownship:
      return division.str().substr(0, 9);
    case division::Level::kVillage:
      return division.str();
  }
  return division.str();
}

bool IsHouseholdId(std::string_view id) {
  if (id.size() != 23 || !id.starts_with("hh-")) return false;
  for (char c : id.substr(3)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string EncodePageToken(const PageCursor& cursor) {
  return absl::StrCat(cursor.village_code, ".", cursor.household_id);
}

absl::StatusOr<PageCursor> DecodePageToken(std::string_view token) {
  if (token.empty()) return PageCursor{};
  const auto dot = token.find('.');
  if (dot != 12 || !IsHouseholdId(token.substr(13)) ||
      !division::Code::Parse(token.substr(0, 12)).ok()) {
    return errors::InvalidField("page_token", "is not a token this server returned");
  }
  return PageCursor{std::string(token.substr(0, 12)), std::string(token.substr(13))};
}

absl::StatusOr<int> EffectivePageSize(int requested) {
  if (requested < 0) return errors::InvalidField("page_size", "must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return std::min(requested, kMaxPageSize);
}

}  // namespace zx::monitoring
