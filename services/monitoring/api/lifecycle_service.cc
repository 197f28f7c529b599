#include "services/monitoring/api/lifecycle_service.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/strings.h"
#include "common/events/events.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "services/monitoring/api/alerts.h"
#include "services/monitoring/api/assessment.h"
#include "services/monitoring/api/monitoring_service.h"
#include "services/monitoring/domain/household.h"
#include "services/monitoring/domain/requests.h"
#include "services/monitoring/store/object_store.h"
#include "services/monitoring/store/rollup_store.h"

namespace zx::monitoring {
namespace {

namespace lc = lifecycle;

std::atomic<time::Clock*> g_clock{nullptr};

// Now, to the microsecond: what PostgreSQL keeps, so a stored time reads back
// exactly as the domain saw it.
absl::Time Now() {
  time::Clock* clock = g_clock.load();
  const absl::Time now = clock != nullptr ? clock->Now() : time::SystemClock().Now();
  return absl::FromUnixMicros(absl::ToUnixMicros(now));
}

absl::Time TruncateToMicros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

// The policy in force for the household's village now: the published one, or
// — so that no household stays outside the system for want of a policy —
// the national defaults, whose lifecycle limits are the RULES M7/M7a/M10
// figures. (Elimination needs a published line: EliminationCheck.)
absl::StatusOr<MonitoringPolicy> EffectivePolicy(pqxx::transaction_base& tx,
                                                 const division::Code& village, absl::Time now) {
  return EffectiveLifecyclePolicyFrom(LoadPublishedPolicies(tx), village, now);
}

// The permission-table action of the step (common/auth/permissions.cc):
// "VillageAssess" -> "monitoring.object.village_assess".
std::string ActionOf(lc::ActionKind kind) {
  if (kind == lc::ActionKind::kAddPlan) return "monitoring.object.add_assistance_measure";
  std::string action = "monitoring.object.";
  bool first = true;
  for (char c : RpcName(kind)) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) {
      if (!first) action += '_';
      action += absl::ascii_tolower(static_cast<unsigned char>(c));
    } else {
      action += c;
    }
    first = false;
  }
  return action;
}

// The domain action of a validated request.
lc::Action ActionOf(lc::ActionKind kind, const v1::TransitionRequest& r,
                    const auth::Principal& principal, absl::Time now,
                    const MonitoringPolicy& policy) {
  lc::Action action{.kind = kind,
                    .actor = lc::ActorOf(principal),
                    .at = now,
                    .reason = r.reason(),
                    .approve = r.decision() != v1::DECISION_REJECT,
                    .household_consent = r.household_consent()};
  if (r.object_type() != v1::MONITORING_OBJECT_TYPE_UNSPECIFIED) {
    action.object_type = FromProto(r.object_type());
  }
  for (int risk : r.risk_types()) {
    action.risk_types.push_back(*FromProto(static_cast<v1::RiskType>(risk)));
  }
  action.objection_id = r.objection_id();
  action.objection_upheld = r.objection_outcome() == v1::OBJECTION_OUTCOME_UPHELD;
  if (kind == lc::ActionKind::kScheduleFollowUp) {
    action.follow_up_due = r.has_follow_up_due()
                               ? TruncateToMicros(time::FromProto(r.follow_up_due()))
                               : now + absl::Hours(24) * policy.follow_up_days;
  }
  switch (r.follow_up_outcome()) {
    case v1::FOLLOW_UP_OUTCOME_RISK_STILL_ELIMINATED:
      action.follow_up_outcome = lc::FollowUpOutcome::kRiskStillEliminated;
      break;
    case v1::FOLLOW_UP_OUTCOME_RISK_RETURNED:
      action.follow_up_outcome = lc::FollowUpOutcome::kRiskReturned;
      break;
    default:
      break;
  }
  return action;
}

// The earliest pending deadline, for the scheduler's index.
std::optional<absl::Time> NextDue(const std::vector<lc::Deadline>& deadlines) {
  std::optional<absl::Time> next;
  for (const lc::Deadline& d : deadlines) {
    if (!next || d.due_at < *next) next = d.due_at;
  }
  return next;
}

v1::MonitoringObject View(const StoredObject& stored, const std::vector<lc::Deadline>& deadlines) {
  v1::MonitoringObject view = ToApi(stored.object_id, stored.object);
  for (const lc::Deadline& d : deadlines) *view.add_deadlines() = ToApi(d);
  return view;
}

