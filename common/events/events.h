// Domain events: transactional outbox -> relay -> Redis stream -> consumer
// groups with idempotent handlers. Delivery is at-least-once; effects are
// exactly-once because a handler's effect and the event id commit together.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/message.h>
#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg/pg.h"
#include "zx/common/v1/event.pb.h"

namespace prometheus {
class Registry;
}

namespace zx::events {

// Redis key of a service's stream: "<namespace>:events:<service>".
std::string StreamKey(std::string_view redis_namespace, std::string_view service);

struct NewEvent {
  std::string type;  // "monitoring.household_registered"
  int version = 1;
  std::string division_code;
  std::string aggregate_id;
  const google::protobuf::Message* payload = nullptr;
  std::string causation_id;  // request_id that caused it
};

// Appends an event to the outbox of the transaction's schema; it leaves only
// if the transaction commits. Returns the event id.
absl::StatusOr<std::string> Append(pqxx::transaction_base& tx, std::string_view instance,
                                   const NewEvent& event);
// Append for many events in one COPY (bulk paths); the same order and
// guarantees as appending them one by one. Returns the event ids in order.
absl::StatusOr<std::vector<std::string>> AppendMany(pqxx::transaction_base& tx,
                                                    std::string_view instance,
                                                    const std::vector<NewEvent>& events);

struct RelayOptions {
  std::string pg_conninfo;
  std::string schema;      // service schema holding the outbox
  std::string stream_key;  // Redis stream to publish to
  std::string redis_host;
  int redis_port = 6379;
  int batch_size = 500;
  absl::Duration poll_interval = absl::Seconds(1);  // when no local commit wakes it
  absl::Duration metrics_interval = absl::Seconds(5);
  // How often to check that the stream still holds the recorded batches even
  // when the connection did not drop (every batch also probes the marker key
  // and the newest recorded entry).
  absl::Duration stream_check_interval = absl::Seconds(5);
};

// Moves outbox rows to the stream in id order, in batches, marking them
// published (with their stream ids) in the same transaction. One relay per
// outbox works at a time (transaction-scoped advisory lock; replicas take
// over when it dies). Woken after local commits, polls as a fallback. Detects
// a Redis that lost data (recorded batches' entries gone: the whole stream or
// its tail) under the relay lock, before it adds anything, and re-publishes
// from the newest batch that survived. Assumes the stream is never trimmed.
class Relay {
 public:
  Relay(RelayOptions options, prometheus::Registry* registry);
  ~Relay();

  void Start();
  // Publishes what is left (bounded by `grace`), then stops the thread.
  void Stop(absl::Duration grace = absl::Seconds(5));

  // One batch; returns how many rows were published. For tests and Stop().
  absl::StatusOr<int> PublishBatch();
  // Rows not yet published.
  absl::StatusOr<int64_t> Depth();

 private:
  struct State;
  void Run();
  absl::Status EnsureConnected();
  // What a stream check did inside the publishing transaction; recorded
  // (Checked) only after that transaction commits.
  struct CheckResult {
    uint64_t connection = 0;  // RedisClient::connections() it checked
    int64_t republished = 0;  // outbox rows marked unpublished again
    bool marker_lost = false;
  };
  absl::StatusOr<CheckResult> CheckStream(pqxx::transaction_base& tx);
  void Checked(const CheckResult& check);
  std::string MarkerKey() const;

  RelayOptions options_;
  std::unique_ptr<State> state_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

using Handler = std::function<absl::Status(pqxx::transaction_base&, const zx::common::v1::Event&)>;

// A consumer's work on one batch of entries, for handlers that gather what
// several events need (one re-assessment per household, however many of its
// events came together) and do it once at the end. The consumer makes one per
// batch, calls Handle for each new entry (inside the entry's savepoint) and
// Finish once, in the same transaction, before the commit. When Finish
// fails the batch rolls back and is retried entry by entry — a BatchWork per
// entry — so one bad entry is retried and dead-lettered on its own.
class BatchWork {
 public:
  virtual ~BatchWork() = default;
  virtual absl::Status Handle(pqxx::transaction_base& tx, const zx::common::v1::Event& event) = 0;
  virtual absl::Status Finish(pqxx::transaction_base& tx) = 0;

  // Work that can take a whole batch at once says so: the consumer then
  // records the batch's processed events in one statement and calls
  // HandleAll with the new ones, without a savepoint each, instead of
  // Handle per entry. An error rolls the batch back, and it is retried
  // entry by entry through Handle, as when Finish fails.
  virtual bool HandlesAll() const { return false; }
  virtual absl::Status HandleAll(pqxx::transaction_base& tx,
                                 std::span<const zx::common::v1::Event> events) {
    (void)tx;
    (void)events;
    return absl::UnimplementedError("this batch work handles entries one by one");
  }
};
using BatchWorkFactory = std::function<std::unique_ptr<BatchWork>()>;
// A plain handler as batch work: all of it in Handle, nothing at the end.
BatchWorkFactory PerEventWork(Handler handler);

struct ConsumerOptions {
  std::string stream_key;
  std::string group;          // consumer group, e.g. "monitoring"
  std::string consumer_name;  // unique per process, e.g. "<host>-<pid>"
  std::string redis_host;
  int redis_port = 6379;
  int batch_size = 500;
  absl::Duration block = absl::Seconds(1);
  // Entries pending this long at another (dead) consumer are claimed.
  absl::Duration claim_idle = absl::Seconds(30);
  absl::Duration claim_interval = absl::Seconds(5);
  // Past this many failed attempts an entry moves to "<stream>:dead".
  int max_attempts = 10;
  // A failed entry is tried again after this pause; new entries are read
  // meanwhile, so one that keeps failing does not hold up those behind it.
  absl::Duration retry_delay = absl::Milliseconds(250);
};

// A consumer-group worker: re-reads its own pending entries on start, then
// new ones, with failed entries tried again every retry_delay; handles each in one PostgreSQL
// transaction together with the processed-event row; XACKs only after commit; claims entries of
// dead consumers (XAUTOCLAIM); recreates the group if Redis lost it.
class Consumer {
 public:
  Consumer(ConsumerOptions options, pg::Pool& pool, Handler handler,
           prometheus::Registry* registry);
  Consumer(ConsumerOptions options, pg::Pool& pool, BatchWorkFactory make_work,
           prometheus::Registry* registry);
  ~Consumer();

  void Start();
  // Asks the consumer to stop after its current read (returns at once);
  // Stop() asks and waits. Stopping many: ask them all, then wait.
  void RequestStop() { stop_ = true; }
  void Stop();

  // One read-handle-ack round; returns how many entries were handled
  // (including skipped duplicates). For tests.
  absl::StatusOr<int> RunOnce();

 private:
  struct State;
  void Run();

  ConsumerOptions options_;
  pg::Pool& pool_;
  BatchWorkFactory make_work_;
  std::unique_ptr<State> state_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// "<hostname>-<pid>": unique consumer name for this process.
std::string DefaultConsumerName();

// New random event id (UUID v4 text).
std::string NewEventId();

}  // namespace zx::events
