#include "services/monitoring/store/credit_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/pg/pg.h"

namespace zx::monitoring {
namespace {

std::string Day(absl::CivilDay d) { return absl::FormatCivilTime(d); }

absl::CivilDay ParseDay(const std::string& text) {
  absl::CivilDay d;
  absl::ParseCivilTime(text, &d);
  return d;
}

constexpr char kLoanColumns[] =
    "l.loan_id, l.household_id, l.measure_id, l.object_id, l.principal_fen, l.term_months, "
    "l.annual_rate_bp, l.subsidy_share_bp, to_char(l.subsidy_until_month, 'YYYY-MM'), "
    "to_char(l.disbursed_on, 'YYYY-MM-DD'), to_char(l.first_due_on, 'YYYY-MM-DD'), "
    "l.repayment_kind, l.total_due_fen, l.lender, l.linked_record_id, l.description, l.added, "
    "l.repaid_fen, to_char(l.settled_on, 'YYYY-MM-DD'), h.village_code";

StoredLoan LoanFromRow(const pqxx::row& row) {
  StoredLoan out;
  v1::Loan& l = out.loan;
  l.set_loan_id(row[0].as<std::string>());
  l.set_household_id(row[1].as<std::string>());
  l.set_measure_id(row[2].as<std::string>());
  l.set_object_id(row[3].as<std::string>());
  credit::LoanTerms& t = out.terms;
  t.principal_fen = row[4].as<int64_t>();
  t.term_months = row[5].as<int>();
  t.annual_rate_bp = row[6].as<int>();
  t.subsidy_share_bp = row[7].as<int>();
  if (!row[8].is_null()) {
    absl::CivilMonth m;
    if (absl::ParseCivilTime(row[8].as<std::string>(), &m)) t.subsidy_until = m;
  }
  t.disbursed_on = ParseDay(row[9].as<std::string>());
  t.first_due_on = ParseDay(row[10].as<std::string>());
  t.kind = FromProto(static_cast<v1::RepaymentKind>(row[11].as<int>()))
               .value_or(credit::RepaymentKind::kInterestMonthlyPrincipalAtMaturity);
  *l.mutable_terms() = ToProto(t);
  out.total_due_fen = row[12].as<int64_t>();
  l.set_lender(row[13].as<std::string>());
  l.set_linked_record_id(row[14].as<std::string>());
  l.set_description(row[15].as<std::string>());
  const pqxx::binarystring added(row[16]);
  l.mutable_added()->ParseFromString(added.str());
  out.repaid_fen = row[17].as<int64_t>();
  if (!row[18].is_null()) l.set_settled_on(row[18].as<std::string>());
  out.village_code = row[19].as<std::string>();
  return out;
}

std::optional<StoredLoan> OneLoan(const pqxx::result& rows) {
  if (rows.empty()) return std::nullopt;
  return LoanFromRow(rows[0]);
}

}  // namespace

v1::RepaymentKind ToProto(credit::RepaymentKind kind) {
  return static_cast<v1::RepaymentKind>(static_cast<int>(kind) + 1);
}

std::optional<credit::RepaymentKind> FromProto(v1::RepaymentKind kind) {
  if (kind == v1::REPAYMENT_KIND_UNSPECIFIED || !v1::RepaymentKind_IsValid(kind)) {
    return std::nullopt;
  }
  return static_cast<credit::RepaymentKind>(static_cast<int>(kind) - 1);
}

v1::LoanTerms ToProto(const credit::LoanTerms& t) {
  v1::LoanTerms p;
  p.set_principal_fen(t.principal_fen);
  p.set_term_months(t.term_months);
  p.set_annual_rate_bp(t.annual_rate_bp);
  p.set_subsidy_share_bp(t.subsidy_share_bp);
  if (t.subsidy_until) p.set_subsidy_until_month(absl::FormatCivilTime(*t.subsidy_until));
  p.set_disbursed_on(Day(t.disbursed_on));
  p.set_first_due_on(Day(t.first_due_on));
  p.set_repayment_kind(ToProto(t.kind));
  return p;
}

void InsertLoan(pqxx::transaction_base& tx, const v1::Loan& l, const credit::LoanTerms& t,
                money::Fen total_due_fen) {
  const std::string added = l.added().SerializeAsString();
  const std::optional<std::string> until =
      t.subsidy_until
          ? std::optional<std::string>(absl::StrCat(absl::FormatCivilTime(*t.subsidy_until), "-01"))
          : std::nullopt;
  tx.exec_params(
      "INSERT INTO loans (loan_id, household_id, measure_id, object_id, principal_fen, "
      "term_months, annual_rate_bp, subsidy_share_bp, subsidy_until_month, disbursed_on, "
      "first_due_on, repayment_kind, total_due_fen, lender, linked_record_id, description, "
      "added_by, added) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::date, $10::date, $11::date, "
      "$12, $13, $14, $15, $16, $17, $18)",
      l.loan_id(), l.household_id(), l.measure_id(), l.object_id(), t.principal_fen, t.term_months,
      t.annual_rate_bp, t.subsidy_share_bp, until, Day(t.disbursed_on), Day(t.first_due_on),
      static_cast<int>(ToProto(t.kind)), total_due_fen, l.lender(), l.linked_record_id(),
      l.description(),
      absl::StrCat(l.added().role(), ":", l.added().user_id(), "@", l.added().division_code()),
      pqxx::binarystring(added.data(), added.size()));
}

std::optional<StoredLoan> FindActiveLoan(pqxx::transaction_base& tx,
                                         const std::string& household_id) {
  return OneLoan(
      pg::ExecPrepared(tx, "zx_find_active_loan",
                       absl::StrCat("SELECT ", kLoanColumns,
                                    " FROM loans l JOIN households h USING (household_id) "
                                    "WHERE l.household_id = $1 AND l.settled_on IS NULL"),
                       household_id));
}

std::optional<StoredLoan> FindLatestLoan(pqxx::transaction_base& tx,
                                         const std::string& household_id) {
  return OneLoan(tx.exec_params(
      absl::StrCat("SELECT ", kLoanColumns,
                   " FROM loans l JOIN households h USING (household_id) "
                   "WHERE l.household_id = $1 "
                   "ORDER BY l.settled_on IS NULL DESC, l.settled_on DESC, l.added_at DESC "
                   "LIMIT 1"),
      household_id));
}

std::optional<StoredLoan> LockLoan(pqxx::transaction_base& tx, const std::string& loan_id) {
  return OneLoan(tx.exec_params(absl::StrCat("SELECT ", kLoanColumns,
                                             " FROM loans l JOIN households h USING "
                                             "(household_id) WHERE l.loan_id = $1 FOR UPDATE OF l"),
                                loan_id));
}

void InsertRepayment(pqxx::transaction_base& tx, const v1::Repayment& r,
                     const std::string& recorded_by) {
  const std::string recorded = r.recorded().SerializeAsString();
  tx.exec_params(
      "INSERT INTO loan_repayments (repayment_id, loan_id, amount_fen, paid_on, recorded_by, "
      "recorded) VALUES ($1, $2, $3, $4::date, $5, $6)",
      r.repayment_id(), r.loan_id(), r.amount_fen(), r.paid_on(), recorded_by,
      pqxx::binarystring(recorded.data(), recorded.size()));
}

std::vector<v1::Repayment> LoadRepayments(pqxx::transaction_base& tx, const std::string& loan_id) {
  std::vector<v1::Repayment> out;
  for (const auto& row : tx.exec_params(
           "SELECT repayment_id, amount_fen, to_char(paid_on, 'YYYY-MM-DD'), recorded "
           "FROM loan_repayments WHERE loan_id = $1 ORDER BY paid_on, recorded_at, repayment_id",
           loan_id)) {
    v1::Repayment r;
    r.set_repayment_id(row[0].as<std::string>());
    r.set_loan_id(loan_id);
    r.set_amount_fen(row[1].as<int64_t>());
    r.set_paid_on(row[2].as<std::string>());
    const pqxx::binarystring recorded(row[3]);
    r.mutable_recorded()->ParseFromString(recorded.str());
    out.push_back(std::move(r));
  }
  return out;
}

void UpdateRepaid(pqxx::transaction_base& tx, const std::string& loan_id, money::Fen repaid_fen,
                  std::optional<absl::CivilDay> settled_on) {
  const std::optional<std::string> settled =
      settled_on ? std::optional<std::string>(Day(*settled_on)) : std::nullopt;
  tx.exec_params("UPDATE loans SET repaid_fen = $2, settled_on = $3::date WHERE loan_id = $1",
                 loan_id, repaid_fen, settled);
}

absl::StatusOr<credit::PlanStatus> LoanStatus(pqxx::transaction_base& tx, const StoredLoan& loan,
                                              absl::CivilDay as_of) {
  auto schedule = credit::BuildSchedule(
      loan.terms, credit::CreditLimits{.max_principal_fen = loan.terms.principal_fen,
                                       .max_term_months = loan.terms.term_months});
  if (!schedule.ok()) {
    return absl::InternalError(absl::StrCat("stored loan ", loan.loan.loan_id(),
                                            " has invalid terms: ", schedule.status().message()));
  }
  std::vector<credit::Repayment> repayments;
  for (const auto& r : LoadRepayments(tx, loan.loan.loan_id())) {
    repayments.push_back({.paid_on = ParseDay(r.paid_on()), .amount_fen = r.amount_fen()});
  }
  return credit::StatusAsOf(*schedule, std::move(repayments), as_of, credit::kDefaultGraceDays);
}

absl::StatusOr<CreditOverdue> HouseholdCreditOverdue(pqxx::transaction_base& tx,
                                                     const std::string& household_id,
                                                     absl::CivilDay as_of) {
  auto loan = FindActiveLoan(tx, household_id);
  if (!loan) return CreditOverdue{};
  auto status = LoanStatus(tx, *loan, as_of);
  if (!status.ok()) return status.status();
  return CreditOverdue{.instalments = status->overdue_instalments,
                       .unpaid_fen = status->overdue_fen};
}

absl::StatusOr<std::vector<OverdueInstalment>> FindOverdueInstalments(pqxx::transaction_base& tx,
                                                                      absl::CivilDay today,
                                                                      int limit) {
  std::vector<OverdueInstalment> out;
  // A loan whose first instalment is not overdue has nothing overdue.
  const absl::CivilDay latest_first_due = today - (credit::kDefaultGraceDays + 1);
  for (const auto& row :
       tx.exec_params(absl::StrCat("SELECT ", kLoanColumns,
                                   " FROM loans l JOIN households h USING (household_id) "
                                   "WHERE l.settled_on IS NULL AND l.first_due_on <= $1::date"),
                      Day(latest_first_due))) {
    const StoredLoan loan = LoanFromRow(row);
    auto status = LoanStatus(tx, loan, today);
    if (!status.ok()) return status.status();
    for (const auto& st : status->instalments) {
      if (st.status != credit::InstalmentStatus::kOverdue) continue;
      out.push_back({.loan_id = loan.loan.loan_id(),
                     .household_id = loan.loan.household_id(),
                     .village_code = loan.village_code,
                     .number = st.instalment.number,
                     .due_on = st.instalment.due_on,
                     .unpaid_fen = st.instalment.due_fen - st.paid_fen,
                     .days_overdue = st.days_overdue});
    }
  }
  std::sort(out.begin(), out.end(), [](const OverdueInstalment& a, const OverdueInstalment& b) {
    if (a.due_on != b.due_on) return a.due_on < b.due_on;
    if (a.loan_id != b.loan_id) return a.loan_id < b.loan_id;
    return a.number < b.number;
  });
  if (limit >= 0 && out.size() > static_cast<std::size_t>(limit)) out.resize(limit);
  return out;
}

}  // namespace zx::monitoring
