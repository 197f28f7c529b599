// The event pipeline end to end against a real PostgreSQL and Redis:
// outbox -> relay -> stream -> consumer group, exactly-once in effect while
// relay and consumers are SIGKILLed at random points and Redis is killed and
// restarted; and no event lost when Redis loses its data.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include <prometheus/registry.h>

#include "absl/strings/str_cat.h"
#include "common/events/events.h"
#include "common/events/redis.h"
#include "common/migrations/migrations.h"
#include "common/pg/pg.h"
#include "common/testing/stack.h"
#include "zx/common/v1/types.pb.h"

extern char** environ;

namespace zx::events {
namespace {

using testing::Stack;

class Process {
 public:
  explicit Process(std::vector<std::string> args) : args_(std::move(args)) { Start(); }
  ~Process() { Kill(SIGKILL); }
  void Start() {
    std::vector<char*> argv;
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ), 0);
  }
  void Kill(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  void Restart() {
    Kill(SIGKILL);
    Start();
  }

 private:
  std::vector<std::string> args_;
  pid_t pid_ = -1;
};

void PrepareSchemas(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  ASSERT_TRUE(
      migrations::Apply(conn, "probe_producer", "common", migrations::CommonMigrations()).ok());
  ASSERT_TRUE(
      migrations::Apply(conn, "probe_consumer", "common", migrations::CommonMigrations()).ok());
  pqxx::work tx(conn);
  tx.exec("CREATE TABLE probe_consumer.effects (event_id text PRIMARY KEY, applied int NOT NULL)");
  tx.commit();
}

// Writes `count` events in transactions of `batch`, at about `per_second`.
std::vector<std::string> Produce(pg::Pool& producer, int count, int batch, int per_second) {
  std::vector<std::string> ids;
  zx::common::v1::GetServiceInfoRequest payload;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; i += batch) {
    const absl::Status s = pg::WithTransaction(producer, [&](pqxx::transaction_base& tx) {
      std::vector<std::string> made;
      for (int j = i; j < std::min(count, i + batch); ++j) {
        auto id = Append(tx, "test",
                         {.type = "test.happened",
                          .division_code = "653121000000",
                          .aggregate_id = absl::StrCat("agg-", j % 97),
                          .payload = &payload});
        if (!id.ok()) return id.status();
        made.push_back(*id);
      }
      ids.insert(ids.end(), made.begin(), made.end());
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    std::this_thread::sleep_until(start +
                                  std::chrono::milliseconds(1000LL * (i + batch) / per_second));
  }
  return ids;
}

struct Effects {
  int64_t rows = 0, applied_total = 0, applied_more_than_once = 0, unknown = 0;
};

Effects ReadEffects(const std::string& conninfo) {
  pqxx::connection conn(conninfo);
  pqxx::read_transaction tx(conn);
  auto r = tx.exec1(
      "SELECT count(*), COALESCE(sum(applied), 0), count(*) FILTER (WHERE applied > 1), "
      "count(*) FILTER (WHERE event_id NOT IN (SELECT event_id FROM probe_producer.outbox)) "
      "FROM probe_consumer.effects");
  return {r[0].as<int64_t>(), r[1].as<int64_t>(), r[2].as<int64_t>(), r[3].as<int64_t>()};
}

Effects WaitForEffects(const std::string& conninfo, int64_t want, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  Effects e;
  while (std::chrono::steady_clock::now() < until) {
    e = ReadEffects(conninfo);
    if (e.rows >= want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return e;
}

// The relay of the probe producer's outbox to `stream`.
RelayOptions RelayFor(const std::string& db, const std::string& stream) {
  Stack& stack = Stack::Get();
  return {.pg_conninfo = db,
          .schema = "probe_producer",
          .stream_key = stream,
          .redis_host = stack.redis_host(),
          .redis_port = stack.redis_port()};
}

// A test consumer "c1" of `group`, reading with a short BLOCK.
ConsumerOptions ConsumerFor(const std::string& stream, const std::string& group) {
  Stack& stack = Stack::Get();
  return {.stream_key = stream,
          .group = group,
          .consumer_name = "c1",
          .redis_host = stack.redis_host(),
          .redis_port = stack.redis_port(),
          .block = absl::Milliseconds(50)};
}

TEST(EventsExactlyOnceTest, TenThousandEventsSurviveKilledProcessesAndRedisRestart) {
  Stack& stack = Stack::Get();
  const std::string db = stack.FreshDatabase("events_exactly_once");
  PrepareSchemas(db);
  const std::string stream = "zx:test:events:exactly-once";
  const std::vector<std::string> common = {"--pg",     db,    "--redis", stack.redis_address(),
                                           "--stream", stream};
  auto args = [&](std::string mode) {
    std::vector<std::string> a = {ZX_EVENT_PROBE, std::move(mode)};
    a.insert(a.end(), common.begin(), common.end());
    return a;
  };
  Process relay(args("relay"));
  Process consumer_a(args("consume"));
  Process consumer_b(args("consume"));

  pg::Pool producer({.conninfo = db, .size = 2, .search_path = "probe_producer"});
  constexpr int kEvents = 10000;
  std::vector<std::string> produced;
  std::thread producing([&] { produced = Produce(producer, kEvents, 25, 1000); });

  // Chaos while the producer runs (~10 s): random SIGKILLs of every moving
  // part, and one Redis power cut in the middle.
  std::mt19937 rng(20261123);
  std::uniform_int_distribution<int> pause_ms(150, 900);
  std::uniform_int_distribution<int> victim(0, 2);
  int kills = 0;
  bool redis_restarted = false;
  const auto chaos_end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < chaos_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    switch (victim(rng)) {
      case 0:
        relay.Restart();
        break;
      case 1:
        consumer_a.Restart();
        break;
      default:
        consumer_b.Restart();
        break;
    }
    ++kills;
    if (!redis_restarted && kills == 8) {
      stack.KillAndRestartRedis();
      redis_restarted = true;
    }
  }
  producing.join();
  ASSERT_TRUE(redis_restarted);
  ASSERT_EQ(produced.size(), static_cast<size_t>(kEvents));

  const Effects e = WaitForEffects(db, kEvents, std::chrono::seconds(90));
  // Entries beyond kEvents were published twice (relay killed between XADD
  // and commit): the consumers must have recognised them.
  RedisClient redis(stack.redis_host(), stack.redis_port());
  auto xlen = redis.Command({"XLEN", stream});
  ASSERT_TRUE(xlen.ok());
  std::cout << "kills=" << kills << " stream_entries=" << (*xlen)->integer << " effects=" << e.rows
            << " applied_total=" << e.applied_total
            << " applied_more_than_once=" << e.applied_more_than_once << "\n";
  EXPECT_GE((*xlen)->integer, kEvents);
  EXPECT_EQ(e.rows, kEvents) << "every event's effect present";
  EXPECT_EQ(e.applied_total, kEvents) << "no effect applied twice";
  EXPECT_EQ(e.applied_more_than_once, 0);
  EXPECT_EQ(e.unknown, 0) << "no effect without an event";
  EXPECT_GE(kills, 10);

  pqxx::connection conn(db);
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM probe_producer.outbox WHERE published_at IS NULL")[0]
                .as<int>(),
            0)
      << "no stuck outbox rows";
}

// The probe consumer's effect: one row per event, counting its applications.
absl::Status CountEffect(pqxx::transaction_base& tx, const zx::common::v1::Event& event) {
  tx.exec_params(
      "INSERT INTO effects (event_id, applied) VALUES ($1, 1) "
      "ON CONFLICT (event_id) DO UPDATE SET applied = effects.applied + 1",
      event.id());
  return absl::OkStatus();
}

TEST(EventsRedisLossTest, RelayRepublishesWhatRedisLost) {
  Stack& stack = Stack::Get();
  const std::string db = stack.FreshDatabase("events_redis_loss");
  PrepareSchemas(db);
  const std::string stream = "zx:test:events:loss";
  pg::Pool producer({.conninfo = db, .size = 1, .search_path = "probe_producer"});
  pg::Pool consumer_pool({.conninfo = db, .size = 1, .search_path = "probe_consumer"});
  RelayOptions relay_options = RelayFor(db, stream);
  relay_options.stream_check_interval = absl::ZeroDuration();
  Relay relay(relay_options, nullptr);
  Consumer consumer(ConsumerFor(stream, "loss"), consumer_pool, CountEffect, nullptr);

  // 300 events published and consumed; 200 more published but not consumed.
  Produce(producer, 300, 50, 100000);
  while (*relay.PublishBatch() > 0) {
  }
  for (int i = 0; i < 20 && ReadEffects(db).rows < 300; ++i) ASSERT_TRUE(consumer.RunOnce().ok());
  ASSERT_EQ(ReadEffects(db).rows, 300);
  Produce(producer, 200, 50, 100000);
  while (*relay.PublishBatch() > 0) {
  }

  // Redis loses everything (stream, group, pending entries).
  stack.FlushRedis();
  stack.KillAndRestartRedis();

  // The relay notices the stream is behind the outbox and publishes again;
  // the consumer recreates its group and skips what it already applied.
  for (int i = 0; i < 10; ++i) {
    auto n = relay.PublishBatch();
    if (n.ok() && *n == 0) break;
  }
  for (int i = 0; i < 60 && ReadEffects(db).rows < 500; ++i) (void)consumer.RunOnce();
  const Effects e = ReadEffects(db);
  EXPECT_EQ(e.rows, 500) << "the 200 events Redis lost were delivered";
  EXPECT_EQ(e.applied_total, 500) << "the 300 already applied were not applied again";
}

TEST(EventsRedisLossTest, FlushOnALiveConnectionIsNoticed) {
  Stack& stack = Stack::Get();
  const std::string db = stack.FreshDatabase("events_flush");
  PrepareSchemas(db);
  const std::string stream = "zx:test:events:flush";
  pg::Pool producer({.conninfo = db, .size = 1, .search_path = "probe_producer"});
  pg::Pool consumer_pool({.conninfo = db, .size = 1, .search_path = "probe_consumer"});
  Relay relay(RelayFor(db, stream), nullptr);
  Consumer consumer(
      ConsumerFor(stream, "flush"), consumer_pool,
      [](pqxx::transaction_base& tx, const zx::common::v1::Event& event) {
        tx.exec_params("INSERT INTO effects VALUES ($1, 1)", event.id());
        return absl::OkStatus();
      },
      nullptr);
  Produce(producer, 100, 50, 100000);
  while (*relay.PublishBatch() > 0) {
  }
  // Lost before the consumer read them; the relay's connection stays up.
  stack.FlushRedis();
  Produce(producer, 50, 50, 100000);
  EXPECT_EQ(relay.PublishBatch().status().code(), absl::StatusCode::kUnavailable)
      << "the batch notices the stream marker is gone";
  for (int i = 0; i < 10; ++i) {
    auto n = relay.PublishBatch();
    if (n.ok() && *n == 0) break;
  }
  for (int i = 0; i < 40 && ReadEffects(db).rows < 150; ++i) (void)consumer.RunOnce();
  const Effects e = ReadEffects(db);
  EXPECT_EQ(e.rows, 150);
  EXPECT_EQ(e.applied_total, 150);
}

// How a loss scenario runs: `before` events published in batches of 50,
// then `lose` takes entries out of the stream while the relay's connection
// stays up, then 50 more are produced.
struct LossScenario {
  std::string database, stream;
  int before = 100;
  std::function<void(RedisClient&)> lose;
  // The stream's length once all is delivered again (what was re-published
  // shows in it); unchecked when negative.
  int64_t stream_length_after = -1;
  // The first transaction that records a batch after the loss fails
  // (a trigger), so the stream check made in it is rolled back.
  bool fail_first_record = false;
};

// Every one of the events must reach the consumer, once.
void ExpectEveryEventDeliveredAfterLoss(const LossScenario& scenario) {
  Stack& stack = Stack::Get();
  const std::string& stream = scenario.stream;
  const std::string db = stack.FreshDatabase(scenario.database);
  PrepareSchemas(db);
  RedisClient redis(stack.redis_host(), stack.redis_port());
  ASSERT_TRUE(redis.Command({"DEL", stream}).ok());
  pg::Pool producer({.conninfo = db, .size = 1, .search_path = "probe_producer"});
  pg::Pool consumer_pool({.conninfo = db, .size = 1, .search_path = "probe_consumer"});
  RelayOptions options = RelayFor(db, stream);
  options.batch_size = 50;
  Relay relay(options, nullptr);
  Consumer consumer(ConsumerFor(stream, "loss"), consumer_pool, CountEffect, nullptr);
  Produce(producer, scenario.before, 50, 100000);
  while (*relay.PublishBatch() > 0) {
  }
  scenario.lose(redis);
  if (scenario.fail_first_record) {
    pqxx::connection conn(db);
    pqxx::nontransaction(conn).exec(
        "CREATE SEQUENCE probe_producer.record_attempts; "
        "CREATE FUNCTION probe_producer.fail_first_record() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN IF nextval('probe_producer.record_attempts') = 1 THEN "
        "RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$; "
        "CREATE TRIGGER fail_first_record BEFORE INSERT ON probe_producer.outbox_batches "
        "FOR EACH ROW EXECUTE FUNCTION probe_producer.fail_first_record()");
  }
  const int total = scenario.before + 50;
  Produce(producer, 50, 50, 100000);
  EXPECT_EQ(relay.PublishBatch().status().code(), absl::StatusCode::kUnavailable)
      << "the batch notices a recorded entry is gone";
  if (scenario.fail_first_record) {
    EXPECT_FALSE(relay.PublishBatch().ok()) << "the injected failure";
  }
  for (int i = 0; i < 20; ++i) {
    auto n = relay.PublishBatch();
    if (n.ok() && *n == 0) break;
  }
  for (int i = 0; i < 60 && ReadEffects(db).rows < total; ++i) (void)consumer.RunOnce();
  const Effects e = ReadEffects(db);
  EXPECT_EQ(e.rows, total) << "every event reached the consumer";
  EXPECT_EQ(e.applied_total, total) << "none twice";
  if (scenario.stream_length_after >= 0) {
    auto length = redis.Command({"XLEN", stream});
    ASSERT_TRUE(length.ok());
    EXPECT_EQ((*length)->integer, scenario.stream_length_after);
  }
}

// The stream key deleted (or evicted) with the marker kept: the next batch
// would create a new stream, whose last id hides the lost entries.
TEST(EventsRedisLossTest, StreamDeletedOnALiveConnectionIsNoticed) {
  const std::string stream = "zx:test:events:deleted";
  ExpectEveryEventDeliveredAfterLoss(
      {.database = "events_deleted", .stream = stream, .lose = [&](RedisClient& redis) {
         ASSERT_TRUE(redis.Command({"DEL", stream}).ok());
       }});
}

// As above, and the transaction of the check that found the loss fails:
// the check counts only once committed, so the next call checks again
// before it publishes anything.
TEST(EventsRedisLossTest, ACheckWhoseTransactionFailsIsMadeAgain) {
  const std::string stream = "zx:test:events:check-rolled-back";
  ExpectEveryEventDeliveredAfterLoss({.database = "events_check_rolled_back",
                                      .stream = stream,
                                      .lose =
                                          [&](RedisClient& redis) {
                                            ASSERT_TRUE(redis.Command({"DEL", stream}).ok());
                                          },
                                      .fail_first_record = true});
}

// The stream's newest 60 of 250 entries gone (a failover to a replica that
// had not received them): the last batch of 50 whole and the recorded (last)
// entry of the one before. The relay walks back to the newest batch that
// survived, the third, and re-publishes only the two after it: 190 entries
// left + 50 added by the batch that noticed the loss (not recorded) + 100
// re-published + those 50 again = 390. Re-publishing everything would make
// it 540.
TEST(EventsRedisLossTest, LostTailIsRepublishedFromTheNewestSurvivingBatch) {
  const std::string stream = "zx:test:events:tail";
  ExpectEveryEventDeliveredAfterLoss(
      {.database = "events_tail",
       .stream = stream,
       .before = 250,
       .lose =
           [&](RedisClient& redis) {
             auto tail = redis.Command({"XREVRANGE", stream, "+", "-", "COUNT", "60"});
             ASSERT_TRUE(tail.ok());
             ASSERT_EQ((*tail)->elements, 60u);
             std::vector<std::string> xdel = {"XDEL", stream};
             for (size_t i = 0; i < (*tail)->elements; ++i) {
               const redisReply* id = (*tail)->element[i]->element[0];
               xdel.emplace_back(id->str, id->len);
             }
             auto deleted = redis.Command(xdel);
             ASSERT_TRUE(deleted.ok());
             ASSERT_EQ((*deleted)->integer, 60);
           },
       .stream_length_after = 390});
}

// The poison entry parked on "<stream>:dead" and nothing left pending for
// `group`.
void ExpectOneDeadLetterNothingPending(RedisClient& redis, const std::string& stream,
                                       const std::string& group) {
  auto dead = redis.Command({"XLEN", stream + ":dead"});
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ((*dead)->integer, 1);
  auto pending = redis.Command({"XPENDING", stream, group});
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ((*pending)->element[0]->integer, 0) << "nothing left pending";
}

// A fresh database with the probe producer's and consumer's schemas, a
// fresh `stream` (and its dead letters), a pool on each side and the relay
// between them.
struct ProbeStream {
  std::string db;
  std::unique_ptr<pg::Pool> producer, consumer_pool;
  std::unique_ptr<Relay> relay;
};

void OpenProbeStream(const std::string& database, const std::string& stream, ProbeStream& out) {
  Stack& stack = Stack::Get();
  out.db = stack.FreshDatabase(database);
  PrepareSchemas(out.db);
  RedisClient redis(stack.redis_host(), stack.redis_port());
  ASSERT_TRUE(redis.Command({"DEL", stream, stream + ":dead"}).ok());  // a rerun starts clean
  out.producer = std::make_unique<pg::Pool>(
      pg::PoolOptions{.conninfo = out.db, .size = 1, .search_path = "probe_producer"});
  out.consumer_pool = std::make_unique<pg::Pool>(
      pg::PoolOptions{.conninfo = out.db, .size = 1, .search_path = "probe_consumer"});
  out.relay = std::make_unique<Relay>(RelayFor(out.db, stream), nullptr);
}

// Consumer rounds until `group` has nothing pending on `stream`: failed
// entries are retried after ConsumerOptions::retry_delay, so how many rounds
// that takes depends on time. At most 200 rounds (a few seconds).
void RunUntilNothingPending(Consumer& consumer, RedisClient& redis, const std::string& stream,
                            const std::string& group) {
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(consumer.RunOnce().ok());
    auto pending = redis.Command({"XPENDING", stream, group});
    ASSERT_TRUE(pending.ok());
    if ((*pending)->element[0]->integer == 0) return;
  }
}

TEST(EventsConsumerTest, FailingHandlerIsRetriedThenDeadLettered) {
  Stack& stack = Stack::Get();
  const std::string stream = "zx:test:events:poison";
  ProbeStream probe;
  ASSERT_NO_FATAL_FAILURE(OpenProbeStream("events_poison", stream, probe));
  const std::string& db = probe.db;
  RedisClient redis(stack.redis_host(), stack.redis_port());
  const auto ids = Produce(*probe.producer, 3, 3, 1000);
  ASSERT_EQ(*probe.relay->PublishBatch(), 3);
  int calls_for_poison = 0;
  ConsumerOptions options = ConsumerFor(stream, "poison");
  options.max_attempts = 3;
  Consumer consumer(
      options, *probe.consumer_pool,
      [&](pqxx::transaction_base& tx, const zx::common::v1::Event& event) {
        if (event.id() == ids[1]) {
          ++calls_for_poison;
          tx.exec("INSERT INTO effects VALUES ('should-roll-back', 1)");
          return absl::InternalError("cannot apply");
        }
        tx.exec_params("INSERT INTO effects VALUES ($1, 1)", event.id());
        return absl::OkStatus();
      },
      nullptr);
  for (int i = 0; i < 3 && calls_for_poison == 0; ++i) ASSERT_TRUE(consumer.RunOnce().ok());
  ASSERT_NO_FATAL_FAILURE(RunUntilNothingPending(consumer, redis, stream, "poison"));
  const Effects e = ReadEffects(db);
  EXPECT_EQ(e.rows, 2) << "the healthy events applied, the failing one rolled back alone";
  EXPECT_EQ(calls_for_poison, 3);

  ExpectOneDeadLetterNothingPending(redis, stream, "poison");

  // The producing side's relay exports how many wait on "<stream>:dead".
  auto registry = std::make_shared<prometheus::Registry>();
  RelayOptions with_metrics = RelayFor(db, stream);
  with_metrics.metrics_interval = absl::ZeroDuration();
  with_metrics.poll_interval = absl::Milliseconds(50);
  Relay exporting(with_metrics, registry.get());
  exporting.Start();
  double dead_letters = -1;
  for (int i = 0; i < 100 && dead_letters != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (const auto& family : registry->Collect()) {
      if (family.name == "zx_events_dead_letters" && family.metric.size() == 1) {
        dead_letters = family.metric[0].gauge.value;
      }
    }
  }
  exporting.Stop(absl::ZeroDuration());
  EXPECT_EQ(dead_letters, 1);
}

// A port nothing listens on yet (bound, then released).
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// After a failover the old primary turns replica and keeps its connections:
// every write is answered READONLY. The client must then connect again, so
// that it reaches the new primary behind the same address (here: the same
// server, promoted).
TEST(RedisClientTest, AReadOnlyReplicaAnswerMakesTheNextCallReconnect) {
  const int port = FreeLoopbackPort();
  Process replica({"/usr/bin/redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--logfile", "/dev/null", "--replicaof",
                   "127.0.0.1", "1"});
  RedisClient redis("127.0.0.1", port);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = redis.Command({"PING"}).ok();
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(up) << "the replica did not start";
  const uint64_t before = redis.connections();
  auto refused = redis.Command({"XADD", "s", "*", "a", "1"});
  ASSERT_TRUE(refused.ok());
  EXPECT_NE(ErrorText(refused->get()).find("READONLY"), std::string::npos);
  // Promoted (as the new primary would be); the next call connects anew.
  RedisClient admin("127.0.0.1", port);
  ASSERT_TRUE(admin.Command({"REPLICAOF", "NO", "ONE"}).ok());
  auto added = redis.Command({"XADD", "s", "*", "a", "1"});
  ASSERT_TRUE(added.ok());
  EXPECT_EQ((*added)->type, REDIS_REPLY_STRING) << ErrorText(added->get());
  EXPECT_EQ(redis.connections(), before + 1) << "a new connection after READONLY";
}

// Entries another writer put on the stream that carry no event, garbage, or
// an event without an id: none reaches the handler; each is dead-lettered.
TEST(EventsConsumerTest, EntriesWithoutAnIdentifiableEventAreDeadLettered) {
  Stack& stack = Stack::Get();
  const std::string stream = "zx:test:events:foreign";
  ProbeStream probe;
  ASSERT_NO_FATAL_FAILURE(OpenProbeStream("events_foreign", stream, probe));
  RedisClient redis(stack.redis_host(), stack.redis_port());
  zx::common::v1::Event without_id;
  without_id.set_type("test.happened");
  for (const std::vector<std::string>& xadd :
       {std::vector<std::string>{"XADD", stream, "*", "type", "test.happened"},
        std::vector<std::string>{"XADD", stream, "*", "event", "\xff\xfe not a message"},
        std::vector<std::string>{"XADD", stream, "*", "event", without_id.SerializeAsString()}}) {
    auto added = redis.Command(xadd);
    ASSERT_TRUE(added.ok());
    ASSERT_EQ((*added)->type, REDIS_REPLY_STRING);
  }
  Produce(*probe.producer, 1, 1, 1000);
  ASSERT_EQ(*probe.relay->PublishBatch(), 1);
  std::vector<std::string> handled;
  ConsumerOptions options = ConsumerFor(stream, "foreign");
  options.max_attempts = 2;
  Consumer consumer(
      options, *probe.consumer_pool,
      [&](pqxx::transaction_base& tx, const zx::common::v1::Event& event) {
        handled.push_back(event.id());
        tx.exec_params("INSERT INTO effects VALUES ($1, 1)", event.id());
        return absl::OkStatus();
      },
      nullptr);
  const auto dead_letters = [&] {
    auto dead = redis.Command({"XLEN", stream + ":dead"});
    return dead.ok() ? (*dead)->integer : -1;
  };
  for (int i = 0; i < 200 && (handled.empty() || dead_letters() < 3); ++i) {
    ASSERT_TRUE(consumer.RunOnce().ok());
  }
  ASSERT_NO_FATAL_FAILURE(RunUntilNothingPending(consumer, redis, stream, "foreign"));
  ASSERT_EQ(handled.size(), 1u) << "only the outbox's event reached the handler";
  EXPECT_FALSE(handled[0].empty());
  EXPECT_EQ(dead_letters(), 3);
}

// A failing entry is retried on its own schedule: events published behind
// it are applied meanwhile, not after it has been dead-lettered.
TEST(EventsConsumerTest, FailingEntryDoesNotHoldUpLaterOnes) {
  Stack& stack = Stack::Get();
  const std::string stream = "zx:test:events:poison-first";
  ProbeStream probe;
  ASSERT_NO_FATAL_FAILURE(OpenProbeStream("events_poison_first", stream, probe));
  const std::string& db = probe.db;
  RedisClient redis(stack.redis_host(), stack.redis_port());
  const auto poison = Produce(*probe.producer, 1, 1, 1000);
  ASSERT_EQ(*probe.relay->PublishBatch(), 1);
  int calls_for_poison = 0;
  ConsumerOptions options = ConsumerFor(stream, "poison-first");
  options.max_attempts = 3;
  options.retry_delay = absl::Seconds(1);
  Consumer consumer(
      options, *probe.consumer_pool,
      [&](pqxx::transaction_base& tx, const zx::common::v1::Event& event) {
        if (event.id() == poison[0]) {
          ++calls_for_poison;
          return absl::InternalError("cannot apply");
        }
        tx.exec_params("INSERT INTO effects VALUES ($1, 1)", event.id());
        return absl::OkStatus();
      },
      nullptr);
  for (int i = 0; i < 3 && calls_for_poison == 0; ++i) ASSERT_TRUE(consumer.RunOnce().ok());
  ASSERT_EQ(calls_for_poison, 1);

  Produce(*probe.producer, 4, 4, 1000);
  ASSERT_EQ(*probe.relay->PublishBatch(), 4);
  ASSERT_EQ(*consumer.RunOnce(), 4) << "the new entries, not the failed one again";
  EXPECT_EQ(ReadEffects(db).rows, 4);
  EXPECT_EQ(calls_for_poison, 1) << "its retry is not due yet";

  // Then the failed entry gets its remaining attempts, spaced by
  // retry_delay, and is dead-lettered.
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 200 && calls_for_poison < 3; ++i) ASSERT_TRUE(consumer.RunOnce().ok());
  EXPECT_EQ(calls_for_poison, 3);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::seconds(1))
      << "the last retry came retry_delay after the one before";
  EXPECT_EQ(ReadEffects(db).rows, 4);
  ExpectOneDeadLetterNothingPending(redis, stream, "poison-first");
}

