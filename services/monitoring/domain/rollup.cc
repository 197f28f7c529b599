#include "services/monitoring/domain/rollup.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/strings.h"

namespace zx::monitoring {
namespace {

std::string_view ColourName(RollupColour colour) {
  switch (colour) {
    case RollupColour::kRed:
      return "red";
    case RollupColour::kOrange:
      return "orange";
    case RollupColour::kYellow:
      return "yellow";
    case RollupColour::kGreen:
      return "green";
    case RollupColour::kUnassessed:
      break;
  }
  return "unassessed";
}

std::string IncomeBand(int64_t per_capita_fen) {
  const int64_t band = std::clamp<int64_t>(per_capita_fen / kIncomeBandFen, 0, kIncomeBands - 1);
  return absl::StrFormat("income.band.%04d", band);
}

std::string Key(std::string_view prefix, std::string_view name) {
  std::string key(prefix);
  key += name;
  return key;
}

}  // namespace

bool IsMonitored(lifecycle::State state) {
  using S = lifecycle::State;
  switch (state) {
    case S::kCountyConfirmed:
    case S::kAssisted:
    case S::kEliminationProposed:
    case S::kEliminationVillageAssessed:
    case S::kEliminationPublicized:
    case S::kEliminationTownshipReviewed:
      return true;
    default:
      return false;
  }
}

bool IsEliminated(lifecycle::State state) {
  return state == lifecycle::State::kRiskEliminated || state == lifecycle::State::kFollowUp;
}

RollupCounters Contribution(const HouseholdFacts& f) {
  RollupCounters c;
  auto add = [&c](std::string key, int64_t value) {
    if (value != 0) c[std::move(key)] += value;
  };
  add("households", 1);
  add("members", f.members);
  add(f.lifted ? "category.lifted" : "category.ordinary", 1);
  if (f.relocated) add("relocated", 1);
  add(Key("colour.", ColourName(f.colour)), 1);
  if (f.per_capita_fen) {
    add("income.assessed", 1);
    add("income.sum_fen", *f.per_capita_fen);
    add(IncomeBand(*f.per_capita_fen), 1);
    if (f.previous_per_capita_fen) {
      add("compared.households", 1);
      add("compared.current_sum_fen", *f.per_capita_fen);
      add("compared.previous_sum_fen", *f.previous_per_capita_fen);
      if (f.lifted) {
        add("lifted.compared", 1);
        if (*f.per_capita_fen < *f.previous_per_capita_fen) add("lifted.income_fell", 1);
      }
    }
  }
  if (f.object) {
    const lifecycle::State state = f.object->state;
    add(Key("object.state.", lifecycle::StateName(state)), 1);
    if (IsMonitored(state)) {
      add("monitored", 1);
      add(Key("monitored.colour.", ColourName(f.colour)), 1);
      if (f.object->type) {
        add(Key("monitored.type.", lifecycle::ObjectTypeName(*f.object->type)), 1);
      }
      for (lifecycle::RiskType risk : f.object->risk_types) {
        add(Key("monitored.risk.", lifecycle::RiskTypeName(risk)), 1);
      }
    } else if (IsEliminated(state)) {
      add("eliminated", 1);
      if (f.object->type) {
        add(Key("eliminated.type.", lifecycle::ObjectTypeName(*f.object->type)), 1);
      }
    }
  }
  return c;
}

void AddCounters(RollupCounters& into, const RollupCounters& counters, int sign) {
  for (const auto& [key, value] : counters) {
    auto it = into.try_emplace(key, 0).first;
    it->second += sign * value;
    if (it->second == 0) into.erase(it);
  }
}

std::string EncodeCounters(const RollupCounters& counters) {
  return absl::StrJoin(counters, ";", absl::PairFormatter("="));
}

absl::StatusOr<RollupCounters> DecodeCounters(std::string_view text) {
  RollupCounters out;
  if (text.empty()) return out;
  for (absl::string_view entry : absl::StrSplit(AsAbsl(text), ';')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(entry, absl::MaxSplits('=', 1));
    int64_t value = 0;
    if (kv.first.empty() || !absl::SimpleAtoi(kv.second, &value)) {
      return absl::DataLossError(absl::StrCat("bad roll-up counter entry \"", entry, "\""));
    }
    out[std::string(kv.first)] += value;
  }
  return out;
}

int64_t CounterValue(const RollupCounters& counters, const std::string& key) {
  auto it = counters.find(key);
  return it == counters.end() ? 0 : it->second;
}

RollupFigures DeriveFigures(const RollupCounters& c) {
  RollupFigures f;
  f.assessed_households = CounterValue(c, "income.assessed");
  if (f.assessed_households > 0) {
    f.mean_per_capita_fen = CounterValue(c, "income.sum_fen") / f.assessed_households;
    // Lower median: the band holding the household of rank (n - 1) / 2.
    const int64_t rank = (f.assessed_households - 1) / 2;
    int64_t seen = 0;
    for (auto it = c.lower_bound("income.band."); it != c.end(); ++it) {
      if (!absl::StartsWith(it->first, "income.band.")) break;
      seen += it->second;
      if (seen > rank) {
        int64_t band = 0;
        (void)absl::SimpleAtoi(it->first.substr(sizeof("income.band.") - 1), &band);
        f.median_per_capita_fen = band * kIncomeBandFen + kIncomeBandFen / 2;
        break;
      }
    }
  }
  f.lifted_compared = CounterValue(c, "lifted.compared");
  f.lifted_income_fell = CounterValue(c, "lifted.income_fell");
  if (f.lifted_compared > 0) {
    f.lifted_income_fell_permille =
        static_cast<int32_t>(f.lifted_income_fell * 1000 / f.lifted_compared);
  }
  f.compared_households = CounterValue(c, "compared.households");
  const int64_t previous = CounterValue(c, "compared.previous_sum_fen");
  if (previous > 0) {
    f.income_growth_permille =
        (CounterValue(c, "compared.current_sum_fen") - previous) * 1000 / previous;
  }
  return f;
}

}  // namespace zx::monitoring
