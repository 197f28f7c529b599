#include "services/monitoring/domain/lifecycle_proto.h"

namespace zx::monitoring {
namespace {

namespace lc = lifecycle;

template <typename Domain>
std::optional<Domain> Shifted(int wire, int max) {
  if (wire < 1 || wire > max) return std::nullopt;
  return static_cast<Domain>(wire - 1);
}

}  // namespace

// ---- Enums --------------------------------------------------------------------

v1::MonitoringObjectState ToProto(lc::State state) {
  return static_cast<v1::MonitoringObjectState>(static_cast<int>(state) + 1);
}
v1::MonitoringObjectType ToProto(lc::ObjectType type) {
  return static_cast<v1::MonitoringObjectType>(static_cast<int>(type) + 1);
}
v1::RiskType ToProto(lc::RiskType risk) {
  return static_cast<v1::RiskType>(static_cast<int>(risk) + 1);
}
v1::LifecycleAction ToProto(lc::ActionKind kind) {
  return static_cast<v1::LifecycleAction>(static_cast<int>(kind) + 1);
}
v1::DeadlineKind ToProto(lc::DeadlineKind kind) {
  return static_cast<v1::DeadlineKind>(static_cast<int>(kind) + 1);
}
std::optional<lc::State> FromProto(v1::MonitoringObjectState state) {
  return Shifted<lc::State>(state, v1::MonitoringObjectState_MAX);
}
std::optional<lc::ObjectType> FromProto(v1::MonitoringObjectType type) {
  return Shifted<lc::ObjectType>(type, v1::MonitoringObjectType_MAX);
}
std::optional<lc::RiskType> FromProto(v1::RiskType risk) {
  return Shifted<lc::RiskType>(risk, v1::RiskType_MAX);
}
std::optional<lc::ActionKind> FromProto(v1::LifecycleAction action) {
  return Shifted<lc::ActionKind>(action, v1::LifecycleAction_MAX);
}

}  // namespace zx::monitoring
