#include "common/pg/pg.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"

namespace zx::pg {

Pool::Pool(PoolOptions options, prometheus::Registry* registry) : options_(std::move(options)) {
  if (registry != nullptr) {
    auto& connections = prometheus::BuildGauge()
                            .Name("zx_pg_pool_connections")
                            .Help("PostgreSQL pool connections by state")
                            .Register(*registry);
    in_use_gauge_ = &connections.Add({{"pool", options_.name}, {"state", "in_use"}});
    size_gauge_ = &connections.Add({{"pool", options_.name}, {"state", "max"}});
    size_gauge_->Set(options_.size);
    exhausted_counter_ = &prometheus::BuildCounter()
                              .Name("zx_pg_pool_exhausted_total")
                              .Help("Acquisitions that timed out waiting for a connection")
                              .Register(*registry)
                              .Add({{"pool", options_.name}});
  }
}

Pool::~Pool() = default;

void Pool::Prepare(std::string name, std::string sql) {
  std::lock_guard lock(mu_);
  statements_.emplace_back(std::move(name), std::move(sql));
}

void Pool::PrepareAll(pqxx::connection& conn) {
  // prepare() in libpqxx 6 only records the definition; PostgreSQL sees it on
  // first use. Re-declaring an identical definition is a no-op.
  std::vector<std::pair<std::string, std::string>> statements;
  {
    std::lock_guard lock(mu_);
    statements = statements_;
  }
  for (const auto& [name, sql] : statements) conn.prepare(name, sql);
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> Pool::Connect() {
  try {
    return std::make_unique<pqxx::connection>(
        options_.search_path.empty() ? options_.conninfo
                                     : WithSearchPath(options_.conninfo, options_.search_path));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", e.what()));
  }
}

absl::StatusOr<Pool::Lease> Pool::Acquire(absl::Time deadline) {
  const absl::Time limit = std::min(deadline, absl::Now() + options_.acquire_timeout);
  std::unique_lock lock(mu_);
  while (true) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (in_use_gauge_) in_use_gauge_->Increment();
      lock.unlock();
      PrepareAll(*conn);
      return Lease(this, std::move(conn));
    }
    if (open_ < options_.size) {
      ++open_;
      lock.unlock();
      auto conn = Connect();
      if (!conn.ok()) {
        Release(nullptr, true);
        return conn.status();
      }
      PrepareAll(**conn);
      if (in_use_gauge_) in_use_gauge_->Increment();
      return Lease(this, std::move(*conn));
    }
    const auto now = absl::Now();
    if (now >= limit ||
        cv_.wait_for(lock, absl::ToChronoNanoseconds(limit - now)) == std::cv_status::timeout) {
      if (idle_.empty() && open_ >= options_.size) {
        if (exhausted_counter_) exhausted_counter_->Increment();
        return absl::ResourceExhaustedError(absl::StrCat(
            "all ", options_.size, " PostgreSQL connections of pool ", options_.name, " busy"));
      }
    }
  }
}

void Pool::Release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  {
    std::lock_guard lock(mu_);
    if (conn != nullptr && !broken && conn->is_open()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  cv_.notify_one();
}

Pool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), broken_(other.broken_) {
  other.pool_ = nullptr;
}

Pool::Lease::~Lease() {
  if (pool_ == nullptr) return;
  if (pool_->in_use_gauge_) pool_->in_use_gauge_->Decrement();
  pool_->Release(std::move(conn_), broken_);
}

namespace {

std::string_view SqlState(const std::exception& e) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) return sql->sqlstate();
  return {};
}

const char* SetIsolationSql(Isolation isolation) {
  switch (isolation) {
    case Isolation::kReadCommitted:
      return "SET TRANSACTION ISOLATION LEVEL READ COMMITTED";
    case Isolation::kRepeatableRead:
      return "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ";
    case Isolation::kSerializable:
      return "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE";
  }
  return "";
}

}  // namespace

// In libpqxx 6, serialization failures and deadlocks (40001, 40P01) are
// transaction_rollback, which is not an sql_error and carries no sqlstate.
bool IsRollback(const std::exception& e) {
  return dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr ||
         dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr;
}

bool IsRetryable(const std::exception& e) {
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) return false;
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) return true;
  if (IsRollback(e)) return true;
  const auto state = SqlState(e);
  return state == "40001" || state == "40P01";
}

