#include "common/events/events.h"

#include "common/base/strings.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/events/redis.h"
#include "common/logging/logging.h"

namespace zx::events {

std::string StreamKey(std::string_view redis_namespace, std::string_view service) {
  return absl::StrCat(AsAbsl(redis_namespace), ":events:", AsAbsl(service));
}

std::string NewEventId() {
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, b, sizeof b);
  std::string h(hex);
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-",
                      h.substr(16, 4), "-", h.substr(20));
}

std::string DefaultConsumerName() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return absl::StrCat(host, "-", getpid());
}

namespace {

absl::StatusOr<zx::common::v1::Event> Envelope(std::string_view instance, const NewEvent& event) {
  if (event.type.empty() || event.payload == nullptr) {
    return absl::InternalError("an event needs a type and a payload");
  }
  zx::common::v1::Event e;
  e.set_id(NewEventId());
  e.set_type(event.type);
  e.set_version(event.version);
  const absl::Time now = absl::Now();
  e.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(now));
  e.mutable_occurred_at()->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(now - absl::FromUnixSeconds(absl::ToUnixSeconds(now)))));
  e.set_division_code(event.division_code);
  e.set_aggregate_id(event.aggregate_id);
  e.mutable_payload()->PackFrom(*event.payload);
  e.set_instance(std::string(instance));
  e.set_causation_id(event.causation_id);
  return e;
}

}  // namespace

namespace {

// Wakes this process's relays once a transaction that appended events has
// committed. In-process rather than NOTIFY: PostgreSQL serializes the
// commits of every transaction that sent a NOTIFY (a database-wide lock
// held through the commit's WAL flush), which capped every event-writing
// path. A replica whose relay is not woken finds the rows at its next poll;
// the committing process's own relay publishes them at once.
struct RelayWake {
  std::mutex mutex;
  std::condition_variable changed;
  uint64_t generation = 0;  // Guarded by mutex.
};

RelayWake& Wake() {
  static auto* wake = new RelayWake;
  return *wake;
}

void WakeRelays() {
  RelayWake& w = Wake();
  {
    std::lock_guard<std::mutex> lock(w.mutex);
    ++w.generation;
  }
  w.changed.notify_all();
}

uint64_t WakeGeneration() {
  RelayWake& w = Wake();
  std::lock_guard<std::mutex> lock(w.mutex);
  return w.generation;
}

constexpr char kWakeHook = 0;  // AfterCommit key: one wake per transaction

// Up to this many events AppendMany inserts; more go through COPY.
constexpr size_t kMaxInsertedAppend = 200;

}  // namespace

absl::StatusOr<std::string> Append(pqxx::transaction_base& tx, std::string_view instance,
                                   const NewEvent& event) {
  auto e = Envelope(instance, event);
  if (!e.ok()) return e.status();
  pg::AfterCommit(&kWakeHook, &WakeRelays);
  const std::string bytes = e->SerializeAsString();
  pg::ExecPrepared(tx, "zx_outbox_append",
                   "INSERT INTO outbox (event_id, event_type, aggregate_id, division_code, event) "
                   "VALUES ($1, $2, $3, $4, $5)",
                   e->id(), e->type(), e->aggregate_id(), e->division_code(),
                   pqxx::binarystring(bytes.data(), bytes.size()));
  return e->id();
}

absl::StatusOr<std::vector<std::string>> AppendMany(pqxx::transaction_base& tx,
                                                    std::string_view instance,
                                                    const std::vector<NewEvent>& events) {
  std::vector<std::string> ids;
  if (events.empty()) return ids;
  pg::AfterCommit(&kWakeHook, &WakeRelays);
  std::vector<zx::common::v1::Event> envelopes;
  for (const NewEvent& event : events) {
    auto e = Envelope(instance, event);
    if (!e.ok()) return e.status();
    envelopes.push_back(*std::move(e));
  }
  if (envelopes.size() <= kMaxInsertedAppend) {
    // A few events (a settlement's attributions, a consumer batch's
    // bookings): one prepared INSERT. COPY costs two round trips and its own
    // set-up in the server, several times the work of the rows themselves.
    // The outbox id follows the arrays' order, as it follows COPY order.
    std::vector<std::string> ids, types, aggregates, divisions, bodies;
    for (const auto& e : envelopes) {
      ids.push_back(e.id());
      types.push_back(e.type());
      aggregates.push_back(e.aggregate_id());
      divisions.push_back(e.division_code());
      bodies.push_back(pg::HexBytes(e.SerializeAsString()));
    }
    pg::ExecPrepared(
        tx, "zx_outbox_append_many",
        "INSERT INTO outbox (event_id, event_type, aggregate_id, division_code, event) "
        "SELECT i, t, a, d, decode(b, 'hex') FROM unnest($1::text[], $2::text[], "
        "$3::text[], $4::text[], $5::text[]) AS u(i, t, a, d, b)",
        pg::ArrayLiteral(ids), pg::ArrayLiteral(types), pg::ArrayLiteral(aggregates),
        pg::ArrayLiteral(divisions), pg::ArrayLiteral(bodies));
    return ids;
  }
  // The outbox id (bigserial) follows COPY order, as it follows INSERT order.
  pqxx::stream_to copy(
      tx, "outbox",
      std::vector<std::string>{"event_id", "event_type", "aggregate_id", "division_code", "event"});
  for (const auto& e : envelopes) {
    copy << std::make_tuple(e.id(), e.type(), e.aggregate_id(), e.division_code(),
                            tx.esc_raw(e.SerializeAsString()));
  }
  copy.complete();
  ids.reserve(envelopes.size());
  for (auto& e : envelopes) ids.push_back(std::move(*e.mutable_id()));
  return ids;
}

