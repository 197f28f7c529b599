// Gauges of what the database holds (households by colour, overdue-wage
// alerts, settled sales): things Prometheus alerts and dashboards need that
// no single request observes. Each is one SQL query whose leading columns are
// the label values and whose last column is the value; a background task of
// the service re-reads them every `interval` (docs/ARCHITECTURE.md §20).
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/division/division.h"

namespace prometheus {
class Registry;
}

namespace zx::pg {
class Pool;
}

namespace zx::server {

struct StateGauge {
  std::string name;  // "zx_monitoring_households"
  std::string help;
  std::vector<std::string> labels;  // one per leading column of `sql`
  std::string sql;                  // SELECT <labels...>, <value>
  // Label sets exported even when the query does not return them (as 0):
  // a family with no series would vanish from /metrics, and an alert rule
  // could not tell "none yet" from "not exported".
  std::vector<std::vector<std::string>> always = {};
};

// The county codes an instance covers: its own county for a county or
// below, else every known county inside it (common/division/divisions.csv).
std::vector<std::string> InstanceCounties(const division::Code& instance);

// Every combination of `counties` with each of `values`: {county, value};
// just {county} each when `values` is empty.
std::vector<std::vector<std::string>> CountiesWith(const std::vector<std::string>& counties,
                                                   const std::vector<std::string>& values);

// Registers the gauges, then refreshes them until `stop`: a label set the
// query no longer returns drops to 0 (a county with no red household left
// shows 0, not its last count). A failed query is logged and retried at the
// next interval; the gauges keep their last values meanwhile.
void RunStateGauges(const std::vector<StateGauge>& gauges, pg::Pool& pool,
                    prometheus::Registry& registry, absl::Duration interval,
                    const std::atomic<bool>& stop);

}  // namespace zx::server