// Events of a completed step: county decisions that other services and the
// roll-ups act on.
absl::Status AppendStepEvents(pqxx::transaction_base& tx, const server::Runtime& rt,
                              const StoredObject& stored, lc::ActionKind kind,
                              const server::CallContext& call, const std::string& request_id,
                              absl::Time now) {
  const lc::MonitoringObject& o = stored.object;
  // What both decision events say about the object, and how they leave.
  auto describe = [&](auto& payload) {
    payload.set_household_id(o.household_id);
    payload.set_object_id(stored.object_id);
    payload.set_village_code(o.village.str());
    if (o.object_type) payload.set_object_type(ToProto(*o.object_type));
    for (lc::RiskType r : o.risk_types) payload.add_risk_types(ToProto(r));
  };
  auto append = [&](const char* type, const google::protobuf::Message& payload) {
    return events::Append(tx, rt.config.instance,
                          {.type = type,
                           .division_code = o.village.str(),
                           .aggregate_id = o.household_id,
                           .payload = &payload,
                           .causation_id = request_id})
        .status();
  };
  if (kind == lc::ActionKind::kCountyConfirm && o.state == lc::State::kCountyConfirmed) {
    v1::ObjectConfirmed payload;
    describe(payload);
    *payload.mutable_confirmed_at() = time::ToProto(*o.confirmed_at);
    *payload.mutable_confirmed_by() = server::Stamp(call.principal, now);
    *payload.mutable_clue_found_at() = time::ToProto(o.clue_found_at);
    if (auto s = append("monitoring.object_confirmed", payload); !s.ok()) return s;
  }
  if (kind == lc::ActionKind::kConfirmElimination && o.state == lc::State::kRiskEliminated) {
    v1::RiskEliminated payload;
    describe(payload);
    *payload.mutable_eliminated_at() = time::ToProto(*o.eliminated_at);
    *payload.mutable_eliminated_by() = server::Stamp(call.principal, now);
    if (auto s = append("monitoring.risk_eliminated", payload); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<division::Code> VillageOf(const v1::Household& household) {
  auto village = division::Code::Parse(household.village_code());
  if (!village.ok()) return absl::InternalError("stored village code is invalid");
  return village;
}

}  // namespace

lc::LifecycleLimits LimitsFromPolicy(const MonitoringPolicy& p) {
  return lc::LifecycleLimits{.publicity_min_days = p.publicity_min_days,
                             .identification_limit_days = p.identification_limit_days,
                             .home_verification_days = p.home_verification_days,
                             .data_comparison_days = p.data_comparison_days,
                             .village_assessment_days = p.village_assessment_days,
                             .publicity_start_days = p.publicity_start_days,
                             .publicity_end_days = p.publicity_end_days,
                             .township_review_days = p.township_review_days,
                             .county_decision_days = p.county_decision_days,
                             .plan_missing_days = p.plan_missing_days,
                             .follow_up_days = p.follow_up_days};
}

void SetLifecycleClockForTesting(time::Clock* clock) { g_clock.store(clock); }

absl::Time LifecycleNow() { return Now(); }

absl::StatusOr<MonitoringPolicy> EffectiveLifecyclePolicyFrom(
    const std::vector<MonitoringPolicy>& published, const division::Code& village, absl::Time now) {
  const absl::CivilDay today = absl::ToCivilDay(now, absl::LocalTimeZone());
  auto resolved = ResolveFromPublished(published, village, today);
  if (!absl::IsFailedPrecondition(resolved.status())) return resolved;
  return DefaultPolicy(village.AncestorAt(division::Level::kRegion),
                       static_cast<int>(absl::CivilYear(today).year()));
}

absl::StatusOr<MonitoringPolicy> EffectiveLifecyclePolicy(pqxx::transaction_base& tx,
                                                          const division::Code& village,
                                                          absl::Time now) {
  return EffectivePolicy(tx, village, now);
}

absl::StatusOr<v1::Clue> RecordClue(pqxx::transaction_base& tx, const server::Runtime& rt,
                                    const division::Code& village, const std::string& household_id,
                                    v1::ClueWay way, const std::string& description,
                                    absl::Time found_at,
                                    const zx::common::v1::AuditStamp& raised_by,
                                    const std::string& request_id, DeferredEffects* deferred) {
  const absl::Time now = Now();
  auto open = LockOpenObject(tx, household_id);
  if (!open.ok()) return open.status();
  bool duplicate = open->has_value();
  if (!duplicate) {
    auto fresh = lc::NewClue(household_id, village, found_at);
    if (!fresh.ok()) return fresh.status();
    StoredObject created{.object_id = NewId("mo"), .object = *std::move(fresh)};
    auto policy = deferred != nullptr
                      ? EffectiveLifecyclePolicyFrom(deferred->Published(tx), village, now)
                      : EffectivePolicy(tx, village, now);
    if (!policy.ok()) return policy.status();
    const auto deadlines = lc::DueDeadlines(created.object, now, LimitsFromPolicy(*policy));
    if (InsertObjectIfNoneOpen(tx, created, NextDue(deadlines), request_id, now)) {
      if (auto s = RefreshRollup(tx, household_id); !s.ok()) return s;
      *open = std::move(created);
    } else {
      // A concurrent clue opened the object first: record against it.
      duplicate = true;
      open = LockOpenObject(tx, household_id);
      if (!open.ok()) return open.status();
      if (!open->has_value()) {
        return absl::AbortedError("concurrent change of the monitoring object; retry");
      }
    }
  }
  const StoredObject& object = **open;

  v1::Clue clue;
  clue.set_clue_id(NewId("cl"));
  clue.set_household_id(household_id);
  clue.set_object_id(object.object_id);
  clue.set_way(way);
  clue.set_description(description);
  *clue.mutable_found_at() = time::ToProto(found_at);
  *clue.mutable_raised_at() = time::ToProto(now);
  *clue.mutable_raised_by() = raised_by;
  clue.set_object_state(ToProto(object.object.state));
  clue.set_duplicate(duplicate);
  InsertClue(tx, clue, request_id);

  auto payload = std::make_unique<v1::ClueRaised>();
  *payload->mutable_clue() = clue;
  payload->set_village_code(village.str());
  if (deferred != nullptr) {
    deferred->DeferEvent("monitoring.clue_raised", village.str(), household_id, std::move(payload),
                         request_id);
  } else {
    auto event = events::Append(tx, rt.config.instance,
                                {.type = "monitoring.clue_raised",
                                 .division_code = village.str(),
                                 .aggregate_id = household_id,
                                 .payload = payload.get(),
                                 .causation_id = request_id});
    if (!event.ok()) return event.status();
  }
  if (!duplicate) {
    // RULES M12: new monitoring objects per township and county. Last, so
    // the alerts lock is taken after every row lock of this transaction.
    if (deferred != nullptr) {
      deferred->Add(village, /*new_red=*/false, object.object_id);
    } else if (auto s = CheckNewObjectScale(tx, rt, village, object.object_id, request_id);
               !s.ok()) {
      return s;
    }
  }
  return clue;
}

std::unique_ptr<grpc::Service> MakeLifecycleService(server::Runtime& runtime) {
  return std::make_unique<LifecycleServiceImpl>(runtime);
}

// ---- Clues -------------------------------------------------------------------------

grpc::ServerUnaryReactor* LifecycleServiceImpl::RaiseClue(grpc::CallbackServerContext* ctx,
                                                          const v1::RaiseClueRequest* request,
                                                          v1::Clue* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    Validate(*request, Now(), v);
    if (!v.ok()) return v.ToStatus();

    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household =
          AuthorizedHousehold(tx, call, "monitoring.clue.raise", request->household_id());
      if (!household.ok()) return household.status();
      auto village = VillageOf(*household);
      if (!village.ok()) return village.status();
      return idempotency::Run(
          tx, "monitoring.RaiseClue", request->request_id(), *request, *response,
          [&]() -> absl::Status {
            const absl::Time now = Now();
            const absl::Time found_at = request->has_found_at()
                                            ? TruncateToMicros(time::FromProto(request->found_at()))
                                            : now;
            auto clue = RecordClue(tx, rt_, *village, request->household_id(), request->way(),
                                   request->description(), found_at,
                                   server::Stamp(call.principal, now), request->request_id());
            if (!clue.ok()) return clue.status();
            *response = *std::move(clue);
            return absl::OkStatus();
          });
    });
  });
}