namespace {

struct StreamId {
  int64_t ms = 0;
  int64_t seq = 0;
};

absl::StatusOr<StreamId> ParseStreamId(std::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(AsAbsl(text), '-');
  StreamId id;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &id.ms) ||
      !absl::SimpleAtoi(parts[1], &id.seq)) {
    return absl::InternalError(absl::StrCat("bad stream id ", AsAbsl(text)));
  }
  return id;
}

std::string Str(const redisReply* r) { return std::string(r->str, r->len); }

}  // namespace

// ---------------------------------------------------------------- Relay

struct Relay::State {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<RedisClient> redis;
  uint64_t checked_connection = 0;  // RedisClient::connections() at the last check
  absl::Time next_stream_check = absl::InfinitePast();
  absl::Time next_metrics = absl::InfinitePast();
  prometheus::Counter* relayed = nullptr;
  prometheus::Counter* republished = nullptr;
  prometheus::Gauge* depth = nullptr;
  prometheus::Gauge* lag_seconds = nullptr;
  prometheus::Family<prometheus::Gauge>* group_lag = nullptr;
  prometheus::Family<prometheus::Gauge>* group_pending = nullptr;
  prometheus::Gauge* dead_letters = nullptr;
};

Relay::Relay(RelayOptions options, prometheus::Registry* registry)
    : options_(std::move(options)), state_(std::make_unique<State>()) {
  state_->redis = std::make_unique<RedisClient>(options_.redis_host, options_.redis_port);
  if (registry != nullptr) {
    const prometheus::Labels labels = {{"stream", options_.stream_key}};
    state_->relayed = &prometheus::BuildCounter()
                           .Name("zx_events_relayed_total")
                           .Help("Outbox events published to the Redis stream")
                           .Register(*registry)
                           .Add(labels);
    state_->republished = &prometheus::BuildCounter()
                               .Name("zx_events_republished_total")
                               .Help("Events re-published because Redis lost them")
                               .Register(*registry)
                               .Add(labels);
    state_->depth = &prometheus::BuildGauge()
                         .Name("zx_events_outbox_depth")
                         .Help("Outbox events not yet published")
                         .Register(*registry)
                         .Add(labels);
    state_->lag_seconds = &prometheus::BuildGauge()
                               .Name("zx_events_relay_lag_seconds")
                               .Help("Age of the oldest unpublished outbox event")
                               .Register(*registry)
                               .Add(labels);
    state_->group_lag = &prometheus::BuildGauge()
                             .Name("zx_events_consumer_lag")
                             .Help("Stream entries not yet delivered to a consumer group")
                             .Register(*registry);
    state_->dead_letters = &prometheus::BuildGauge()
                                .Name("zx_events_dead_letters")
                                .Help(
                                    "Entries of this stream that a consumer gave up on, waiting "
                                    "in <stream>:dead")
                                .Register(*registry)
                                .Add(labels);
    state_->group_pending = &prometheus::BuildGauge()
                                 .Name("zx_events_consumer_pending")
                                 .Help("Entries delivered to a consumer group but not acknowledged")
                                 .Register(*registry);
  }
}

Relay::~Relay() { Stop(absl::ZeroDuration()); }

void Relay::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Relay::Stop(absl::Duration grace) {
  if (!thread_.joinable()) return;
  stop_ = true;
  WakeRelays();
  thread_.join();
  // Flush what committed before shutdown so nothing waits for the next start.
  const absl::Time until = absl::Now() + grace;
  while (absl::Now() < until) {
    auto n = PublishBatch();
    if (!n.ok() || *n == 0) break;
  }
}

absl::Status Relay::EnsureConnected() {
  if (state_->conn != nullptr && state_->conn->is_open()) return absl::OkStatus();
  state_->conn.reset();
  try {
    // The batch query walks the unpublished index in id order and stops at
    // the batch. Left to itself the planner, whose estimate of unpublished
    // rows is stale once a backlog builds, takes a bitmap of every
    // unpublished entry (dead ones too) and sorts: each batch then costs the
    // whole backlog, and the relay falls further behind the more it is
    // behind. Set for the session (the relay's own connection), not per
    // batch: a round trip fewer for every batch.
    state_->conn = std::make_unique<pqxx::connection>(
        pg::WithSearchPath(options_.pg_conninfo, options_.schema,
                           {{"enable_bitmapscan", "off"}, {"enable_sort", "off"}}));
    return absl::OkStatus();
  } catch (const std::exception& e) {
    state_->conn.reset();
    return pg::StatusFromException(e);
  }
}

