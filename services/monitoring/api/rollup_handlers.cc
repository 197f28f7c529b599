// Roll-ups: GetRollup and VerifyRollup, and the compactor that folds the
// deltas every change appends (store/rollup_store.h) into counters.
#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "common/time/time.h"
#include "services/monitoring/api/monitoring_service.h"
#include "services/monitoring/domain/rollup.h"
#include "services/monitoring/store/rollup_store.h"

namespace zx::monitoring {
namespace {

constexpr int64_t kVacuumAfterFolded = 10'000;

using time::Today;

v1::ColourCounts Colours(const RollupCounters& c, const std::string& prefix) {
  v1::ColourCounts out;
  out.set_red(CounterValue(c, prefix + "red"));
  out.set_orange(CounterValue(c, prefix + "orange"));
  out.set_yellow(CounterValue(c, prefix + "yellow"));
  out.set_green(CounterValue(c, prefix + "green"));
  out.set_unassessed(CounterValue(c, prefix + "unassessed"));
  return out;
}

void Named(const RollupCounters& c, const std::string& prefix,
           google::protobuf::RepeatedPtrField<v1::NamedCount>* out) {
  for (auto it = c.lower_bound(prefix); it != c.end() && absl::StartsWith(it->first, prefix);
       ++it) {
    auto* n = out->Add();
    n->set_name(it->first.substr(prefix.size()));
    n->set_count(it->second);
  }
}

v1::Rollup ToProto(const RollupCounters& c) {
  v1::Rollup r;
  r.set_households(CounterValue(c, "households"));
  r.set_members(CounterValue(c, "members"));
  r.set_lifted_households(CounterValue(c, "category.lifted"));
  r.set_ordinary_households(CounterValue(c, "category.ordinary"));
  r.set_relocated_households(CounterValue(c, "relocated"));
  *r.mutable_household_colours() = Colours(c, "colour.");
  Named(c, "object.state.", r.mutable_objects_by_state());
  r.set_monitored_objects(CounterValue(c, "monitored"));
  Named(c, "monitored.type.", r.mutable_monitored_by_type());
  *r.mutable_monitored_colours() = Colours(c, "monitored.colour.");
  Named(c, "monitored.risk.", r.mutable_monitored_by_risk_type());
  r.set_eliminated_objects(CounterValue(c, "eliminated"));
  Named(c, "eliminated.type.", r.mutable_eliminated_by_type());
  const RollupFigures f = DeriveFigures(c);
  r.set_assessed_households(f.assessed_households);
  r.set_mean_per_capita_net_income_fen(f.mean_per_capita_fen);
  r.set_median_per_capita_net_income_fen(f.median_per_capita_fen);
  r.set_lifted_compared(f.lifted_compared);
  r.set_lifted_income_fell(f.lifted_income_fell);
  r.set_lifted_income_fell_permille(f.lifted_income_fell_permille);
  r.set_compared_households(f.compared_households);
  r.set_income_growth_permille(f.income_growth_permille);
  for (const auto& [key, value] : c) (*r.mutable_counters())[key] = value;
  return r;
}

// The division, parsed and kept by this instance.
absl::StatusOr<division::Code> RollupDivision(const server::Runtime& rt, const std::string& text) {
  auto division = division::Code::Parse(text);
  if (!division.ok())
    return errors::InvalidField("division_code", std::string(division.status().message()));
  if (!rt.division.IsAncestorOrSelfOf(*division)) {
    return errors::InvalidField("division_code",
                                absl::StrCat("is not kept by this instance (", rt.division.str(),
                                             "); ask the instance that keeps it"));
  }
  return division;
}

}  // namespace

grpc::ServerUnaryReactor* MonitoringServiceImpl::GetRollup(grpc::CallbackServerContext* ctx,
                                                           const v1::GetRollupRequest* request,
                                                           v1::Rollup* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    auto division = RollupDivision(rt_, request->division_code());
    if (!division.ok()) return division.status();
    const absl::CivilDay today = Today();
    absl::CivilDay as_of = today;
    if (!request->as_of().empty()) {
      if (!absl::ParseCivilTime(request->as_of(), &as_of)) {
        return errors::InvalidField("as_of", "must be a date like 2026-11-23");
      }
      if (as_of > today) return errors::InvalidField("as_of", "must not be in the future");
    }
    if (auto a = call.Authorize("monitoring.rollup.get", *division); !a.ok()) return a;
    // Live: one statement (counters plus pending deltas) in autocommit.
    pg::TxOptions options = call.tx();
    options.single_read = as_of == today;
    return pg::WithTransaction(*rt_.pool, options, [&](pqxx::transaction_base& tx) {
      RollupCounters counters;
      if (as_of == today) {
        counters = ReadRollup(tx, *division);
      } else {
        auto closed = ReadClosedRollup(tx, *division, as_of);
        if (!closed) {
          const auto earliest = EarliestClosing(tx);
          return absl::FailedPreconditionError(absl::StrCat(
              "no roll-up was closed for ", absl::FormatCivilTime(as_of),
              " (the service did not run through the end of that day); ",
              earliest
                  ? absl::StrCat("the earliest closed day is ", absl::FormatCivilTime(*earliest))
                  : std::string("no day has been closed yet")));
        }
        counters = *std::move(closed);
      }
      *response = ToProto(counters);
      response->set_division_code(division->str());
      response->set_as_of(absl::FormatCivilTime(as_of));
      response->set_live(as_of == today);
      return absl::OkStatus();
    });
  });
}

