// common/pg and common/migrations against a real PostgreSQL.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <google/protobuf/wrappers.pb.h>

#include "common/idempotency/idempotency.h"
#include "common/migrations/migrations.h"
#include "common/pg/pg.h"
#include "common/testing/stack.h"

namespace zx::pg {
namespace {

using testing::Stack;

TEST(PgTest, CommitsAndRollsBack) {
  const std::string db = Stack::Get().FreshDatabase("pg_commit");
  Pool pool({.conninfo = db, .size = 2});
  ASSERT_TRUE(WithTransaction(pool, [](pqxx::transaction_base& tx) {
                tx.exec("CREATE TABLE t (id int PRIMARY KEY)");
                return absl::OkStatus();
              }).ok());
  const absl::Status refused = WithTransaction(pool, [](pqxx::transaction_base& tx) {
    tx.exec("INSERT INTO t VALUES (1)");
    return absl::InvalidArgumentError("handler refused");
  });
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  int count = -1;
  ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                count = tx.exec1("SELECT count(*) FROM t")[0].as<int>();
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(count, 0) << "a refused transaction writes nothing";
}

TEST(PgTest, AfterCommitHooksRunOnceAfterACommitAndNeverAfterAnAbort) {
  const std::string db = Stack::Get().FreshDatabase("pg_hooks");
  Pool pool({.conninfo = db, .size = 2});
  static const char key = 0;
  int runs = 0;
  bool committed_when_run = false;
  ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                tx.exec("CREATE TABLE t (id int)");
                tx.exec("INSERT INTO t VALUES (1)");
                for (int i = 0; i < 3; ++i) {  // the same key: one run
                  AfterCommit(&key, [&] {
                    ++runs;
                    // Another connection sees the row: the hook ran after COMMIT.
                    pqxx::connection other(db);
                    pqxx::nontransaction read(other);
                    committed_when_run = read.exec1("SELECT count(*) FROM t")[0].as<int>() == 1;
                  });
                }
                EXPECT_EQ(runs, 0) << "hooks wait for the commit";
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(committed_when_run);
  const absl::Status refused = WithTransaction(pool, [&](pqxx::transaction_base& tx) {
    tx.exec("INSERT INTO t VALUES (2)");
    AfterCommit(&key, [&] { ++runs; });
    return absl::InvalidArgumentError("handler refused");
  });
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(WithTransaction(pool, [](pqxx::transaction_base&) { return absl::OkStatus(); }).ok());
  EXPECT_EQ(runs, 1) << "a refused transaction's hook is dropped, not carried into the next";
}

TEST(PgTest, MapsDatabaseErrorsToStatusCodes) {
  const std::string db = Stack::Get().FreshDatabase("pg_errors");
  Pool pool({.conninfo = db, .size = 1});
  ASSERT_TRUE(WithTransaction(pool, [](pqxx::transaction_base& tx) {
                tx.exec("CREATE TABLE t (id int PRIMARY KEY)");
                tx.exec("INSERT INTO t VALUES (1)");
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(WithTransaction(pool,
                            [](pqxx::transaction_base& tx) {
                              tx.exec("INSERT INTO t VALUES (1)");
                              return absl::OkStatus();
                            })
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(WithTransaction(pool, TxOptions{.deadline = absl::Now() + absl::Milliseconds(100)},
                            [](pqxx::transaction_base& tx) {
                              tx.exec("SELECT pg_sleep(2)");
                              return absl::OkStatus();
                            })
                .code(),
            absl::StatusCode::kDeadlineExceeded)
      << "statement_timeout follows the caller's deadline";
  Pool unreachable({.conninfo = "host=127.0.0.1 port=1 connect_timeout=1", .size = 1});
  EXPECT_EQ(WithTransaction(unreachable, TxOptions{.max_attempts = 1},
                            [](pqxx::transaction_base&) { return absl::OkStatus(); })
                .code(),
            absl::StatusCode::kUnavailable);
}

TEST(PgTest, RetriesSerializationFailures) {
  const std::string db = Stack::Get().FreshDatabase("pg_serializable");
  Pool pool({.conninfo = db, .size = 4});
  ASSERT_TRUE(WithTransaction(pool, [](pqxx::transaction_base& tx) {
                tx.exec("CREATE TABLE counter (n int NOT NULL)");
                tx.exec("INSERT INTO counter VALUES (0)");
                return absl::OkStatus();
              }).ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        const absl::Status s = WithTransaction(
            pool, TxOptions{.isolation = Isolation::kSerializable, .max_attempts = 50},
            [](pqxx::transaction_base& tx) {
              const int n = tx.exec1("SELECT n FROM counter")[0].as<int>();
              tx.exec_params("UPDATE counter SET n = $1", n + 1);
              return absl::OkStatus();
            });
        if (!s.ok()) {
          failures++;
          ADD_FAILURE() << s;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  int n = 0;
  ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                n = tx.exec1("SELECT n FROM counter")[0].as<int>();
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(n, 100) << "read-modify-write under SERIALIZABLE loses no update";
}

TEST(PgTest, PoolIsBoundedAndReusesConnections) {
  const std::string db = Stack::Get().FreshDatabase("pg_pool");
  Pool pool({.conninfo = db, .size = 1, .acquire_timeout = absl::Milliseconds(100)});
  auto first = pool.Acquire();
  ASSERT_TRUE(first.ok());
  const int pid = pqxx::nontransaction(**first).exec1("SELECT pg_backend_pid()")[0].as<int>();
  EXPECT_EQ(pool.Acquire().status().code(), absl::StatusCode::kResourceExhausted);
  { auto released = std::move(*first); }
  auto second = pool.Acquire();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(pqxx::nontransaction(**second).exec1("SELECT pg_backend_pid()")[0].as<int>(), pid);
}

TEST(PgTest, ReconnectsAfterConnectionLoss) {
  const std::string db = Stack::Get().FreshDatabase("pg_reconnect");
  Pool pool({.conninfo = db, .size = 1});
  int first_pid = 0;
  ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                first_pid = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
                return absl::OkStatus();
              }).ok());
  {
    pqxx::connection admin(db);
    pqxx::nontransaction(admin).exec_params("SELECT pg_terminate_backend($1)", first_pid);
  }
  int second_pid = 0;
  const absl::Status s = WithTransaction(pool, [&](pqxx::transaction_base& tx) {
    second_pid = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_NE(second_pid, first_pid);
}

TEST(PgTest, PreparedStatementsWorkOnEveryConnectionAndAfterReconnect) {
  const std::string db = Stack::Get().FreshDatabase("pg_prepared");
  Pool pool({.conninfo = db, .size = 3});
  pool.Prepare("double_it", "SELECT $1::int * 2");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const absl::Status s = WithTransaction(pool, [&](pqxx::transaction_base& tx) {
          if (tx.exec_prepared1("double_it", t * 100 + i)[0].as<int>() != 2 * (t * 100 + i)) {
            wrong++;
          }
          return absl::OkStatus();
        });
        if (!s.ok()) wrong++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  {
    pqxx::connection admin(db);
    pqxx::nontransaction(admin).exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  }
  int doubled = 0;
  ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                doubled = tx.exec_prepared1("double_it", 21)[0].as<int>();
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(doubled, 42) << "a reopened connection knows the statement too";
}

TEST(PgTest, SchemaSurvivesALostConnection) {
  const std::string db = Stack::Get().FreshDatabase("pg_schema_reconnect");
  {
    pqxx::connection conn(db);
    pqxx::work tx(conn);
    tx.exec("CREATE SCHEMA svc; CREATE TABLE svc.t (id int); INSERT INTO svc.t VALUES (7)");
    tx.commit();
  }
  Pool pool({.conninfo = db, .size = 1, .search_path = "svc"});
  auto read = [&] {
    int v = 0;
    const absl::Status s = WithTransaction(pool, [&](pqxx::transaction_base& tx) {
      v = tx.exec1("SELECT id FROM t")[0].as<int>();
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return v;
  };
  ASSERT_EQ(read(), 7);
  {
    pqxx::connection admin(db);
    pqxx::nontransaction(admin).exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()");
  }
  EXPECT_EQ(read(), 7) << "the unqualified table is still found after reconnecting";
}

TEST(PgTest, CopyRowsIsTheBulkPath) {
  const std::string db = Stack::Get().FreshDatabase("pg_copy");
  Pool pool({.conninfo = db, .size = 1});
  std::vector<std::tuple<int64_t, std::string, std::optional<int64_t>>> rows;
  for (int64_t i = 0; i < 20000; ++i) {
    rows.emplace_back(i, "village-" + std::to_string(i % 7),
                      i % 3 == 0 ? std::nullopt : std::optional<int64_t>(i * 100));
  }
  int64_t written = 0;
  ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                tx.exec("CREATE TABLE bulk (id bigint PRIMARY KEY, name text, fen bigint)");
                auto n = CopyRows(tx, "bulk", {"id", "name", "fen"}, rows);
                if (!n.ok()) return n.status();
                written = *n;
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(written, 20000);
  pqxx::connection conn(db);
  auto r = pqxx::nontransaction(conn).exec1(
      "SELECT count(*), count(fen), sum(fen) FILTER (WHERE id = 4) FROM bulk");
  EXPECT_EQ(r[0].as<int>(), 20000);
  EXPECT_EQ(r[1].as<int>(), 20000 - 6667) << "std::nullopt became NULL";
  EXPECT_EQ(r[2].as<int64_t>(), 400);
  const absl::Status bad = WithTransaction(pool, [&](pqxx::transaction_base& tx) {
    return CopyRows(tx, "bulk; DROP TABLE bulk", {"id"}, std::vector<std::tuple<int>>{}).status();
  });
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
}

TEST(PgTest, PlainIdentifiers) {
  EXPECT_TRUE(IsPlainIdentifier("households"));
  EXPECT_TRUE(IsPlainIdentifier("monitoring.households_2"));
  EXPECT_FALSE(IsPlainIdentifier(""));
  EXPECT_FALSE(IsPlainIdentifier("Households"));
  EXPECT_FALSE(IsPlainIdentifier("a.b.c"));
  EXPECT_FALSE(IsPlainIdentifier("1abc"));
  EXPECT_FALSE(IsPlainIdentifier("a;b"));
  EXPECT_FALSE(IsPlainIdentifier("a."));
}

TEST(PgTest, SessionSettingsComeWithTheConnectionInBothConninfoForms) {
  const std::string db = Stack::Get().FreshDatabase("session_settings");
  pqxx::connection admin(db);
  const std::string port = pqxx::nontransaction(admin).exec1("SHOW port")[0].as<std::string>();
  const std::string url = "postgresql://postgres@127.0.0.1:" + port + "/session_settings";
  for (const std::string& conninfo : {db, url}) {
    pqxx::connection conn(
        WithSearchPath(conninfo, "svc", {{"enable_sort", "off"}, {"enable_bitmapscan", "off"}}));
    pqxx::nontransaction tx(conn);
    EXPECT_EQ(tx.exec1("SHOW search_path")[0].as<std::string>(), "svc,public") << conninfo;
    EXPECT_EQ(tx.exec1("SHOW enable_sort")[0].as<std::string>(), "off") << conninfo;
    EXPECT_EQ(tx.exec1("SHOW enable_bitmapscan")[0].as<std::string>(), "off") << conninfo;
    // Without settings only the search path changes.
    pqxx::connection plain(WithSearchPath(conninfo, "svc"));
    pqxx::nontransaction ptx(plain);
    EXPECT_EQ(ptx.exec1("SHOW enable_sort")[0].as<std::string>(), "on") << conninfo;
    EXPECT_EQ(ptx.exec1("SHOW search_path")[0].as<std::string>(), "svc,public") << conninfo;
  }
}

TEST(IdempotencyTest, BatchClaimReplaysRefusesAndStoresLikeRun) {
  using google::protobuf::StringValue;
  using idempotency::BatchEntry;
  const std::string db = Stack::Get().FreshDatabase("idempotency_batch");
  {
    pqxx::connection conn(db);
    ASSERT_TRUE(migrations::Apply(conn, "svc", "common", migrations::CommonMigrations()).ok());
  }
  Pool pool({.conninfo = WithSearchPath(db, "svc"), .size = 1});
  Pool pool2({.conninfo = WithSearchPath(db, "svc"), .size = 1});
  const auto value = [](const std::string& v) {
    StringValue m;
    m.set_value(v);
    return m;
  };
  // "a" and "c" are used once through Run.
  for (const std::string id : {"a", "c"}) {
    StringValue response;
    ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                  return idempotency::Run(tx, "M", id, value("req-" + id), response, [&] {
                    response = value("resp-" + id);
                    return absl::OkStatus();
                  });
                }).ok());
  }
  const StringValue req_a = value("req-a"), req_b = value("req-b"), other = value("other");
  StringValue out_b1, out_a, out_b2, out_c;
  std::vector<BatchEntry> batch = {{.request_id = "b", .request = &req_b, .response = &out_b1},
                                   {.request_id = "a", .request = &req_a, .response = &out_a},
                                   {.request_id = "b", .request = &req_b, .response = &out_b2},
                                   {.request_id = "c", .request = &other, .response = &out_c}};
  ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                idempotency::Lookup(tx, "M", batch);
                out_b1 = value("resp-b");
                return idempotency::Record(tx, "M", batch);
              }).ok());
  EXPECT_EQ(batch[0].state, BatchEntry::State::kNew);
  EXPECT_EQ(batch[1].state, BatchEntry::State::kReplayed);
  EXPECT_EQ(out_a.value(), "resp-a") << "the stored response is replayed";
  EXPECT_EQ(batch[2].state, BatchEntry::State::kRepeatInBatch);
  EXPECT_EQ(batch[3].state, BatchEntry::State::kRefused);
  EXPECT_EQ(batch[3].status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(batch[3].status.message().find("request_id"), absl::string_view::npos);

  // What the batch stored, Run replays — and a second batch too.
  StringValue replay;
  bool ran = false;
  ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                return idempotency::Run(tx, "M", "b", req_b, replay, [&] {
                  ran = true;
                  return absl::OkStatus();
                });
              }).ok());
  EXPECT_FALSE(ran);
  EXPECT_EQ(replay.value(), "resp-b");
  StringValue again;
  std::vector<BatchEntry> second = {{.request_id = "b", .request = &req_b, .response = &again}};
  ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                idempotency::Lookup(tx, "M", second);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(second[0].state, BatchEntry::State::kReplayed);
  EXPECT_EQ(again.value(), "resp-b");