std::string Relay::MarkerKey() const { return options_.stream_key + ":relay-marker"; }

namespace {

std::string IdText(const StreamId& id) { return absl::StrCat(id.ms, "-", id.seq); }

// Recorded batches' stream ids before `before` (all when unset), newest
// first, at most `limit`.
std::vector<StreamId> RecordedBatches(pqxx::transaction_base& tx, const StreamId* before,
                                      int limit) {
  pqxx::result rows = before == nullptr ? tx.exec_params(
                                              "SELECT stream_ms, stream_seq FROM outbox_batches "
                                              "ORDER BY stream_ms DESC, stream_seq DESC LIMIT $1",
                                              limit)
                                        : tx.exec_params(
                                              "SELECT stream_ms, stream_seq FROM outbox_batches "
                                              "WHERE (stream_ms, stream_seq) < ($1, $2) "
                                              "ORDER BY stream_ms DESC, stream_seq DESC LIMIT $3",
                                              before->ms, before->seq, limit);
  std::vector<StreamId> ids;
  for (const auto& row : rows) ids.push_back({row[0].as<int64_t>(), row[1].as<int64_t>()});
  return ids;
}

// For each id, whether the stream still holds that entry (one round trip).
absl::StatusOr<std::vector<bool>> EntriesExist(RedisClient& redis, const std::string& stream,
                                               const std::vector<StreamId>& ids) {
  std::vector<std::vector<std::string>> cmds;
  for (const StreamId& id : ids) {
    cmds.push_back({"XRANGE", stream, IdText(id), IdText(id), "COUNT", "1"});
  }
  auto replies = redis.Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  std::vector<bool> exist;
  for (const Reply& r : *replies) {
    if (r->type == REDIS_REPLY_ERROR) {
      return absl::UnavailableError(absl::StrCat("XRANGE: ", ErrorText(r.get())));
    }
    exist.push_back(r->type == REDIS_REPLY_ARRAY && r->elements > 0);
  }
  return exist;
}

}  // namespace

absl::StatusOr<Relay::CheckResult> Relay::CheckStream(pqxx::transaction_base& tx) {
  // Redis may have lost data (restart without fsync, FLUSHALL, failover to a
  // stale replica, the stream key deleted or evicted). Runs under the relay
  // lock, before this relay adds anything: no batch is recorded meanwhile.
  // Redis loses a stream's tail or the whole stream, so the recorded batches
  // whose entries survive are the oldest ones. Everything recorded after the
  // newest surviving batch is marked unpublished and goes again; consumers
  // skip what they already applied. The stream's last id is no guide: an
  // entry added after the loss moves it past every lost id.
  RedisClient& redis = *state_->redis;
  const std::string& stream = options_.stream_key;
  auto marker = redis.Command({"EXISTS", MarkerKey()});
  if (!marker.ok()) return marker.status();
  const bool marker_lost = (*marker)->type == REDIS_REPLY_INTEGER && (*marker)->integer == 0;
  StreamId last;  // the newest recorded batch still in the stream; 0-0: none
  if (!marker_lost) {
    std::vector<StreamId> newest = RecordedBatches(tx, nullptr, 1);
    if (!newest.empty()) {
      std::vector<StreamId> probe = newest;
      const pqxx::row oldest = tx.exec1(
          "SELECT stream_ms, stream_seq FROM outbox_batches ORDER BY stream_ms, stream_seq LIMIT "
          "1");
      probe.push_back({oldest[0].as<int64_t>(), oldest[1].as<int64_t>()});
      auto exist = EntriesExist(redis, stream, probe);
      if (!exist.ok()) return exist.status();
      if ((*exist)[0]) {
        last = newest.front();  // nothing lost
      } else if ((*exist)[1]) {
        // A lost tail: walk back from the newest, in growing steps, to the
        // newest batch that survived.
        StreamId before = newest.front();
        for (int step = 16; last.ms == 0 && last.seq == 0; step = std::min(step * 4, 4096)) {
          std::vector<StreamId> ids = RecordedBatches(tx, &before, step);
          if (ids.empty()) break;
          auto found = EntriesExist(redis, stream, ids);
          if (!found.ok()) return found.status();
          for (size_t i = 0; i < ids.size(); ++i) {
            if ((*found)[i]) {
              last = ids[i];
              break;
            }
          }
          before = ids.back();
        }
      }
    }
  }
  auto r = tx.exec_params(
      "UPDATE outbox o SET published_at = NULL FROM outbox_batches b "
      "WHERE (b.stream_ms, b.stream_seq) > ($1, $2) AND o.id BETWEEN b.first_id AND b.last_id "
      "AND o.published_at IS NOT NULL",
      last.ms, last.seq);
  tx.exec_params("DELETE FROM outbox_batches WHERE (stream_ms, stream_seq) > ($1, $2)", last.ms,
                 last.seq);
  // Set before the commit: if the commit fails, the recorded batches still
  // name the lost entries, and the caller checks again before it publishes.
  auto set = redis.Command({"SET", MarkerKey(), "1"});
  if (!set.ok()) return set.status();
  if ((*set)->type == REDIS_REPLY_ERROR) {
    return absl::UnavailableError(absl::StrCat("SET marker: ", ErrorText(set->get())));
  }
  return CheckResult{.connection = redis.connections(),
                     .republished = static_cast<int64_t>(r.affected_rows()),
                     .marker_lost = marker_lost};
}