// A fresh database whose probe producer has published five events to a
// fresh `stream`; the consumer side's pool reads them.
struct FiveEvents : ProbeStream {
  std::vector<std::string> ids;
};

void PublishFiveEvents(const std::string& database, const std::string& stream, FiveEvents& out) {
  ASSERT_NO_FATAL_FAILURE(OpenProbeStream(database, stream, out));
  out.ids = Produce(*out.producer, 5, 5, 1000);
  ASSERT_EQ(*out.relay->PublishBatch(), 5);
}

// Batch work that applies each event at the end of its batch, and counts
// the ends; an end that meets the poison event fails.
class EndOfBatchWork final : public BatchWork {
 public:
  EndOfBatchWork(std::string poison, int& finishes)
      : poison_(std::move(poison)), finishes_(finishes) {}
  absl::Status Handle(pqxx::transaction_base&, const zx::common::v1::Event& event) override {
    ids_.push_back(event.id());
    return absl::OkStatus();
  }
  absl::Status Finish(pqxx::transaction_base& tx) override {
    ++finishes_;
    for (const auto& id : ids_) {
      if (id == poison_) return absl::InternalError("cannot apply " + id);
      tx.exec_params("INSERT INTO effects VALUES ($1, 1)", id);
    }
    return absl::OkStatus();
  }