  // A request recorded by someone else between Lookup and Record: the batch
  // is told to roll back (and its caller retries entry by entry).
  const StringValue req_d = value("req-d");
  StringValue out_d;
  std::vector<BatchEntry> raced = {{.request_id = "d", .request = &req_d, .response = &out_d}};
  const absl::Status lost = WithTransaction(pool, [&](pqxx::transaction_base& tx) {
    idempotency::Lookup(tx, "M", raced);
    EXPECT_EQ(raced[0].state, BatchEntry::State::kNew);
    StringValue response;
    EXPECT_TRUE(WithTransaction(pool2, [&](pqxx::transaction_base& other) {
                  return idempotency::Run(other, "M", "d", req_d, response, [&] {
                    response = value("resp-d");
                    return absl::OkStatus();
                  });
                }).ok());
    return idempotency::Record(tx, "M", raced);
  });
  EXPECT_EQ(lost.code(), absl::StatusCode::kAborted) << lost;

  // Purging takes only records older than the window, oldest first, at most
  // `limit` a call.
  ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                for (const auto& [id, days] : {std::pair{"b", 33}, std::pair{"c", 32},
                                               std::pair{"a", 31}, std::pair{"d", 29}}) {
                  tx.exec_params(
                      "UPDATE idempotency SET created_at = now() - $2 * interval '1 day' "
                      "WHERE request_id = $1",
                      std::string(id), days);
                }
                return absl::OkStatus();
              }).ok());
  pqxx::connection conn(WithSearchPath(db, "svc"));
  const auto left = [&] {
    return pqxx::nontransaction(conn)
        .exec1("SELECT string_agg(request_id, ',' ORDER BY request_id) FROM idempotency")[0]
        .as<std::string>();
  };
  std::vector<int64_t> purged;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(WithTransaction(pool, [&](pqxx::transaction_base& tx) {
                  purged.push_back(idempotency::PurgeOlderThan(tx, 30, 2));
                  return absl::OkStatus();
                }).ok());
    if (i == 0) {
      EXPECT_EQ(left(), "a,d") << "the oldest go first";
    }
  }
  EXPECT_EQ(purged, (std::vector<int64_t>{2, 1, 0}));
  EXPECT_EQ(left(), "d");
}

}  // namespace
}  // namespace zx::pg

