#include "services/monitoring/domain/credit.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"

namespace zx::monitoring::credit {
namespace {

using money::Fen;

constexpr int kMaxRateBp = 2400;  // 24 % a year: anything above is surely a typo

int PeriodMonths(RepaymentKind kind) {
  return kind == RepaymentKind::kInterestQuarterlyPrincipalAtMaturity ? 3 : 1;
}

absl::CivilDay DueDay(absl::CivilDay first_due, int months_after) {
  const absl::CivilMonth m = absl::CivilMonth(first_due) + months_after;
  return absl::CivilDay(m.year(), m.month(), first_due.day());
}

}  // namespace

std::string_view RepaymentKindName(RepaymentKind kind) {
  switch (kind) {
    case RepaymentKind::kInterestMonthlyPrincipalAtMaturity:
      return "interest_monthly_principal_at_maturity";
    case RepaymentKind::kInterestQuarterlyPrincipalAtMaturity:
      return "interest_quarterly_principal_at_maturity";
    case RepaymentKind::kEqualPrincipalMonthly:
      return "equal_principal_monthly";
  }
  return "unknown";
}

std::string_view InstalmentStatusName(InstalmentStatus status) {
  switch (status) {
    case InstalmentStatus::kUpcoming:
      return "upcoming";
    case InstalmentStatus::kDue:
      return "due";
    case InstalmentStatus::kPartlyPaid:
      return "partly_paid";
    case InstalmentStatus::kOverdue:
      return "overdue";
    case InstalmentStatus::kPaid:
      return "paid";
  }
  return "unknown";
}

std::vector<TermViolation> ValidateTerms(const LoanTerms& t, const CreditLimits& limits) {
  std::vector<TermViolation> out;
  auto add = [&](std::string field, std::string description) {
    out.push_back({std::move(field), std::move(description)});
  };
  if (t.principal_fen <= 0 || t.principal_fen > limits.max_principal_fen) {
    add("principal_fen", absl::StrCat("must be between 1 fen and the policy cap of ",
                                      money::FormatYuan(limits.max_principal_fen), " yuan"));
  }
  if (t.term_months < 1 || t.term_months > limits.max_term_months) {
    add("term_months", absl::StrCat("must be between 1 and ", limits.max_term_months));
  }
  if (t.annual_rate_bp < 0 || t.annual_rate_bp > kMaxRateBp) {
    add("annual_rate_bp", absl::StrCat("must be between 0 and ", kMaxRateBp, " (24%)"));
  }
  if (t.subsidy_share_bp < 0 || t.subsidy_share_bp > 10000) {
    add("subsidy_share_bp", "must be between 0 and 10000 (100% of the interest)");
  }
  if (t.first_due_on.day() > 28) {
    add("first_due_on", "must fall on day 1-28, so every month has the due day");
  }
  if (t.first_due_on <= t.disbursed_on) {
    add("first_due_on", "must be after disbursed_on");
  } else if (absl::CivilMonth(t.first_due_on) > absl::CivilMonth(t.disbursed_on) + 3) {
    add("first_due_on", "must be within 3 months of disbursement");
  }
  if (t.subsidy_until && t.subsidy_share_bp == 0) {
    add("subsidy_until_month", "is meaningless without a subsidy share");
  }
  return out;
}

absl::StatusOr<Schedule> BuildSchedule(const LoanTerms& t, const CreditLimits& limits) {
  if (auto violations = ValidateTerms(t, limits); !violations.empty()) {
    errors::Validator v;
    for (auto& f : violations) v.Add(f.field, f.description);
    return v.ToStatus();
  }
  const int period = PeriodMonths(t.kind);
  const int count = t.kind == RepaymentKind::kEqualPrincipalMonthly
                        ? t.term_months
                        : (t.term_months + period - 1) / period;
  Schedule s;
  // Exact interest in units of 1 / 120000 fen (bp per year over 12 months):
  // principal × bp × months. At most 5e6 fen × 2400 × 36: fits in int64, but
  // limits are policy figures, so 128 bits.
  __int128 cumulative_exact = 0;
  Fen cumulative_interest = 0;
  Fen cumulative_subsidised_interest = 0;  // interest of subsidised instalments
  Fen cumulative_subsidy = 0;
  Fen outstanding = t.principal_fen;
  int month = 0;
  const Fen base_principal = t.principal_fen / t.term_months;
  for (int k = 1; k <= count; ++k) {
    Instalment in;
    in.number = k;
    in.months = std::min(period, t.term_months - month);
    // Interest is paid in arrears: due in the last month of the period.
    in.due_on = DueDay(t.first_due_on, month + in.months - 1);
    if (t.kind == RepaymentKind::kEqualPrincipalMonthly) {
      in.principal_fen = k == count ? outstanding : base_principal;
    } else {
      in.principal_fen = k == count ? outstanding : 0;
    }
    cumulative_exact += static_cast<__int128>(outstanding) * t.annual_rate_bp * in.months;
    const Fen interest_to_date = static_cast<Fen>(cumulative_exact / 120000);
    in.interest_fen = interest_to_date - cumulative_interest;
    cumulative_interest = interest_to_date;
    const bool subsidised = t.subsidy_share_bp > 0 &&
                            (!t.subsidy_until || absl::CivilMonth(in.due_on) <= *t.subsidy_until);
    if (subsidised) {
      cumulative_subsidised_interest += in.interest_fen;
      const Fen subsidy_to_date = static_cast<Fen>(
          static_cast<__int128>(cumulative_subsidised_interest) * t.subsidy_share_bp / 10000);
      in.subsidy_fen = subsidy_to_date - cumulative_subsidy;
      cumulative_subsidy = subsidy_to_date;
    }
    in.due_fen = in.principal_fen + in.interest_fen - in.subsidy_fen;
    outstanding -= in.principal_fen;
    month += in.months;
    s.total_principal_fen += in.principal_fen;
    s.total_interest_fen += in.interest_fen;
    s.total_subsidy_fen += in.subsidy_fen;
    s.total_due_fen += in.due_fen;
    s.instalments.push_back(in);
  }
  return s;
}

absl::StatusOr<PlanStatus> StatusAsOf(const Schedule& schedule, std::vector<Repayment> repayments,
                                      absl::CivilDay as_of, int grace_days) {
  if (grace_days < 0) return absl::InvalidArgumentError("grace_days cannot be negative");
  PlanStatus out;
  out.as_of = as_of;
  for (const Instalment& in : schedule.instalments) out.instalments.push_back({.instalment = in});
  std::stable_sort(repayments.begin(), repayments.end(),
                   [](const Repayment& a, const Repayment& b) { return a.paid_on < b.paid_on; });
  std::size_t next = 0;  // oldest instalment not fully paid
  for (std::size_t i = 0; i < repayments.size(); ++i) {
    const Repayment& r = repayments[i];
    if (r.amount_fen <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("repayment ", i, " is not positive"));
    }
    if (r.paid_on > as_of) continue;
    Fen left = r.amount_fen;
    while (left > 0 && next < out.instalments.size()) {
      InstalmentState& st = out.instalments[next];
      const Fen take = std::min(left, st.instalment.due_fen - st.paid_fen);
      st.paid_fen += take;
      left -= take;
      if (st.paid_fen == st.instalment.due_fen) {
        st.paid_off_on = r.paid_on;
        ++next;
      }
    }
    if (left > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "repayments exceed the total due of ", money::FormatYuan(schedule.total_due_fen),
          " yuan by ", money::FormatYuan(left), " yuan"));
    }
    out.repaid_fen += r.amount_fen;
  }
  for (InstalmentState& st : out.instalments) {
    const absl::CivilDay due = st.instalment.due_on;
    if (st.paid_fen == st.instalment.due_fen) {
      st.status = InstalmentStatus::kPaid;
    } else if (as_of > due + grace_days) {
      st.status = InstalmentStatus::kOverdue;
      st.days_overdue = static_cast<int>(as_of - (due + grace_days));
      out.overdue_fen += st.instalment.due_fen - st.paid_fen;
      ++out.overdue_instalments;
    } else if (st.paid_fen > 0) {
      st.status = InstalmentStatus::kPartlyPaid;
    } else if (as_of >= due) {
      st.status = InstalmentStatus::kDue;
    } else {
      st.status = InstalmentStatus::kUpcoming;
    }
  }
  out.outstanding_fen = schedule.total_due_fen - out.repaid_fen;
  out.settled = out.outstanding_fen == 0;
  return out;
}

}  // namespace zx::monitoring::credit
