// Pure rules of bulk registration (ImportHouseholds): what a valid import
// row is, and the household and members it becomes. No I/O.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/civil_time.h"
#include "common/division/division.h"
#include "common/id_card/id_card.h"
#include "services/monitoring/domain/survey.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

// Households of up to 20 members each: 1,000 keep one message's transaction
// (and its COPY) well under a second.
constexpr int kMaxImportRowsPerMessage = 1'000;

// A row as it will be registered: the household with member_count filled
// in, and what each member's ID number says (same order as row.persons).
struct ImportedHousehold {
  v1::Household household;
  std::vector<id_card::IdCardInfo> members;
  std::vector<std::string> normalized_ids;  // id_card::Normalize of each member's number
};

// The first problem of `row` (fields under `prefix`, e.g. "rows[3]."), or
// the household it registers. The rules of CreateHousehold and AddPerson,
// plus: 1..20 persons, exactly one head, member_count 0 or the number of
// persons, no ID number twice in the row, guarantee statuses that exist.
std::variant<RowViolation, ImportedHousehold> ValidateImportRow(const v1::HouseholdImportRow& row,
                                                                const division::Code& instance,
                                                                absl::CivilDay today,
                                                                const std::string& prefix);

}  // namespace zx::monitoring
