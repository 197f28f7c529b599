#include "common/testing/stack.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace zx::testing {
namespace {

bool RedisAnswers(const std::string& host, int port) {
  timeval tv{1, 0};
  redisContext* c = redisConnectWithTimeout(host.c_str(), port, tv);
  bool ok = false;
  if (c != nullptr && c->err == 0) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
  }
  if (c) redisFree(c);
  return ok;
}

int ReadPid(const std::string& path) {
  std::ifstream in(path);
  int pid = 0;
  in >> pid;
  return pid;
}

}  // namespace

Stack& Stack::Get() {
  static Stack* stack = [] {
    auto* s = new Stack();
    const char* path = std::getenv("ZX_TEST_STACK_ENV");
    if (path == nullptr) {
      ADD_FAILURE() << "ZX_TEST_STACK_ENV is not set: run through ctest (fixture \"stack\")";
      return s;
    }
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      // Values run to the end of the line, unquoted (tests/harness/stack.sh).
      s->env_[line.substr(0, eq)] = line.substr(eq + 1);
    }
    s->pg_admin_ = s->env_["ZX_TEST_PG"];
    s->redis_host_ = s->env_["ZX_TEST_REDIS_HOST"];
    (void)absl::SimpleAtoi(s->env_["ZX_TEST_REDIS_PORT"], &s->redis_port_);
    if (s->pg_admin_.empty() || s->redis_port_ == 0) {
      ADD_FAILURE() << "test stack env file " << path << " is incomplete";
    }
    return s;
  }();
  return *stack;
}

std::string Stack::redis_address() const { return absl::StrCat(redis_host_, ":", redis_port_); }

std::string Stack::FreshDatabase(const std::string& name) {
  pqxx::connection admin(pg_admin_);
  pqxx::nontransaction tx(admin);
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
  tx.exec("CREATE DATABASE " + tx.quote_name(name));
  return absl::StrCat(pg_admin_, " dbname=", name);  // the later dbname wins in libpq
}

void Stack::KillAndRestartRedis() {
  const int pid = ReadPid(env_["ZX_TEST_REDIS_PIDFILE"]);
  ASSERT_GT(pid, 0) << "no Redis pid file";
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  for (int i = 0; i < 100 && kill(pid, 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(std::system(env_["ZX_TEST_REDIS_CMD"].c_str()), 0) << "restarting Redis failed";
  for (int i = 0; i < 200; ++i) {
    if (RedisAnswers(redis_host_, redis_port_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "Redis did not come back after restart";
}

void Stack::FlushRedis() {
  timeval tv{2, 0};
  redisContext* c = redisConnectWithTimeout(redis_host_.c_str(), redis_port_, tv);
  ASSERT_TRUE(c != nullptr && c->err == 0);
  auto* r = static_cast<redisReply*>(redisCommand(c, "FLUSHALL"));
  ASSERT_NE(r, nullptr);
  freeReplyObject(r);
  redisFree(c);
}

config::ServiceConfig Stack::ServiceConfig(const std::string& service,
                                           const std::string& pg) const {
  config::ServiceConfig c;
  c.service = service;
  c.instance = "test";
  c.division_code = "653121000000";
  c.host = "127.0.0.1";
  c.grpc_port = 0;
  c.metrics_port = 0;
  c.pg = pg;
  c.redis = redis_address();
  c.pg_pool_size = 4;
  c.worker_threads = 4;
  c.allow_dev_tokens = true;
  c.log_level = getenv("ZX_TEST_LOG_LEVEL") ? getenv("ZX_TEST_LOG_LEVEL") : "warn";
  const absl::Status status = config::Validate(c);
  EXPECT_TRUE(status.ok()) << status;
  return c;
}

int64_t QueryInt(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  const auto row = pqxx::nontransaction(conn).exec1(sql);
  return row[0].is_null() ? 0 : row[0].as<int64_t>();
}

int64_t WaitForInt(const std::string& conninfo, const std::string& sql, int64_t want) {
  int64_t got = QueryInt(conninfo, sql);
  for (int i = 0; i < 100 && got != want; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    got = QueryInt(conninfo, sql);
  }
  return got;
}

}  // namespace zx::testing
