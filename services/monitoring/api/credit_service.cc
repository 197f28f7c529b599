// gRPC handlers of zx.monitoring.v1.CreditService (扶贫小额信贷): validate,
// authorize on the household's village, then one transaction. The schedule
// rules live in domain/credit, the SQL in store/credit_store.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/events/events.h"
#include "common/idempotency/idempotency.h"
#include "common/money/money.h"
#include "common/time/time.h"
#include "services/monitoring/api/lifecycle_service.h"
#include "services/monitoring/api/monitoring_service.h"
#include "services/monitoring/domain/credit.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/store/credit_store.h"
#include "services/monitoring/store/household_store.h"
#include "zx/monitoring/v1/credit.grpc.pb.h"

namespace zx::monitoring {
namespace {

constexpr int64_t kMaxRepaymentFen = money::kMaxAmountFen;  // far above any loan

using time::Today;

bool IsLoanId(std::string_view id) {
  if (id.size() != 23 || id.substr(0, 3) != "ln-") return false;
  for (char c : id.substr(3)) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) || absl::ascii_isupper(c)) {
      return false;
    }
  }
  return true;
}

std::optional<absl::CivilDay> ParseDay(const std::string& text) {
  absl::CivilDay d;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &d)) return std::nullopt;
  return d;
}

// Proto terms -> domain terms; every violation is added to `v` under
// "terms.<field>", with the policy limits checked by the domain.
std::optional<credit::LoanTerms> TermsFromProto(const v1::LoanTerms& p,
                                                const credit::CreditLimits& limits,
                                                absl::CivilDay today, errors::Validator& v) {
  credit::LoanTerms t;
  bool ok = true;
  t.principal_fen = p.principal_fen();
  t.term_months = p.term_months();
  t.annual_rate_bp = p.annual_rate_bp();
  t.subsidy_share_bp = p.subsidy_share_bp();
  if (!p.subsidy_until_month().empty()) {
    absl::CivilMonth m;
    if (p.subsidy_until_month().size() != 7 || !absl::ParseCivilTime(p.subsidy_until_month(), &m)) {
      v.Add("terms.subsidy_until_month", "must be a month like 2025-12");
      ok = false;
    } else {
      t.subsidy_until = m;
    }
  }
  if (auto d = ParseDay(p.disbursed_on())) {
    t.disbursed_on = *d;
    if (*d > today) {
      v.Add("terms.disbursed_on", "must not be in the future");
      ok = false;
    }
  } else {
    v.Add("terms.disbursed_on", "must be a date like 2026-03-02");
    ok = false;
  }
  if (auto d = ParseDay(p.first_due_on())) {
    t.first_due_on = *d;
  } else {
    v.Add("terms.first_due_on", "must be a date like 2026-04-21");
    ok = false;
  }
  if (auto kind = FromProto(p.repayment_kind())) {
    t.kind = *kind;
  } else {
    v.Add("terms.repayment_kind",
          "must be INTEREST_MONTHLY_PRINCIPAL_AT_MATURITY, "
          "INTEREST_QUARTERLY_PRINCIPAL_AT_MATURITY or EQUAL_PRINCIPAL_MONTHLY");
    ok = false;
  }
  const bool parsed = ok;
  for (const auto& f : credit::ValidateTerms(t, limits)) {
    // Date rules are only meaningful once every field parsed.
    if (!parsed && f.field == "first_due_on") continue;
    v.Add(absl::StrCat("terms.", f.field), f.description);
    ok = false;
  }
  if (!ok) return std::nullopt;
  return t;
}

v1::InstalmentStatus StatusToProto(credit::InstalmentStatus s) {
  switch (s) {
    case credit::InstalmentStatus::kUpcoming:
      return v1::INSTALMENT_STATUS_UPCOMING;
    case credit::InstalmentStatus::kDue:
      return v1::INSTALMENT_STATUS_DUE;
    case credit::InstalmentStatus::kPartlyPaid:
      return v1::INSTALMENT_STATUS_PARTLY_PAID;
    case credit::InstalmentStatus::kOverdue:
      return v1::INSTALMENT_STATUS_OVERDUE;
    case credit::InstalmentStatus::kPaid:
      return v1::INSTALMENT_STATUS_PAID;
  }
  return v1::INSTALMENT_STATUS_UNSPECIFIED;
}

