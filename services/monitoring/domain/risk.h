// Four-colour early warning by the factor method (四色预警 · 因素法, RULES M11),
// the suggested monitoring-object type (M1) and the risk-elimination check
// (M9). Pure functions of plain structs and a MonitoringPolicy; no I/O.
//
// The published practice (Kashgar plan) gives no formula, so the project
// defines a transparent rule set; its thresholds come from the policy, and
// every assessment carries the policy version and every factor that fired.
//
// Rules (defaults of MonitoringPolicy in brackets):
//   RED     per-capita net income below the line; a basic guarantee (两不愁三保障)
//           unmet; drinking water unsafe.
//   ORANGE  income below the orange band [1.2× line]; income fell by at least
//           [30%] against the previous 12-month window; compliant rigid
//           spending at least [50%] of total income; a sudden event in the
//           last [90] days; a micro-credit instalment overdue (扶贫小额信贷,
//           overdue past the grace days of domain/credit.h; a project
//           decision: issue 3 makes overdue credit a risk factor without a
//           colour, and ORANGE — "收得回" at risk — marks it above the yellow
//           attention factors but below income under the line or an unmet
//           guarantee).
//   YELLOW  income below the yellow band [1.5× line]; income fell by at least
//           [15%]; nobody employed although someone is able to work.
//   GREEN   nothing fired.
// Boundaries: a figure exactly at a line or band is NOT below it (income equal
// to the line is not RED); a fall or a rigid-spending share exactly at its
// threshold DOES fire ("at least"); a sudden event exactly `sudden_event_days`
// ago still counts ("in the last 90 days", counting today as day 0).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/money/money.h"
#include "services/monitoring/domain/policy.h"

namespace zx::monitoring {

// Ordered by severity, so the worse of two colours is the larger.
enum class Colour { kGreen = 0, kYellow, kOrange, kRed };
// "green", "yellow", "orange", "red".
std::string_view ColourName(Colour colour);

// The three guarantees of 两不愁三保障 (with food and clothing as one).
enum class Guarantee { kFoodClothing, kEducation, kMedical, kHousing };
// "food_clothing", "education", "medical", "housing".
std::string_view GuaranteeName(Guarantee guarantee);

// What each factor's `value`, `threshold`, `amount`, `reference` and `detail`
// hold (money in fen, shares in per-mille):
enum class FactorKind {
  // value: per-capita net income; threshold: monitoring line.
  kIncomeBelowLine,
  // value: per-capita net income; threshold: the band (line × band, rounded
  // up to the fen, which keeps "below" exact); reference: monitoring line.
  kIncomeBelowOrangeLine,
  kIncomeBelowYellowLine,
  // value: fall in per-mille (rounded down; measured exactly on the household
  // totals when RiskInputs carries them); threshold: policy per-mille;
  // amount: current per-capita; reference: previous window's per-capita.
  kIncomeDropOrange,
  kIncomeDropYellow,
  // value: rigid spending as per-mille of total income (rounded down), or -1
  // with detail "no_income" when total income is 0; threshold: policy
  // per-mille; amount: rigid spending; reference: total income.
  kHeavyRigidSpending,
  // detail: GuaranteeName of the unmet guarantee; one factor per guarantee.
  kGuaranteeUnmet,
  // No figures.
  kWaterUnsafe,
  // value: days since the event; threshold: policy days; detail: the event
  // day "YYYY-MM-DD".
  kSuddenEvent,
  // value: members able to work; threshold: 1 (fires when at least one can
  // work and none is employed).
  kNoEmployedMember,
  // value: overdue instalments; threshold: 1; amount: the unpaid part of
  // the overdue instalments.
  kCreditOverdue,  // the last kind: ParseFactorKind walks them up to it
};
// "income_below_line", "income_below_orange_line", ... (the identifiers above
// in snake case), for storage and events.
std::string_view FactorKindName(FactorKind kind);
// The kind FactorKindName names; nullopt for any other text.
std::optional<FactorKind> ParseFactorKind(std::string_view name);

// The household figures behind a per-capita net income (RULES M5): the net
// income of the window (income − production costs, NetIncome::net_income)
// and the members it is divided by (NetIncome::members).
struct HouseholdNet {
  money::Fen net_income = 0;
  int members = 0;