 private:
  std::string poison_;
  int& finishes_;
  std::vector<std::string> ids_;
};

TEST(EventsConsumerTest, BatchWorkEndsEachBatchOnceAndIsolatesAFailingEnd) {
  Stack& stack = Stack::Get();
  const std::string stream = "zx:test:events:batch-work";
  FiveEvents published;
  ASSERT_NO_FATAL_FAILURE(PublishFiveEvents("events_batch_work", stream, published));
  RedisClient redis(stack.redis_host(), stack.redis_port());

  // Healthy: one end for the batch.
  {
    int finishes = 0;
    Consumer consumer(
        ConsumerFor(stream, "whole"), *published.consumer_pool,
        [&] { return std::make_unique<EndOfBatchWork>("", finishes); }, nullptr);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(consumer.RunOnce().ok());
    EXPECT_EQ(finishes, 1);
    EXPECT_EQ(ReadEffects(published.db).rows, 5);
  }
  pqxx::connection conn(published.db);
  pqxx::nontransaction(conn).exec("TRUNCATE probe_consumer.effects");

  // One poison event: the whole batch fails at its end and rolls back; then
  // entry by entry, the four healthy ones apply, and the poison one is
  // retried alone until it is dead-lettered.
  int finishes = 0;
  ConsumerOptions options = ConsumerFor(stream, "poisoned");
  options.max_attempts = 3;
  Consumer consumer(
      options, *published.consumer_pool,
      [&] { return std::make_unique<EndOfBatchWork>(published.ids[2], finishes); }, nullptr);
  for (int i = 0; i < 3 && finishes == 0; ++i) ASSERT_TRUE(consumer.RunOnce().ok());
  ASSERT_EQ(finishes, 1);
  EXPECT_EQ(ReadEffects(published.db).rows, 0) << "a failed end rolls its whole batch back";
  ASSERT_NO_FATAL_FAILURE(RunUntilNothingPending(consumer, redis, stream, "poisoned"));
  const Effects e = ReadEffects(published.db);
  EXPECT_EQ(e.rows, 4) << "the healthy events applied, entry by entry";
  EXPECT_EQ(e.applied_more_than_once, 0);
  ExpectOneDeadLetterNothingPending(redis, stream, "poisoned");
}