std::string WithSearchPath(const std::string& conninfo, const std::string& schema,
                           const std::vector<std::pair<std::string, std::string>>& settings) {
  // Schemas are service names (plain identifiers), so no quoting is needed.
  if (conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://")) {
    const char* sep = conninfo.find('?') == std::string::npos ? "?" : "&";
    std::string out = absl::StrCat(conninfo, sep, "options=-csearch_path%3D", schema, "%2Cpublic");
    for (const auto& [name, value] : settings) absl::StrAppend(&out, "%20-c", name, "%3D", value);
    return out;
  }
  std::string out = absl::StrCat(conninfo, " options='-csearch_path=", schema, ",public");
  for (const auto& [name, value] : settings) absl::StrAppend(&out, " -c", name, "=", value);
  return out + "'";
}

std::string ArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& v : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string HexBytes(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

bool IsPlainIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 127) return false;
  bool start = true;
  int dots = 0;
  for (char c : name) {
    if (c == '.') {
      if (start || ++dots > 1) return false;
      start = true;
      continue;
    }
    const bool letter = (c >= 'a' && c <= 'z') || c == '_';
    if (!letter && !(c >= '0' && c <= '9' && !start)) return false;
    start = false;
  }
  return !start;
}

absl::Status StatusFromException(const std::exception& e) {
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return absl::UnavailableError(
        absl::StrCat("connection lost during commit, outcome unknown: ", e.what()));
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    return absl::UnavailableError(absl::StrCat("PostgreSQL unavailable: ", e.what()));
  }
  if (IsRollback(e)) return absl::AbortedError(e.what());
  const auto state = SqlState(e);
  if (state == "23505") return absl::AlreadyExistsError(e.what());
  if (state == "23503" || state == "23514") return absl::FailedPreconditionError(e.what());
  if (state == "40001" || state == "40P01") return absl::AbortedError(e.what());
  if (state == "57014") return absl::DeadlineExceededError(e.what());
  if (state.starts_with("08") || state == "57P01" || state == "57P03") {
    return absl::UnavailableError(e.what());
  }
  return absl::InternalError(absl::StrCat("database error: ", e.what()));
}

namespace {

struct CommitHooks {
  std::vector<std::pair<const void*, std::function<void()>>> hooks;
  void Clear() { hooks.clear(); }
  void Run() {
    auto ready = std::move(hooks);
    hooks.clear();
    for (auto& [key, hook] : ready) hook();
  }
};
thread_local CommitHooks commit_hooks;

}  // namespace

void AfterCommit(const void* key, std::function<void()> hook) {
  for (const auto& [k, h] : commit_hooks.hooks) {
    if (k == key) return;
  }
  commit_hooks.hooks.emplace_back(key, std::move(hook));
}

absl::Status WithTransaction(Pool& pool, const TxOptions& options, const TxFn& fn) {
  absl::Status last;
  for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
    if (absl::Now() >= options.deadline) {
      return absl::DeadlineExceededError("deadline passed before the transaction could run");
    }
    auto lease = pool.Acquire(options.deadline);
    if (!lease.ok()) {
      last = lease.status();
      if (!absl::IsUnavailable(last)) return last;
    } else {
      try {
        if (options.single_read) {
          pqxx::nontransaction read(**lease);
          return fn(read);
        }
        // One transaction type for every isolation level: the level is set by
        // the first statement, which PostgreSQL requires.
        pqxx::work tx(**lease);
        if (options.isolation != Isolation::kReadCommitted) {
          tx.exec(SetIsolationSql(options.isolation));
        }
        if (options.deadline != absl::InfiniteFuture()) {
          const auto ms =
              std::max<int64_t>(1, absl::ToInt64Milliseconds(options.deadline - absl::Now()));
          tx.exec(absl::StrCat("SET LOCAL statement_timeout = ", ms));
        }
        commit_hooks.Clear();
        absl::Status status = fn(tx);
        if (!status.ok()) {
          commit_hooks.Clear();
          tx.abort();
          return status;
        }
        tx.commit();
        commit_hooks.Run();
        return absl::OkStatus();
      } catch (const std::exception& e) {
        commit_hooks.Clear();
        if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
            dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
          lease->MarkBroken();
        }
        last = StatusFromException(e);
        if (!IsRetryable(e)) return last;
        logging::Debug("pg_retry", {{"attempt", std::to_string(attempt)}, {"error", e.what()}});
      }
    }
    // Back off a little (1, 2, 4, ... ms, capped) so contenders interleave.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 << attempt, 200)));
  }
  return last;
}

}  // namespace zx::pg
