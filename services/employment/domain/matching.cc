#include "services/employment/domain/matching.h"

#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/money/money.h"

namespace zx::employment {
namespace {

using Graph = lemon::SmartDigraph;

int64_t DistancePenalty(v1::Willingness reach, const Weights& w) {
  switch (reach) {
    case v1::WILLINGNESS_IN_REGION:
      return w.in_region_penalty;
    case v1::WILLINGNESS_OUT_OF_REGION:
      return w.out_of_region_penalty;
    default:
      return 0;
  }
}

int64_t PriorityGain(uint8_t flags, const Weights& w) {
  return ((flags & kMonitored) ? w.monitored_household : 0) +
         ((flags & kLifted) ? w.lifted_household : 0) + ((flags & kYulu) ? w.yulu_graduate : 0) +
         ((flags & kRelocated) ? w.relocated_household : 0);
}

int32_t CountCommon(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  int32_t n = 0;
  auto i = a.begin(), j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j) {
      ++i;
    } else if (*j < *i) {
      ++j;
    } else {
      ++n, ++i, ++j;
    }
  }
  return n;
}

// Cost of the worker -> job arc (lower is better).
int64_t EdgeCost(const MatchWorker& w, const MatchJob& j, const Weights& weights) {
  return -weights.placement - weights.wage_per_100_yuan * (j.wage_fen / 10'000) -
         weights.preferred_skill * CountCommon(w.skills, j.preferred) +
         DistancePenalty(ReachOf(w.division, j.location, j.partner_province), weights);
}

}  // namespace

v1::Willingness ReachOf(int64_t worker, int64_t job, bool partner) {
  // 12-digit codes: region = first 2 digits, county = first 6.
  if (partner || worker / 10'000'000'000 != job / 10'000'000'000) {
    return v1::WILLINGNESS_OUT_OF_REGION;
  }
  if (worker / 1'000'000 != job / 1'000'000) return v1::WILLINGNESS_IN_REGION;
  return v1::WILLINGNESS_LOCAL;
}

std::string_view InfeasibleRule(const MatchWorker& w, const MatchJob& j) {
  if (j.free_slots <= 0) return "E1.slots";
  if (w.capacity == v1::LABOUR_CAPACITY_NONE ||
      (w.capacity == v1::LABOUR_CAPACITY_PARTIAL && !j.light_work)) {
    return "E1.labour_capacity";
  }
  if (ReachOf(w.division, j.location, j.partner_province) > w.willingness) {
    return "E1.willingness";
  }
  if (w.language_level < j.min_language_level ||
      !std::includes(w.skills.begin(), w.skills.end(), j.required.begin(), j.required.end())) {
    return "E1.requirements";
  }
  return {};
}

std::vector<std::pair<int32_t, int32_t>> CandidatesByReach(const MatchingInput& in) {
  constexpr int64_t kCounty = 1'000'000, kRegion = 10'000'000'000;
  std::map<int64_t, std::vector<int32_t>> by_county, by_region;
  std::vector<int32_t> partner;
  for (int32_t j = 0; j < static_cast<int32_t>(in.jobs.size()); ++j) {
    const auto& job = in.jobs[j];
    if (job.free_slots <= 0) continue;
    if (job.partner_province) {
      partner.push_back(j);
    } else {
      by_county[job.location / kCounty].push_back(j);
      by_region[job.location / kRegion].push_back(j);
    }
  }
  std::vector<std::pair<int32_t, int32_t>> out;
  for (int32_t w = 0; w < static_cast<int32_t>(in.workers.size()); ++w) {
    const auto& worker = in.workers[w];
    const int64_t county = worker.division / kCounty, region = worker.division / kRegion;
    if (auto it = by_county.find(county); it != by_county.end()) {
      for (int32_t j : it->second) out.emplace_back(w, j);
    }
    if (worker.willingness >= v1::WILLINGNESS_IN_REGION) {
      if (auto it = by_region.find(region); it != by_region.end()) {
        for (int32_t j : it->second) {
          if (in.jobs[j].location / kCounty != county) out.emplace_back(w, j);
        }
      }
    }
    if (worker.willingness >= v1::WILLINGNESS_OUT_OF_REGION) {
      for (const auto& [r, jobs] : by_region) {
        if (r == region) continue;
        for (int32_t j : jobs) out.emplace_back(w, j);
      }
      for (int32_t j : partner) out.emplace_back(w, j);
    }
  }
  return out;
}

