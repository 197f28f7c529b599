#include "common/server/state_gauges.h"

#include <pqxx/pqxx>

#include "common/logging/logging.h"
#include "common/pg/pg.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace zx::server {
namespace {

struct Registered {
  const StateGauge* spec;
  prometheus::Family<prometheus::Gauge>* family;
  std::map<std::vector<std::string>, prometheus::Gauge*> series;
};

absl::Status Refresh(Registered& g, pg::Pool& pool) {
  std::map<std::vector<std::string>, double> fresh;
  // Bounded: a slow count must neither hold a connection nor delay shutdown.
  const pg::TxOptions options{.deadline = absl::Now() + absl::Seconds(10)};
  absl::Status s = pg::WithTransaction(pool, options, [&](pqxx::transaction_base& tx) {
    for (const auto& row : tx.exec(g.spec->sql)) {
      const auto columns = static_cast<pqxx::row::size_type>(g.spec->labels.size());
      std::vector<std::string> labels;
      for (pqxx::row::size_type i = 0; i < columns; ++i) labels.push_back(row[i].c_str());
      fresh[labels] = row[columns].template as<double>();
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  for (const auto& labels : g.spec->always) fresh.try_emplace(labels, 0.0);
  for (auto& [labels, gauge] : g.series) {
    if (!fresh.contains(labels)) gauge->Set(0);
  }
  for (const auto& [labels, value] : fresh) {
    auto it = g.series.find(labels);
    if (it == g.series.end()) {
      std::map<std::string, std::string> named;
      for (size_t i = 0; i < labels.size(); ++i) named[g.spec->labels[i]] = labels[i];
      it = g.series.emplace(labels, &g.family->Add(named)).first;
    }
    it->second->Set(value);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> InstanceCounties(const division::Code& instance) {
  if (instance.level() >= division::Level::kCounty) {
    return {instance.AncestorAt(division::Level::kCounty).str()};
  }
  std::vector<std::string> out;
  for (const division::DivisionInfo* d : division::AllKnown()) {
    if (d->level == division::Level::kCounty && instance.IsAncestorOrSelfOf(d->code)) {
      out.push_back(d->code.str());
    }
  }
  return out;
}

std::vector<std::vector<std::string>> CountiesWith(const std::vector<std::string>& counties,
                                                   const std::vector<std::string>& values) {
  std::vector<std::vector<std::string>> out;
  for (const std::string& c : counties) {
    if (values.empty()) out.push_back({c});
    for (const std::string& v : values) out.push_back({c, v});
  }
  return out;
}

void RunStateGauges(const std::vector<StateGauge>& gauges, pg::Pool& pool,
                    prometheus::Registry& registry, absl::Duration interval,
                    const std::atomic<bool>& stop) {
  std::vector<Registered> registered;
  for (const StateGauge& spec : gauges) {
    registered.push_back(
        {&spec, &prometheus::BuildGauge().Name(spec.name).Help(spec.help).Register(registry), {}});
  }
  while (!stop) {
    for (Registered& g : registered) {
      if (stop) break;
      if (absl::Status s = Refresh(g, pool); !s.ok()) {
        logging::Warn("state_gauge_failed", {{"gauge", g.spec->name}, {"error", s.ToString()}});
      }
    }
    // Sleep in short steps so shutdown is not held up by the interval.
    for (absl::Time until = absl::Now() + interval; !stop && absl::Now() < until;) {
      absl::SleepFor(absl::Milliseconds(200));
    }
  }
}

}  // namespace zx::server