void Relay::Checked(const CheckResult& check) {
  state_->checked_connection = check.connection;
  state_->next_stream_check = absl::Now() + options_.stream_check_interval;
  if (check.republished > 0) {
    logging::Warn(
        "events_republish",
        {{"stream", options_.stream_key},
         {"events", std::to_string(check.republished)},
         {"reason", check.marker_lost ? "Redis lost the stream (marker key gone)"
                                      : "the Redis stream lost entries the outbox recorded"}});
    if (state_->republished) state_->republished->Increment(check.republished);
  }
}

absl::StatusOr<int> Relay::PublishBatch() {
  if (auto s = EnsureConnected(); !s.ok()) return s;
  if (auto s = state_->redis->EnsureConnected(); !s.ok()) return s;
  try {
    pqxx::work tx(*state_->conn);
    // One relay per outbox at a time (replicas take turns): keeps the stream
    // in outbox order and avoids row locks, which cost a WAL record per row.
    if (!tx.exec_params1("SELECT pg_try_advisory_xact_lock(hashtext($1))",
                         "zx.relay." + options_.schema)[0]
             .as<bool>()) {
      tx.commit();
      return 0;
    }
    // Check on every new Redis connection, under the lock and before
    // anything is added to the stream, and now and then besides. What the
    // check found counts only once its transaction commits: until then the
    // next call checks again.
    std::optional<CheckResult> checked;
    if (state_->redis->connections() != state_->checked_connection ||
        absl::Now() >= state_->next_stream_check) {
      auto check = CheckStream(tx);
      if (!check.ok()) return check.status();
      checked = *check;
    }
    // Not prepared: after five runs PostgreSQL may keep a generic plan, which
    // knows neither the limit nor how many ids are marked; prepared, the
    // consumption suite's settle -> income p99 went from 3.5-3.7 s to 5.4 s.
    auto rows = tx.exec_params(
        "SELECT id, event_id, event_type, event FROM outbox WHERE published_at IS NULL "
        "ORDER BY id LIMIT $1",
        options_.batch_size);
    if (rows.empty()) {
      tx.commit();
      if (checked) Checked(*checked);
      return 0;
    }
    // The marker and a recorded entry go first in the same pipeline: if
    // either vanished (FLUSHALL, the stream key deleted or evicted on a live
    // connection), this batch is not marked published and the next call
    // checks the stream and re-publishes what was lost.
    // The newest recorded batch, whichever replica published it.
    const std::vector<StreamId> newest = RecordedBatches(tx, nullptr, 1);
    const bool probing = !newest.empty();
    const StreamId probe = probing ? newest.front() : StreamId{};
    std::vector<std::vector<std::string>> cmds;
    cmds.reserve(rows.size() + 2);
    cmds.push_back({"EXISTS", MarkerKey()});
    cmds.push_back(probing ? std::vector<std::string>{"XRANGE", options_.stream_key, IdText(probe),
                                                      IdText(probe), "COUNT", "1"}
                           : std::vector<std::string>{"PING"});
    for (const auto& row : rows) {
      pqxx::binarystring event(row[3]);
      cmds.push_back({"XADD", options_.stream_key, "*", "id", row[1].as<std::string>(), "type",
                      row[2].as<std::string>(), "event", event.str()});
    }
    auto replies = state_->redis->Pipeline(cmds);
    if (!replies.ok()) return replies.status();  // reconnect => check first
    if ((*replies)[0]->type != REDIS_REPLY_INTEGER || (*replies)[0]->integer != 1) {
      state_->checked_connection = 0;
      return absl::UnavailableError("Redis lost the stream marker; checking the stream");
    }
    if (probing && ((*replies)[1]->type != REDIS_REPLY_ARRAY || (*replies)[1]->elements == 0)) {
      state_->checked_connection = 0;
      return absl::UnavailableError(absl::StrCat("Redis lost the recorded stream entry ",
                                                 IdText(probe), "; checking the stream"));
    }
    std::vector<std::string> ids;
    ids.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const redisReply* r = (*replies)[i + 2].get();
      if (r->type != REDIS_REPLY_STRING) {
        return absl::UnavailableError(absl::StrCat("XADD failed: ", ErrorText(r)));
      }
      ids.push_back(rows[i][0].c_str());
    }
    auto last = ParseStreamId(Str((*replies)[rows.size() + 1].get()));
    if (!last.ok()) return last.status();
    tx.exec_params("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                   absl::StrCat("{", absl::StrJoin(ids, ","), "}"));
    tx.exec_params(
        "INSERT INTO outbox_batches (last_id, first_id, stream_ms, stream_seq) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (last_id) DO UPDATE SET first_id = "
        "LEAST(outbox_batches.first_id, EXCLUDED.first_id), stream_ms = EXCLUDED.stream_ms, "
        "stream_seq = EXCLUDED.stream_seq, published_at = now()",
        ids.back(), ids.front(), last->ms, last->seq);
    tx.commit();
    if (checked) Checked(*checked);
    if (state_->relayed) state_->relayed->Increment(static_cast<double>(rows.size()));
    return static_cast<int>(rows.size());
  } catch (const std::exception& e) {
    if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
      state_->conn.reset();
    }
    return pg::StatusFromException(e);
  }
}

