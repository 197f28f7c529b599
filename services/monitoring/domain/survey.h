// Pure rules of bulk survey ingest: what a valid survey row is, and which
// income and expense records it becomes. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "zx/monitoring/v1/monitoring.pb.h"

namespace zx::monitoring {

constexpr int kMaxSurveyRowsPerMessage = 5'000;

struct RowViolation {
  std::string field;  // e.g. "rows[3].month"
  std::string reason;
};

// The first problem of `row` (field names under `prefix`), or nullopt.
std::optional<RowViolation> ValidateSurveyRow(const v1::SurveyRow& row, absl::CivilDay today,
                                              const std::string& prefix);

// The non-zero amounts of a row, as the records they become.
struct SurveyRecords {
  std::vector<std::pair<v1::IncomeKind, int64_t>> income;
  std::vector<std::pair<v1::ExpenseKind, int64_t>> expenses;
};
SurveyRecords RecordsOf(const v1::SurveyRow& row);

}  // namespace zx::monitoring
