// Figures of the event pipeline (common/events), measured against the raw
// Redis XADD baseline of the same run:
//   events.relay.events_per_s  outbox -> stream, target >= 0.3 x pipelined XADD
//   events.end_to_end.p99_ms   producer commit -> consumer effect committed, at
//                              1,000 events/s, target <= 50 ms
#include <pqxx/pqxx>

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "bench/bench.h"
#include "common/events/events.h"
#include "common/events/redis.h"
#include "common/migrations/migrations.h"
#include "common/pg/pg.h"
#include "zx/common/v1/types.pb.h"

namespace zx::bench {
namespace {

constexpr char kProducer[] = "bench_events";
constexpr char kConsumer[] = "bench_events_consumer";

void Check(const absl::Status& status, const std::string& what) {
  if (!status.ok()) throw std::runtime_error(absl::StrCat(what, ": ", status.ToString()));
}

void ResetSchemas(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  {
    pqxx::work tx(conn);
    tx.exec(absl::StrCat("DROP SCHEMA IF EXISTS ", kProducer, " CASCADE"));
    tx.exec(absl::StrCat("DROP SCHEMA IF EXISTS ", kConsumer, " CASCADE"));
    tx.commit();
  }
  Check(migrations::Apply(conn, kProducer, "common", migrations::CommonMigrations()), "migrate");
  Check(migrations::Apply(conn, kConsumer, "common", migrations::CommonMigrations()), "migrate");
  pqxx::work tx(conn);
  tx.exec(absl::StrCat("CREATE TABLE ", kConsumer, ".effects (event_id text PRIMARY KEY)"));
  tx.commit();
}

// Fills the outbox with `count` unpublished events by COPY (fast set-up; the
// relay is what is measured).
void FillOutbox(const std::string& conninfo, int64_t count) {
  pqxx::connection conn(conninfo);
  pqxx::work tx(conn);
  tx.exec(absl::StrCat("SET search_path TO ", kProducer));
  pqxx::stream_to copy(
      tx, "outbox",
      std::vector<std::string>{"event_id", "event_type", "aggregate_id", "division_code", "event"});
  zx::common::v1::GetServiceInfoRequest payload;
  for (int64_t i = 0; i < count; ++i) {
    zx::common::v1::Event event;
    event.set_id(events::NewEventId());
    event.set_type("bench.happened");
    event.set_version(1);
    event.set_division_code("653121101201");
    event.set_aggregate_id(absl::StrCat("hh-", i % 5000));
    event.mutable_payload()->PackFrom(payload);
    const std::string bytes = event.SerializeAsString();
    copy << std::make_tuple(event.id(), event.type(), event.aggregate_id(), event.division_code(),
                            tx.esc_raw(bytes));
  }
  copy.complete();
  tx.commit();
}

void DeleteKey(const BenchContext& ctx, const std::string& key) {
  events::RedisClient redis(ctx.redis_host, ctx.redis_port);
  (void)redis.Command({"DEL", key});
}

void RelayThroughput(BenchContext& ctx) {
  const int64_t count = std::max<int64_t>(20000, static_cast<int64_t>(200000 * ctx.scale));
  const std::string stream = "zx:bench:events:relay";
  DeleteKey(ctx, stream);
  FillOutbox(ctx.pg_conninfo, count);
  events::Relay relay({.pg_conninfo = ctx.pg_conninfo,
                       .schema = kProducer,
                       .stream_key = stream,
                       .redis_host = ctx.redis_host,
                       .redis_port = ctx.redis_port,
                       .batch_size = 1000},
                      nullptr);
  // The first batch also checks the stream against the outbox: not timed.
  auto first = relay.PublishBatch();
  Check(first.status(), "relay");
  int64_t published = 0;
  const double start = NowSeconds();
  while (true) {
    auto n = relay.PublishBatch();
    Check(n.status(), "relay");
    if (*n == 0) break;
    published += *n;
  }
  const double seconds = NowSeconds() - start;
  DeleteKey(ctx, stream);
  ctx.Add({.id = "events.relay.events_per_s",
           .value = static_cast<double>(published) / seconds,
           .unit = "events/s",
           .baseline_id = "raw.redis_xadd.events_per_s",
           .target = 0.3});
}

void EndToEndLatency(BenchContext& ctx) {
  const std::string stream = "zx:bench:events:e2e";
  DeleteKey(ctx, stream);
  {
    // One outbox feeds one stream: start from an empty outbox.
    pqxx::connection conn(ctx.pg_conninfo);
    pqxx::work tx(conn);
    tx.exec(absl::StrCat("TRUNCATE ", kProducer, ".outbox"));
    tx.commit();
  }
  pg::Pool producer({.conninfo = ctx.pg_conninfo, .size = 1, .search_path = kProducer});
  pg::Pool consumer_pool({.conninfo = ctx.pg_conninfo, .size = 1, .search_path = kConsumer});
  events::Relay relay({.pg_conninfo = ctx.pg_conninfo,
                       .schema = kProducer,
                       .stream_key = stream,
                       .redis_host = ctx.redis_host,
                       .redis_port = ctx.redis_port},
                      nullptr);
  // Stamps from both sides, matched at the end: the consumer may apply an
  // event before the producer's commit call has even returned.
  std::mutex mu;
  std::map<std::string, double> committed_at;  // event id -> producer commit returned
  std::map<std::string, double> applied_at;    // event id -> consumer commit returned
  std::vector<std::string> handled;            // ids applied in the current RunOnce
  events::Consumer consumer(
      {.stream_key = stream,
       .group = "bench",
       .consumer_name = "bench-1",
       .redis_host = ctx.redis_host,
       .redis_port = ctx.redis_port,
       .block = absl::Milliseconds(100)},
      consumer_pool,
      [&](pqxx::transaction_base& tx, const zx::common::v1::Event& e) {
        tx.exec_params("INSERT INTO effects (event_id) VALUES ($1)", e.id());
        handled.push_back(e.id());
        return absl::OkStatus();
      },
      nullptr);
  Check(consumer.RunOnce().status(), "consumer group");  // creates the group
  relay.Start();

  constexpr double kRate = 1000;  // events per second
  const double warmup = ctx.warmup.count();
  const double total = warmup + std::max(ctx.duration.count(), 3.0);
  const int64_t events = static_cast<int64_t>(total * kRate);
  std::atomic<bool> producing{true};
  std::thread consuming([&] {
    const double give_up = NowSeconds() + total + 30;
    while (NowSeconds() < give_up) {
      handled.clear();
      auto n = consumer.RunOnce();
      const double now = NowSeconds();
      std::lock_guard lock(mu);
      if (n.ok()) {
        for (const auto& id : handled) applied_at[id] = now;
      }
      if (!producing && applied_at.size() >= committed_at.size()) break;
    }
  });
  zx::common::v1::GetServiceInfoRequest payload;
  const double start = NowSeconds();
  for (int64_t i = 0; i < events; ++i) {
    std::this_thread::sleep_until(std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(start + static_cast<double>(i) / kRate))));
    std::string id;
    Check(pg::WithTransaction(producer,
                              [&](pqxx::transaction_base& tx) {
                                auto appended =
                                    events::Append(tx, "bench",
                                                   {.type = "bench.happened",
                                                    .division_code = "653121101201",
                                                    .aggregate_id = absl::StrCat("hh-", i % 5000),
                                                    .payload = &payload});
                                if (!appended.ok()) return appended.status();
                                id = *appended;
                                return absl::OkStatus();
                              }),
          "produce");
    const double now = NowSeconds();
    std::lock_guard lock(mu);
    committed_at[id] = now - start < warmup ? -1 : now;  // warm-up: not measured
  }
  producing = false;
  consuming.join();
  relay.Stop(absl::ZeroDuration());
  DeleteKey(ctx, stream);
  std::vector<double> latencies_ms;
  int64_t missing = 0;
  for (const auto& [id, committed] : committed_at) {
    auto it = applied_at.find(id);
    if (it == applied_at.end()) {
      ++missing;
    } else if (committed >= 0) {
      latencies_ms.push_back(std::max(0.0, it->second - committed) * 1000);
    }
  }
  if (missing > 0) {
    throw std::runtime_error(absl::StrCat(missing, " events never reached the consumer"));
  }
  ctx.Add({.id = "events.end_to_end.p50_ms",
           .value = Percentile(latencies_ms, 0.50),
           .unit = "ms",
           .better = Figure::Better::kLower});
  ctx.Add({.id = "events.end_to_end.p99_ms",
           .value = Percentile(latencies_ms, 0.99),
           .unit = "ms",
           .target = 50,
           .better = Figure::Better::kLower});
}

}  // namespace

void EventsSuite(BenchContext& ctx) {
  ResetSchemas(ctx.pg_conninfo);
  RelayThroughput(ctx);
  EndToEndLatency(ctx);
}

}  // namespace zx::bench
