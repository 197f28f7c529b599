// The audit log in PostgreSQL: audit_log (append-only, a trigger refuses
// UPDATE, DELETE and TRUNCATE) and audit_head (the last seq and hash), in
// every service schema (common/migrations/sql/0002_audit.sql).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/audit/audit.h"
#include "common/pg/pg.h"
#include "common/server/write_batcher.h"

namespace zx::audit {

// Appends entries; concurrent callers share one transaction and one commit.
class Log {
 public:
  explicit Log(pg::Pool& pool);

  // Numbers, chains and stores `entry`, and returns once it is committed
  // (durable). Each batch locks audit_head (SELECT … FOR UPDATE), so
  // replicas of a service sharing the schema extend one chain in turn.
  absl::Status Append(Entry entry);

 private:
  struct Pending {
    Entry* entry;
    absl::Status status;
  };
  void AppendBatch(std::span<Pending* const> batch);

  pg::Pool& pool_;
  server::WriteBatcher<Pending> batcher_;
};

// Numbers, chains and stores `entries` inside the caller's transaction, so
// they commit, durable, with its other writes or not at all (a write audited
// without a second commit to wait for). Locks audit_head until `tx` ends:
// call it as the transaction's last statement.
void AppendInTransaction(pqxx::transaction_base& tx, std::vector<Entry>& entries);

// Writes `entries` (already numbered and hashed by Chain) after the head in
// `tx` and moves the head. Exposed for the batch above and for tests.
void InsertChained(pqxx::transaction_base& tx, std::span<const Entry> entries);

struct VerifyResult {
  int64_t checked = 0;
  std::optional<ChainBreak> broken;
  int64_t head_seq = 0;
  std::string head_hash;
};

// Re-hashes entries from_seq..to_seq (0 = to the head) in one snapshot and
// reports the first broken one. Reaching the head also checks the head.
absl::StatusOr<VerifyResult> Verify(pg::Pool& pool, absl::Time deadline, int64_t from_seq,
                                    int64_t to_seq);

struct Filter {
  std::string division_prefix;          // resource_division LIKE prefix%
  std::string user_id;                  // "" = any
  std::string action;                   // "" = any
  std::string kind;                     // "" = any
  std::optional<absl::Time> from_time;  // inclusive
  std::optional<absl::Time> to_time;    // exclusive
};

// Entries with seq > after_seq matching `filter`, by seq, at most `limit`.
std::vector<Entry> List(pqxx::transaction_base& tx, const Filter& filter, int64_t after_seq,
                        int limit);

// The digits of `division` that every division inside it shares
// ("653121" for a county): the prefix for Filter::division_prefix.
std::string DivisionPrefix(const std::string& division_code);

}  // namespace zx::audit
