// Pure rules for persons of a household: what a valid registration is, and
// what a caller may see of their personal data.
#pragma once

#include <optional>
#include <string_view>

#include "absl/time/civil_time.h"
#include "common/auth/auth.h"
#include "common/errors/errors.h"
#include "common/id_card/id_card.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

constexpr int kMaxNameBytes = 128;

// Adds violations of a person to be added (fields under `prefix`). Returns
// what the ID number says (birth date, sex) when it is valid.
std::optional<id_card::IdCardInfo> ValidateNewPerson(const zx::monitoring::v1::Person& person,
                                                     absl::CivilDay today, std::string_view prefix,
                                                     errors::Validator& v);

// Clear personal data only for a privileged role that states a purpose.
bool MaySeePersonalData(const auth::Principal& principal, std::string_view purpose);

bool IsPersonId(std::string_view id);

}  // namespace zx::monitoring
