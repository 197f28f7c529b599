// gRPC handlers of zx.monitoring.v1.MonitoringService: validate, authorize,
// then one transaction through the store. Thin by design.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include <prometheus/counter.h>

#include "common/server/server.h"
#include "services/monitoring/domain/event_income.h"
#include "services/monitoring/domain/household_cache.h"
#include "services/monitoring/domain/policy.h"
#include "services/monitoring/domain/risk.h"
#include "zx/monitoring/v1/monitoring.grpc.pb.h"

namespace zx::monitoring {

class MonitoringServiceImpl final : public zx::monitoring::v1::MonitoringService::CallbackService {
 public:
  // `households`: the in-memory registry GetHousehold reads first; writes
  // here put what they committed into it.
  MonitoringServiceImpl(server::Runtime& runtime, std::shared_ptr<HouseholdCache> households);

  grpc::ServerUnaryReactor* CreateHousehold(grpc::CallbackServerContext* ctx,
                                            const v1::CreateHouseholdRequest* request,
                                            v1::Household* response) override;
  grpc::ServerUnaryReactor* GetHousehold(grpc::CallbackServerContext* ctx,
                                         const v1::GetHouseholdRequest* request,
                                         v1::Household* response) override;
  grpc::ServerUnaryReactor* ListHouseholds(grpc::CallbackServerContext* ctx,
                                           const v1::ListHouseholdsRequest* request,
                                           v1::ListHouseholdsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateHousehold(grpc::CallbackServerContext* ctx,
                                            const v1::UpdateHouseholdRequest* request,
                                            v1::Household* response) override;
  grpc::ServerUnaryReactor* AddPerson(grpc::CallbackServerContext* ctx,
                                      const v1::AddPersonRequest* request,
                                      v1::Person* response) override;
  grpc::ServerUnaryReactor* ListPersons(grpc::CallbackServerContext* ctx,
                                        const v1::ListPersonsRequest* request,
                                        v1::ListPersonsResponse* response) override;
  grpc::ServerUnaryReactor* UpdatePerson(grpc::CallbackServerContext* ctx,
                                         const v1::UpdatePersonRequest* request,
                                         v1::Person* response) override;

  // Records, guarantees, policy, assessment: api/assessment_handlers.cc.
  grpc::ServerUnaryReactor* RecordIncome(grpc::CallbackServerContext* ctx,
                                         const v1::RecordIncomeRequest* request,
                                         v1::IncomeRecord* response) override;
  grpc::ServerUnaryReactor* RecordExpense(grpc::CallbackServerContext* ctx,
                                          const v1::RecordExpenseRequest* request,
                                          v1::ExpenseRecord* response) override;
  grpc::ServerUnaryReactor* SetGuarantees(grpc::CallbackServerContext* ctx,
                                          const v1::SetGuaranteesRequest* request,
                                          v1::Guarantees* response) override;
  grpc::ServerUnaryReactor* RecordSuddenEvent(grpc::CallbackServerContext* ctx,
                                              const v1::RecordSuddenEventRequest* request,
                                              v1::SuddenEvent* response) override;
  grpc::ServerUnaryReactor* PublishPolicy(grpc::CallbackServerContext* ctx,
                                          const v1::PublishPolicyRequest* request,
                                          v1::MonitoringPolicy* response) override;
  grpc::ServerUnaryReactor* GetEffectivePolicy(grpc::CallbackServerContext* ctx,
                                               const v1::GetEffectivePolicyRequest* request,
                                               v1::MonitoringPolicy* response) override;
  grpc::ServerUnaryReactor* AssessHousehold(grpc::CallbackServerContext* ctx,
                                            const v1::AssessHouseholdRequest* request,
                                            v1::Assessment* response) override;
  grpc::ServerUnaryReactor* ExplainAssessment(grpc::CallbackServerContext* ctx,
                                              const v1::ExplainAssessmentRequest* request,
                                              v1::Explanation* response) override;

  // Bulk re-assessment: api/reassessment.cc.
  grpc::ServerUnaryReactor* ReassessAll(grpc::CallbackServerContext* ctx,
                                        const v1::ReassessAllRequest* request,
                                        v1::ReassessmentJob* response) override;
  grpc::ServerUnaryReactor* GetReassessmentJob(grpc::CallbackServerContext* ctx,
                                               const v1::GetReassessmentJobRequest* request,
                                               v1::ReassessmentJob* response) override;

  // Roll-ups: api/rollup_handlers.cc.
  grpc::ServerUnaryReactor* GetRollup(grpc::CallbackServerContext* ctx,
                                      const v1::GetRollupRequest* request,
                                      v1::Rollup* response) override;
  grpc::ServerUnaryReactor* VerifyRollup(grpc::CallbackServerContext* ctx,
                                         const v1::VerifyRollupRequest* request,
                                         v1::VerifyRollupResponse* response) override;

  // Bulk survey rows: api/survey_ingest.cc.
  grpc::ServerBidiReactor<v1::IngestSurveyRequest, v1::IngestSurveyResponse>* IngestSurvey(
      grpc::CallbackServerContext* ctx) override;
  // Bulk registration: api/household_import.cc.
  grpc::ServerBidiReactor<v1::ImportHouseholdsRequest, v1::ImportHouseholdsResponse>*
  ImportHouseholds(grpc::CallbackServerContext* ctx) override;

 private:
  server::Runtime& rt_;
  std::shared_ptr<HouseholdCache> households_;
  prometheus::Counter* reads_from_memory_ = nullptr;
  prometheus::Counter* reads_from_database_ = nullptr;
};

using server::NewId;

// Loads the household and checks the caller may do `action` on it.
absl::StatusOr<v1::Household> AuthorizedHousehold(pqxx::transaction_base& tx,
                                                  const server::CallContext& call,
                                                  std::string_view action,
                                                  const std::string& household_id);

// Assesses the household with the policy in effect today, stores the
// assessment and its explanations, and emits household_color_changed when the
// colour changed — inside the caller's transaction (RPCs and event handlers).
absl::StatusOr<v1::Assessment> AssessAndStore(pqxx::transaction_base& tx, const server::Runtime& rt,
                                              const v1::Household& household,
                                              const std::string& causation_id);

// The published policy in effect for `division` on `date` (the most specific
// owner wins); FAILED_PRECONDITION naming PublishPolicy when there is none.
absl::StatusOr<MonitoringPolicy> ResolvePublishedPolicy(pqxx::transaction_base& tx,
                                                        const division::Code& division,
                                                        absl::CivilDay date);

// RULES M9 for the household today: OK, or FAILED_PRECONDITION naming every
// reason elimination is refused. `triggering_factors`: the factors that led
// to identification, as kept on the monitoring object (nullopt when not on
// record), so a factor still firing is named as persisting or new.
absl::Status EliminationCheck(pqxx::transaction_base& tx, const v1::Household& household,
                              absl::CivilDay today,
                              const std::optional<std::vector<FactorKind>>& triggering_factors);

// The kinds of the risk factors that fire for the household today under the
// published policy (what county confirmation keeps as the factors that led
// to identification); nullopt when no policy is in effect to assess with.
absl::StatusOr<std::optional<std::vector<FactorKind>>> FiredFactorKinds(
    pqxx::transaction_base& tx, const v1::Household& household, absl::CivilDay today);

// Queues a re-assessment of every household in `division` (inside the
// caller's transaction); the background worker below carries it out.
absl::StatusOr<v1::ReassessmentJob> CreateReassessmentJob(pqxx::transaction_base& tx,
                                                          const division::Code& division,
                                                          const std::string& cause,
                                                          v1::ReassessReason reason);
void RunReassessmentWorker(server::Runtime& rt, const std::atomic<bool>& stop);

// Marks the policy applied and queues the re-assessment of the households
// it governs in this instance (RULES M11); `why` ends the job's cause.
absl::StatusOr<v1::ReassessmentJob> ApplyPolicy(pqxx::transaction_base& tx,
                                                const server::Runtime& rt,
                                                const division::Code& owner,
                                                const std::string& version, const std::string& why);
// Applies every policy published ahead of its effective date whose day has
// come by `today`; returns how many. The re-assessment worker calls it.
absl::StatusOr<int> ApplyPoliciesTakingEffect(server::Runtime& rt, absl::CivilDay today);

// Folds roll-up deltas into counters every second, closes each day's
// roll-up once the day is over, and at start gives households registered
// before roll-ups existed their contribution.
void RunRollupCompactor(server::Runtime& rt, const std::atomic<bool>& stop);

// AssessAndStore when a policy is in effect for the household today; when
// none is published yet, logs and returns OK (the job that publishing a
// policy starts will assess the household). Inside the caller's transaction.
absl::Status ReassessIfPolicyPublished(pqxx::transaction_base& tx, const server::Runtime& rt,
                                       const v1::Household& household,
                                       const std::string& causation_id);

// The consumers of the streams of the other services of this instance: each
// event read by `decode` is booked as income (source EVENT, source_ref = event
// id, so a redelivered event books once) and its household re-assessed.
// Events `decode` does not book are ignored. A payload that cannot be booked
// (not the expected message, bad household id, month or amount, unknown
// household, a village that differs from the household's or lies outside
// this instance) is an error: the consumer retries it, then moves it to the
// dead-letter stream where operators see it.
//   employment.wage_paid          -> wage income
//   assets.dividend_paid          -> property income
//   consumption.income_attributed -> wage or operating income by binding
//                                    kind; a refund books a negative record
// A batch is booked at once: its households locked in id order, its records
// inserted and its income_booked events appended in one statement each, and
// each household re-assessed once (ReassessBatch). When that fails the
// consumer retries the entries one by one, each booked on its own.
using IncomeDecoder =
    absl::StatusOr<std::optional<EventIncome>> (*)(const zx::common::v1::Event& event);
events::BatchWorkFactory IncomeEventWork(const server::Runtime& rt, IncomeDecoder decode);

// zx.monitoring.v1.CreditService (api/credit_service.cc).
std::unique_ptr<grpc::Service> MakeCreditService(server::Runtime& runtime);

// The spec main() runs and tests start in-process.
server::ServiceSpec MonitoringSpec();

}  // namespace zx::monitoring