class CreditServiceImpl final : public v1::CreditService::CallbackService {
 public:
  explicit CreditServiceImpl(server::Runtime& runtime) : rt_(runtime) {}

  grpc::ServerUnaryReactor* AddCreditMeasure(grpc::CallbackServerContext* ctx,
                                             const v1::AddCreditMeasureRequest* request,
                                             v1::Loan* response) override;
  grpc::ServerUnaryReactor* RecordRepayment(grpc::CallbackServerContext* ctx,
                                            const v1::RecordRepaymentRequest* request,
                                            v1::Repayment* response) override;
  grpc::ServerUnaryReactor* GetCreditPlan(grpc::CallbackServerContext* ctx,
                                          const v1::GetCreditPlanRequest* request,
                                          v1::CreditPlan* response) override;

 private:
  server::Runtime& rt_;
};

grpc::ServerUnaryReactor* CreditServiceImpl::AddCreditMeasure(
    grpc::CallbackServerContext* ctx, const v1::AddCreditMeasureRequest* request,
    v1::Loan* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    if (!IsHouseholdId(request->household_id())) {
      v.Add("household_id", "must look like hh- and 20 hex digits");
    }
    std::optional<credit::LoanTerms> terms;
    if (!request->has_terms()) {
      v.Add("terms", "is required");
    } else {
      // The national defaults (50,000 yuan, 36 months); policy figures per
      // region are not published yet.
      terms = TermsFromProto(request->terms(), credit::CreditLimits{}, Today(), v);
    }
    if (absl::StripAsciiWhitespace(request->lender()).empty()) {
      v.Add("lender", "is required: the lending bank or branch");
    } else if (request->lender().size() > 200) {
      v.Add("lender", "must be at most 200 bytes");
    }
    if (request->linked_record_id().size() > 100) {
      v.Add("linked_record_id", "must be at most 100 characters");
    }
    if (request->description().size() > 2000) {
      v.Add("description", "must be at most 2000 bytes");
    }
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household =
          AuthorizedHousehold(tx, call, "monitoring.credit.write", request->household_id());
      if (!household.ok()) return household.status();
      const auto village = *division::Code::Parse(household->village_code());
      return idempotency::Run(
          tx, "monitoring.AddCreditMeasure", request->request_id(), *request, *response,
          [&]() -> absl::Status {
            // One plan per household: concurrent grants queue on the household.
            tx.exec_params("SELECT 1 FROM households WHERE household_id = $1 FOR UPDATE",
                           request->household_id());
            if (auto active = FindActiveLoan(tx, request->household_id())) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "household ", request->household_id(), " already has an active loan plan (",
                  active->loan.loan_id(), ", ", money::FormatYuan(active->terms.principal_fen),
                  " yuan from ", active->loan.lender(),
                  "): one repayment plan per household; settle it first"));
            }
            auto schedule = credit::BuildSchedule(*terms, credit::CreditLimits{});
            if (!schedule.ok()) return errors::Annotate(schedule.status(), "terms");
            v1::AssistanceMeasure measure;
            measure.set_household_id(request->household_id());
            measure.set_kind(v1::MEASURE_KIND_CREDIT);
            measure.set_description(
                request->description().empty()
                    ? absl::StrCat("扶贫小额信贷 ", money::FormatYuan(terms->principal_fen),
                                   " 元，", terms->term_months, " 个月，", request->lender())
                    : request->description());
            measure.set_linked_record_id(request->linked_record_id());
            auto added =
                AddMeasureToPlan(tx, call.principal, village, measure, request->request_id());
            if (!added.ok()) return added.status();

            v1::Loan loan;
            loan.set_loan_id(NewId("ln"));
            loan.set_household_id(request->household_id());
            loan.set_measure_id(added->measure_id());
            loan.set_object_id(added->object_id());
            *loan.mutable_terms() = ToProto(*terms);
            loan.set_lender(request->lender());
            loan.set_linked_record_id(request->linked_record_id());
            loan.set_description(added->description());
            *loan.mutable_added() = server::Stamp(call.principal, absl::Now());
            InsertLoan(tx, loan, *terms, schedule->total_due_fen);
            v1::CreditAdded payload;
            *payload.mutable_loan() = loan;
            payload.set_village_code(household->village_code());
            auto event = events::Append(tx, rt_.config.instance,
                                        {.type = "monitoring.credit_added",
                                         .division_code = household->village_code(),
                                         .aggregate_id = request->household_id(),
                                         .payload = &payload,
                                         .causation_id = request->request_id()});
            if (!event.ok()) return event.status();
            // A back-dated loan may be overdue already.
            if (auto s = ReassessIfPolicyPublished(tx, rt_, *household, request->request_id());
                !s.ok()) {
              return s;
            }
            *response = std::move(loan);
            return absl::OkStatus();
          });
    });
  });
}

