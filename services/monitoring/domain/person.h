// Pure rules for persons of a household: what a valid registration is, what
// an update may change, and what a caller may see of their personal data.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/auth/auth.h"
#include "common/errors/errors.h"
#include "common/id_card/id_card.h"
#include "google/protobuf/field_mask.pb.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

constexpr int kMaxNameBytes = 128;

// Adds violations of a person to be added (fields under `prefix`). Returns
// what the ID number says (birth date, sex) when it is valid.
std::optional<id_card::IdCardInfo> ValidateNewPerson(const zx::monitoring::v1::Person& person,
                                                     absl::CivilDay today, std::string_view prefix,
                                                     errors::Validator& v);

// The rules every stored person keeps, whether added or updated (everything
// but the ID number and the fields derived from it): a name, a relation, a
// labour capacity, a health status, and a disability grade 1..4 exactly when
// health is HEALTH_STATUS_DISABILITY.
void ValidatePersonFacts(const zx::monitoring::v1::Person& person, std::string_view prefix,
                         errors::Validator& v);

// What an update mask of UpdatePerson names. Every path that may not be
// changed is a violation on "update_mask" naming it: id_number ("register
// the person anew"), sex and birth_date (they come from the ID number),
// person_id, household_id, personal_data_masked, unknown paths; an empty
// mask is one too. Returns the paths in order, each once.
std::vector<std::string> ValidatePersonMask(const google::protobuf::FieldMask& mask,
                                            errors::Validator& v);

// `stored` with the fields named by `paths` (from ValidatePersonMask) taken
// from `patch`.
zx::monitoring::v1::Person MergePerson(const zx::monitoring::v1::Person& stored,
                                       const zx::monitoring::v1::Person& patch,
                                       const std::vector<std::string>& paths);

// True when a path is something the assessment reads (labour capacity,
// employment, health), so a change of it re-assesses the household.
bool PersonPathAffectsAssessment(std::string_view path);

bool IsPersonId(std::string_view id);

}  // namespace zx::monitoring