absl::StatusOr<MatchingResult> SolveMatching(const MatchingInput& in, const Weights& weights) {
  MatchingResult out;
  const int32_t nw = static_cast<int32_t>(in.workers.size());
  const int32_t nj = static_cast<int32_t>(in.jobs.size());
  const auto covered = [&](int32_t h) {
    return h < static_cast<int32_t>(in.household_covered.size()) && in.household_covered[h];
  };

  // Feasible edges, grouped by worker.
  std::vector<std::pair<int32_t, int32_t>> edges;
  if (in.candidates.empty() && !in.candidates_given) {
    for (int32_t w = 0; w < nw; ++w) {
      for (int32_t j = 0; j < nj; ++j) {
        if (InfeasibleRule(in.workers[w], in.jobs[j]).empty()) edges.emplace_back(w, j);
      }
    }
  } else {
    edges.reserve(in.candidates.size());
    for (const auto& [w, j] : in.candidates) {
      if (w < 0 || w >= nw || j < 0 || j >= nj) {
        return absl::InvalidArgumentError("candidate pair out of range");
      }
      if (InfeasibleRule(in.workers[w], in.jobs[j]).empty()) edges.emplace_back(w, j);
    }
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  }
  out.edges = static_cast<int32_t>(edges.size());

  // Households and the workers with at least one feasible job.
  std::vector<int32_t> worker_edges(nw, 0);
  for (const auto& e : edges) ++worker_edges[e.first];
  std::vector<int32_t> household_workers(in.households, 0);
  std::vector<bool> counted(in.households, false);
  for (int32_t w = 0; w < nw; ++w) {
    const int32_t h = in.workers[w].household;
    if (h < 0 || h >= in.households) return absl::InvalidArgumentError("household out of range");
    if (worker_edges[w] > 0) ++household_workers[h];
    counted[h] = true;
  }
  for (int32_t h = 0; h < in.households; ++h) {
    if (covered(h)) counted[h] = true;
    out.households_total += counted[h] ? 1 : 0;
    out.covered_before += covered(h) ? 1 : 0;
  }

  // The coverage bonus beats every other cost any flow can collect.
  int64_t max_path = 1;
  for (const auto& [w, j] : edges) {
    max_path = std::max(max_path, std::abs(EdgeCost(in.workers[w], in.jobs[j], weights)) +
                                      PriorityGain(in.workers[w].flags, weights));
  }
  const int64_t bonus = 2 * (static_cast<int64_t>(nw) + 1) * max_path + 1;

  Graph g;
  g.reserveNode(in.households + nw + nj + 2);
  g.reserveArc(static_cast<int>(2 * in.households + nw + edges.size() + nj + 1));
  Graph::ArcMap<int64_t> cap(g), cost(g);
  const auto arc = [&](Graph::Node a, Graph::Node b, int64_t c, int64_t k) {
    auto x = g.addArc(a, b);
    cap[x] = c;
    cost[x] = k;
    return x;
  };
  const Graph::Node s = g.addNode(), t = g.addNode();

  // Households of one worker get no node: source -> worker directly.
  std::vector<Graph::Node> worker_node(nw, lemon::INVALID);
  std::vector<Graph::Node> household_node(in.households, lemon::INVALID);
  std::vector<Graph::Arc> bonus_arc(in.households, lemon::INVALID);
  std::vector<int32_t> single_worker(in.households, -1);
  for (int32_t h = 0; h < in.households; ++h) {
    if (household_workers[h] > 1) {
      household_node[h] = g.addNode();
      int64_t rest = household_workers[h];
      if (!covered(h)) {
        bonus_arc[h] = arc(s, household_node[h], 1, -bonus);
        --rest;
      }
      arc(s, household_node[h], rest, 0);
    }
  }
  int64_t flow_workers = 0;
  for (int32_t w = 0; w < nw; ++w) {
    if (worker_edges[w] == 0) continue;
    ++flow_workers;
    worker_node[w] = g.addNode();
    const int32_t h = in.workers[w].household;
    const int64_t priority = -PriorityGain(in.workers[w].flags, weights);
    if (household_node[h] != lemon::INVALID) {
      arc(household_node[h], worker_node[w], 1, priority);
    } else {
      single_worker[h] = w;
      auto a = arc(s, worker_node[w], 1, priority - (covered(h) ? 0 : bonus));
      if (!covered(h)) bonus_arc[h] = a;
    }
  }
  std::vector<Graph::Node> job_node(nj, lemon::INVALID);
  int64_t total_slots = 0;
  for (int32_t j = 0; j < nj; ++j) {
    if (in.jobs[j].free_slots <= 0) continue;
    job_node[j] = g.addNode();
    arc(job_node[j], t, in.jobs[j].free_slots, 0);
    total_slots += in.jobs[j].free_slots;
  }
  std::vector<Graph::Arc> edge_arc(edges.size());
  for (size_t i = 0; i < edges.size(); ++i) {
    const auto [w, j] = edges[i];
    edge_arc[i] = arc(worker_node[w], job_node[j], 1, EdgeCost(in.workers[w], in.jobs[j], weights));
  }
  const int64_t supply = std::min(flow_workers, total_slots);
  arc(s, t, supply, 0);  // what gains nothing stays unassigned

  lemon::NetworkSimplex<Graph, int64_t, int64_t> ns(g);
  ns.upperMap(cap).costMap(cost).stSupply(s, t, supply);
  if (ns.run() != decltype(ns)::OPTIMAL) {
    return absl::InternalError("min-cost flow has no optimal solution");
  }
  out.objective = ns.totalCost();

  std::vector<bool> cover_marked(in.households, false);
  for (int32_t h = 0; h < in.households; ++h) {
    if (bonus_arc[h] != lemon::INVALID && ns.flow(bonus_arc[h]) > 0) ++out.covered_after;
  }
  out.covered_after += out.covered_before;
  for (size_t i = 0; i < edges.size(); ++i) {
    if (ns.flow(edge_arc[i]) == 0) continue;
    const auto [w, j] = edges[i];
    const int32_t h = in.workers[w].household;
    MatchProposal p{.worker = w,
                    .job = j,
                    .cost = EdgeCost(in.workers[w], in.jobs[j], weights) -
                            PriorityGain(in.workers[w].flags, weights)};
    if (bonus_arc[h] != lemon::INVALID && ns.flow(bonus_arc[h]) > 0 && !cover_marked[h]) {
      cover_marked[h] = true;
      p.covers_household = true;
    }
    out.proposals.push_back(p);
  }
  return out;
}