absl::StatusOr<int64_t> Relay::Depth() {
  if (auto s = EnsureConnected(); !s.ok()) return s;
  try {
    pqxx::read_transaction tx(*state_->conn);
    auto row = tx.exec1(
        "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) "
        "FROM outbox WHERE published_at IS NULL");
    const auto depth = row[0].as<int64_t>();
    if (state_->depth) state_->depth->Set(static_cast<double>(depth));
    if (state_->lag_seconds) state_->lag_seconds->Set(row[1].as<double>());
    return depth;
  } catch (const std::exception& e) {
    return pg::StatusFromException(e);
  }
}

void Relay::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stop_) {
    // Read before draining: a commit during the drain then skips the wait.
    const uint64_t seen = WakeGeneration();
    absl::Status status = absl::OkStatus();
    // Drain everything committed so far, batch after batch.
    while (!stop_) {
      auto n = PublishBatch();
      if (!n.ok()) {
        status = n.status();
        break;
      }
      if (*n < options_.batch_size) break;
    }
    if (!status.ok()) {
      logging::Warn("relay_error", {{"stream", options_.stream_key}, {"error", status.ToString()}});
      std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
      backoff = std::min(backoff * 2, absl::Seconds(5));
      continue;
    }
    backoff = absl::Milliseconds(100);
    if (absl::Now() >= state_->next_metrics) {
      state_->next_metrics = absl::Now() + options_.metrics_interval;
      (void)Depth();
      if (state_->group_lag != nullptr) {
        auto groups = state_->redis->Command({"XINFO", "GROUPS", options_.stream_key});
        if (groups.ok() && (*groups)->type == REDIS_REPLY_ARRAY) {
          for (size_t g = 0; g < (*groups)->elements; ++g) {
            const redisReply* group = (*groups)->element[g];
            std::map<std::string, const redisReply*> fields;
            for (size_t i = 0; i + 1 < group->elements; i += 2) {
              fields[Str(group->element[i])] = group->element[i + 1];
            }
            if (!fields.contains("name")) continue;
            const prometheus::Labels labels = {{"stream", options_.stream_key},
                                               {"group", Str(fields["name"])}};
            if (fields.contains("pending") && fields["pending"]->type == REDIS_REPLY_INTEGER) {
              state_->group_pending->Add(labels).Set(
                  static_cast<double>(fields["pending"]->integer));
            }
            if (fields.contains("lag") && fields["lag"]->type == REDIS_REPLY_INTEGER) {
              state_->group_lag->Add(labels).Set(static_cast<double>(fields["lag"]->integer));
            }
          }
        }
        // What consumers of this stream gave up on, until someone deals with
        // it: the alert on it does not clear by itself.
        auto dead = state_->redis->Command({"XLEN", options_.stream_key + ":dead"});
        if (dead.ok() && (*dead)->type == REDIS_REPLY_INTEGER) {
          state_->dead_letters->Set(static_cast<double>((*dead)->integer));
        }
      }
    }
    // Sleeps until a local commit appended events or the poll interval passes.
    RelayWake& w = Wake();
    std::unique_lock<std::mutex> lock(w.mutex);
    w.changed.wait_for(lock, absl::ToChronoMilliseconds(options_.poll_interval),
                       [&] { return stop_ || w.generation != seen; });
  }
}

// ---------------------------------------------------------------- Consumer

struct Consumer::State {
  std::unique_ptr<RedisClient> redis;
  bool group_ready = false;
  bool read_own_pending = true;  // after (re)start: re-read "0" until empty
  // Entries whose handler failed stay pending at this consumer; they are
  // read again ("0") from retry_at, and new entries (">") until then.
  bool failed_pending = false;
  absl::Time retry_at = absl::InfinitePast();
  absl::Time next_claim = absl::InfinitePast();
  // Failed attempts by stream id. Kept in memory: a restart grants an entry
  // a fresh set of attempts, which errs on the side of applying it.
  std::map<std::string, int> attempts;
  // The batch's end failed: its entries are retried one by one.
  bool entry_by_entry = false;
  prometheus::Family<prometheus::Counter>* consumed = nullptr;
  prometheus::Counter* applied = nullptr;
  prometheus::Counter* duplicate = nullptr;
  prometheus::Counter* failed = nullptr;
  prometheus::Counter* dead = nullptr;
};