  friend bool operator==(const HouseholdNet&, const HouseholdNet&) = default;
};

// A household's situation on `today`. Income figures come from
// ComputeNetIncome over the current and previous windows.
struct RiskInputs {
  money::Fen per_capita_net_income = 0;
  // Absent for a household without a previous window on record.
  std::optional<money::Fen> previous_window_per_capita;
  // The exact figures behind the two per-capita ones (each rounded down to
  // the fen), for the income-drop factors: with both set, the fall is
  // measured on the household totals, exactly, so a true fall of 30% fires
  // even when the rounded per-capita figures show 29.99%. Without them
  // (inputs stored earlier, or a caller that does not give them) the fall is
  // measured on the rounded figures, which can be a per-mille off either way
  // at a threshold. When set, each must round down to its
  // per-capita figure; `previous_net` needs `current_net` and
  // `previous_window_per_capita`.
  std::optional<HouseholdNet> current_net;
  std::optional<HouseholdNet> previous_net;
  money::Fen total_income = 0;    // gross, all four kinds
  money::Fen rigid_spending = 0;  // compliant out-of-pocket rigid spending
  // 两不愁三保障 + safe water. Unset means "not confirmed met": a forgotten
  // field shows as RED instead of hiding a risk.
  bool food_clothing_ok = false;
  bool education_ok = false;
  bool medical_ok = false;
  bool housing_ok = false;
  bool water_ok = false;
  std::optional<absl::CivilDay> last_sudden_event;
  absl::CivilDay today;
  int able_workers = 0;
  int employed_members = 0;
  // Under social-assistance floors (兜底: 低保 / 特困). Not a colour factor;
  // it matters for elimination (M9).
  bool social_assistance_floor = false;
  // The household's micro-credit plan (domain/credit.h) on `today`: overdue
  // instalments and their unpaid amount. Both zero, or both positive.
  int overdue_credit_instalments = 0;
  money::Fen overdue_credit_fen = 0;
};

struct Factor {
  FactorKind kind = FactorKind::kIncomeBelowLine;
  Colour colour = Colour::kGreen;
  std::int64_t value = 0;
  std::int64_t threshold = 0;
  money::Fen amount = 0;
  money::Fen reference = 0;
  std::string detail;

  friend bool operator==(const Factor&, const Factor&) = default;
};

struct Assessment {
  Colour colour = Colour::kGreen;  // the worst colour among `fired`
  std::string policy_version;
  int policy_year = 0;
  // Every factor that fired, worst colour first (the order of FactorKind
  // within a colour). At most one of the three income-level factors fires:
  // the tightest band the income falls under (below the line implies below
  // both bands, which would only repeat it); likewise at most one drop.
  std::vector<Factor> fired;