// ---- Transitions -----------------------------------------------------------------------

grpc::ServerUnaryReactor* LifecycleServiceImpl::Transition(grpc::CallbackServerContext* ctx,
                                                           lc::ActionKind kind,
                                                           const v1::TransitionRequest* request,
                                                           v1::MonitoringObject* response) {
  return server::Handle(ctx, rt_, [this, kind, request, response](server::CallContext& call) {
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    ValidateTransition(kind, *request, Now(), v);
    if (!v.ok()) return v.ToStatus();
    const std::string method = absl::StrCat("monitoring.", AsAbsl(RpcName(kind)));

    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household = AuthorizedHousehold(tx, call, ActionOf(kind), request->household_id());
      if (!household.ok()) return household.status();
      auto village = VillageOf(*household);
      if (!village.ok()) return village.status();
      return idempotency::Run(
          tx, method, request->request_id(), *request, *response, [&]() -> absl::Status {
            auto open = LockOpenObject(tx, request->household_id());
            if (!open.ok()) return open.status();
            if (!open->has_value()) {
              return absl::FailedPreconditionError(
                  absl::StrCat("household ", request->household_id(),
                               " has no open monitoring object; a clue (线索) must be raised first "
                               "(RaiseClue)"));
            }
            StoredObject& stored = **open;
            const absl::Time now = Now();
            auto policy = EffectivePolicy(tx, *village, now);
            if (!policy.ok()) return policy.status();
            const lc::LifecycleLimits limits = LimitsFromPolicy(*policy);

            if (const auto pending = lc::PendingFollowUp(stored.object, limits);
                kind == lc::ActionKind::kScheduleFollowUp && !request->has_follow_up_due() &&
                pending.has_value()) {
              // A default date would quietly push back a pending (perhaps
              // overdue) re-check: moving one takes the new date.
              return errors::InvalidField(
                  "follow_up_due",
                  absl::StrCat("a follow-up is already due on ", time::FormatRfc3339(*pending),
                               "; moving it needs the new date"));
            }
            lc::Action action = ActionOf(kind, *request, call.principal, now, *policy);
            const absl::CivilDay today = absl::ToCivilDay(now, absl::LocalTimeZone());
            if (kind == lc::ActionKind::kCountyConfirm && action.approve) {
              // The factors that led to identification: the household's
              // assessment at the county decision, which is when it becomes
              // a monitoring object (M7) — after home verification and the
              // data comparison, whatever way the clue came in. Kept on the
              // object for the M9 check. Not assessable: the decision still
              // stands (nothing may keep a household outside the system),
              // and the factors are simply not on record.
              auto fired = FiredFactorKinds(tx, *household, today);
              if (fired.ok()) {
                action.identification_factors = *std::move(fired);
              } else {
                logging::Warn("identification_factors_not_recorded",
                              {{"household_id", request->household_id()},
                               {"reason", std::string(fired.status().message())}});
              }
            }
            if (kind == lc::ActionKind::kProposeElimination ||
                kind == lc::ActionKind::kConfirmElimination) {
              // RULES M9: income stably above the current line, guarantees,
              // no 兜底 household without labour; every reason named, a
              // factor still firing as persisting or new.
              action.elimination_check =
                  EliminationCheck(tx, *household, today, stored.object.identification_factors);
            }
            auto next = lc::Apply(stored.object, action, limits);
            if (!next.ok()) return next.status();
            const std::size_t previous_steps = stored.object.history.size();
            stored.object = *std::move(next);
            const auto deadlines = lc::DueDeadlines(stored.object, now, limits);
            SaveObject(tx, stored, previous_steps, NextDue(deadlines), request->request_id(), now);
            if (auto s = RefreshRollup(tx, stored.object.household_id); !s.ok()) return s;
            if (auto s = AppendStepEvents(tx, rt_, stored, kind, call, request->request_id(), now);
                !s.ok()) {
              return s;
            }
            *response = View(stored, deadlines);
            return absl::OkStatus();
          });
    });
  });
}

