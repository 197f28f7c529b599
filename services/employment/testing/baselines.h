// Test and bench code only: the greedy baseline the optimiser must beat and
// the exact bound on household coverage it must reach. Never used by the
// service.
#pragma once

#include <algorithm>
#include <functional>
#include <vector>

#include "services/employment/domain/matching.h"

namespace zx::employment::testing {

// Feasible (worker, job) pairs of the input, in its order.
inline std::vector<std::pair<int32_t, int32_t>> FeasiblePairs(const MatchingInput& in) {
  std::vector<std::pair<int32_t, int32_t>> out;
  const auto consider = [&](int32_t w, int32_t j) {
    if (InfeasibleRule(in.workers[w], in.jobs[j]).empty()) out.emplace_back(w, j);
  };
  if (in.candidates.empty()) {
    for (int32_t w = 0; w < static_cast<int32_t>(in.workers.size()); ++w) {
      for (int32_t j = 0; j < static_cast<int32_t>(in.jobs.size()); ++j) consider(w, j);
    }
  } else {
    for (const auto& [w, j] : in.candidates) consider(w, j);
  }
  return out;
}

// The loop a spreadsheet would run: each worker in turn takes the
// best-paid candidate job with a free slot. Returns households covered
// (already covered ones included).
inline int32_t GreedyHouseholdsCovered(const MatchingInput& in) {
  const auto pairs = FeasiblePairs(in);
  std::vector<std::vector<int32_t>> jobs_of(in.workers.size());
  for (const auto& [w, j] : pairs) jobs_of[w].push_back(j);
  std::vector<int32_t> free(in.jobs.size());
  for (size_t j = 0; j < in.jobs.size(); ++j) free[j] = in.jobs[j].free_slots;
  std::vector<bool> covered(in.households, false);
  for (int32_t h = 0; h < in.households; ++h) {
    covered[h] = h < static_cast<int32_t>(in.household_covered.size()) && in.household_covered[h];
  }
  for (size_t w = 0; w < in.workers.size(); ++w) {
    int32_t best = -1;
    for (int32_t j : jobs_of[w]) {
      if (free[j] > 0 && (best < 0 || in.jobs[j].wage_fen > in.jobs[best].wage_fen)) best = j;
    }
    if (best >= 0) {
      --free[best];
      covered[in.workers[w].household] = true;
    }
  }
  return static_cast<int32_t>(std::count(covered.begin(), covered.end(), true));
}

// Exact bound: a maximum bipartite matching of uncovered households to job
// slots any of their workers could take (augmenting paths), plus the
// households covered already.
inline int32_t MaxHouseholdsCoverable(const MatchingInput& in) {
  const auto pairs = FeasiblePairs(in);
  std::vector<std::vector<int32_t>> jobs_of(in.households);
  for (const auto& [w, j] : pairs) jobs_of[in.workers[w].household].push_back(j);
  std::vector<std::vector<int32_t>> holders(in.jobs.size());  // households holding a slot
  std::vector<int32_t> capacity(in.jobs.size());
  for (size_t j = 0; j < in.jobs.size(); ++j) capacity[j] = in.jobs[j].free_slots;
  int32_t matched = 0, already = 0;
  std::vector<int32_t> seen(in.jobs.size(), -1);
  std::function<bool(int32_t, int32_t)> augment = [&](int32_t h, int32_t stamp) -> bool {
    for (int32_t j : jobs_of[h]) {
      if (seen[j] == stamp) continue;
      seen[j] = stamp;
      if (static_cast<int32_t>(holders[j].size()) < capacity[j]) {
        holders[j].push_back(h);
        return true;
      }
      for (auto& other : holders[j]) {
        if (augment(other, stamp)) {
          other = h;
          return true;
        }
      }
    }
    return false;
  };
  for (int32_t h = 0; h < in.households; ++h) {
    if (h < static_cast<int32_t>(in.household_covered.size()) && in.household_covered[h]) {
      ++already;
      continue;
    }
    if (augment(h, h)) ++matched;
  }
  return matched + already;
}

}  // namespace zx::employment::testing
