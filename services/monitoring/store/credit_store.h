// PostgreSQL access for micro-credit loans and repayments (0009_credit.sql),
// inside the caller's transaction. The schedule is never stored: it is
// rebuilt from the stored terms by domain/credit.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/monitoring/domain/credit.h"
#include "zx/monitoring/v1/credit.pb.h"

namespace zx::monitoring {

v1::RepaymentKind ToProto(credit::RepaymentKind kind);
std::optional<credit::RepaymentKind> FromProto(v1::RepaymentKind kind);
v1::LoanTerms ToProto(const credit::LoanTerms& terms);

struct StoredLoan {
  v1::Loan loan;  // as the API shows it
  credit::LoanTerms terms;
  std::string village_code;
  money::Fen total_due_fen = 0;
  money::Fen repaid_fen = 0;  // every repayment recorded
};

void InsertLoan(pqxx::transaction_base& tx, const v1::Loan& loan, const credit::LoanTerms& terms,
                money::Fen total_due_fen);

// The household's active (unsettled) loan, if any.
std::optional<StoredLoan> FindActiveLoan(pqxx::transaction_base& tx,
                                         const std::string& household_id);
// The active loan, else the most recently settled one.
std::optional<StoredLoan> FindLatestLoan(pqxx::transaction_base& tx,
                                         const std::string& household_id);
// The loan, locked for update until the transaction ends.
std::optional<StoredLoan> LockLoan(pqxx::transaction_base& tx, const std::string& loan_id);

void InsertRepayment(pqxx::transaction_base& tx, const v1::Repayment& repayment,
                     const std::string& recorded_by);
// Oldest first (paid_on, then recording order).
std::vector<v1::Repayment> LoadRepayments(pqxx::transaction_base& tx, const std::string& loan_id);
// After a repayment: the new total repaid, and the day it settled the loan.
void UpdateRepaid(pqxx::transaction_base& tx, const std::string& loan_id, money::Fen repaid_fen,
                  std::optional<absl::CivilDay> settled_on);

// The loan's plan on `as_of` with the default grace days.
absl::StatusOr<credit::PlanStatus> LoanStatus(pqxx::transaction_base& tx, const StoredLoan& loan,
                                              absl::CivilDay as_of);

// Overdue instalments of the household's active loan on `as_of` (both zero
// when it has none): the risk input of factor credit_overdue.
struct CreditOverdue {
  int instalments = 0;
  money::Fen unpaid_fen = 0;
};
absl::StatusOr<CreditOverdue> HouseholdCreditOverdue(pqxx::transaction_base& tx,
                                                     const std::string& household_id,
                                                     absl::CivilDay as_of);

// For the alert scheduler: every overdue instalment of an active loan on
// `today`, oldest due date first, at most `limit`. Reads only loans whose
// first instalment can be overdue (index loans_active_first_due).
struct OverdueInstalment {
  std::string loan_id;
  std::string household_id;
  std::string village_code;
  int number = 0;
  absl::CivilDay due_on;
  money::Fen unpaid_fen = 0;
  int days_overdue = 0;
};
absl::StatusOr<std::vector<OverdueInstalment>> FindOverdueInstalments(pqxx::transaction_base& tx,
                                                                      absl::CivilDay today,
                                                                      int limit);

}  // namespace zx::monitoring