namespace {

class PlainHandlerWork final : public BatchWork {
 public:
  explicit PlainHandlerWork(std::shared_ptr<const Handler> handler)
      : handler_(std::move(handler)) {}
  absl::Status Handle(pqxx::transaction_base& tx, const zx::common::v1::Event& event) override {
    return (*handler_)(tx, event);
  }
  absl::Status Finish(pqxx::transaction_base&) override { return absl::OkStatus(); }

 private:
  std::shared_ptr<const Handler> handler_;
};

}  // namespace

BatchWorkFactory PerEventWork(Handler handler) {
  return [shared = std::make_shared<const Handler>(std::move(handler))] {
    return std::make_unique<PlainHandlerWork>(shared);
  };
}

Consumer::Consumer(ConsumerOptions options, pg::Pool& pool, Handler handler,
                   prometheus::Registry* registry)
    : Consumer(std::move(options), pool, PerEventWork(std::move(handler)), registry) {}

Consumer::Consumer(ConsumerOptions options, pg::Pool& pool, BatchWorkFactory make_work,
                   prometheus::Registry* registry)
    : options_(std::move(options)),
      pool_(pool),
      make_work_(std::move(make_work)),
      state_(std::make_unique<State>()) {
  state_->redis = std::make_unique<RedisClient>(options_.redis_host, options_.redis_port,
                                                options_.block + absl::Seconds(5));
  if (registry != nullptr) {
    auto& family = prometheus::BuildCounter()
                       .Name("zx_events_consumed_total")
                       .Help("Events handled by a consumer group, by result")
                       .Register(*registry);
    auto labels = [&](const char* result) {
      return prometheus::Labels{
          {"stream", options_.stream_key}, {"group", options_.group}, {"result", result}};
    };
    state_->applied = &family.Add(labels("applied"));
    state_->duplicate = &family.Add(labels("duplicate"));
    state_->failed = &family.Add(labels("failed"));
    state_->dead = &family.Add(labels("dead_lettered"));
  }
}

Consumer::~Consumer() { Stop(); }

void Consumer::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Consumer::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
}

namespace {

struct Entry {
  std::string id;
  bool has_fields = false;
  std::map<std::string, std::string> fields;
};

// Parses [[id, [k, v, ...]], ...]; a nil field list means the entry was
// trimmed away while pending.
std::vector<Entry> ParseEntries(const redisReply* list) {
  std::vector<Entry> out;
  if (list == nullptr || list->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < list->elements; ++i) {
    const redisReply* e = list->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2) continue;
    Entry entry;
    entry.id = Str(e->element[0]);
    const redisReply* kv = e->element[1];
    if (kv->type == REDIS_REPLY_ARRAY) {
      entry.has_fields = true;
      for (size_t j = 0; j + 1 < kv->elements; j += 2) {
        entry.fields[Str(kv->element[j])] = Str(kv->element[j + 1]);
      }
    }
    out.push_back(std::move(entry));
  }
  return out;
}

// The batch's processed-event rows in one statement, then its new events to
// the work in one call. Entries already processed count as duplicates;
// unreadable ones are left for the caller to dead-letter.
absl::Status HandleAllAtOnce(pqxx::transaction_base& tx, const std::string& group, BatchWork& batch,
                             std::vector<Entry>& entries,
                             const std::vector<zx::common::v1::Event>& events,
                             const std::vector<bool>& readable, std::vector<std::string>& done,
                             std::vector<Entry*>& unreadable, int& applied, int& duplicates) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (readable[i]) ids.push_back(events[i].id());
  }
  std::set<std::string> fresh;
  if (!ids.empty()) {
    for (const auto& row :
         pg::ExecPrepared(tx, "zx_processed_insert_many",
                          "INSERT INTO processed_events (consumer_group, event_id) "
                          "SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING event_id",
                          group, pg::ArrayLiteral(ids))) {
      fresh.insert(row[0].as<std::string>());
    }
  }
  std::vector<zx::common::v1::Event> to_handle;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!readable[i]) {
      unreadable.push_back(&entries[i]);
      continue;
    }
    // An event id twice in one batch (a relay re-published it) is new once.
    if (fresh.erase(events[i].id()) == 1) {
      to_handle.push_back(events[i]);
      ++applied;
    } else {
      ++duplicates;
    }
    done.push_back(entries[i].id);
  }
  if (to_handle.empty()) return absl::OkStatus();
  try {
    return batch.HandleAll(tx, to_handle);
  } catch (const std::exception& e) {
    if (pg::IsRetryable(e)) throw;
    return pg::StatusFromException(e);
  }
}

}  // namespace