namespace zx::migrations {
namespace {

int Count(pqxx::connection& conn, const std::string& sql) {
  return pqxx::nontransaction(conn).exec1(sql)[0].as<int>();
}

TEST(MigrationsTest, AppliesOnceInOrder) {
  const std::string db = testing::Stack::Get().FreshDatabase("migrations_once");
  pqxx::connection conn(db);
  const std::vector<MigrationFile> files = {
      {"0001_a.sql", "CREATE TABLE a (id int);"},
      {"0002_b.sql", "INSERT INTO a VALUES (1);"},
  };
  ASSERT_TRUE(Apply(conn, "svc", "service", files).ok());
  ASSERT_TRUE(Apply(conn, "svc", "service", files).ok());
  EXPECT_EQ(Count(conn, "SELECT count(*) FROM svc.a"), 1) << "second start applies nothing";
  EXPECT_EQ(Count(conn, "SELECT count(*) FROM svc.schema_migrations"), 2);
  ASSERT_TRUE(Apply(conn, "svc", "common", CommonMigrations()).ok());
  EXPECT_EQ(Count(conn, "SELECT count(*) FROM svc.outbox"), 0);
}

TEST(MigrationsTest, ChangedAppliedFileRefusesStart) {
  const std::string db = testing::Stack::Get().FreshDatabase("migrations_checksum");
  pqxx::connection conn(db);
  ASSERT_TRUE(Apply(conn, "svc", "service", {{"0001_a.sql", "CREATE TABLE a (id int);"}}).ok());
  const absl::Status s =
      Apply(conn, "svc", "service", {{"0001_a.sql", "CREATE TABLE a (id bigint);"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("checksum"), absl::string_view::npos) << s;
  const absl::Status older = Apply(conn, "svc", "service", {});
  EXPECT_EQ(older.code(), absl::StatusCode::kFailedPrecondition) << "binary older than schema";
}

TEST(MigrationsTest, BrokenMigrationLeavesNothingBehind) {
  const std::string db = testing::Stack::Get().FreshDatabase("migrations_broken");
  pqxx::connection conn(db);
  const absl::Status s =
      Apply(conn, "svc", "service", {{"0001_a.sql", "CREATE TABLE a (id int); SELECT nonsense;"}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(Count(conn, "SELECT count(*) FROM svc.schema_migrations"), 0);
  EXPECT_EQ(Count(conn,
                  "SELECT count(*) FROM pg_tables WHERE schemaname = 'svc' AND "
                  "tablename = 'a'"),
            0);
}

TEST(MigrationsTest, ConcurrentStartsApplyEachFileOnce) {
  const std::string db = testing::Stack::Get().FreshDatabase("migrations_concurrent");
  const std::vector<MigrationFile> files = {
      {"0001_a.sql", "CREATE TABLE a (id int); INSERT INTO a VALUES (1);"}};
  std::vector<std::thread> replicas;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    replicas.emplace_back([&] {
      pqxx::connection conn(db);
      if (Apply(conn, "svc", "service", files).ok()) ok++;
    });
  }
  for (auto& r : replicas) r.join();
  EXPECT_EQ(ok.load(), 4);
  pqxx::connection conn(db);
  EXPECT_EQ(Count(conn, "SELECT count(*) FROM svc.a"), 1);
}

}  // namespace
}  // namespace zx::migrations
