// Test access to the throwaway PostgreSQL + Redis that the ctest fixture
// "stack" starts on free loopback ports (tests/harness/stack.sh). Tests ask
// for a fresh database of their own, so they never see each other's rows.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "common/config/config.h"

namespace zx::testing {

class Stack {
 public:
  // Reads the env file named by $ZX_TEST_STACK_ENV; fails the test (via
  // GoogleTest) when it is missing.
  static Stack& Get();

  const std::string& pg_admin() const { return pg_admin_; }  // dbname=postgres
  const std::string& redis_host() const { return redis_host_; }
  int redis_port() const { return redis_port_; }
  std::string redis_address() const;

  // Drops and creates database `name`; returns its conninfo.
  std::string FreshDatabase(const std::string& name);
  // SIGKILLs Redis (a power cut) and starts it again from the same files;
  // returns once it answers PING.
  void KillAndRestartRedis();
  // FLUSHALL: Redis that lost every key (e.g. restarted without persistence).
  void FlushRedis();

  // A valid service config for an in-process server on ephemeral ports.
  config::ServiceConfig ServiceConfig(const std::string& service, const std::string& pg) const;

 private:
  std::map<std::string, std::string> env_;
  std::string pg_admin_;
  std::string redis_host_;
  int redis_port_ = 0;
};

// The first column of the one row `sql` returns on `conninfo` (0 for NULL).
int64_t QueryInt(const std::string& conninfo, const std::string& sql);
// Polls QueryInt every 100 ms until it returns `want` (at most 10 s);
// returns the last value, for the caller to assert.
int64_t WaitForInt(const std::string& conninfo, const std::string& sql, int64_t want);

}  // namespace zx::testing
