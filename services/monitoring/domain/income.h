// Household income over the 12-month window (RULES M4) and per-capita net
// income (人均纯收入, M5). Pure arithmetic on int64 fen; no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/money/money.h"
#include "common/time/time.h"

namespace zx::monitoring {

// The four kinds of income ("四个轮子"). Values index NetIncome::by_kind.
enum class IncomeKind {
  kWage = 0,   // 工资性收入
  kOperating,  // 经营性收入 (gross; production costs are recorded apart)
  kProperty,   // 财产性收入 (e.g. asset dividends)
  kTransfer,   // 转移性收入 (pensions, subsidies, allowances)
};
inline constexpr int kIncomeKindCount = 4;

// Where an income figure came from (RULES M6 ways in, plus other services).
enum class IncomeSource {
  kDeclaration,  // the household's own declaration (农户自主申报)
  kSurvey,       // monthly survey or cadre visit (每月摸排)
  kEvent,        // an event from another service (wage paid, dividend paid, sale)
  kDepartment,   // department data (部门筛查)
};

// Compliant out-of-pocket rigid spending (合规自付刚性支出). Values index
// NetIncome::rigid_by_kind.
enum class RigidSpendingKind {
  kMedical = 0,  // 医疗
  kEducation,    // 教育
  kDisaster,     // 灾害损失
};
inline constexpr int kRigidSpendingKindCount = 3;

// "wage", "operating", "property", "transfer".
std::string_view IncomeKindName(IncomeKind kind);
// "medical", "education", "disaster".
std::string_view RigidSpendingKindName(RigidSpendingKind kind);

// One month's income of one kind. Unsold produce is an operating-income
// record at its assessed value (M5).
struct IncomeRecord {
  IncomeKind kind = IncomeKind::kWage;
  IncomeSource source = IncomeSource::kDeclaration;
  absl::CivilMonth month;
  money::Fen amount = 0;
};

struct ProductionCost {
  absl::CivilMonth month;
  money::Fen amount = 0;
};

struct RigidSpending {
  RigidSpendingKind kind = RigidSpendingKind::kMedical;
  absl::CivilMonth month;
  money::Fen amount = 0;
};

// The income window (M4) anchored at `anchor`: the 12 months before it.
// The anchor is the application month for an application, and the
// identification month for a newly identified household; in both cases the
// window ends with the month before the anchor ("the 12 months ending with
// the month before identification"), so one rule serves both.
// A January 2026 anchor gives January..December 2025.
time::MonthWindow IncomeWindow(absl::CivilMonth anchor);

// The 12-month window immediately before `window`, against which an income
// drop is measured.
time::MonthWindow PreviousWindow(const time::MonthWindow& window);

// The 12-month window ending with (and including) `month`, used to follow a
// household's annual income month by month, e.g. for elimination (M9).
time::MonthWindow WindowEndingWith(absl::CivilMonth month);

// A household's income over one window.
//
// Which formula is "per-capita net income"? RULES M5 defines it as
// (income − production costs) ÷ members and keeps compliant rigid spending as
// its own figure, weighed separately (a household above the line with heavy
// rigid spending is 突发严重困难户, M1). DESIGN.md §3.1 and the glossary instead
// deduct rigid spending. RULES is the acceptance source, so
// `per_capita_net_income` follows M5 and is what the risk rules compare with
// the line; `per_capita_after_rigid` is exposed too, so a county that reads
// the DESIGN formula can see it, but no rule uses it.
struct NetIncome {
  time::MonthWindow window;
  int members = 0;
  money::Fen total_income = 0;  // all four kinds, gross
  std::array<money::Fen, kIncomeKindCount> by_kind{};
  money::Fen production_costs = 0;
  money::Fen rigid_spending = 0;
  std::array<money::Fen, kRigidSpendingKindCount> rigid_by_kind{};
  money::Fen net_income = 0;              // total_income − production_costs
  money::Fen per_capita_net_income = 0;   // net_income ÷ members (M5)
  money::Fen per_capita_after_rigid = 0;  // (net_income − rigid_spending) ÷ members

  money::Fen income(IncomeKind kind) const { return by_kind[static_cast<int>(kind)]; }
};

// Sums the records whose month lies inside `window` (others are ignored, so a
// household's whole history can be passed) and divides by `members`.
//
// Per-capita figures are rounded DOWN to the fen (towards negative infinity).
// Because every line is a whole number of fen, "rounded figure < line" then
// holds exactly when "true figure < line": rounding can never lift a
// household over the line (应纳尽纳).
//
// Negative income: only EVENT records may be negative — a refund booked by
// another service (consumption.income_attributed) lowers the income of its
// kind. A kind's total in the window is floored at zero, so a refund of a
// sale from before the window cannot push income below nothing.
//
// INVALID_ARGUMENT: members ≤ 0, a window whose first month is after its
// last, a negative amount on a record that is not an EVENT (corrections
// replace declared records, they are not negative records). OUT_OF_RANGE: a
// sum does not fit in int64 fen.
absl::StatusOr<NetIncome> ComputeNetIncome(std::span<const IncomeRecord> income,
                                           std::span<const ProductionCost> costs,
                                           std::span<const RigidSpending> rigid,
                                           const time::MonthWindow& window, int members);

// How far per-capita net income fell against the previous window, in
// per-mille of the previous figure, rounded DOWN (10,000 -> 7,001 yuan is a
// 299.9‰ fall, reported as 299, so it does not reach a 300‰ threshold).
// Negative when income rose. nullopt when the previous figure is zero or
// negative: a fall from nothing has no meaningful share.
// OUT_OF_RANGE only for absurd inputs whose share does not fit in int64.
absl::StatusOr<std::optional<std::int64_t>> IncomeDropPermille(money::Fen previous_per_capita,
                                                               money::Fen current_per_capita);

// The same fall measured exactly on the household totals behind the two
// per-capita figures: previous_net ÷ previous_members before,
// current_net ÷ current_members now (NetIncome::net_income and ::members),
// neither rounded. The fall is 1 − (current_net × previous_members) ÷
// (previous_net × current_members), cross-multiplied in 128 bits (no product
// of int64 fen, int members and 1,000 overflows), in per-mille rounded DOWN,
// so "fall ≥ t‰" for a whole t holds exactly when the true fall is at least
// t‰: 6,000,005 -> 4,200,003 fen for 3 members is 300‰ (30.0000083%), where
// the rounded per-capita figures 2,000,001 -> 1,400,001 give 299.
// nullopt when previous_net ≤ 0; INVALID_ARGUMENT when a member count is not
// positive; OUT_OF_RANGE as above.
absl::StatusOr<std::optional<std::int64_t>> IncomeDropPermilleOfTotals(money::Fen previous_net,
                                                                       int previous_members,
                                                                       money::Fen current_net,
                                                                       int current_members);

}  // namespace zx::monitoring
