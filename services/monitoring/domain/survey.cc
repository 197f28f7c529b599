#include "services/monitoring/domain/survey.h"

#include "absl/strings/str_cat.h"
#include "common/id_card/id_card.h"

namespace zx::monitoring {
namespace {

constexpr int64_t kMaxMonthlyFen = int64_t{10'000'000'000};  // 1 亿 yuan in a month: a typo

}  // namespace

std::optional<RowViolation> ValidateSurveyRow(const v1::SurveyRow& row, absl::CivilDay today,
                                              const std::string& prefix) {
  auto violation = [&](std::string_view field, std::string reason) {
    return RowViolation{prefix + std::string(field), std::move(reason)};
  };
  if (row.row_number() <= 0) return violation("row_number", "must be a positive line number");
  if (auto id = id_card::Parse(row.id_number(), today); !id.ok()) {
    return violation("id_number", std::string(id.status().message()));
  }
  absl::CivilMonth month;
  if (row.month().size() != 7 || !absl::ParseCivilTime(row.month(), &month)) {
    return violation("month", "must be a month like 2026-10");
  }
  if (month > absl::CivilMonth(today)) return violation("month", "must not be in the future");
  if (row.source() != v1::RECORD_SOURCE_SURVEY && row.source() != v1::RECORD_SOURCE_DEPARTMENT) {
    return violation("source", "must be SURVEY or DEPARTMENT");
  }
  const std::pair<const char*, int64_t> amounts[] = {
      {"wage_fen", row.wage_fen()},
      {"operating_fen", row.operating_fen()},
      {"property_fen", row.property_fen()},
      {"transfer_fen", row.transfer_fen()},
      {"production_cost_fen", row.production_cost_fen()},
      {"medical_fen", row.medical_fen()},
      {"education_fen", row.education_fen()},
      {"disaster_fen", row.disaster_fen()}};
  for (const auto& [field, fen] : amounts) {
    if (fen < 0 || fen > kMaxMonthlyFen) {
      return violation(field, "must be between 0 and 10,000,000,000 fen");
    }
  }
  return std::nullopt;
}

SurveyRecords RecordsOf(const v1::SurveyRow& row) {
  SurveyRecords out;
  const std::pair<v1::IncomeKind, int64_t> income[] = {
      {v1::INCOME_KIND_WAGE, row.wage_fen()},
      {v1::INCOME_KIND_OPERATING, row.operating_fen()},
      {v1::INCOME_KIND_PROPERTY, row.property_fen()},
      {v1::INCOME_KIND_TRANSFER, row.transfer_fen()}};
  for (const auto& [kind, fen] : income) {
    if (fen != 0) out.income.emplace_back(kind, fen);
  }
  const std::pair<v1::ExpenseKind, int64_t> expenses[] = {
      {v1::EXPENSE_KIND_PRODUCTION_COST, row.production_cost_fen()},
      {v1::EXPENSE_KIND_MEDICAL, row.medical_fen()},
      {v1::EXPENSE_KIND_EDUCATION, row.education_fen()},
      {v1::EXPENSE_KIND_DISASTER, row.disaster_fen()}};
  for (const auto& [kind, fen] : expenses) {
    if (fen != 0) out.expenses.emplace_back(kind, fen);
  }
  return out;
}

}  // namespace zx::monitoring
