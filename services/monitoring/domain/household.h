// Pure rules of the household registry: what a valid new household is, what
// an update may change, and how division filters and page tokens work. No I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/division/division.h"
#include "common/errors/errors.h"
#include "google/protobuf/field_mask.pb.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

constexpr int kMaxMembers = 20;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

// Adds violations of a household to be created (field names under `prefix`,
// e.g. "household."). `instance` is the division this instance keeps.
// The server fields must be empty, and the facts valid (below).
void ValidateNewHousehold(const zx::monitoring::v1::Household& household,
                          const division::Code& instance, std::string_view prefix,
                          errors::Validator& v);

// The rules every stored household keeps, whether created or updated: a
// village kept by `instance`, a category, 1..kMaxMembers members.
void ValidateHouseholdFacts(const zx::monitoring::v1::Household& household,
                            const division::Code& instance, std::string_view prefix,
                            errors::Validator& v);

// What an update mask of UpdateHousehold names. Every path that may not be
// changed (household_id, created_at, synthetic, unknown) is a violation on
// "update_mask" naming it; an empty mask is one too. Returns the paths in
// order, each once.
std::vector<std::string> ValidateHouseholdMask(const google::protobuf::FieldMask& mask,
                                               errors::Validator& v);

// `stored` with the fields named by `paths` (from ValidateHouseholdMask)
// taken from `patch`.
zx::monitoring::v1::Household MergeHousehold(const zx::monitoring::v1::Household& stored,
                                             const zx::monitoring::v1::Household& patch,
                                             const std::vector<std::string>& paths);

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