grpc::ServerUnaryReactor* CreditServiceImpl::RecordRepayment(
    grpc::CallbackServerContext* ctx, const v1::RecordRepaymentRequest* request,
    v1::Repayment* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    if (!IsLoanId(request->loan_id())) v.Add("loan_id", "must look like ln- and 20 hex digits");
    if (request->amount_fen() <= 0 || request->amount_fen() > kMaxRepaymentFen) {
      v.Add("amount_fen", "must be positive (fen)");
    }
    const auto paid_on = ParseDay(request->paid_on());
    if (!paid_on) {
      v.Add("paid_on", "must be a date like 2026-04-21");
    } else if (*paid_on > Today()) {
      v.Add("paid_on", "must not be in the future");
    }
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto loan = LockLoan(tx, request->loan_id());
      if (!loan) return absl::NotFoundError("loan " + request->loan_id() + " not found");
      const auto village = division::Code::Parse(loan->village_code);
      if (!village.ok()) return absl::InternalError("stored village code is invalid");
      if (auto a = call.Authorize("monitoring.credit.write", *village); !a.ok()) return a;
      return idempotency::Run(
          tx, "monitoring.RecordRepayment", request->request_id(), *request, *response,
          [&]() -> absl::Status {
            if (!loan->loan.settled_on().empty()) {
              return absl::FailedPreconditionError(
                  absl::StrCat("loan ", request->loan_id(), " was settled on ",
                               loan->loan.settled_on(), "; nothing is outstanding"));
            }
            if (*paid_on < loan->terms.disbursed_on) {
              return errors::InvalidField(
                  "paid_on", absl::StrCat("must not be before the disbursement on ",
                                          absl::FormatCivilTime(loan->terms.disbursed_on)));
            }
            const money::Fen outstanding = loan->total_due_fen - loan->repaid_fen;
            if (request->amount_fen() > outstanding) {
              return absl::FailedPreconditionError(absl::StrCat(
                  "amount_fen ", request->amount_fen(), " exceeds what is outstanding on loan ",
                  request->loan_id(), ": ", money::FormatYuan(outstanding), " yuan"));
            }
            v1::Repayment r;
            r.set_repayment_id(NewId("rp"));
            r.set_loan_id(request->loan_id());
            r.set_amount_fen(request->amount_fen());
            r.set_paid_on(absl::FormatCivilTime(*paid_on));
            *r.mutable_recorded() = server::Stamp(call.principal, absl::Now());
            InsertRepayment(tx, r, call.principal.ToString());
            const money::Fen repaid = loan->repaid_fen + request->amount_fen();
            std::optional<absl::CivilDay> settled_on;
            if (repaid == loan->total_due_fen) {
              // The day the plan became fully paid: the latest payment day.
              settled_on = *paid_on;
              for (const auto& earlier : LoadRepayments(tx, request->loan_id())) {
                settled_on = std::max(*settled_on, *ParseDay(earlier.paid_on()));
              }
            }
            UpdateRepaid(tx, request->loan_id(), repaid, settled_on);
            v1::RepaymentRecorded payload;
            *payload.mutable_repayment() = r;
            payload.set_household_id(loan->loan.household_id());
            payload.set_village_code(loan->village_code);
            payload.set_settled(settled_on.has_value());
            auto event = events::Append(tx, rt_.config.instance,
                                        {.type = "monitoring.repayment_recorded",
                                         .division_code = loan->village_code,
                                         .aggregate_id = loan->loan.household_id(),
                                         .payload = &payload,
                                         .causation_id = request->request_id()});
            if (!event.ok()) return event.status();
            auto household = FindHousehold(tx, loan->loan.household_id());
            if (!household) return absl::InternalError("the loan's household is missing");
            if (auto s = ReassessIfPolicyPublished(tx, rt_, *household, request->request_id());
                !s.ok()) {
              return s;
            }
            *response = std::move(r);
            return absl::OkStatus();
          });
    });
  });
}