  bool Fired(FactorKind kind) const;
};

// INVALID_ARGUMENT for an invalid policy (see Validate), negative counts or
// amounts, or a sudden event dated after `today`.
absl::StatusOr<Assessment> Assess(const RiskInputs& inputs, const MonitoringPolicy& policy);

// The inputs as stored with a household's current assessment, so that a
// re-assessment after a change of policy figures alone can apply the new
// figures without loading the records again. "v1;" and the fields in a fixed
// order, or "v2;", the same fields and the household totals (current_net,
// previous_net) when they are given; DecodeInputs refuses anything else (the
// caller then recomputes).
std::string EncodeInputs(const RiskInputs& inputs);
std::optional<RiskInputs> DecodeInputs(std::string_view encoded);

enum class Language { kZh, kEn };

struct Explanation {
  std::string headline;              // the colour and the rule-set version
  std::vector<std::string> factors;  // one sentence per fired factor, in order
};

// Words an official understands, with yuan figures as FormatYuan writes them:
// zh "人均纯收入 5,800.00 元，低于监测线 6,000.00 元",
// en "Per-capita net income 5,800.00 yuan is below the monitoring line 6,000.00 yuan".
Explanation Explain(const Assessment& assessment, Language language);

// Monitoring-object types (M1).
enum class ObjectType {
  kUnstableLifted,  // 脱贫不稳定户
  kMarginalAtRisk,  // 边缘易致贫户
  kSuddenHardship,  // 突发严重困难户
};
// "unstable_lifted", "marginal_at_risk", "sudden_hardship".
std::string_view ObjectTypeName(ObjectType type);

// The M1 type an assessment points to, as a suggestion for the county
// decision (M7), which may choose otherwise:
//   income below the line -> unstable_lifted for a lifted household (脱贫户),
//                            marginal_at_risk for any other;
//   income at or above the line with heavy rigid spending or a sharp fall
//   (the ORANGE fall) -> sudden_hardship, lifted or not;
//   otherwise nullopt: M1 names no type for e.g. an unmet guarantee alone,
//   so the officials decide.
std::optional<ObjectType> SuggestObjectType(bool is_lifted_household, const Assessment& assessment);

// The 12-month per-capita net income (ComputeNetIncome over
// WindowEndingWith(month)) as it stood in `month`.
struct MonthlyPerCapita {
  absl::CivilMonth month;
  money::Fen per_capita_net_income = 0;
};

struct EliminationInputs {
  // The month elimination is proposed in. Income must have been at or above
  // the line in each of the `stable_months_required` complete months before
  // it (e.g. proposed in 2026-07 with 6 months: 2026-01 .. 2026-06).
  absl::CivilMonth proposal_month;
  // Any order; months outside the stability period are ignored.
  std::vector<MonthlyPerCapita> per_capita_by_month;
  // The household as it is now.
  RiskInputs current;
  // Factors that fired when the household was identified, so a blocker can
  // say whether the original risk persists or a new one appeared. Empty: none
  // fired then, so any factor firing now is new. nullopt: not on record
  // (objects identified before the factors were kept), so a blocker says
  // only that the risk is still present, never that it is new.
  std::optional<std::vector<FactorKind>> triggering_factors;
};

enum class EliminationBlock {
  kIncomeNotStable,            // not at or above the current-year line every month
  kGuaranteeUnmet,             // a basic guarantee or safe water unresolved
  kRigidSpendingUncontrolled,  // rigid spending still heavy
  kRiskPersists,               // a factor that led to identification still fires
  kNewRisk,                    // another risk factor fires
  kRiskStillPresent,           // a risk factor fires; what led to identification
                               //   is not on record (triggering_factors nullopt)
  kFloorWithNobodyAbleToWork,  // 兜底 household with nobody able to work
};

struct EliminationBlocker {
  EliminationBlock block;
  std::string reason;  // English, names the rule and the figures
};

// Every reason the household's risk cannot be eliminated yet (M9); empty when
// it can. `policy` must be the one for the proposal month's year: M9 measures
// against the CURRENT-year line, never the line in force at identification.
// Income is judged only by the month-by-month rule; the income bands of the
// colour rules (1.2×, 1.5×) do not block elimination.
// INVALID_ARGUMENT: invalid policy or inputs, or a policy of another year.
absl::StatusOr<std::vector<EliminationBlocker>> FindEliminationBlockers(
    const EliminationInputs& inputs, const MonitoringPolicy& policy);

// OK when the risk can be eliminated; otherwise FAILED_PRECONDITION whose
// message lists every blocking reason, e.g. "risk cannot be eliminated:
// housing guarantee unmet; household under 兜底 with nobody able to work
// stays monitored (M9)".
absl::Status CheckElimination(const EliminationInputs& inputs, const MonitoringPolicy& policy);

}  // namespace zx::monitoring
