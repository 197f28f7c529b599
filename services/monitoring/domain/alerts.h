// The pure rules of alerts (预警): which lifecycle deadlines raise an alert and
// of which kind, when the deadline scheduler must look at an object again,
// the M12 scale-warning decision (规模性返贫), the de-duplication keys that
// make raising an alert twice a no-op, and the bilingual texts. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/division/division.h"
#include "services/monitoring/domain/lifecycle.h"
#include "services/monitoring/domain/policy.h"

namespace zx::monitoring::alerts {

// Same order and meaning as zx.monitoring.v1.AlertKind (wire value = index + 1).
enum class AlertKind {
  kNewRed,
  kOverdueStep,
  kPlanMissing,
  kScaleWarning,
  kCreditOverdue,  // reserved: micro-credit instalments
};

// Same order as zx.monitoring.v1.ScaleMetric (wire value = index + 1).
enum class ScaleMetric {
  kNewRed,
  kNewObjects,
};
std::string_view ScaleMetricName(ScaleMetric metric);  // "new_red", "new_objects"

// ---- Deadlines (M7a, M10) -------------------------------------------------

// An alert a passed deadline calls for.
struct DeadlineAlert {
  AlertKind kind;  // kPlanMissing for lifecycle::DeadlineKind::kPlanMissing, else kOverdueStep
  lifecycle::Deadline deadline;
};

// The alerts due for `deadlines` (lifecycle::DueDeadlines at the same `now`):
// one per deadline that has passed (Deadline::overdue: now > due_at).
std::vector<DeadlineAlert> OverdueAlerts(const std::vector<lifecycle::Deadline>& deadlines);

// When the scheduler must look at the object again: the earliest deadline
// that has not passed yet, nullopt when every pending deadline has passed
// (and was alerted) or none is pending. A passed deadline is never a reason
// to look again: its alert is raised once, and the object's next transition
// recomputes its deadlines (lifecycle::DueDeadlines) anyway.
std::optional<absl::Time> NextScanAt(const std::vector<lifecycle::Deadline>& deadlines);

// ---- Scale warnings (M12) --------------------------------------------------

// The policy's threshold for `metric` at `level` (township or county); 0 for
// any other level (no scale warning is kept there).
int ScaleThreshold(const MonitoringPolicy& policy, ScaleMetric metric, division::Level level);

// The first instant inside the rolling window ending at `now`.
absl::Time ScaleWindowStart(absl::Time now, int window_days);

// Whether to raise a scale warning now. `count` is the number of new RED
// households (or new objects) inside the window ending at `now`, including
// the one just recorded; `last_warning_at` is the previous warning of the
// same division and metric, if any.
//
// Raised when the count reaches the threshold (count >= threshold: exactly
// at the threshold is a warning) and no warning of the same division and
// metric was raised within the window. So the first warning comes exactly
// when the count reaches the threshold; while it stays at or above, one
// warning per window, never one per household.
bool ShouldRaiseScaleWarning(int64_t count, int threshold,
                             std::optional<absl::Time> last_warning_at, absl::Time now,
                             int window_days);

// Whether the count can matter: false when ShouldRaiseScaleWarning is false
// whatever the count (no threshold at this level, or a warning inside the
// window already covers it), so the caller need not count. Counting a
// county's window is the expensive part of the check.
bool ScaleCountNeeded(int threshold, std::optional<absl::Time> last_warning_at, absl::Time now,
                      int window_days);

// ---- De-duplication keys ----------------------------------------------------
// One alert per key, ever (a unique index). The keys name everything that
// makes two alerts different, so a repeat of the same cause is a no-op.

// Per household and assessment time: the same colour change is not alerted
// twice, a household that turns RED again later is.
std::string NewRedKey(const std::string& household_id, absl::Time assessed_at);
// Per object, deadline kind and due time: a deadline that moves (a new round
// after a rejection) is a new deadline.
std::string DeadlineKey(const std::string& object_id, lifecycle::DeadlineKind kind,
                        absl::Time due_at);
// Per division, metric and triggering event (the new RED alert, or the new
// object): each event is counted once; ShouldRaiseScaleWarning spaces them.
std::string ScaleKey(ScaleMetric metric, const division::Code& division,
                     const std::string& trigger);

// ---- Texts ----------------------------------------------------------------

struct Detail {
  std::string zh;
  std::string en;
};

Detail DescribeNewRed(const std::string& household_id, const std::string& summary_zh);
Detail DescribeDeadline(const DeadlineAlert& alert, const std::string& household_id);
Detail DescribeScale(ScaleMetric metric, const division::Code& division, int64_t count,
                     int threshold, int window_days);

}  // namespace zx::monitoring::alerts