absl::StatusOr<v1::AssistanceMeasure> AddMeasureToPlan(pqxx::transaction_base& tx,
                                                       const auth::Principal& principal,
                                                       const division::Code& village,
                                                       const v1::AssistanceMeasure& m,
                                                       const std::string& request_id) {
  auto open = LockOpenObject(tx, m.household_id());
  if (!open.ok()) return open.status();
  if (!open->has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("household ", m.household_id(),
                     " has no monitoring object; measures follow county confirmation (县级审定)"));
  }
  StoredObject& stored = **open;
  const absl::Time now = Now();
  auto policy = EffectivePolicy(tx, village, now);
  if (!policy.ok()) return policy.status();
  const lc::LifecycleLimits limits = LimitsFromPolicy(*policy);
  v1::AssistanceMeasure added = m;
  added.set_measure_id(NewId("am"));
  added.set_object_id(stored.object_id);
  *added.mutable_added() = server::Stamp(principal, now);
  const lc::Action action{.kind = lc::ActionKind::kAddPlan,
                          .actor = lc::ActorOf(principal),
                          .at = now,
                          .reason = m.description(),
                          .plan_id = added.measure_id()};
  auto next = lc::Apply(stored.object, action, limits);
  if (!next.ok()) return next.status();
  const std::size_t previous_steps = stored.object.history.size();
  stored.object = *std::move(next);
  const auto deadlines = lc::DueDeadlines(stored.object, now, limits);
  SaveObject(tx, stored, previous_steps, NextDue(deadlines), request_id, now);
  if (auto s = RefreshRollup(tx, stored.object.household_id); !s.ok()) return s;
  tx.exec_params(
      "INSERT INTO assistance_measures (measure_id, household_id, object_id, kind, "
      "description, linked_record_id, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      added.measure_id(), m.household_id(), stored.object_id, static_cast<int>(m.kind()),
      m.description(), m.linked_record_id(), principal.ToString());
  return added;
}

