#include "services/monitoring/domain/policy.h"

#include <array>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/base/strings.h"
#include "common/errors/errors.h"

namespace zx::monitoring {
namespace {

constexpr int kMinYear = 2000;
constexpr int kMaxYear = 2100;

// Takes the field name as a literal so the common, valid case allocates
// nothing: Assess validates its policy for every household of a bulk run.
void RequirePositive(const char* field, int value, errors::Validator& v) {
  if (value <= 0) v.Add(field, absl::StrCat("must be at least 1, got ", value));
}

std::string FormatDay(absl::CivilDay day) { return absl::FormatCivilTime(day); }

}  // namespace

MonitoringPolicy DefaultPolicy(const division::Code& owner, int year) {
  MonitoringPolicy policy{.owner = owner};
  policy.version = absl::StrCat("national-default-", year);
  policy.year = year;
  policy.effective_from = absl::CivilDay(year, 1, 1);
  return policy;
}

absl::Status Validate(const MonitoringPolicy& p) {
  errors::Validator v;
  if (p.version.empty()) v.Add("version", "must name the published version");
  if (p.owner.level() > division::Level::kCounty) {
    v.Add("owner",
          absl::StrCat("only a region, prefecture or county publishes a policy; ", p.owner.str(),
                       " is a ", AsAbsl(division::LevelName(p.owner.level()))));
  }
  if (p.year < kMinYear || p.year > kMaxYear) {
    v.Add("year", absl::StrCat("must be between ", kMinYear, " and ", kMaxYear, ", got ", p.year));
  } else if (p.effective_from.year() > p.year) {
    v.Add("effective_from", absl::StrCat("takes effect on ", FormatDay(p.effective_from),
                                         ", after income year ", p.year, " has ended"));
  }

  if (p.monitoring_line_fen <= 0) {
    v.Add("monitoring_line_fen", "the monitoring line must be more than 0 yuan");
  }
  if (p.orange_line_permille <= 1000) {
    v.Add("orange_line_permille",
          absl::StrCat("the orange band must lie above the monitoring line (more than 1000 "
                       "per mille), got ",
                       p.orange_line_permille));
  }
  if (p.yellow_line_permille <= p.orange_line_permille) {
    v.Add("yellow_line_permille", absl::StrCat("the yellow band (", p.yellow_line_permille,
                                               " per mille) must lie above the orange band (",
                                               p.orange_line_permille, " per mille)"));
  } else if (p.monitoring_line_fen > 0 &&
             !money::MulRatio(p.monitoring_line_fen, p.yellow_line_permille, 1000).ok()) {
    v.Add("monitoring_line_fen", "the line times the yellow band does not fit in a money amount");
  }
  if (p.yellow_income_drop_permille <= 0) {
    v.Add("yellow_income_drop_permille",
          absl::StrCat("must be more than 0 per mille, got ", p.yellow_income_drop_permille));
  }
  if (p.orange_income_drop_permille <= p.yellow_income_drop_permille ||
      p.orange_income_drop_permille > 1000) {
    v.Add("orange_income_drop_permille",
          absl::StrCat("must be above the yellow drop (", p.yellow_income_drop_permille,
                       " per mille) and at most 1000 per mille, got ",
                       p.orange_income_drop_permille));
  }
  RequirePositive("heavy_rigid_spending_permille", p.heavy_rigid_spending_permille, v);
  RequirePositive("sudden_event_days", p.sudden_event_days, v);
  RequirePositive("stable_months_required", p.stable_months_required, v);
  RequirePositive("follow_up_days", p.follow_up_days, v);
  RequirePositive("publicity_min_days", p.publicity_min_days, v);
  RequirePositive("identification_limit_days", p.identification_limit_days, v);
  if (p.publicity_min_days > 0 && p.identification_limit_days > 0 &&
      p.publicity_min_days >= p.identification_limit_days) {
    // Publicity is one step of identification; a longer publicity would make
    // every identification late.
    v.Add("publicity_min_days", absl::StrCat("publicity of ", p.publicity_min_days,
                                             " days does not fit in the identification limit of ",
                                             p.identification_limit_days, " days"));
  }
  RequirePositive("township_accept_days", p.township_accept_days, v);
  RequirePositive("home_verification_days", p.home_verification_days, v);
  RequirePositive("data_comparison_days", p.data_comparison_days, v);
  RequirePositive("village_assessment_days", p.village_assessment_days, v);
  RequirePositive("publicity_start_days", p.publicity_start_days, v);
  if (p.publicity_end_days < p.publicity_min_days) {
    v.Add("publicity_end_days", absl::StrCat("allows ", p.publicity_end_days,
                                             " days to end a publicity that lasts at least ",
                                             p.publicity_min_days, " days"));
  }
  RequirePositive("township_review_days", p.township_review_days, v);
  RequirePositive("county_decision_days", p.county_decision_days, v);
  RequirePositive("plan_missing_days", p.plan_missing_days, v);
  RequirePositive("scale_window_days", p.scale_window_days, v);
  RequirePositive("scale_township_new_red", p.scale_township_new_red, v);
  RequirePositive("scale_county_new_red", p.scale_county_new_red, v);
  RequirePositive("scale_township_new_objects", p.scale_township_new_objects, v);
  RequirePositive("scale_county_new_objects", p.scale_county_new_objects, v);
  return v.ToStatus();
}

absl::StatusOr<MonitoringPolicy> ResolvePolicy(std::span<const MonitoringPolicy> published,
                                               const division::Code& division, int year,
                                               absl::CivilDay date) {
  // The latest-effective candidate per owner level (region, prefecture, county).
  std::array<const MonitoringPolicy*, 3> latest{};
  for (const MonitoringPolicy& policy : published) {
    if (policy.year != year || policy.effective_from > date) continue;
    if (!policy.owner.IsAncestorOrSelfOf(division)) continue;
    const int level = static_cast<int>(policy.owner.level());
    if (level > static_cast<int>(division::Level::kCounty)) continue;  // never a publisher
    const MonitoringPolicy*& slot = latest[level - 1];
    if (slot == nullptr || policy.effective_from > slot->effective_from) {
      slot = &policy;
    } else if (policy.effective_from == slot->effective_from) {
      return absl::FailedPreconditionError(
          absl::StrCat("two monitoring policies of ", policy.owner.str(), " for ", year,
                       " take effect on the same day ", FormatDay(policy.effective_from), ": \"",
                       slot->version, "\" and \"", policy.version, "\""));
    }
  }

  const MonitoringPolicy* chosen = nullptr;
  for (const MonitoringPolicy* candidate : latest) {  // region, then prefecture, then county
    if (candidate == nullptr) continue;
    if (chosen == nullptr || chosen->allow_lower_level_override) chosen = candidate;
  }
  if (chosen == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "no monitoring policy for income year ", year, " is in effect for division ",
        division.str(), " on ", FormatDay(date), "; the region must publish one first"));
  }
  return *chosen;
}

}  // namespace zx::monitoring