// Batch work that takes its batch whole (HandlesAll): it applies every event
// in one statement and records each call's events; a call that meets the
// poison event fails, and so does Handle for it alone.
class WholeBatchWork final : public BatchWork {
 public:
  WholeBatchWork(std::string poison, std::vector<std::vector<std::string>>& calls)
      : poison_(std::move(poison)), calls_(calls) {}
  bool HandlesAll() const override { return true; }
  absl::Status HandleAll(pqxx::transaction_base& tx,
                         std::span<const zx::common::v1::Event> events) override {
    std::vector<std::string> ids;
    for (const auto& event : events) ids.push_back(event.id());
    calls_.push_back(ids);
    for (const auto& id : ids) {
      if (id == poison_) return absl::InternalError("cannot apply " + id);
    }
    tx.exec_params("INSERT INTO effects SELECT unnest($1::text[]), 1", pg::ArrayLiteral(ids));
    return absl::OkStatus();
  }
  absl::Status Handle(pqxx::transaction_base& tx, const zx::common::v1::Event& event) override {
    if (event.id() == poison_) return absl::InternalError("cannot apply " + event.id());
    tx.exec_params("INSERT INTO effects VALUES ($1, 1)", event.id());
    return absl::OkStatus();
  }
  absl::Status Finish(pqxx::transaction_base&) override { return absl::OkStatus(); }

