#include "services/monitoring/store/object_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/strings.h"
#include "common/time/time.h"

namespace zx::monitoring {
namespace {

namespace lc = lifecycle;

// The wire enums are the domain enums shifted by one (0 is UNSPECIFIED);
// these pin both ends so that a value added on one side only fails to build.
static_assert(static_cast<int>(lc::State::kClosedNoRisk) + 1 ==
              v1::MONITORING_OBJECT_STATE_CLOSED_NO_RISK);
static_assert(v1::MonitoringObjectState_MAX == v1::MONITORING_OBJECT_STATE_CLOSED_NO_RISK);
static_assert(static_cast<int>(lc::ObjectType::kSuddenHardship) + 1 ==
              v1::MONITORING_OBJECT_TYPE_SUDDEN_HARDSHIP);
static_assert(v1::MonitoringObjectType_MAX == v1::MONITORING_OBJECT_TYPE_SUDDEN_HARDSHIP);
static_assert(static_cast<int>(lc::RiskType::kOther) + 1 == v1::RISK_TYPE_OTHER);
static_assert(v1::RiskType_MAX == v1::RISK_TYPE_OTHER);
static_assert(static_cast<int>(lc::ActionKind::kCloseNoRisk) + 1 ==
              v1::LIFECYCLE_ACTION_CLOSE_NO_RISK);
static_assert(v1::LifecycleAction_MAX == v1::LIFECYCLE_ACTION_CLOSE_NO_RISK);
static_assert(static_cast<int>(lc::DeadlineKind::kFollowUp) + 1 == v1::DEADLINE_KIND_FOLLOW_UP);
static_assert(v1::DeadlineKind_MAX == v1::DEADLINE_KIND_FOLLOW_UP);

// Microseconds since the epoch, as every timestamp column is read and
// written: exactly what PostgreSQL keeps.
std::string AtMicros(int param) {
  return absl::StrCat("('epoch'::timestamptz + $", param, " * interval '1 microsecond')");
}

std::string SelectMicros(std::string_view column) {
  return absl::StrCat("(EXTRACT(EPOCH FROM ", AsAbsl(column), ") * 1000000)::bigint");
}

pqxx::binarystring Bytes(const std::string& s) { return pqxx::binarystring(s.data(), s.size()); }

// Sets a message field only when the time is known: calling mutable_x()
// alone would mark the field present.
template <typename Msg>
void SetTime(Msg& msg, google::protobuf::Timestamp* (Msg::*mutable_field)(),
             const std::optional<absl::Time>& t) {
  if (t) *(msg.*mutable_field)() = time::ToProto(*t);
}

std::optional<absl::Time> OptionalTime(bool has, const google::protobuf::Timestamp& t) {
  if (!has) return std::nullopt;
  return time::FromProto(t);
}

zx::common::v1::AuditStamp Stamp(const lc::Actor& actor, absl::Time at) {
  zx::common::v1::AuditStamp s;
  s.set_user_id(actor.user_id);
  s.set_role(std::string(auth::RoleName(actor.role)));
  s.set_division_code(actor.division.str());
  *s.mutable_at() = time::ToProto(at);
  return s;
}

absl::StatusOr<lc::Step> StepFromProto(const v1::HistoryStep& p) {
  const auto from = FromProto(p.from_state());
  const auto to = FromProto(p.to_state());
  const auto action = FromProto(p.action());
  if (!from || !to || !action) return absl::InvalidArgumentError("step with an unknown enum");
  auto role = auth::ParseRole(p.actor().role());
  if (!role.ok()) return role.status();
  auto division = division::Code::Parse(p.actor().division_code());
  if (!division.ok()) return division.status();
  return lc::Step{.from = *from,
                  .to = *to,
                  .action = *action,
                  .actor = lc::Actor{.user_id = p.actor().user_id(),
                                     .role = *role,
                                     .division = *std::move(division)},
                  .at = time::FromProto(p.actor().at()),
                  .reason = p.reason(),
                  .approved = !p.rejected(),
                  .detail = p.detail()};
}

absl::StatusOr<StoredObject> ParseRow(const pqxx::field& object_id, const pqxx::field& snapshot) {
  v1::MonitoringObjectSnapshot s;
  if (!s.ParseFromString(pqxx::binarystring(snapshot).str())) {
    return absl::InternalError(
        absl::StrCat("stored snapshot of monitoring object ", object_id.c_str(), " is unreadable"));
  }
  auto object = FromSnapshot(s);
  if (!object.ok()) {
    return absl::InternalError(absl::StrCat("stored snapshot of monitoring object ",
                                            object_id.c_str(),
                                            " is invalid: ", object.status().message()));
  }
  return StoredObject{.object_id = object_id.as<std::string>(), .object = *std::move(object)};
}

void InsertSteps(pqxx::transaction_base& tx, const StoredObject& stored, std::size_t from,
                 const std::string& request_id) {
  const auto& history = stored.object.history;
  for (std::size_t i = from; i < history.size(); ++i) {
    const lc::Step& step = history[i];
    tx.exec_params(
        absl::StrCat("INSERT INTO object_steps (object_id, household_id, sequence, action, "
                     "from_state, to_state, actor_user_id, actor_role, actor_division, at, "
                     "reason, approved, detail, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                     "$8, $9, ",
                     AtMicros(10), ", $11, $12, $13, $14)"),
        stored.object_id, stored.object.household_id, static_cast<int>(i) + 1,
        std::string(lc::ActionName(step.action)), std::string(lc::StateName(step.from)),
        std::string(lc::StateName(step.to)), step.actor.user_id,
        std::string(auth::RoleName(step.actor.role)), step.actor.division.str(),
        absl::ToUnixMicros(step.at), step.reason, step.approved, step.detail, request_id);
  }
}

std::optional<std::string> ObjectTypeColumn(const lc::MonitoringObject& o) {
  if (!o.object_type) return std::nullopt;
  return std::string(lc::ObjectTypeName(*o.object_type));
}

std::optional<int64_t> MicrosOrNull(const std::optional<absl::Time>& t) {
  if (!t) return std::nullopt;
  return absl::ToUnixMicros(*t);
}

constexpr char kObjectColumns[] = "object_id, snapshot";

absl::StatusOr<std::optional<StoredObject>> FirstObject(const pqxx::result& rows) {
  if (rows.empty()) return std::optional<StoredObject>();
  auto parsed = ParseRow(rows[0][0], rows[0][1]);
  if (!parsed.ok()) return parsed.status();
  return std::optional<StoredObject>(*std::move(parsed));
}

}  // namespace

// ---- Conversion -------------------------------------------------------------------

v1::MonitoringObject ToApi(const std::string& object_id, const lc::MonitoringObject& o) {
  v1::MonitoringObject p;
  p.set_object_id(object_id);
  p.set_household_id(o.household_id);
  p.set_village_code(o.village.str());
  p.set_state(ToProto(o.state));
  p.set_state_label(lc::StateLabel(o.state));
  *p.mutable_clue_found_at() = time::ToProto(o.clue_found_at);

  const lc::ReviewRound& r = o.round;
  *p.mutable_round_started_at() = time::ToProto(r.started_at);
  SetTime(p, &v1::MonitoringObject::mutable_home_verified_at, r.home_verified_at);
  p.set_household_consented(r.household_consented);
  SetTime(p, &v1::MonitoringObject::mutable_data_compared_at, r.data_compared_at);
  SetTime(p, &v1::MonitoringObject::mutable_village_assessed_at, r.village_assessed_at);
  SetTime(p, &v1::MonitoringObject::mutable_publicity_started_at, r.publicity_started_at);
  SetTime(p, &v1::MonitoringObject::mutable_publicity_ended_at, r.publicity_ended_at);
  for (const lc::Objection& obj : r.objections) {
    v1::Objection* out = p.add_objections();
    out->set_objection_id(obj.id);
    out->set_text(obj.text);
    out->set_recorded_by(obj.recorded_by);
    *out->mutable_recorded_at() = time::ToProto(obj.recorded_at);
    if (obj.resolved) {
      out->set_outcome(obj.upheld ? v1::OBJECTION_OUTCOME_UPHELD : v1::OBJECTION_OUTCOME_DISMISSED);
    }
    out->set_resolution(obj.resolution);
    SetTime(*out, &v1::Objection::mutable_resolved_at, obj.resolved_at);
  }
  SetTime(p, &v1::MonitoringObject::mutable_township_reviewed_at, r.township_reviewed_at);

  if (o.object_type) p.set_object_type(ToProto(*o.object_type));
  for (lc::RiskType risk : o.risk_types) p.add_risk_types(ToProto(risk));
  SetTime(p, &v1::MonitoringObject::mutable_confirmed_at, o.confirmed_at);
  if (o.identification_factors) {
    v1::FactorKinds* factors = p.mutable_identification_factors();  // present, maybe empty
    for (FactorKind kind : *o.identification_factors) {
      factors->add_kinds(std::string(FactorKindName(kind)));
    }
  }
  for (const std::string& plan : o.plan_ids) p.add_plan_ids(plan);
  SetTime(p, &v1::MonitoringObject::mutable_eliminated_at, o.eliminated_at);
  SetTime(p, &v1::MonitoringObject::mutable_follow_up_due_at, o.follow_up_due_at);
  SetTime(p, &v1::MonitoringObject::mutable_last_follow_up_at, o.last_follow_up_at);
  p.set_step_count(static_cast<int>(o.history.size()));
  return p;
}

v1::HistoryStep ToApi(const std::string& object_id, int sequence, const lc::Step& step) {
  v1::HistoryStep p;
  p.set_object_id(object_id);
  p.set_sequence(sequence);
  p.set_action(ToProto(step.action));
  p.set_from_state(ToProto(step.from));
  p.set_to_state(ToProto(step.to));
  *p.mutable_actor() = Stamp(step.actor, step.at);
  p.set_reason(step.reason);
  p.set_rejected(!step.approved);
  p.set_detail(step.detail);
  return p;
}

v1::Deadline ToApi(const lc::Deadline& deadline) {
  v1::Deadline p;
  p.set_kind(ToProto(deadline.kind));
  *p.mutable_due_at() = time::ToProto(deadline.due_at);
  p.set_overdue(deadline.overdue);
  p.set_awaited(ToProto(deadline.awaited));
  return p;
}

v1::MonitoringObjectSnapshot ToSnapshot(const std::string& object_id,
                                        const lc::MonitoringObject& object) {
  v1::MonitoringObjectSnapshot s;
  *s.mutable_object() = ToApi(object_id, object);
  for (std::size_t i = 0; i < object.history.size(); ++i) {
    *s.add_history() = ToApi(object_id, static_cast<int>(i) + 1, object.history[i]);
  }
  return s;
}

absl::StatusOr<lc::MonitoringObject> FromSnapshot(const v1::MonitoringObjectSnapshot& s) {
  const v1::MonitoringObject& p = s.object();
  auto village = division::Code::Parse(p.village_code());
  if (!village.ok()) return village.status();
  auto object = lc::NewClue(p.household_id(), *village, time::FromProto(p.clue_found_at()));
  if (!object.ok()) return object.status();
  lc::MonitoringObject& o = *object;
  const auto state = FromProto(p.state());
  if (!state) return absl::InvalidArgumentError(absl::StrCat("unknown state ", p.state()));
  o.state = *state;

  lc::ReviewRound& r = o.round;
  r.started_at = time::FromProto(p.round_started_at());
  r.home_verified_at = OptionalTime(p.has_home_verified_at(), p.home_verified_at());
  r.household_consented = p.household_consented();
  r.data_compared_at = OptionalTime(p.has_data_compared_at(), p.data_compared_at());
  r.village_assessed_at = OptionalTime(p.has_village_assessed_at(), p.village_assessed_at());
  r.publicity_started_at = OptionalTime(p.has_publicity_started_at(), p.publicity_started_at());
  r.publicity_ended_at = OptionalTime(p.has_publicity_ended_at(), p.publicity_ended_at());
  for (const v1::Objection& obj : p.objections()) {
    r.objections.push_back(
        lc::Objection{.id = obj.objection_id(),
                      .text = obj.text(),
                      .recorded_by = obj.recorded_by(),
                      .recorded_at = time::FromProto(obj.recorded_at()),
                      .resolved = obj.outcome() != v1::OBJECTION_OUTCOME_UNSPECIFIED,
                      .upheld = obj.outcome() == v1::OBJECTION_OUTCOME_UPHELD,
                      .resolution = obj.resolution(),
                      .resolved_at = OptionalTime(obj.has_resolved_at(), obj.resolved_at())});
  }
  r.township_reviewed_at = OptionalTime(p.has_township_reviewed_at(), p.township_reviewed_at());

  if (p.object_type() != v1::MONITORING_OBJECT_TYPE_UNSPECIFIED) {
    o.object_type = FromProto(p.object_type());
    if (!o.object_type) return absl::InvalidArgumentError("unknown object type");
  }
  for (int risk : p.risk_types()) {
    const auto r2 = FromProto(static_cast<v1::RiskType>(risk));
    if (!r2) return absl::InvalidArgumentError(absl::StrCat("unknown risk type ", risk));
    o.risk_types.push_back(*r2);
  }
  o.confirmed_at = OptionalTime(p.has_confirmed_at(), p.confirmed_at());
  if (p.has_identification_factors()) {
    std::vector<FactorKind> factors;
    bool all_known = true;
    for (const std::string& name : p.identification_factors().kinds()) {
      const std::optional<FactorKind> kind = ParseFactorKind(name);
      all_known = all_known && kind.has_value();
      if (kind) factors.push_back(*kind);
    }
    // A kind this build does not know (written by a newer one): the record
    // is treated as absent rather than failing the read, which would stall
    // the deadline scheduler on this object. M9 then says "still present".
    if (all_known) o.identification_factors = std::move(factors);
  }
  o.plan_ids.assign(p.plan_ids().begin(), p.plan_ids().end());
  o.eliminated_at = OptionalTime(p.has_eliminated_at(), p.eliminated_at());
  o.follow_up_due_at = OptionalTime(p.has_follow_up_due_at(), p.follow_up_due_at());
  o.last_follow_up_at = OptionalTime(p.has_last_follow_up_at(), p.last_follow_up_at());
  for (const v1::HistoryStep& step : s.history()) {
    auto parsed = StepFromProto(step);
    if (!parsed.ok()) return parsed.status();
    o.history.push_back(*std::move(parsed));
  }
  return object;
}

// ---- Storage ---------------------------------------------------------------------------

absl::StatusOr<std::optional<StoredObject>> LockOpenObject(pqxx::transaction_base& tx,
                                                           const std::string& household_id) {
  return FirstObject(tx.exec_params(absl::StrCat("SELECT ", kObjectColumns,
                                                 " FROM monitoring_objects WHERE household_id = $1 "
                                                 "AND state <> 'closed_no_risk' FOR UPDATE"),
                                    household_id));
}

absl::StatusOr<std::optional<StoredObject>> FindLatestObject(pqxx::transaction_base& tx,
                                                             const std::string& household_id) {
  return FirstObject(tx.exec_params(
      absl::StrCat("SELECT ", kObjectColumns,
                   " FROM monitoring_objects WHERE household_id = $1 "
                   "ORDER BY (state <> 'closed_no_risk') DESC, created_at DESC, object_id LIMIT 1"),
      household_id));
}

bool InsertObjectIfNoneOpen(pqxx::transaction_base& tx, const StoredObject& stored,
                            std::optional<absl::Time> next_due_at, const std::string& request_id,
                            absl::Time now) {
  const lc::MonitoringObject& o = stored.object;
  const std::string bytes = ToSnapshot(stored.object_id, o).SerializeAsString();
  auto inserted = tx.exec_params(
      absl::StrCat("INSERT INTO monitoring_objects (object_id, household_id, village_code, state, "
                   "object_type, step_count, next_due_at, snapshot, created_at, updated_at) "
                   "VALUES ($1, $2, $3, $4, $5, $6, ",
                   AtMicros(7), ", $8, ", AtMicros(9), ", ", AtMicros(9),
                   ") ON CONFLICT (household_id) WHERE state <> 'closed_no_risk' DO NOTHING "
                   "RETURNING object_id"),
      stored.object_id, o.household_id, o.village.str(), std::string(lc::StateName(o.state)),
      ObjectTypeColumn(o), static_cast<int>(o.history.size()), MicrosOrNull(next_due_at),
      Bytes(bytes), absl::ToUnixMicros(now));
  if (inserted.empty()) return false;
  InsertSteps(tx, stored, 0, request_id);
  return true;
}

void SaveObject(pqxx::transaction_base& tx, const StoredObject& stored, std::size_t previous_steps,
                std::optional<absl::Time> next_due_at, const std::string& request_id,
                absl::Time now) {
  const lc::MonitoringObject& o = stored.object;
  const std::string bytes = ToSnapshot(stored.object_id, o).SerializeAsString();
  tx.exec_params(absl::StrCat("UPDATE monitoring_objects SET state = $2, object_type = $3, "
                              "step_count = $4, next_due_at = ",
                              AtMicros(5), ", snapshot = $6, updated_at = ", AtMicros(7),
                              " WHERE object_id = $1"),
                 stored.object_id, std::string(lc::StateName(o.state)), ObjectTypeColumn(o),
                 static_cast<int>(o.history.size()), MicrosOrNull(next_due_at), Bytes(bytes),
                 absl::ToUnixMicros(now));
  InsertSteps(tx, stored, previous_steps, request_id);
}

void InsertClue(pqxx::transaction_base& tx, const v1::Clue& clue, const std::string& request_id) {
  const auto state = FromProto(clue.object_state());
  tx.exec_params(
      absl::StrCat("INSERT INTO clues (clue_id, household_id, object_id, way, description, "
                   "found_at, raised_at, raised_by_user, raised_by_role, raised_by_division, "
                   "duplicate, object_state, request_id) VALUES ($1, $2, $3, $4, $5, ",
                   AtMicros(6), ", ", AtMicros(7), ", $8, $9, $10, $11, $12, $13)"),
      clue.clue_id(), clue.household_id(), clue.object_id(), static_cast<int>(clue.way()),
      clue.description(), absl::ToUnixMicros(time::FromProto(clue.found_at())),
      absl::ToUnixMicros(time::FromProto(clue.raised_at())), clue.raised_by().user_id(),
      clue.raised_by().role(), clue.raised_by().division_code(), clue.duplicate(),
      std::string(state ? lc::StateName(*state) : "unknown"), request_id);
}

std::vector<v1::HistoryStep> ListSteps(pqxx::transaction_base& tx,
                                       const std::string& household_id) {
  auto rows = tx.exec_params(
      absl::StrCat("SELECT object_id, sequence, action, from_state, to_state, actor_user_id, "
                   "actor_role, actor_division, ",
                   SelectMicros("at"),
                   ", reason, approved, detail FROM object_steps WHERE household_id = $1 "
                   "ORDER BY at, step_id"),
      household_id);
  std::vector<v1::HistoryStep> out;
  out.reserve(rows.size());
  const auto state_of = [](const pqxx::field& f) {
    auto s = lc::ParseState(f.as<std::string>());
    return s.ok() ? ToProto(*s) : v1::MONITORING_OBJECT_STATE_UNSPECIFIED;
  };
  // Action names are few; map them through the domain's names.
  const auto action_of = [](const std::string& name) {
    for (int a = 1; a <= v1::LifecycleAction_MAX; ++a) {
      const auto kind = *FromProto(static_cast<v1::LifecycleAction>(a));
      if (lc::ActionName(kind) == name) return static_cast<v1::LifecycleAction>(a);
    }
    return v1::LIFECYCLE_ACTION_UNSPECIFIED;
  };
  for (const auto& row : rows) {
    v1::HistoryStep& p = out.emplace_back();
    p.set_object_id(row[0].as<std::string>());
    p.set_sequence(row[1].as<int>());
    p.set_action(action_of(row[2].as<std::string>()));
    p.set_from_state(state_of(row[3]));
    p.set_to_state(state_of(row[4]));
    p.mutable_actor()->set_user_id(row[5].as<std::string>());
    p.mutable_actor()->set_role(row[6].as<std::string>());
    p.mutable_actor()->set_division_code(row[7].as<std::string>());
    *p.mutable_actor()->mutable_at() = time::ToProto(absl::FromUnixMicros(row[8].as<int64_t>()));
    p.set_reason(row[9].as<std::string>());
    p.set_rejected(!row[10].as<bool>());
    p.set_detail(row[11].as<std::string>());
  }
  return out;
}

std::vector<v1::Clue> ListClues(pqxx::transaction_base& tx, const std::string& household_id) {
  auto rows = tx.exec_params(
      absl::StrCat("SELECT clue_id, object_id, way, description, ", SelectMicros("found_at"), ", ",
                   SelectMicros("raised_at"),
                   ", raised_by_user, raised_by_role, raised_by_division, duplicate, object_state "
                   "FROM clues WHERE household_id = $1 ORDER BY raised_at, clue_id"),
      household_id);
  std::vector<v1::Clue> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    v1::Clue& c = out.emplace_back();
    c.set_clue_id(row[0].as<std::string>());
    c.set_household_id(household_id);
    c.set_object_id(row[1].as<std::string>());
    c.set_way(static_cast<v1::ClueWay>(row[2].as<int>()));
    c.set_description(row[3].as<std::string>());
    *c.mutable_found_at() = time::ToProto(absl::FromUnixMicros(row[4].as<int64_t>()));
    const absl::Time raised_at = absl::FromUnixMicros(row[5].as<int64_t>());
    *c.mutable_raised_at() = time::ToProto(raised_at);
    c.mutable_raised_by()->set_user_id(row[6].as<std::string>());
    c.mutable_raised_by()->set_role(row[7].as<std::string>());
    c.mutable_raised_by()->set_division_code(row[8].as<std::string>());
    *c.mutable_raised_by()->mutable_at() = time::ToProto(raised_at);
    c.set_duplicate(row[9].as<bool>());
    auto state = lc::ParseState(row[10].as<std::string>());
    c.set_object_state(state.ok() ? ToProto(*state) : v1::MONITORING_OBJECT_STATE_UNSPECIFIED);
  }
  return out;
}

}  // namespace zx::monitoring
