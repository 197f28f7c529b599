#include "services/monitoring/domain/household.h"

#include "absl/strings/str_cat.h"

namespace zx::monitoring {

void ValidateNewHousehold(const zx::monitoring::v1::Household& h, const division::Code& instance,
                          std::string_view prefix, errors::Validator& v) {
  const std::string p(prefix);
  if (!h.household_id().empty()) {
    v.Add(p + "household_id", "is assigned by the server; leave it empty");
  }
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
  if (h.has_created_at()) v.Add(p + "created_at", "is set by the server; leave it empty");
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
