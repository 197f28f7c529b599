#include "services/monitoring/domain/credit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "common/errors/errors.h"

namespace zx::monitoring::credit {
namespace {

using absl::CivilDay;
using absl::CivilMonth;

LoanTerms Terms(RepaymentKind kind, money::Fen principal, int months, int rate_bp) {
  return LoanTerms{.principal_fen = principal,
                   .term_months = months,
                   .annual_rate_bp = rate_bp,
                   .disbursed_on = CivilDay(2026, 1, 10),
                   .first_due_on = CivilDay(2026, 2, 21),
                   .kind = kind};
}

struct ScheduleCase {
  std::string name;
  LoanTerms terms;
  std::vector<money::Fen> principal;  // per instalment
  std::vector<money::Fen> interest;   // per instalment; empty: not checked
  std::vector<money::Fen> subsidy;    // per instalment; empty: all zero
  std::vector<CivilDay> due;          // per instalment; empty: not checked
};

class ScheduleTest : public ::testing::TestWithParam<ScheduleCase> {};

TEST_P(ScheduleTest, InstalmentsSumToTheTermsExactly) {
  const ScheduleCase& c = GetParam();
  auto s = BuildSchedule(c.terms, CreditLimits{});
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->instalments.size(), c.principal.size());
  money::Fen principal = 0, interest = 0, subsidy = 0, due = 0;
  for (std::size_t i = 0; i < s->instalments.size(); ++i) {
    const Instalment& in = s->instalments[i];
    EXPECT_EQ(in.number, static_cast<int>(i) + 1);
    EXPECT_EQ(in.principal_fen, c.principal[i]) << "instalment " << i + 1;
    if (!c.interest.empty()) {
      EXPECT_EQ(in.interest_fen, c.interest[i]) << "instalment " << i + 1;
    }
    EXPECT_EQ(in.subsidy_fen, c.subsidy.empty() ? 0 : c.subsidy[i]) << "instalment " << i + 1;
    if (!c.due.empty()) {
      EXPECT_EQ(in.due_on, c.due[i]) << "instalment " << i + 1;
    }
    EXPECT_EQ(in.due_fen, in.principal_fen + in.interest_fen - in.subsidy_fen);
    principal += in.principal_fen;
    interest += in.interest_fen;
    subsidy += in.subsidy_fen;
    due += in.due_fen;
  }
  EXPECT_EQ(principal, c.terms.principal_fen);
  EXPECT_EQ(s->total_principal_fen, principal);
  EXPECT_EQ(s->total_interest_fen, interest);
  EXPECT_EQ(s->total_subsidy_fen, subsidy);
  EXPECT_EQ(s->total_due_fen, due);
  // The interest is the rounded-down exact interest over the whole term.
  __int128 exact = 0;
  money::Fen outstanding = c.terms.principal_fen;
  for (const Instalment& in : s->instalments) {
    exact += static_cast<__int128>(outstanding) * c.terms.annual_rate_bp * in.months;
    outstanding -= in.principal_fen;
  }
  EXPECT_EQ(interest, static_cast<money::Fen>(exact / 120000));
}

std::vector<money::Fen> Repeat(int n, money::Fen v, money::Fen last) {
  std::vector<money::Fen> out(n, v);
  out.back() = last;
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, ScheduleTest,
    ::testing::Values(
        // The policy cap, 3 years at 4.35 %: 18,125 fen of interest a month
        // exactly, the whole principal with the 36th.
        ScheduleCase{"CapThreeYearsMonthlyInterest",
                     Terms(RepaymentKind::kInterestMonthlyPrincipalAtMaturity, 5'000'000, 36, 435),
                     Repeat(36, 0, 5'000'000), std::vector<money::Fen>(36, 18125)},
        // 10,000 yuan at 3.85 %: 3,208.33… fen a month; the cumulative
        // rounding hands the third fen-third to every third month.
        ScheduleCase{"FractionsOfAFenAreCarriedNotLost",
                     Terms(RepaymentKind::kInterestMonthlyPrincipalAtMaturity, 1'000'000, 6, 385),
                     Repeat(6, 0, 1'000'000),
                     {3208, 3208, 3209, 3208, 3208, 3209}},
        // Equal principal: 100,001 fen over 3 months, the last takes the
        // remainder; interest on the outstanding principal.
        ScheduleCase{"EqualPrincipalLastTakesTheRemainder",
                     Terms(RepaymentKind::kEqualPrincipalMonthly, 100'001, 3, 1200),
                     {33'333, 33'333, 33'335},
                     {1000, 666, 334},
                     {},
                     {CivilDay(2026, 2, 21), CivilDay(2026, 3, 21), CivilDay(2026, 4, 21)}},
        // Quarterly over 10 months: periods of 3, 3, 3 and 1 month, each due
        // in its last month.
        ScheduleCase{
            "QuarterlyWithAShortLastPeriod",
            Terms(RepaymentKind::kInterestQuarterlyPrincipalAtMaturity, 1'200'000, 10, 1000),
            {0, 0, 0, 1'200'000},
            {30000, 30000, 30000, 10000},
            {},
            {CivilDay(2026, 4, 21), CivilDay(2026, 7, 21), CivilDay(2026, 10, 21),
             CivilDay(2026, 11, 21)}},
        // One month: principal and interest together.
        ScheduleCase{
            "SingleMonth", Terms(RepaymentKind::kEqualPrincipalMonthly, 1, 1, 435), {1}, {0}}),
    [](const auto& info) { return info.param.name; });

TEST(ScheduleRulesTest, SubsidyShareAndRounding) {
  LoanTerms t = Terms(RepaymentKind::kInterestMonthlyPrincipalAtMaturity, 1'000'000, 4, 385);
  t.subsidy_share_bp = 5000;
  t.subsidy_until = CivilMonth(2026, 4);  // the third instalment (2026-04-21) is the last
  auto s = BuildSchedule(t, CreditLimits{});
  ASSERT_TRUE(s.ok()) << s.status();
  // 3208, 3208, 3209 halved cumulatively: 1604, 3208, 4812 -> 1604, 1604, 1604.
  EXPECT_EQ(s->instalments[0].subsidy_fen, 1604);
  EXPECT_EQ(s->instalments[1].subsidy_fen, 1604);
  EXPECT_EQ(s->instalments[2].subsidy_fen, 1604);
  EXPECT_EQ(s->instalments[3].subsidy_fen, 0) << "after the transition period";
  EXPECT_EQ(s->instalments[3].due_fen, 1'000'000 + 3208);
  t.subsidy_share_bp = 10000;
  t.subsidy_until.reset();
  s = BuildSchedule(t, CreditLimits{});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->total_subsidy_fen, s->total_interest_fen);
  EXPECT_EQ(s->total_due_fen, 1'000'000) << "全额贴息: the household repays the principal";
}

struct InvalidCase {
  std::string name;
  std::function<void(LoanTerms&)> change;
  std::string field;
};

class InvalidTermsTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidTermsTest, NamesTheField) {
  LoanTerms t = Terms(RepaymentKind::kEqualPrincipalMonthly, 5'000'000, 36, 435);
  ASSERT_TRUE(BuildSchedule(t, CreditLimits{}).ok()) << "the cap and 36 months are allowed";
  GetParam().change(t);
  auto s = BuildSchedule(t, CreditLimits{});
  ASSERT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  auto fields = errors::FieldViolationsOf(s.status());
  ASSERT_EQ(fields.size(), 1u) << s.status();
  EXPECT_EQ(fields[0].field, GetParam().field);
}

INSTANTIATE_TEST_SUITE_P(
    Fields, InvalidTermsTest,
    ::testing::Values(
        InvalidCase{"OneFenOverTheCap", [](auto& t) { t.principal_fen = 5'000'001; },
                    "principal_fen"},
        InvalidCase{"ZeroPrincipal", [](auto& t) { t.principal_fen = 0; }, "principal_fen"},
        InvalidCase{"ThirtySevenMonths", [](auto& t) { t.term_months = 37; }, "term_months"},
        InvalidCase{"NoMonths", [](auto& t) { t.term_months = 0; }, "term_months"},
        InvalidCase{"NegativeRate", [](auto& t) { t.annual_rate_bp = -1; }, "annual_rate_bp"},
        InvalidCase{"SubsidyOverAll", [](auto& t) { t.subsidy_share_bp = 10001; },
                    "subsidy_share_bp"},
        InvalidCase{"Day29", [](auto& t) { t.first_due_on = CivilDay(2026, 1, 29); },
                    "first_due_on"},
        InvalidCase{"DueBeforeDisbursement",
                    [](auto& t) { t.first_due_on = CivilDay(2026, 1, 10); }, "first_due_on"},
        InvalidCase{"SubsidyEndWithoutShare",
                    [](auto& t) { t.subsidy_until = CivilMonth(2026, 12); },
                    "subsidy_until_month"}),
    [](const auto& info) { return info.param.name; });

TEST(ScheduleRulesTest, PolicyLimitsAreFigures) {
  LoanTerms t = Terms(RepaymentKind::kEqualPrincipalMonthly, 8'000'000, 48, 435);
  EXPECT_FALSE(BuildSchedule(t, CreditLimits{}).ok());
  EXPECT_TRUE(
      BuildSchedule(t, CreditLimits{.max_principal_fen = 10'000'000, .max_term_months = 60}).ok());
}

// Equal principal, 30,000 fen over 3 months at 4 %: 10,000 fen of principal
// each, interest 100, 66 and 34 fen (cumulative 100, 166.67, 200).
Schedule ThreeMonths() {
  auto s =
      BuildSchedule(Terms(RepaymentKind::kEqualPrincipalMonthly, 30'000, 3, 400), CreditLimits{});
  EXPECT_TRUE(s.ok());
  return *s;
}

struct StatusCase {
  std::string name;
  std::vector<Repayment> repayments;
  CivilDay as_of;
  std::vector<InstalmentStatus> statuses;
  money::Fen overdue_fen = 0;
  int days_overdue_first = 0;
};

class StatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(StatusTest, StatusOfEveryInstalment) {
  const StatusCase& c = GetParam();
  const Schedule s = ThreeMonths();
  // Instalments: 2026-02-21 10,100; 2026-03-21 10,066; 2026-04-21 10,034.
  ASSERT_EQ(s.instalments[0].due_fen, 10'100);
  ASSERT_EQ(s.instalments[1].due_fen, 10'066);
  ASSERT_EQ(s.instalments[2].due_fen, 10'034);
  auto st = StatusAsOf(s, c.repayments, c.as_of, kDefaultGraceDays);
  ASSERT_TRUE(st.ok()) << st.status();
  ASSERT_EQ(st->instalments.size(), c.statuses.size());
  for (std::size_t i = 0; i < c.statuses.size(); ++i) {
    EXPECT_EQ(InstalmentStatusName(st->instalments[i].status), InstalmentStatusName(c.statuses[i]))
        << "instalment " << i + 1;
  }
  EXPECT_EQ(st->overdue_fen, c.overdue_fen);
  EXPECT_EQ(st->overdue_instalments,
            std::count(c.statuses.begin(), c.statuses.end(), InstalmentStatus::kOverdue));
  EXPECT_EQ(st->instalments[0].days_overdue, c.days_overdue_first);
  money::Fen repaid = 0;
  for (const auto& r : c.repayments) {
    if (r.paid_on <= c.as_of) repaid += r.amount_fen;
  }
  EXPECT_EQ(st->repaid_fen, repaid);
  EXPECT_EQ(st->outstanding_fen, s.total_due_fen - repaid);
}

using S = InstalmentStatus;
INSTANTIATE_TEST_SUITE_P(Boundaries, StatusTest,
                         ::testing::Values(StatusCase{"BeforeTheFirstDueDate",
                                                      {},
                                                      CivilDay(2026, 2, 20),
                                                      {S::kUpcoming, S::kUpcoming, S::kUpcoming}},
                                           StatusCase{"OnTheDueDateItself",
                                                      {},
                                                      CivilDay(2026, 2, 21),
                                                      {S::kDue, S::kUpcoming, S::kUpcoming}},
                                           StatusCase{"LastDayOfGrace",
                                                      {},
                                                      CivilDay(2026, 2, 24),
                                                      {S::kDue, S::kUpcoming, S::kUpcoming}},
                                           StatusCase{"DayAfterGrace",
                                                      {},
                                                      CivilDay(2026, 2, 25),
                                                      {S::kOverdue, S::kUpcoming, S::kUpcoming},
                                                      10'100,
                                                      1},
                                           StatusCase{"ExactPayment",
                                                      {{CivilDay(2026, 2, 21), 10'100}},
                                                      CivilDay(2026, 3, 1),
                                                      {S::kPaid, S::kUpcoming, S::kUpcoming}},
                                           StatusCase{"OneFenShortWithinGrace",
                                                      {{CivilDay(2026, 2, 21), 10'099}},
                                                      CivilDay(2026, 2, 24),
                                                      {S::kPartlyPaid, S::kUpcoming, S::kUpcoming}},
                                           StatusCase{"OneFenShortAfterGrace",
                                                      {{CivilDay(2026, 2, 21), 10'099}},
                                                      CivilDay(2026, 3, 1),
                                                      {S::kOverdue, S::kUpcoming, S::kUpcoming},
                                                      1,
                                                      5},
                                           // A late payment clears the oldest instalment first.
                                           StatusCase{"OldestFirst",
                                                      {{CivilDay(2026, 3, 20), 10'100 + 5'000}},
                                                      CivilDay(2026, 3, 21),
                                                      {S::kPaid, S::kPartlyPaid, S::kUpcoming}},
                                           StatusCase{"TwoOverdue",
                                                      {{CivilDay(2026, 2, 1), 100}},
                                                      CivilDay(2026, 3, 25),
                                                      {S::kOverdue, S::kOverdue, S::kUpcoming},
                                                      10'000 + 10'066,
                                                      29},
                                           StatusCase{"PaymentAfterTheDayIsIgnored",
                                                      {{CivilDay(2026, 3, 2), 10'100}},
                                                      CivilDay(2026, 3, 1),
                                                      {S::kOverdue, S::kUpcoming, S::kUpcoming},
                                                      10'100,
                                                      5},
                                           StatusCase{"Settled",
                                                      {{CivilDay(2026, 2, 21), 10'100},
                                                       {CivilDay(2026, 3, 21), 10'066},
                                                       {CivilDay(2026, 4, 21), 10'034}},
                                                      CivilDay(2027, 1, 1),
                                                      {S::kPaid, S::kPaid, S::kPaid}}),
                         [](const auto& info) { return info.param.name; });

TEST(StatusRulesTest, GraceCrossesTheEndOfFebruaryInLeapAndCommonYears) {
  for (const auto& [year, last_on_time] : std::vector<std::pair<int, CivilDay>>{
           {2028, CivilDay(2028, 3, 1)}, {2027, CivilDay(2027, 3, 2)}}) {
    LoanTerms t = Terms(RepaymentKind::kEqualPrincipalMonthly, 10'000, 1, 0);
    t.disbursed_on = CivilDay(year, 1, 5);
    t.first_due_on = CivilDay(year, 2, 27);
    auto s = BuildSchedule(t, CreditLimits{});
    ASSERT_TRUE(s.ok());
    auto on_time = StatusAsOf(*s, {}, last_on_time, 3);
    auto late = StatusAsOf(*s, {}, last_on_time + 1, 3);
    ASSERT_TRUE(on_time.ok() && late.ok());
    EXPECT_EQ(on_time->instalments[0].status, S::kDue) << year;
    EXPECT_EQ(late->instalments[0].status, S::kOverdue) << year;
    EXPECT_EQ(late->overdue_instalments, 1);
  }
  // A due day of 28 exists in February of any year, and a schedule across
  // a leap February keeps the day.
  LoanTerms t = Terms(RepaymentKind::kEqualPrincipalMonthly, 30'000, 3, 0);
  t.disbursed_on = CivilDay(2027, 12, 20);
  t.first_due_on = CivilDay(2028, 1, 28);
  auto s = BuildSchedule(t, CreditLimits{});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->instalments[1].due_on, CivilDay(2028, 2, 28));
  EXPECT_EQ(s->instalments[2].due_on, CivilDay(2028, 3, 28));
}

TEST(StatusRulesTest, RefusesOverpaymentAndNonPositiveRepayments) {
  const Schedule s = ThreeMonths();
  EXPECT_FALSE(StatusAsOf(s, {{CivilDay(2026, 2, 1), s.total_due_fen + 1}}, CivilDay(2026, 5, 1),
                          kDefaultGraceDays)
                   .ok());
  EXPECT_TRUE(StatusAsOf(s, {{CivilDay(2026, 2, 1), s.total_due_fen}}, CivilDay(2026, 5, 1),
                         kDefaultGraceDays)
                  ->settled);
  EXPECT_FALSE(StatusAsOf(s, {{CivilDay(2026, 2, 1), 0}}, CivilDay(2026, 5, 1), 3).ok());
}

}  // namespace
}  // namespace zx::monitoring::credit