grpc::ServerUnaryReactor* CreditServiceImpl::GetCreditPlan(grpc::CallbackServerContext* ctx,
                                                           const v1::GetCreditPlanRequest* request,
                                                           v1::CreditPlan* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    if (!IsHouseholdId(request->household_id())) {
      v.Add("household_id", "must look like hh- and 20 hex digits");
    }
    absl::CivilDay as_of = Today();
    if (!request->as_of().empty()) {
      if (auto d = ParseDay(request->as_of())) {
        as_of = *d;
      } else {
        v.Add("as_of", "must be a date like 2026-04-21");
      }
    }
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household =
          AuthorizedHousehold(tx, call, "monitoring.credit.get", request->household_id());
      if (!household.ok()) return household.status();
      auto loan = FindLatestLoan(tx, request->household_id());
      if (!loan) {
        return absl::NotFoundError("household " + request->household_id() +
                                   " has no micro-credit loan (AddCreditMeasure)");
      }
      auto status = LoanStatus(tx, *loan, as_of);
      if (!status.ok()) return status.status();
      response->Clear();
      *response->mutable_loan() = loan->loan;
      response->set_as_of(absl::FormatCivilTime(as_of));
      money::Fen principal = 0, interest = 0, subsidy = 0, due = 0;
      for (const auto& st : status->instalments) {
        v1::Instalment* in = response->add_instalments();
        in->set_number(st.instalment.number);
        in->set_due_on(absl::FormatCivilTime(st.instalment.due_on));
        in->set_principal_fen(st.instalment.principal_fen);
        in->set_interest_fen(st.instalment.interest_fen);
        in->set_subsidy_fen(st.instalment.subsidy_fen);
        in->set_due_fen(st.instalment.due_fen);
        in->set_paid_fen(st.paid_fen);
        in->set_status(StatusToProto(st.status));
        in->set_days_overdue(st.days_overdue);
        principal += st.instalment.principal_fen;
        interest += st.instalment.interest_fen;
        subsidy += st.instalment.subsidy_fen;
        due += st.instalment.due_fen;
      }
      for (auto& r : LoadRepayments(tx, loan->loan.loan_id())) {
        *response->add_repayments() = std::move(r);
      }
      response->set_total_principal_fen(principal);
      response->set_total_interest_fen(interest);
      response->set_total_subsidy_fen(subsidy);
      response->set_total_due_fen(due);
      response->set_repaid_fen(status->repaid_fen);
      response->set_outstanding_fen(status->outstanding_fen);
      response->set_overdue_fen(status->overdue_fen);
      response->set_overdue_instalments(status->overdue_instalments);
      response->set_grace_days(credit::kDefaultGraceDays);
      return absl::OkStatus();
    });
  });
}

}  // namespace

std::unique_ptr<grpc::Service> MakeCreditService(server::Runtime& runtime) {
  return std::make_unique<CreditServiceImpl>(runtime);
}

}  // namespace zx::monitoring