std::vector<v1::Reason> ExplainProposal(const MatchWorker& w, const MatchJob& j,
                                        const MatchProposal& p, const Weights& weights,
                                        const std::vector<std::string>& skill_names) {
  std::vector<v1::Reason> out;
  const auto add = [&](std::string rule, std::string detail) {
    v1::Reason r;
    r.set_rule(std::move(rule));
    r.set_detail(std::move(detail));
    out.push_back(std::move(r));
  };
  if (p.covers_household) {
    add("E1.household_coverage",
        "first employed member of a household with an able worker but no job (一户一就业)");
  }
  std::vector<std::string> flags;
  if (w.flags & kMonitored) flags.push_back("monitored household");
  if (w.flags & kLifted) flags.push_back("lifted household");
  if (w.flags & kYulu) flags.push_back("雨露计划 graduate");
  if (w.flags & kRelocated) flags.push_back("relocated household");
  if (!flags.empty()) {
    add("E1.priority",
        absl::StrCat(absl::StrJoin(flags, ", "), " (gain ", PriorityGain(w.flags, weights), ")"));
  }
  const auto reach = ReachOf(w.division, j.location, j.partner_province);
  add("E1.willingness",
      absl::StrCat("the job is ", WillingnessName(reach), ", within the worker's willingness ",
                   WillingnessName(w.willingness)));
  std::vector<std::string> required;
  for (uint32_t s : j.required) {
    required.push_back(s < skill_names.size() ? skill_names[s] : absl::StrCat("#", s));
  }
  add("E1.requirements",
      absl::StrCat(required.empty() ? "no required skills"
                                    : absl::StrCat("has ", absl::StrJoin(required, ", ")),
                   "; language level ", w.language_level, " ≥ ", j.min_language_level));
  add("E1.wage", absl::StrCat(money::FormatYuan(j.wage_fen), " yuan a month"));
  if (const int32_t fit = CountCommon(w.skills, j.preferred); fit > 0) {
    add("E1.skill_fit", absl::StrCat(fit, " preferred skill(s) matched"));
  }
  add("E1.slots", "a free slot of the job");
  return out;
}

}  // namespace zx::employment
