// Roll-ups (汇总): what one household contributes to the counts of every
// division it lies in, and how the figures officials read are derived from
// summed counts. Pure: the store keeps each household's last contribution
// and applies only the difference, so a roll-up is maintained incrementally
// and never needs a scan of households to answer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "services/monitoring/domain/lifecycle.h"

namespace zx::monitoring {

// Counter name -> value. Names are stable identifiers ("households",
// "colour.red", "object.state.clue", "income.band.0042", ...): they are
// stored, summed across divisions and sent upward by federation.
using RollupCounters = absl::btree_map<std::string, int64_t>;

enum class RollupColour { kUnassessed, kRed, kOrange, kYellow, kGreen };

// Everything about one household that a roll-up counts.
struct HouseholdFacts {
  bool lifted = false;  // 脱贫户 (else 一般农户)
  bool relocated = false;
  int members = 0;
  RollupColour colour = RollupColour::kUnassessed;
  // Per-capita net income of the current 12-month window, when assessed.
  std::optional<int64_t> per_capita_fen;
  // Of the window before it, when the household had income records then.
  std::optional<int64_t> previous_per_capita_fen;
  // The household's latest monitoring object (the open one, else the most
  // recent closed one); nullopt when it never had one.
  struct Object {
    lifecycle::State state = lifecycle::State::kClue;
    std::optional<lifecycle::ObjectType> type;
    std::vector<lifecycle::RiskType> risk_types;
  };
  std::optional<Object> object;
};

// Width of a per-capita income band of the median's histogram: 100 yuan.
inline constexpr int64_t kIncomeBandFen = 10'000;
// Incomes from this band up share the last band (100,000 yuan and more).
inline constexpr int64_t kIncomeBands = 1'000;

// What the household adds to every division containing it; every value is
// positive. Contribution(facts) of two households add with AddCounters.
RollupCounters Contribution(const HouseholdFacts& facts);

// into += sign * counters; entries that reach zero are removed, so equal
// sums compare equal whatever the order of changes.
void AddCounters(RollupCounters& into, const RollupCounters& counters, int sign = 1);

// "k=v;k=v" and back: how a household's last contribution is stored.
std::string EncodeCounters(const RollupCounters& counters);
absl::StatusOr<RollupCounters> DecodeCounters(std::string_view text);

// A monitoring object under assistance: identified (county-confirmed) and
// its risk not yet eliminated.
bool IsMonitored(lifecycle::State state);
// The county decided the risk is gone (风险消除), follow-up included.
bool IsEliminated(lifecycle::State state);

// Figures derived from summed counters.
struct RollupFigures {
  int64_t assessed_households = 0;
  int64_t mean_per_capita_fen = 0;    // 0 when nobody is assessed
  int64_t median_per_capita_fen = 0;  // mid-point of the median's 100-yuan band
  // Lifted households with both windows, and those whose income fell.
  int64_t lifted_compared = 0;
  int64_t lifted_income_fell = 0;
  int32_t lifted_income_fell_permille = 0;
  // Growth of per-capita income against the previous 12 months, over the
  // households with both windows (‰; may be negative).
  int64_t compared_households = 0;
  int64_t income_growth_permille = 0;
};
RollupFigures DeriveFigures(const RollupCounters& counters);

// Value of `key`, 0 when absent.
int64_t CounterValue(const RollupCounters& counters, const std::string& key);

}  // namespace zx::monitoring
