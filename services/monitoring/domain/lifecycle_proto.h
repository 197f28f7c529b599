// The lifecycle enums between the domain (services/monitoring/domain/
// lifecycle.h) and the wire (zx.monitoring.v1): each wire value is the domain
// value + 1, 0 being UNSPECIFIED. Pure, shared by the store, the handlers and
// the request checks.
#pragma once

#include <optional>

#include "services/monitoring/domain/lifecycle.h"
#include "zx/monitoring/v1/lifecycle.pb.h"

namespace zx::monitoring {

// ---- Enum mapping (domain <-> wire) -------------------------------------------
v1::MonitoringObjectState ToProto(lifecycle::State state);
v1::MonitoringObjectType ToProto(lifecycle::ObjectType type);
v1::RiskType ToProto(lifecycle::RiskType risk);
v1::LifecycleAction ToProto(lifecycle::ActionKind kind);
v1::DeadlineKind ToProto(lifecycle::DeadlineKind kind);
// nullopt for UNSPECIFIED or an unknown value.
std::optional<lifecycle::State> FromProto(v1::MonitoringObjectState state);
std::optional<lifecycle::ObjectType> FromProto(v1::MonitoringObjectType type);
std::optional<lifecycle::RiskType> FromProto(v1::RiskType risk);
std::optional<lifecycle::ActionKind> FromProto(v1::LifecycleAction action);

}  // namespace zx::monitoring
