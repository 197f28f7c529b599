// Versioned SQL migrations, compiled into each binary (see
// zx_embed_migrations in the top-level CMakeLists.txt) and applied at start
// under a PostgreSQL advisory lock, so replicas starting together apply each
// file once. A file changed after it was applied refuses the start.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"

namespace zx::migrations {

struct MigrationFile {
  std::string name;  // "0001_outbox.sql": the leading number is the version
  std::string sql;
};

// Tables every service schema has: outbox, processed events, idempotency.
const std::vector<MigrationFile>& CommonMigrations();

// Applies `files` of `component` into `schema` (created if missing) in version
// order, each in its own transaction. FAILED_PRECONDITION on a checksum
// mismatch, on an applied version this binary does not have, or on a bad name.
absl::Status Apply(pqxx::connection& conn, std::string_view schema, std::string_view component,
                   const std::vector<MigrationFile>& files);

// SHA-256 of the file contents, hex.
std::string Checksum(std::string_view sql);

}  // namespace zx::migrations
