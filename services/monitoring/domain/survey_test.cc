#include "services/monitoring/domain/survey.h"

#include <gtest/gtest.h>

namespace zx::monitoring {
namespace {

const absl::CivilDay kToday(2026, 11, 23);

v1::SurveyRow Valid() {
  v1::SurveyRow row;
  row.set_row_number(7);
  row.set_id_number("11010519491231002X");
  row.set_month("2026-10");
  row.set_source(v1::RECORD_SOURCE_SURVEY);
  row.set_wage_fen(150'000);
  return row;
}

TEST(SurveyRow, ValidRowPasses) { EXPECT_FALSE(ValidateSurveyRow(Valid(), kToday, "rows[0].")); }

TEST(SurveyRow, EachProblemNamesItsField) {
  struct Case {
    void (*mutate)(v1::SurveyRow&);
    const char* field;
  } cases[] = {
      {[](v1::SurveyRow& r) { r.set_row_number(0); }, "rows[0].row_number"},
      {[](v1::SurveyRow& r) { r.set_id_number("110105194912310021"); }, "rows[0].id_number"},
      {[](v1::SurveyRow& r) { r.set_month("2026-1"); }, "rows[0].month"},
      {[](v1::SurveyRow& r) { r.set_month("2026-12"); }, "rows[0].month"},  // next month
      {[](v1::SurveyRow& r) { r.set_source(v1::RECORD_SOURCE_EVENT); }, "rows[0].source"},
      {[](v1::SurveyRow& r) { r.set_source(v1::RECORD_SOURCE_DECLARATION); }, "rows[0].source"},
      {[](v1::SurveyRow& r) { r.set_wage_fen(-1); }, "rows[0].wage_fen"},
      {[](v1::SurveyRow& r) { r.set_disaster_fen(10'000'000'001); }, "rows[0].disaster_fen"},
  };
  for (const Case& c : cases) {
    v1::SurveyRow row = Valid();
    c.mutate(row);
    auto bad = ValidateSurveyRow(row, kToday, "rows[0].");
    ASSERT_TRUE(bad.has_value()) << c.field;
    EXPECT_EQ(bad->field, c.field);
    EXPECT_FALSE(bad->reason.empty());
  }
}

TEST(SurveyRow, ThisMonthAndTheLargestAmountAreAccepted) {
  v1::SurveyRow row = Valid();
  row.set_month("2026-11");
  row.set_source(v1::RECORD_SOURCE_DEPARTMENT);
  row.set_medical_fen(10'000'000'000);
  EXPECT_FALSE(ValidateSurveyRow(row, kToday, ""));
}

TEST(SurveyRow, OnlyNonZeroAmountsBecomeRecords) {
  v1::SurveyRow row = Valid();
  row.set_transfer_fen(3'000);
  row.set_medical_fen(9'000);
  const SurveyRecords r = RecordsOf(row);
  ASSERT_EQ(r.income.size(), 2u);
  EXPECT_EQ(r.income[0], std::make_pair(v1::INCOME_KIND_WAGE, int64_t{150'000}));
  EXPECT_EQ(r.income[1], std::make_pair(v1::INCOME_KIND_TRANSFER, int64_t{3'000}));
  ASSERT_EQ(r.expenses.size(), 1u);
  EXPECT_EQ(r.expenses[0], std::make_pair(v1::EXPENSE_KIND_MEDICAL, int64_t{9'000}));
  EXPECT_TRUE(RecordsOf(v1::SurveyRow()).income.empty());
}

}  // namespace
}  // namespace zx::monitoring