absl::StatusOr<int> Consumer::RunOnce() {
  RedisClient& redis = *state_->redis;
  if (!state_->group_ready) {
    auto r =
        redis.Command({"XGROUP", "CREATE", options_.stream_key, options_.group, "0", "MKSTREAM"});
    if (!r.ok()) return r.status();
    const std::string err = ErrorText(r->get());
    if (!err.empty() && err.find("BUSYGROUP") == std::string::npos) {
      return absl::UnavailableError(absl::StrCat("XGROUP CREATE: ", err));
    }
    state_->group_ready = true;
    state_->read_own_pending = true;
  }

  std::vector<Entry> entries;
  if (absl::Now() >= state_->next_claim) {
    // Take over entries that a dead consumer left pending too long.
    state_->next_claim = absl::Now() + options_.claim_interval;
    auto r =
        redis.Command({"XAUTOCLAIM", options_.stream_key, options_.group, options_.consumer_name,
                       std::to_string(absl::ToInt64Milliseconds(options_.claim_idle)), "0-0",
                       "COUNT", std::to_string(options_.batch_size)});
    if (!r.ok()) return r.status();
    if ((*r)->type == REDIS_REPLY_ARRAY && (*r)->elements >= 2) {
      entries = ParseEntries((*r)->element[1]);
    } else if (ErrorText(r->get()).find("NOGROUP") != std::string::npos) {
      state_->group_ready = false;
      return 0;
    }
  }
  if (entries.empty()) {
    const absl::Time now = absl::Now();
    const bool own_pending =
        state_->read_own_pending || (state_->failed_pending && now >= state_->retry_at);
    // While failed entries wait for their retry, new ones are read, but the
    // read blocks no longer than that wait (and never 0 ms: that blocks for
    // good).
    absl::Duration block = options_.block;
    if (state_->failed_pending) {
      block = std::clamp(state_->retry_at - now, absl::Milliseconds(1), options_.block);
    }
    auto r = redis.Command({"XREADGROUP", "GROUP", options_.group, options_.consumer_name, "COUNT",
                            std::to_string(options_.batch_size), "BLOCK",
                            std::to_string(absl::ToInt64Milliseconds(block)), "STREAMS",
                            options_.stream_key, own_pending ? "0" : ">"});
    if (!r.ok()) return r.status();
    const std::string err = ErrorText(r->get());
    if (!err.empty()) {
      if (err.find("NOGROUP") != std::string::npos) {
        // Redis lost the group (restart without persistence, flush): recreate.
        state_->group_ready = false;
        return 0;
      }
      return absl::UnavailableError(absl::StrCat("XREADGROUP: ", err));
    }
    if ((*r)->type == REDIS_REPLY_ARRAY && (*r)->elements > 0) {
      entries = ParseEntries((*r)->element[0]->element[1]);
    }
    if (own_pending) {
      // Read back until none are left; failures below set a new retry.
      state_->read_own_pending = !entries.empty();
      state_->failed_pending = false;
    }
  }
  if (entries.empty()) return 0;

  // One transaction for the batch, one savepoint per entry: a failing handler
  // rolls back only its own entry.
  std::vector<std::string> done;       // committed effect or duplicate: ack
  std::vector<Entry*> failed_entries;  // retried later
  std::vector<Entry*> unreadable;      // can never be applied
  int applied = 0, duplicates = 0;
  const bool entry_by_entry = state_->entry_by_entry;
  bool finish_failed = false;
  absl::Status tx_status = pg::WithTransaction(pool_, [&](pqxx::transaction_base& tx) {
    done.clear();
    failed_entries.clear();
    unreadable.clear();
    applied = duplicates = 0;
    finish_failed = false;
    std::unique_ptr<BatchWork> batch = entry_by_entry ? nullptr : make_work_();
    std::vector<zx::common::v1::Event> events(entries.size());
    std::vector<bool> readable(entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      // An entry without an event, or whose event has no id, cannot be told
      // apart from another: it is dead-lettered, never "applied".
      readable[i] = entries[i].has_fields && entries[i].fields.contains("event") &&
                    events[i].ParseFromString(entries[i].fields["event"]) &&
                    !events[i].id().empty();
    }
    if (batch != nullptr && batch->HandlesAll()) {
      absl::Status s = HandleAllAtOnce(tx, options_.group, *batch, entries, events, readable, done,
                                       unreadable, applied, duplicates);
      if (!s.ok()) {
        finish_failed = true;
        return s;  // rolls the batch back; retried entry by entry
      }
    }
    const bool one_by_one = batch == nullptr || !batch->HandlesAll();
    for (size_t i = 0; one_by_one && i < entries.size(); ++i) {
      auto& entry = entries[i];
      const zx::common::v1::Event& event = events[i];
      if (!readable[i]) {
        unreadable.push_back(&entry);  // trimmed away or not an Event: dead-lettered below
        continue;
      }
      // Savepoints by hand: libpqxx 6's subtransaction skips its SAVEPOINT
      // when the first statement is exec_params (checked here).
      tx.exec("SAVEPOINT zx_event");
      auto inserted = pg::ExecPrepared(
          tx, "zx_processed_insert",
          "INSERT INTO processed_events (consumer_group, event_id) VALUES ($1, $2) "
          "ON CONFLICT DO NOTHING",
          options_.group, event.id());
      if (inserted.affected_rows() == 0) {
        tx.exec("RELEASE SAVEPOINT zx_event");
        ++duplicates;
        done.push_back(entry.id);
        continue;
      }
      absl::Status s;
      try {
        if (batch != nullptr) {
          s = batch->Handle(tx, event);
        } else {
          auto own = make_work_();
          s = own->Handle(tx, event);
          if (s.ok()) s = own->Finish(tx);
        }
      } catch (const std::exception& e) {
        if (pg::IsRetryable(e)) throw;  // the whole batch is retried
        s = pg::StatusFromException(e);
      }
      if (s.ok()) {
        tx.exec("RELEASE SAVEPOINT zx_event");
        ++applied;
        done.push_back(entry.id);
      } else {
        tx.exec("ROLLBACK TO SAVEPOINT zx_event");
        logging::Warn("event_handler_failed", {{"group", options_.group},
                                               {"event_id", event.id()},
                                               {"type", event.type()},
                                               {"error", s.ToString()}});
        failed_entries.push_back(&entry);
      }
    }
    if (batch != nullptr) {
      absl::Status s;
      try {
        s = batch->Finish(tx);
      } catch (const std::exception& e) {
        if (pg::IsRetryable(e)) throw;
        s = pg::StatusFromException(e);
      }
      if (!s.ok()) {
        finish_failed = true;
        return s;  // rolls the batch back
      }
    }
    return absl::OkStatus();
  });
  // A batch is tried whole once; after its end failed, entry by entry, and
  // whole again once that round has gone through.
  state_->entry_by_entry = finish_failed;
  if (finish_failed) {
    logging::Warn("event_batch_failed", {{"group", options_.group},
                                         {"entries", std::to_string(entries.size())},
                                         {"error", tx_status.ToString()}});
    state_->read_own_pending = true;  // read again, entry by entry
    return 0;
  }
  if (!tx_status.ok()) {
    state_->read_own_pending = true;  // the batch stays pending: read it again
    return tx_status;
  }
  if (state_->applied) {
    state_->applied->Increment(applied);
    state_->duplicate->Increment(duplicates);
  }
  std::vector<std::vector<std::string>> dead_letters;
  for (Entry* entry : unreadable) {
    logging::Error("event_unreadable", {{"group", options_.group}, {"entry", entry->id}});
    state_->attempts[entry->id] = options_.max_attempts;
    failed_entries.push_back(entry);
  }
  for (Entry* entry : failed_entries) {
    if (state_->failed) state_->failed->Increment();
    if (++state_->attempts[entry->id] < options_.max_attempts) continue;
    // Poison: park it where operators can see it, then let the group move on.
    std::vector<std::string> xadd = {
        "XADD",        options_.stream_key + ":dead", "*", "source_id", entry->id, "group",
        options_.group};
    for (const auto& [k, v] : entry->fields) {
      xadd.push_back(k);
      xadd.push_back(v);
    }
    dead_letters.push_back(std::move(xadd));
    done.push_back(entry->id);
    if (state_->dead) state_->dead->Increment();
    logging::Error("event_dead_lettered", {{"group", options_.group}, {"entry", entry->id}});
  }
  if (!failed_entries.empty()) {
    // Give whatever the handler depends on a moment, so a short outage does
    // not burn through max_attempts; new entries are handled meanwhile.
    state_->failed_pending = true;
    state_->retry_at = absl::Now() + options_.retry_delay;
    state_->read_own_pending = false;
  }
  if (!dead_letters.empty()) {
    // Parked first, acknowledged only once parked: a failed XADD must not
    // let the XACK below drop the entry.
    auto r = redis.Pipeline(dead_letters);
    if (!r.ok()) return r.status();
    for (const auto& reply : *r) {
      if (reply->type != REDIS_REPLY_STRING) {
        return absl::UnavailableError(
            absl::StrCat("dead-letter XADD failed: ", ErrorText(reply.get())));
      }
    }
  }
  for (const auto& id : done) state_->attempts.erase(id);
  if (!done.empty()) {
    // If the ack is lost the entries are delivered again and skipped as
    // duplicates: the effect already committed with its event id.
    std::vector<std::string> xack = {"XACK", options_.stream_key, options_.group};
    xack.insert(xack.end(), done.begin(), done.end());
    auto r = redis.Command(xack);
    if (!r.ok()) return r.status();
  }
  return static_cast<int>(entries.size());
}

void Consumer::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stop_) {
    auto n = RunOnce();
    if (!n.ok()) {
      logging::Warn("consumer_error", {{"stream", options_.stream_key},
                                       {"group", options_.group},
                                       {"error", n.status().ToString()}});
      state_->group_ready = false;
      std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
      backoff = std::min(backoff * 2, absl::Seconds(2));
      continue;
    }
    backoff = absl::Milliseconds(100);
  }
}

}  // namespace zx::events
