#include "services/monitoring/domain/alerts.h"

#include "absl/strings/str_cat.h"
#include "common/base/strings.h"
#include "common/time/time.h"

namespace zx::monitoring::alerts {
namespace {

namespace lc = lifecycle;

std::string_view DeadlineZh(lc::DeadlineKind kind) {
  switch (kind) {
    case lc::DeadlineKind::kIdentification:
      return "识别认定";
    case lc::DeadlineKind::kHomeVerification:
      return "入户核实";
    case lc::DeadlineKind::kDataComparison:
      return "部门数据比对";
    case lc::DeadlineKind::kVillageAssessment:
      return "村级民主评议";
    case lc::DeadlineKind::kPublicityStart:
      return "公示开始";
    case lc::DeadlineKind::kPublicityEnd:
      return "公示结束";
    case lc::DeadlineKind::kTownshipReview:
      return "乡镇审核";
    case lc::DeadlineKind::kCountyDecision:
      return "县级审定";
    case lc::DeadlineKind::kPlanMissing:
      return "一户一策帮扶措施";
    case lc::DeadlineKind::kFollowUp:
      return "回头看";
  }
  return "时限";
}

std::string Day(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M", t, absl::LocalTimeZone());
}

}  // namespace

std::string_view ScaleMetricName(ScaleMetric metric) {
  switch (metric) {
    case ScaleMetric::kNewRed:
      return "new_red";
    case ScaleMetric::kNewObjects:
      return "new_objects";
  }
  return "unknown";
}

std::vector<DeadlineAlert> OverdueAlerts(const std::vector<lc::Deadline>& deadlines) {
  std::vector<DeadlineAlert> out;
  for (const lc::Deadline& d : deadlines) {
    if (!d.overdue) continue;
    out.push_back(DeadlineAlert{.kind = d.kind == lc::DeadlineKind::kPlanMissing
                                            ? AlertKind::kPlanMissing
                                            : AlertKind::kOverdueStep,
                                .deadline = d});
  }
  return out;
}

std::optional<absl::Time> NextScanAt(const std::vector<lc::Deadline>& deadlines) {
  std::optional<absl::Time> next;
  for (const lc::Deadline& d : deadlines) {
    if (d.overdue) continue;
    if (!next || d.due_at < *next) next = d.due_at;
  }
  return next;
}

int ScaleThreshold(const MonitoringPolicy& policy, ScaleMetric metric, division::Level level) {
  const bool red = metric == ScaleMetric::kNewRed;
  switch (level) {
    case division::Level::kTownship:
      return red ? policy.scale_township_new_red : policy.scale_township_new_objects;
    case division::Level::kCounty:
      return red ? policy.scale_county_new_red : policy.scale_county_new_objects;
    default:
      return 0;
  }
}

absl::Time ScaleWindowStart(absl::Time now, int window_days) {
  return now - absl::Hours(24) * window_days;
}

bool ShouldRaiseScaleWarning(int64_t count, int threshold,
                             std::optional<absl::Time> last_warning_at, absl::Time now,
                             int window_days) {
  return count >= threshold && ScaleCountNeeded(threshold, last_warning_at, now, window_days);
}

bool ScaleCountNeeded(int threshold, std::optional<absl::Time> last_warning_at, absl::Time now,
                      int window_days) {
  if (threshold <= 0) return false;
  // A previous warning still inside the window covers any count.
  return !last_warning_at || *last_warning_at < ScaleWindowStart(now, window_days);
}

std::string NewRedKey(const std::string& household_id, absl::Time assessed_at) {
  return absl::StrCat("new_red:", household_id, ":", absl::ToUnixMicros(assessed_at));
}

std::string DeadlineKey(const std::string& object_id, lc::DeadlineKind kind, absl::Time due_at) {
  return absl::StrCat("deadline:", object_id, ":", AsAbsl(lc::DeadlineKindName(kind)), ":",
                      absl::ToUnixMicros(due_at));
}

std::string ScaleKey(ScaleMetric metric, const division::Code& division,
                     const std::string& trigger) {
  return absl::StrCat("scale:", AsAbsl(ScaleMetricName(metric)), ":", division.str(), ":", trigger);
}

Detail DescribeNewRed(const std::string& household_id, const std::string& summary_zh) {
  Detail d;
  d.zh = absl::StrCat("农户 ", household_id, " 预警等级转为红色");
  if (!summary_zh.empty()) absl::StrAppend(&d.zh, "：", summary_zh);
  d.en = absl::StrCat("household ", household_id, " turned RED");
  return d;
}

Detail DescribeDeadline(const DeadlineAlert& alert, const std::string& household_id) {
  const lc::Deadline& dl = alert.deadline;
  const std::string due = Day(dl.due_at);
  Detail d;
  if (alert.kind == AlertKind::kPlanMissing) {
    d.zh = absl::StrCat("农户 ", household_id, " 县级审定后逾期未制定一户一策帮扶措施（应于 ", due,
                        " 前）");
    d.en = absl::StrCat("household ", household_id,
                        ": no assistance measure since county confirmation (due by ", due,
                        ", RULES M10)");
  } else {
    d.zh = absl::StrCat("农户 ", household_id, " 的", AsAbsl(DeadlineZh(dl.kind)),
                        "已超过时限（应于 ", due, " 前完成）");
    d.en = absl::StrCat("household ", household_id, ": ", AsAbsl(lc::DeadlineKindName(dl.kind)),
                        " overdue (due by ", due, ")");
  }
  return d;
}

Detail DescribeScale(ScaleMetric metric, const division::Code& division, int64_t count,
                     int threshold, int window_days) {
  const bool red = metric == ScaleMetric::kNewRed;
  const bool township = division.level() == division::Level::kTownship;
  Detail d;
  d.zh = absl::StrCat(township ? "乡镇 " : "县 ", division.str(), " 近 ", window_days, " 天新增",
                      red ? "红色预警户 " : "监测对象 ", count, " 户，达到规模性返贫预警阈值 ",
                      threshold, " 户，请上报");
  d.en = absl::StrCat(township ? "township " : "county ", division.str(), ": ", count,
                      red ? " households turned RED" : " new monitoring objects", " in the last ",
                      window_days, " days, reaching the scale-warning threshold of ", threshold,
                      " (RULES M12); escalate");
  return d;
}

}  // namespace zx::monitoring::alerts
