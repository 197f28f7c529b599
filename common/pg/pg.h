// The one PostgreSQL access layer: a fixed-size connection pool over
// libpqxx, prepared statements registered once for every connection, and a
// transaction helper that retries serialization failures and deadlocks,
// reconnects after a lost connection, bounds statements by the caller's
// deadline and maps every database error to an absl::Status.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message_lite.h"

namespace prometheus {
class Registry;
template <typename T>
class Family;
class Gauge;
class Counter;
}  // namespace prometheus

namespace zx::pg {

struct PoolOptions {
  std::string conninfo;
  int size = 8;
  // Schema searched first (the service's own schema); empty keeps the default.
  std::string search_path;
  absl::Duration acquire_timeout = absl::Seconds(5);
  // Label for metrics (the service name).
  std::string name = "default";
};

class Pool {
 public:
  explicit Pool(PoolOptions options, prometheus::Registry* registry = nullptr);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Registers a prepared statement; every connection prepares it on use.
  void Prepare(std::string name, std::string sql);

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }
    // The connection is unusable (lost); the pool opens a new one next time.
    void MarkBroken() { broken_ = true; }

   private:
    friend class Pool;
    Lease(Pool* pool, std::unique_ptr<pqxx::connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Pool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
    bool broken_ = false;
  };

  // Waits up to the earlier of `deadline` and the pool's acquire timeout.
  // RESOURCE_EXHAUSTED when no connection frees up; UNAVAILABLE when the
  // database cannot be reached.
  absl::StatusOr<Lease> Acquire(absl::Time deadline = absl::InfiniteFuture());

  int size() const { return options_.size; }
  const PoolOptions& options() const { return options_; }

 private:
  absl::StatusOr<std::unique_ptr<pqxx::connection>> Connect();
  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);
  void PrepareAll(pqxx::connection& conn);

  const PoolOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;  // idle + leased
  std::vector<std::pair<std::string, std::string>> statements_;
  prometheus::Gauge* in_use_gauge_ = nullptr;
  prometheus::Gauge* size_gauge_ = nullptr;
  prometheus::Counter* exhausted_counter_ = nullptr;
};

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

struct TxOptions {
  absl::Time deadline = absl::InfiniteFuture();
  Isolation isolation = Isolation::kReadCommitted;
  int max_attempts = 5;
  // For a function that runs exactly one read statement (a point read by
  // key): runs it in autocommit, without BEGIN, SET LOCAL and COMMIT — one
  // round trip instead of four. No statement timeout is set for it, so use
  // it only for statements bounded by an index lookup.
  bool single_read = false;
};

using TxFn = std::function<absl::Status(pqxx::transaction_base&)>;

// Runs `hook` on this thread once the transaction WithTransaction is running
// here has committed; it is dropped if the transaction aborts or is retried.
// For work that must not see uncommitted state (waking the outbox relay).
// Hooks with the same `key` run once per transaction.
void AfterCommit(const void* key, std::function<void()> hook);

// Runs `fn` in a transaction and commits when it returns OK; rolls back and
// returns its status otherwise. Retries the whole function on serialization
// failure, deadlock and a connection lost before commit, so `fn` must not
// have effects outside the transaction. A lost connection during commit
// returns UNAVAILABLE ("outcome unknown"): callers rely on idempotency keys.
absl::Status WithTransaction(Pool& pool, const TxOptions& options, const TxFn& fn);
inline absl::Status WithTransaction(Pool& pool, const TxFn& fn) {
  return WithTransaction(pool, TxOptions{}, fn);
}

// Maps a libpqxx/std exception to a status: 23505 ALREADY_EXISTS, 23503/23514
// FAILED_PRECONDITION, 40001/40P01 ABORTED, 57014 DEADLINE_EXCEEDED, lost
// connection UNAVAILABLE, anything else INTERNAL.
absl::Status StatusFromException(const std::exception& e);

// `conninfo` with the schema as the session's search_path, and any other
// `settings` (name, value; values plain words, no spaces or quotes), set by
// the server at connect time. A plain SET would be lost when libpqxx 6
// silently reconnects a dropped connection at BEGIN.
std::string WithSearchPath(const std::string& conninfo, const std::string& schema,
                           const std::vector<std::pair<std::string, std::string>>& settings = {});

// True for errors worth retrying the whole transaction for.
bool IsRetryable(const std::exception& e);

// Runs `sql` as a named prepared statement of the transaction's connection,
// declaring it there on first use: hot point reads skip PostgreSQL's parse
// and plan. `name` must be unique per distinct `sql`.
template <typename... Args>
pqxx::result ExecPrepared(pqxx::transaction_base& tx, const std::string& name,
                          const std::string& sql, Args&&... args) {
  tx.conn().prepare(name, sql);  // libpqxx: a no-op when already declared alike
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

// A PostgreSQL array literal ('{"a","b"}') of `values`, each quoted, for
// `= ANY($1::text[])` with one parameter instead of one per value.
std::string ArrayLiteral(const std::vector<std::string>& values);

// A protobuf message for a bytea column, and back (the `body` columns).
inline pqxx::binarystring MessageBytes(const google::protobuf::MessageLite& message) {
  const std::string bytes = message.SerializeAsString();
  return pqxx::binarystring(bytes.data(), bytes.size());
}
template <typename Message>
Message ParseMessage(const pqxx::field& field) {
  Message m;
  const pqxx::binarystring b(field);
  m.ParseFromArray(b.data(), static_cast<int>(b.size()));
  return m;
}

// `bytes` as hex digits: bytea values through a text[] array parameter,
// turned back on the server with decode(x, 'hex').
std::string HexBytes(std::string_view bytes);

// True for a plain lower-case SQL identifier, optionally schema-qualified
// ("households", "monitoring.households"): what COPY may be pointed at.
bool IsPlainIdentifier(std::string_view name);

// The bulk path: COPY `rows` (tuples matching `columns`) into `table` inside
// the caller's transaction. std::optional fields become NULL. Returns the
// number of rows written. ~20x faster than row-by-row INSERTs.
template <typename Rows>
absl::StatusOr<int64_t> CopyRows(pqxx::transaction_base& tx, std::string_view table,
                                 const std::vector<std::string>& columns, const Rows& rows) {
  // libpqxx does not quote the table name: accept only plain identifiers.
  if (!IsPlainIdentifier(table)) {
    return absl::InvalidArgumentError("COPY target must be a plain identifier");
  }
  pqxx::stream_to copy(tx, std::string(table), columns);
  int64_t written = 0;
  for (const auto& row : rows) {
    copy << row;
    ++written;
  }
  copy.complete();
  return written;
}

}  // namespace zx::pg