 private:
  std::string poison_;
  std::vector<std::vector<std::string>>& calls_;
};

TEST(EventsConsumerTest, WholeBatchWorkTakesNewEventsOnceAndFallsBackEntryByEntry) {
  Stack& stack = Stack::Get();
  const std::string stream = "zx:test:events:whole-batch";
  FiveEvents published;
  ASSERT_NO_FATAL_FAILURE(PublishFiveEvents("events_whole_batch", stream, published));
  RedisClient redis(stack.redis_host(), stack.redis_port());
  // The first two entries again, as a relay re-publishes after losing track:
  // the consumer reads seven entries.
  auto first_two = redis.Command({"XRANGE", stream, "-", "+", "COUNT", "2"});
  ASSERT_TRUE(first_two.ok());
  ASSERT_EQ((*first_two)->elements, 2u);
  for (size_t i = 0; i < 2; ++i) {
    const redisReply* fields = (*first_two)->element[i]->element[1];
    std::vector<std::string> xadd = {"XADD", stream, "*"};
    for (size_t j = 0; j < fields->elements; ++j) {
      xadd.emplace_back(fields->element[j]->str, fields->element[j]->len);
    }
    ASSERT_TRUE(redis.Command(xadd).ok());
  }
  pqxx::connection conn(published.db);

  // Healthy: one call with the five events, each once; the two repeats are
  // duplicates, and a later read hands the work nothing.
  {
    std::vector<std::vector<std::string>> calls;
    Consumer consumer(
        ConsumerFor(stream, "whole"), *published.consumer_pool,
        [&] { return std::make_unique<WholeBatchWork>("", calls); }, nullptr);
    int handled = 0;
    for (int i = 0; i < 3; ++i) {
      auto n = consumer.RunOnce();
      ASSERT_TRUE(n.ok()) << n.status();
      handled += *n;
    }
    EXPECT_EQ(handled, 7) << "five applied and two duplicates, all acknowledged";
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0], published.ids) << "every new event once, in stream order";
    const Effects e = ReadEffects(published.db);
    EXPECT_EQ(e.rows, 5);
    EXPECT_EQ(e.applied_more_than_once, 0);
  }
  pqxx::nontransaction(conn).exec("TRUNCATE probe_consumer.effects");

  // One poison event: the whole call fails and its batch rolls back; then
  // entry by entry the four healthy ones apply through Handle, and the
  // poison one is retried alone until it is dead-lettered.
  std::vector<std::vector<std::string>> calls;
  ConsumerOptions options = ConsumerFor(stream, "poisoned");
  options.max_attempts = 3;
  Consumer consumer(
      options, *published.consumer_pool,
      [&] { return std::make_unique<WholeBatchWork>(published.ids[2], calls); }, nullptr);
  for (int i = 0; i < 3 && calls.empty(); ++i) ASSERT_TRUE(consumer.RunOnce().ok());
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(ReadEffects(published.db).rows, 0) << "a failed call rolls its whole batch back";
  ASSERT_NO_FATAL_FAILURE(RunUntilNothingPending(consumer, redis, stream, "poisoned"));
  const Effects e = ReadEffects(published.db);
  EXPECT_EQ(e.rows, 4) << "the healthy events applied, entry by entry";
  EXPECT_EQ(e.applied_more_than_once, 0);
  EXPECT_EQ(ReadEffects(published.db).unknown, 0);
  ExpectOneDeadLetterNothingPending(redis, stream, "poisoned");
}

}  // namespace
}  // namespace zx::events