grpc::ServerUnaryReactor* LifecycleServiceImpl::AddAssistanceMeasure(
    grpc::CallbackServerContext* ctx, const v1::AddAssistanceMeasureRequest* request,
    v1::AssistanceMeasure* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    const v1::AssistanceMeasure& m = request->measure();
    errors::Validator v;
    v.Check("request_id", idempotency::ValidateRequestId(request->request_id()));
    Validate(*request, v);
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household =
          AuthorizedHousehold(tx, call, ActionOf(lc::ActionKind::kAddPlan), m.household_id());
      if (!household.ok()) return household.status();
      auto village = VillageOf(*household);
      if (!village.ok()) return village.status();
      return idempotency::Run(tx, "monitoring.AddAssistanceMeasure", request->request_id(),
                              *request, *response, [&]() -> absl::Status {
                                auto added = AddMeasureToPlan(tx, call.principal, *village, m,
                                                              request->request_id());
                                if (!added.ok()) return added.status();
                                *response = *std::move(added);
                                return absl::OkStatus();
                              });
    });
  });
}

grpc::ServerUnaryReactor* LifecycleServiceImpl::ExportPublicity(
    grpc::CallbackServerContext* ctx, const v1::ExportPublicityRequest* request,
    v1::ExportPublicityResponse* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    auto village = division::Code::Parse(request->village_code());
    if (!village.ok())
      return errors::InvalidField("village_code", std::string(village.status().message()));
    if (village->level() != division::Level::kVillage) {
      return errors::InvalidField("village_code",
                                  "must be a village (村) code: publicity is per village");
    }
    if (auto a = call.Authorize("monitoring.publicity.export", *village); !a.ok()) return a;
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      response->Clear();
      response->set_village_code(village->str());
      auto rows = tx.exec_params(
          "SELECT o.household_id, h.member_count, "
          "(SELECT p.name_masked FROM persons p WHERE p.household_id = o.household_id "
          " ORDER BY p.relation, p.person_id LIMIT 1) "
          "FROM monitoring_objects o JOIN households h USING (household_id) "
          "WHERE o.village_code = $1 AND o.state IN ($2, $3) ORDER BY o.household_id",
          village->str(), std::string(lc::StateName(lc::State::kPublicized)),
          std::string(lc::StateName(lc::State::kEliminationPublicized)));
      for (const auto& row : rows) {
        auto stored = FindLatestObject(tx, row[0].as<std::string>());
        if (!stored.ok()) return stored.status();
        if (!stored->has_value()) continue;
        const lc::MonitoringObject& o = (*stored)->object;
        // Publicity that has ended is awaiting review, not posted any more.
        if (!o.round.publicity_started_at || o.round.publicity_ended_at) continue;
        v1::PublicityEntry* e = response->add_entries();
        e->set_household_id(o.household_id);
        e->set_member_count(row[1].as<int>());
        e->set_head_name(row[2].is_null() ? "" : row[2].as<std::string>());
        const bool elimination = o.state == lc::State::kEliminationPublicized;
        e->set_stage(elimination ? "elimination" : "identification");
        if (elimination && o.object_type) e->set_object_type(ToProto(*o.object_type));
        *e->mutable_publicity_started_at() = time::ToProto(*o.round.publicity_started_at);
      }
      return absl::OkStatus();
    });
  });
}