grpc::ServerUnaryReactor* MonitoringServiceImpl::VerifyRollup(
    grpc::CallbackServerContext* ctx, const v1::VerifyRollupRequest* request,
    v1::VerifyRollupResponse* response) {
  return server::Handle(ctx, rt_, [this, request, response](server::CallContext& call) {
    auto division = RollupDivision(rt_, request->division_code());
    if (!division.ok()) return division.status();
    if (auto a = call.Authorize("monitoring.rollup.verify", *division); !a.ok()) return a;
    // One snapshot for both sides, so a change committed meanwhile cannot
    // show up as a difference.
    pg::TxOptions options = call.tx();
    options.isolation = pg::Isolation::kRepeatableRead;
    return pg::WithTransaction(*rt_.pool, options, [&](pqxx::transaction_base& tx) {
      response->Clear();
      const RollupCounters maintained = ReadRollup(tx, *division);
      int64_t households = 0;
      auto recounted = RecountRollup(tx, *division, &households);
      if (!recounted.ok()) return recounted.status();
      RollupCounters difference = *recounted;
      AddCounters(difference, maintained, -1);
      for (const auto& [key, ignored] : difference) {
        auto* d = response->add_differences();
        d->set_counter(key);
        d->set_maintained(CounterValue(maintained, key));
        d->set_recounted(CounterValue(*recounted, key));
      }
      response->set_households_recounted(households);
      response->set_consistent(difference.empty());
      return absl::OkStatus();
    });
  });
}

void RunRollupCompactor(server::Runtime& rt, const std::atomic<bool>& stop) {
  // Households registered before roll-ups existed get their contribution.
  for (bool more = true; more && !stop;) {
    const absl::Status s = pg::WithTransaction(*rt.pool, [&](pqxx::transaction_base& tx) {
      auto n = CatchUpRollup(tx, 1000);
      if (!n.ok()) return n.status();
      more = *n > 0;
      return absl::OkStatus();
    });
    if (!s.ok()) {
      logging::Error("rollup_catch_up_failed", {{"error", s.ToString()}});
      break;
    }
  }
  // A day is closed only by a compactor that saw it: a day the service did
  // not run through is reported as not closed rather than mislabelled.
  std::optional<absl::CivilDay> seen_day;
  while (!stop) {
    const absl::CivilDay today = Today();
    int64_t folded = 0;
    absl::Status s = pg::WithTransaction(*rt.pool, [&](pqxx::transaction_base& tx) {
      folded = CompactRollup(tx);
      if (seen_day && *seen_day < today) CloseRollupDay(tx, *seen_day);
      return absl::OkStatus();
    });
    // A large fold leaves as many dead rows behind, and every read's prefix
    // scan of the deltas would walk them until autovacuum comes: clear them.
    if (s.ok() && folded >= kVacuumAfterFolded) {
      pg::TxOptions autocommit;
      autocommit.single_read = true;  // VACUUM cannot run inside a transaction
      s = pg::WithTransaction(*rt.pool, autocommit, [](pqxx::transaction_base& tx) {
        tx.exec("VACUUM rollup_deltas");
        return absl::OkStatus();
      });
    }
    if (s.ok()) {
      seen_day = today;
    } else {
      logging::Error("rollup_compaction_failed", {{"error", s.ToString()}});
    }
    for (int i = 0; i < 10 && !stop; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace zx::monitoring
