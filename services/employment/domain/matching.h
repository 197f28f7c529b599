// 一户一就业 matching as min-cost flow (LEMON network simplex), pure.
//
//   source -> household  cap 1, cost -coverage_bonus   (uncovered households only)
//   source -> household  cap n-1 (n when already covered), cost 0
//   household -> worker  cap 1, cost -(priority flag weights)
//   worker -> job        cap 1, cost -(placement + wage + skill fit) + distance
//   job -> sink          cap free slots
//   source -> sink       bypass, cost 0: flow that gains nothing stays unassigned
//
// The coverage bonus is larger than every other cost a flow can collect, so
// the optimum first covers as many households as any assignment can (the
// maximum matching of households to slots), then maximises the weighted gain.
// Hard constraints are edges: an infeasible (worker, job) pair has no arc.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "services/employment/domain/employment.h"

namespace zx::employment {

// Compact forms of workers and jobs (skills interned to ids, sorted), so the
// matching scales to a prefecture (200,000 workers x 50,000 jobs).
struct MatchWorker {
  int32_t household = 0;  // index into households
  int64_t division = 0;   // 12-digit code as a number
  v1::Willingness willingness = v1::WILLINGNESS_LOCAL;
  v1::LabourCapacity capacity = v1::LABOUR_CAPACITY_FULL;
  int32_t language_level = 0;
  uint8_t flags = 0;             // kMonitored | kLifted | kYulu | kRelocated
  std::vector<uint32_t> skills;  // sorted
};
enum : uint8_t { kMonitored = 1, kLifted = 2, kYulu = 4, kRelocated = 8 };

struct MatchJob {
  int64_t location = 0;  // 12-digit code as a number (partner: region code)
  bool partner_province = false;
  bool light_work = false;
  int64_t wage_fen = 0;
  int32_t free_slots = 0;
  int32_t min_language_level = 0;
  std::vector<uint32_t> required;   // sorted
  std::vector<uint32_t> preferred;  // sorted
};

struct MatchingInput {
  int32_t households = 0;
  std::vector<bool> household_covered;  // already has an employed member
  std::vector<MatchWorker> workers;     // available, able workers only
  std::vector<MatchJob> jobs;
  // Candidate pairs (worker, job); each is still checked against the hard
  // constraints. Empty: every pair is a candidate.
  std::vector<std::pair<int32_t, int32_t>> candidates;
  // Use `candidates` even when empty (no reachable job at all).
  bool candidates_given = false;
};

// The (worker, job) pairs within each worker's willingness, from buckets of
// jobs by county and region, instead of every pair: what RunMatching feeds
// the solver. The other hard constraints are left to SolveMatching.
std::vector<std::pair<int32_t, int32_t>> CandidatesByReach(const MatchingInput& input);

// Why an edge is infeasible, or empty when feasible: "E1.willingness", ...
std::string_view InfeasibleRule(const MatchWorker& w, const MatchJob& j);
v1::Willingness ReachOf(int64_t worker_division, int64_t job_location, bool partner_province);

struct MatchProposal {
  int32_t worker = 0;
  int32_t job = 0;
  int64_t cost = 0;               // household->worker + worker->job arc costs
  bool covers_household = false;  // the household's first employed member
};

struct MatchingResult {
  std::vector<MatchProposal> proposals;
  int64_t objective = 0;         // total cost of the flow, bonus included
  int32_t edges = 0;             // feasible worker->job arcs
  int32_t households_total = 0;  // with an available worker or already covered
  int32_t covered_before = 0;
  int32_t covered_after = 0;
};

absl::StatusOr<MatchingResult> SolveMatching(const MatchingInput& input, const Weights& weights);

// The reasons of one proposal, naming the rules.
std::vector<v1::Reason> ExplainProposal(const MatchWorker& w, const MatchJob& j,
                                        const MatchProposal& p, const Weights& weights,
                                        const std::vector<std::string>& skill_names);

}  // namespace zx::employment