#define ZX_LIFECYCLE_TRANSITION(Rpc, Kind)                                                  \
  grpc::ServerUnaryReactor* LifecycleServiceImpl::Rpc(grpc::CallbackServerContext* ctx,     \
                                                      const v1::TransitionRequest* request, \
                                                      v1::MonitoringObject* response) {     \
    return Transition(ctx, lc::ActionKind::Kind, request, response);                        \
  }
ZX_LIFECYCLE_TRANSITION(RecordHomeVerification, kRecordHomeVerification)
ZX_LIFECYCLE_TRANSITION(RecordDataComparison, kRecordDataComparison)
ZX_LIFECYCLE_TRANSITION(VillageAssess, kVillageAssess)
ZX_LIFECYCLE_TRANSITION(StartPublicity, kStartPublicity)
ZX_LIFECYCLE_TRANSITION(RecordObjection, kRecordObjection)
ZX_LIFECYCLE_TRANSITION(ResolveObjection, kResolveObjection)
ZX_LIFECYCLE_TRANSITION(EndPublicity, kEndPublicity)
ZX_LIFECYCLE_TRANSITION(TownshipReview, kTownshipReview)
ZX_LIFECYCLE_TRANSITION(CountyConfirm, kCountyConfirm)
ZX_LIFECYCLE_TRANSITION(ProposeElimination, kProposeElimination)
ZX_LIFECYCLE_TRANSITION(ConfirmElimination, kConfirmElimination)
ZX_LIFECYCLE_TRANSITION(ScheduleFollowUp, kScheduleFollowUp)
ZX_LIFECYCLE_TRANSITION(RecordFollowUp, kRecordFollowUp)
ZX_LIFECYCLE_TRANSITION(RejectStep, kReject)
ZX_LIFECYCLE_TRANSITION(CloseClue, kCloseNoRisk)
#undef ZX_LIFECYCLE_TRANSITION

// ---- Reads --------------------------------------------------------------------------------

grpc::ServerUnaryReactor* LifecycleServiceImpl::GetMonitoringObject(
    grpc::CallbackServerContext* ctx, const v1::GetMonitoringObjectRequest* request,
    v1::MonitoringObject* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    if (!IsHouseholdId(request->household_id())) {
      v.Add("household_id", "must look like hh- and 20 hex digits");
    }
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household =
          AuthorizedHousehold(tx, call, "monitoring.object.get", request->household_id());
      if (!household.ok()) return household.status();
      auto village = VillageOf(*household);
      if (!village.ok()) return village.status();
      auto found = FindLatestObject(tx, request->household_id());
      if (!found.ok()) return found.status();
      if (!found->has_value()) {
        return absl::NotFoundError(absl::StrCat("household ", request->household_id(),
                                                " has no monitoring object: no clue was raised"));
      }
      const absl::Time now = Now();
      auto policy = EffectivePolicy(tx, *village, now);
      if (!policy.ok()) return policy.status();
      const lc::LifecycleLimits limits = LimitsFromPolicy(*policy);
      const auto deadlines = lc::DueDeadlines((*found)->object, now, limits);
      *response = View(**found, deadlines);
      // An object eliminated before the decision scheduled the follow-up
      // shows the date it is due by (lifecycle::PendingFollowUp).
      if (const auto pending = lc::PendingFollowUp((*found)->object, limits);
          pending && !response->has_follow_up_due_at()) {
        *response->mutable_follow_up_due_at() = time::ToProto(*pending);
      }
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* LifecycleServiceImpl::GetHouseholdHistory(
    grpc::CallbackServerContext* ctx, const v1::GetHouseholdHistoryRequest* request,
    v1::GetHouseholdHistoryResponse* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    errors::Validator v;
    if (!IsHouseholdId(request->household_id())) {
      v.Add("household_id", "must look like hh- and 20 hex digits");
    }
    if (!v.ok()) return v.ToStatus();
    return pg::WithTransaction(*rt_.pool, call.tx(), [&](pqxx::transaction_base& tx) {
      auto household =
          AuthorizedHousehold(tx, call, "monitoring.history.get", request->household_id());
      if (!household.ok()) return household.status();
      response->Clear();
      response->set_household_id(request->household_id());
      for (auto& step : ListSteps(tx, request->household_id())) {
        *response->add_steps() = std::move(step);
      }
      for (auto& clue : ListClues(tx, request->household_id())) {
        *response->add_clues() = std::move(clue);
      }
      return absl::OkStatus();
    });
  });
}

}  // namespace zx::monitoring
