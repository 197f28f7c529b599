// Micro-credit for lifted and monitored households (扶贫小额信贷 / 脱贫人口小额
// 信贷): the repayment plan of one loan, repayments applied to it, and the
// status of every instalment on a given day. Pure functions on int64 fen;
// no I/O. "放得出、用得好、收得回": one repayment plan per household (逐户制定
// 还款计划, Yutian report), financial interest subsidy (财政贴息) kept for the
// transition period (Kashgar plan, 金融服务政策衔接).
//
// Conventions (project decisions; the sources give no formula):
//   - Interest accrues by whole months at annual_rate_bp / 12 on the
//     principal outstanding in that month (no day count, so leap years do not
//     change interest). Month i of the term (0-based) is the month of the
//     first due date + i.
//   - Fen-exact: each instalment's interest is the difference of the rounded-
//     down cumulative exact interest, so the instalments sum to the rounded-
//     down exact total; the subsidy likewise, from cumulative interest × share.
//     Equal-principal instalments carry principal ÷ n, and the last one takes
//     the remainder, so principal instalments sum to the principal exactly.
//   - `first_due_on` is the due date of the term's first month. Every
//     instalment is due on that day of the month (1–28, so every month has
//     it) in the last month of its period: monthly kinds every month,
//     quarterly interest in months 3, 6, … of the term and the last month.
//   - The subsidy (贴息) is settled between finance and the lender; the
//     household owes principal + interest − subsidy of each instalment.
//     Instalments due after `subsidy_until` (the end of the transition
//     period) carry no subsidy.
//   - Repayments are applied in paid_on order (ties in the given order) to
//     the oldest instalment that is not fully paid.
//   - An instalment not fully paid is OVERDUE from the day after its due date
//     + `grace_days` (policy figure; kDefaultGraceDays when unset). On the due
//     date itself and within the grace days it is DUE (or PARTLY_PAID).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/money/money.h"

namespace zx::monitoring::credit {

// Policy defaults (national practice for 脱贫人口小额信贷: up to 5万元, up to
// 3 years). Grace days: the sources name none; 3 days lets a payment made
// over a weekend or holiday-shifted bank day count as on time.
inline constexpr money::Fen kDefaultMaxPrincipalFen = 5'000'000;  // 50,000 yuan
inline constexpr int kDefaultMaxTermMonths = 36;
inline constexpr int kDefaultGraceDays = 3;

struct CreditLimits {
  money::Fen max_principal_fen = kDefaultMaxPrincipalFen;
  int max_term_months = kDefaultMaxTermMonths;
  int grace_days = kDefaultGraceDays;
};

enum class RepaymentKind {
  // 按月付息、到期还本: interest every month, principal with the last.
  kInterestMonthlyPrincipalAtMaturity,
  // 按季付息、到期还本: interest every 3 months (the last period may be
  // shorter), principal with the last.
  kInterestQuarterlyPrincipalAtMaturity,
  // 等额本金: equal principal every month plus the month's interest.
  kEqualPrincipalMonthly,
};
std::string_view RepaymentKindName(RepaymentKind kind);

struct LoanTerms {
  money::Fen principal_fen = 0;
  int term_months = 0;
  int annual_rate_bp = 0;    // 435 = 4.35 % a year
  int subsidy_share_bp = 0;  // share of the interest paid by finance, 0–10000
  // Last month whose instalments are subsidised (过渡期); nullopt: all.
  std::optional<absl::CivilMonth> subsidy_until;
  absl::CivilDay disbursed_on;
  absl::CivilDay first_due_on;  // due date of the term's first month; day 1–28
  RepaymentKind kind = RepaymentKind::kInterestMonthlyPrincipalAtMaturity;
};

struct Instalment {
  int number = 0;  // 1-based
  absl::CivilDay due_on;
  int months = 0;  // interest months covered
  money::Fen principal_fen = 0;
  money::Fen interest_fen = 0;
  money::Fen subsidy_fen = 0;
  money::Fen due_fen = 0;  // principal + interest − subsidy: what the household owes

  friend bool operator==(const Instalment&, const Instalment&) = default;
};

struct Schedule {
  std::vector<Instalment> instalments;
  money::Fen total_principal_fen = 0;
  money::Fen total_interest_fen = 0;
  money::Fen total_subsidy_fen = 0;
  money::Fen total_due_fen = 0;
};

// A violation names the field of LoanTerms, like errors::Validator.
struct TermViolation {
  std::string field;  // "principal_fen", "term_months", ...
  std::string description;
};
std::vector<TermViolation> ValidateTerms(const LoanTerms& terms, const CreditLimits& limits);

// The repayment plan. INVALID_ARGUMENT listing every violation.
absl::StatusOr<Schedule> BuildSchedule(const LoanTerms& terms, const CreditLimits& limits);

struct Repayment {
  absl::CivilDay paid_on;
  money::Fen amount_fen = 0;  // > 0
};

enum class InstalmentStatus {
  kUpcoming,    // due date after the day, nothing paid
  kDue,         // due date reached (within grace), nothing paid
  kPartlyPaid,  // something paid, not all, not overdue
  kOverdue,     // not fully paid after due date + grace days
  kPaid,        // fully paid
};
std::string_view InstalmentStatusName(InstalmentStatus status);

struct InstalmentState {
  Instalment instalment;
  money::Fen paid_fen = 0;
  InstalmentStatus status = InstalmentStatus::kUpcoming;
  int days_overdue = 0;                       // days after due date + grace; 0 unless overdue
  std::optional<absl::CivilDay> paid_off_on;  // the day it became fully paid
};

struct PlanStatus {
  absl::CivilDay as_of;
  std::vector<InstalmentState> instalments;
  money::Fen repaid_fen = 0;       // repayments up to as_of
  money::Fen outstanding_fen = 0;  // total due − repaid
  money::Fen overdue_fen = 0;      // unpaid part of overdue instalments
  int overdue_instalments = 0;
  bool settled = false;  // everything paid
};

// The plan as it stands at the end of `as_of`: repayments paid after it are
// ignored. INVALID_ARGUMENT: a non-positive repayment, or repayments beyond
// the total due (the caller refuses those before storing them).
absl::StatusOr<PlanStatus> StatusAsOf(const Schedule& schedule, std::vector<Repayment> repayments,
                                      absl::CivilDay as_of, int grace_days);

}  // namespace zx::monitoring::credit
