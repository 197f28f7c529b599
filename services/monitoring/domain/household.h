// Pure rules of the household registry: what a valid new household is and
// how division filters and page tokens work. No I/O.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/division/division.h"
#include "common/errors/errors.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

constexpr int kMaxMembers = 20;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

// Adds violations of a household to be created (field names under `prefix`,
// e.g. "household."). `instance` is the division this instance keeps.
void ValidateNewHousehold(const zx::monitoring::v1::Household& household,
                          const division::Code& instance, std::string_view prefix,
                          errors::Validator& v);

// The leading digits shared by every village code inside `division`
// ("653121" for a county, "653121101" for a township).
std::string VillagePrefix(const division::Code& division);

// "hh-" + 20 lower-case hex digits.
bool IsHouseholdId(std::string_view id);

// Position after the last household of a page. Lists are ordered by
// (village_code, household_id), which the village index serves directly.
struct PageCursor {
  std::string village_code;
  std::string household_id;
};
std::string EncodePageToken(const PageCursor& cursor);
// Empty token: from the start. INVALID_ARGUMENT ("page_token") otherwise.
absl::StatusOr<PageCursor> DecodePageToken(std::string_view token);

// Page size after defaults and limits; INVALID_ARGUMENT on a negative size.
absl::StatusOr<int> EffectivePageSize(int requested);

}  // namespace zx::monitoring
