#include "services/monitoring/domain/income.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/base/strings.h"

namespace zx::monitoring {
namespace {

using money::Fen;

// Floor of numerator / denominator for denominator > 0.
__int128 FloorDiv(__int128 numerator, __int128 denominator) {
  __int128 quotient = numerator / denominator;
  if (numerator % denominator != 0 && numerator < 0) --quotient;
  return quotient;
}

absl::Status CheckAmount(std::string_view list, std::size_t index, Fen amount) {
  if (amount >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(list), "[", index, "].amount is ",
                                                 money::FormatYuan(amount),
                                                 " yuan; amounts cannot be negative"));
}

absl::Status AddTo(Fen& total, Fen amount, std::string_view what) {
  absl::StatusOr<Fen> sum = money::Add(total, amount);
  if (!sum.ok()) {
    return absl::OutOfRangeError(
        absl::StrCat("the total of ", AsAbsl(what), " is too large to record"));
  }
  total = *sum;
  return absl::OkStatus();
}

bool InWindow(absl::CivilMonth month, const time::MonthWindow& window) {
  return window.first <= month && month <= window.last;
}

}  // namespace

std::string_view IncomeKindName(IncomeKind kind) {
  switch (kind) {
    case IncomeKind::kWage:
      return "wage";
    case IncomeKind::kOperating:
      return "operating";
    case IncomeKind::kProperty:
      return "property";
    case IncomeKind::kTransfer:
      return "transfer";
  }
  return "unknown";
}

std::string_view RigidSpendingKindName(RigidSpendingKind kind) {
  switch (kind) {
    case RigidSpendingKind::kMedical:
      return "medical";
    case RigidSpendingKind::kEducation:
      return "education";
    case RigidSpendingKind::kDisaster:
      return "disaster";
  }
  return "unknown";
}

time::MonthWindow IncomeWindow(absl::CivilMonth anchor) { return time::TwelveMonthsBefore(anchor); }

time::MonthWindow PreviousWindow(const time::MonthWindow& window) {
  return time::TwelveMonthsBefore(window.first);
}

time::MonthWindow WindowEndingWith(absl::CivilMonth month) {
  return time::TwelveMonthsBefore(month + 1);
}

absl::StatusOr<NetIncome> ComputeNetIncome(std::span<const IncomeRecord> income,
                                           std::span<const ProductionCost> costs,
                                           std::span<const RigidSpending> rigid,
                                           const time::MonthWindow& window, int members) {
  if (members <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("a household has at least 1 member; got ",
                                                   members,
                                                   ", so per-capita income cannot be computed"));
  }
  if (window.first > window.last) {
    return absl::InvalidArgumentError(
        absl::StrCat("the income window starts in ", absl::FormatCivilTime(window.first),
                     " after it ends in ", absl::FormatCivilTime(window.last)));
  }

  NetIncome result{.window = window, .members = members};
  for (std::size_t i = 0; i < income.size(); ++i) {
    const IncomeRecord& record = income[i];
    // Event records may be negative: a refund of a sale attributed earlier.
    if (record.source != IncomeSource::kEvent) {
      if (absl::Status s = CheckAmount("income", i, record.amount); !s.ok()) return s;
    }
    if (!InWindow(record.month, window)) continue;
    const int kind = static_cast<int>(record.kind);
    if (kind < 0 || kind >= kIncomeKindCount) {
      return absl::InvalidArgumentError(absl::StrCat("income[", i, "] has an unknown kind"));
    }
    if (absl::Status s = AddTo(result.by_kind[kind], record.amount,
                               absl::StrCat(AsAbsl(IncomeKindName(record.kind)), " income"));
        !s.ok()) {
      return s;
    }
  }
  // A refund whose sale lies before the window takes a kind to zero at most.
  for (Fen& kind_total : result.by_kind) {
    kind_total = std::max<Fen>(kind_total, 0);
    if (absl::Status s = AddTo(result.total_income, kind_total, "income"); !s.ok()) return s;
  }
  for (std::size_t i = 0; i < costs.size(); ++i) {
    if (absl::Status s = CheckAmount("production_costs", i, costs[i].amount); !s.ok()) return s;
    if (!InWindow(costs[i].month, window)) continue;
    if (absl::Status s = AddTo(result.production_costs, costs[i].amount, "production costs");
        !s.ok()) {
      return s;
    }
  }
  for (std::size_t i = 0; i < rigid.size(); ++i) {
    const RigidSpending& spending = rigid[i];
    if (absl::Status s = CheckAmount("rigid_spending", i, spending.amount); !s.ok()) return s;
    if (!InWindow(spending.month, window)) continue;
    const int kind = static_cast<int>(spending.kind);
    if (kind < 0 || kind >= kRigidSpendingKindCount) {
      return absl::InvalidArgumentError(
          absl::StrCat("rigid_spending[", i, "] has an unknown kind"));
    }
    if (absl::Status s =
            AddTo(result.rigid_by_kind[kind], spending.amount,
                  absl::StrCat(AsAbsl(RigidSpendingKindName(spending.kind)), " spending"));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = AddTo(result.rigid_spending, spending.amount, "rigid spending"); !s.ok()) {
      return s;
    }
  }

  // Both totals are non-negative, so income − costs always fits in int64.
  result.net_income = result.total_income - result.production_costs;
  absl::StatusOr<Fen> after_rigid = money::Sub(result.net_income, result.rigid_spending);
  if (!after_rigid.ok()) {
    return absl::OutOfRangeError("net income after rigid spending is too large to record");
  }
  result.per_capita_net_income = static_cast<Fen>(FloorDiv(result.net_income, members));
  result.per_capita_after_rigid = static_cast<Fen>(FloorDiv(*after_rigid, members));
  return result;
}

absl::StatusOr<std::optional<std::int64_t>> IncomeDropPermille(Fen previous_per_capita,
                                                               Fen current_per_capita) {
  if (previous_per_capita <= 0) return std::optional<std::int64_t>();
  const __int128 fall = static_cast<__int128>(previous_per_capita) - current_per_capita;
  const __int128 permille = FloorDiv(fall * 1000, previous_per_capita);
  if (permille > std::numeric_limits<std::int64_t>::max() ||
      permille < std::numeric_limits<std::int64_t>::min()) {
    return absl::OutOfRangeError("the income change is too large to express as a share");
  }
  return std::optional<std::int64_t>(static_cast<std::int64_t>(permille));
}

absl::StatusOr<std::optional<std::int64_t>> IncomeDropPermilleOfTotals(Fen previous_net,
                                                                       int previous_members,
                                                                       Fen current_net,
                                                                       int current_members) {
  if (previous_members <= 0 || current_members <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("member counts must be positive, got ",
                                                   previous_members, " (previous) and ",
                                                   current_members, " (current)"));
  }
  if (previous_net <= 0) return std::optional<std::int64_t>();
  // previous per capita = P / mp, current = C / mc; the fall as a share of
  // the previous is (P·mc − C·mp) / (P·mc). |P·mc|, |C·mp| < 2^63 · 2^31, so
  // 1000 × their difference < 2^105: exact in 128 bits.
  const __int128 base = static_cast<__int128>(previous_net) * current_members;
  const __int128 fall = base - static_cast<__int128>(current_net) * previous_members;
  const __int128 permille = FloorDiv(fall * 1000, base);
  if (permille > std::numeric_limits<std::int64_t>::max() ||
      permille < std::numeric_limits<std::int64_t>::min()) {
    return absl::OutOfRangeError("the income change is too large to express as a share");
  }
  return std::optional<std::int64_t>(static_cast<std::int64_t>(permille));
}

}  // namespace zx::monitoring
