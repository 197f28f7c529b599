// gRPC handlers of zx.monitoring.v1.MonitoringObjectService: clues (RULES
// M6) and the lifecycle of a monitoring object (M7–M9a). Each handler
// validates, authorizes on the household's village, then runs one
// transaction: lock the household's open object, lifecycle::Apply, save the
// snapshot, append the step, append events — idempotent on request_id.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "common/server/server.h"
#include "common/time/time.h"
#include "services/monitoring/api/alerts.h"
#include "services/monitoring/domain/lifecycle.h"
#include "services/monitoring/domain/policy.h"
#include "zx/monitoring/v1/lifecycle.grpc.pb.h"

namespace zx::monitoring {

class LifecycleServiceImpl final : public v1::MonitoringObjectService::CallbackService {
 public:
  explicit LifecycleServiceImpl(server::Runtime& runtime) : rt_(runtime) {}

  grpc::ServerUnaryReactor* RaiseClue(grpc::CallbackServerContext* ctx,
                                      const v1::RaiseClueRequest* request,
                                      v1::Clue* response) override;

#define ZX_LIFECYCLE_TRANSITION(Rpc)                                  \
  grpc::ServerUnaryReactor* Rpc(grpc::CallbackServerContext* ctx,     \
                                const v1::TransitionRequest* request, \
                                v1::MonitoringObject* response) override;
  ZX_LIFECYCLE_TRANSITION(RecordHomeVerification)
  ZX_LIFECYCLE_TRANSITION(RecordDataComparison)
  ZX_LIFECYCLE_TRANSITION(VillageAssess)
  ZX_LIFECYCLE_TRANSITION(StartPublicity)
  ZX_LIFECYCLE_TRANSITION(RecordObjection)
  ZX_LIFECYCLE_TRANSITION(ResolveObjection)
  ZX_LIFECYCLE_TRANSITION(EndPublicity)
  ZX_LIFECYCLE_TRANSITION(TownshipReview)
  ZX_LIFECYCLE_TRANSITION(CountyConfirm)
  ZX_LIFECYCLE_TRANSITION(ProposeElimination)
  ZX_LIFECYCLE_TRANSITION(ConfirmElimination)
  ZX_LIFECYCLE_TRANSITION(ScheduleFollowUp)
  ZX_LIFECYCLE_TRANSITION(RecordFollowUp)
  ZX_LIFECYCLE_TRANSITION(RejectStep)
  ZX_LIFECYCLE_TRANSITION(CloseClue)
#undef ZX_LIFECYCLE_TRANSITION

  grpc::ServerUnaryReactor* GetMonitoringObject(grpc::CallbackServerContext* ctx,
                                                const v1::GetMonitoringObjectRequest* request,
                                                v1::MonitoringObject* response) override;
  grpc::ServerUnaryReactor* GetHouseholdHistory(grpc::CallbackServerContext* ctx,
                                                const v1::GetHouseholdHistoryRequest* request,
                                                v1::GetHouseholdHistoryResponse* response) override;
  grpc::ServerUnaryReactor* AddAssistanceMeasure(grpc::CallbackServerContext* ctx,
                                                 const v1::AddAssistanceMeasureRequest* request,
                                                 v1::AssistanceMeasure* response) override;
  grpc::ServerUnaryReactor* ExportPublicity(grpc::CallbackServerContext* ctx,
                                            const v1::ExportPublicityRequest* request,
                                            v1::ExportPublicityResponse* response) override;

 private:
  // The one implementation behind every transition RPC.
  grpc::ServerUnaryReactor* Transition(grpc::CallbackServerContext* ctx, lifecycle::ActionKind kind,
                                       const v1::TransitionRequest* request,
                                       v1::MonitoringObject* response);

  server::Runtime& rt_;
};

// Records a clue for the household: a new monitoring object in state clue, or
// — when one is open — a duplicate recorded against it (RULES M6: clues are
// de-duplicated per household). Emits monitoring.clue_raised. Inside the
// caller's transaction; used by RaiseClue and by the assessment (a RED or
// ORANGE colour raises a clue by itself). The M12 check of a new object runs
// at once, or with `deferred` (a batch) it and the event are left there.
absl::StatusOr<v1::Clue> RecordClue(pqxx::transaction_base& tx, const server::Runtime& rt,
                                    const division::Code& village, const std::string& household_id,
                                    v1::ClueWay way, const std::string& description,
                                    absl::Time found_at,
                                    const zx::common::v1::AuditStamp& raised_by,
                                    const std::string& request_id,
                                    DeferredEffects* deferred = nullptr);

// 一户一策: adds `measure` (kind, description, linked record; household_id
// set) to the plan of the household's open monitoring object, inside the
// caller's transaction, and returns it with id, object and stamp filled. The
// object must be county-confirmed or assisted (lifecycle kAddPlan; the first
// measure makes it ASSISTED); FAILED_PRECONDITION otherwise, or when the
// household has no monitoring object. Used by AddAssistanceMeasure and by
// the credit service (a loan is a MEASURE_KIND_CREDIT measure).
absl::StatusOr<v1::AssistanceMeasure> AddMeasureToPlan(pqxx::transaction_base& tx,
                                                       const auth::Principal& principal,
                                                       const division::Code& village,
                                                       const v1::AssistanceMeasure& measure,
                                                       const std::string& request_id);

// The lifecycle service for MonitoringSpec().
std::unique_ptr<grpc::Service> MakeLifecycleService(server::Runtime& runtime);

// The clock every lifecycle RPC reads (times are kept to the microsecond).
// Tests move time with a time::FakeClock; nullptr restores the system clock.
// The clock must outlive the calls that use it.
void SetLifecycleClockForTesting(time::Clock* clock);

// Now on that clock, to the microsecond: the deadline scheduler and the
// alerts read the same time as the lifecycle RPCs.
absl::Time LifecycleNow();

// The policy in force for `village` at `now`: the published one, or the
// national defaults when none is published (so deadlines and alerts never
// wait for a policy).
absl::StatusOr<MonitoringPolicy> EffectiveLifecyclePolicy(pqxx::transaction_base& tx,
                                                          const division::Code& village,
                                                          absl::Time now);
// The same, among policies already loaded (LoadPublishedPolicies): for a
// caller that resolves many villages in one transaction.
absl::StatusOr<MonitoringPolicy> EffectiveLifecyclePolicyFrom(
    const std::vector<MonitoringPolicy>& published, const division::Code& village, absl::Time now);

// The lifecycle limits of a policy (same field names).
lifecycle::LifecycleLimits LimitsFromPolicy(const MonitoringPolicy& policy);

}  // namespace zx::monitoring
