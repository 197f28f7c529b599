// The monitoring policy (监测政策): the monitoring line of the year, the
// four-colour warning thresholds and the time limits of the lifecycle.
//
// Every figure here is a *default* of a versioned policy that a region,
// prefecture or county publishes for a year (RULES M3, M11); nothing in the
// services may hard-code one. A county inherits the policy of its prefecture
// and region unless it publishes its own and the level above allows it.
//
// Ratios are integer per-mille (1200 = 1.2×, 300 = 30%) so that comparisons
// are exact: no floating point touches money or thresholds.
#pragma once

#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/division/division.h"
#include "common/money/money.h"

namespace zx::monitoring {

struct MonitoringPolicy {
  // Unique name of this published version, e.g. "yunnan-2024-1". Stored with
  // every assessment so any colour can be traced to the rules that made it.
  std::string version;
  // The region, prefecture or county that published it.
  division::Code owner;
  // The income year whose monitoring line this is.
  int year = 0;
  // First day the policy applies (may precede `year` when published ahead).
  absl::CivilDay effective_from;
  // When false, prefectures/counties below `owner` cannot replace this policy
  // with their own ("where the policy allows").
  bool allow_lower_level_override = true;

  // --- Monitoring line (监测范围, M3): per-capita net income per year. ---
  // National 2021 default 6,000 yuan; provinces publish higher ones (Yunnan
  // 2024: 8,700 yuan).
  money::Fen monitoring_line_fen = 600000;

  // --- Four-colour warning (四色预警, M11); project defaults from issue 3. ---
  // ORANGE below 1.2× the line, YELLOW below 1.5× the line.
  int orange_line_permille = 1200;
  int yellow_line_permille = 1500;
  // Per-capita net income fell by at least this share against the previous
  // 12-month window: ORANGE at 30%, YELLOW at 15%.
  int orange_income_drop_permille = 300;
  int yellow_income_drop_permille = 150;
  // Compliant rigid out-of-pocket spending at least this share of total
  // income: ORANGE.
  int heavy_rigid_spending_permille = 500;
  // A sudden event (illness, accident, disaster) this many days ago or fewer
  // still counts: ORANGE.
  int sudden_event_days = 90;

  // --- Risk elimination (风险消除, M9). ---
  // Months in a row that the 12-month per-capita net income must have been
  // at or above the current-year line.
  int stable_months_required = 6;
  // Days after elimination before the follow-up re-check (回头看). Project
  // default: no public figure was found.
  int follow_up_days = 180;

  // --- Time limits of the identification and elimination chains (M7, M7a,
  // M9a, M10). Published figures where RULES gives one; the others are
  // project defaults. Together they fill lifecycle::LifecycleLimits. ---
  int publicity_min_days = 5;          // M7: village publicity (公示) lasts at least this long
  int identification_limit_days = 15;  // M7a: clue found -> identification complete
  int township_accept_days = 2;        // M7a: township accepts an app application
  int home_verification_days = 3;      // M7a (2–3 days): clue -> home verification (入户核实)
  int data_comparison_days = 5;        // M7a: county departments' data comparison
  int village_assessment_days = 3;     // project: -> village assessment (民主评议)
  int publicity_start_days = 2;        // project: village assessment -> publicity starts
  int publicity_end_days = 7;          // project: publicity start -> ended (5 + 2 for objections)
  int township_review_days = 5;        // project: publicity ended -> township review
  int county_decision_days = 5;        // project: township review -> county decision
  int plan_missing_days = 30;          // M10: confirmed object still without a measure: error

  // --- Scale return to poverty (规模性返贫, M12). ---
  // Escalate when new RED households, or new monitoring objects, in one
  // township (or one county) within the rolling window reach the count
  // (domain/alerts.h). Project defaults: no public figure was found.
  int scale_window_days = 30;
  int scale_township_new_red = 10;
  int scale_county_new_red = 50;
  int scale_township_new_objects = 10;
  int scale_county_new_objects = 50;
};

// The national defaults above, published by `owner` (normally a region) for
// `year`, effective from 1 January of that year, version
// "national-default-<year>".
MonitoringPolicy DefaultPolicy(const division::Code& owner, int year);

// INVALID_ARGUMENT naming every field that makes no sense (line not positive,
// orange band not below the yellow band, owner below county level, ...), with
// the fields as google.rpc.BadRequest violations.
absl::Status Validate(const MonitoringPolicy& policy);

// The policy that applies to `division` (any level) for income year `year` on
// `date`: among `published`, those for `year` whose owner is `division` or one
// of its ancestors and whose effective_from is on or before `date`; for each
// owner the latest-effective one; then the most specific owner wins unless a
// level above forbids lower-level overrides.
//
// NOT_FOUND when no policy applies: silently falling back to the national
// 2021 line could under-state a province's higher line and miss households.
// FAILED_PRECONDITION when one owner has two versions effective the same day
// (the store should have refused the second).
absl::StatusOr<MonitoringPolicy> ResolvePolicy(std::span<const MonitoringPolicy> published,
                                               const division::Code& division, int year,
                                               absl::CivilDay date);

}  // namespace zx::monitoring
