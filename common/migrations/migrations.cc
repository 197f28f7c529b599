#include "common/migrations/migrations.h"

#include <sodium.h>

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "common/pg/pg.h"

namespace zx::migrations {

std::string Checksum(std::string_view sql) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(sql.data()), sql.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
}

namespace {

absl::StatusOr<int> VersionOf(const std::string& name) {
  const auto underscore = name.find('_');
  int version = 0;
  if (underscore == std::string::npos || !absl::SimpleAtoi(name.substr(0, underscore), &version) ||
      version <= 0 || !name.ends_with(".sql")) {
    return absl::FailedPreconditionError(
        absl::StrCat("migration file name must look like 0001_what.sql, got ", name));
  }
  return version;
}

absl::Status ApplyLocked(pqxx::connection& conn, const std::string& schema,
                         const std::string& component, const std::vector<MigrationFile>& files) {
  std::map<int, const MigrationFile*> wanted;
  for (const auto& f : files) {
    auto version = VersionOf(f.name);
    if (!version.ok()) return version.status();
    if (!wanted.emplace(*version, &f).second) {
      return absl::FailedPreconditionError(
          absl::StrCat(component, " has two migrations with version ", *version));
    }
  }
  {
    pqxx::work tx(conn);
    const std::string s = tx.quote_name(schema);
    tx.exec(absl::StrCat("CREATE SCHEMA IF NOT EXISTS ", s));
    tx.exec(absl::StrCat("CREATE TABLE IF NOT EXISTS ", s,
                         ".schema_migrations (component text NOT NULL, version int NOT NULL, "
                         "name text NOT NULL, checksum text NOT NULL, applied_at timestamptz "
                         "NOT NULL DEFAULT now(), PRIMARY KEY (component, version))"));
    tx.commit();
  }
  std::map<int, std::pair<std::string, std::string>> applied;  // version -> name, checksum
  {
    pqxx::read_transaction tx(conn);
    for (const auto& row :
         tx.exec_params(absl::StrCat("SELECT version, name, checksum FROM ", tx.quote_name(schema),
                                     ".schema_migrations WHERE component = $1"),
                        component)) {
      applied[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
    }
  }
  for (const auto& [version, entry] : applied) {
    auto it = wanted.find(version);
    if (it == wanted.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("schema ", schema, " has ", component, " migration ", entry.first,
                       " that this binary does not know: is it older than the database?"));
    }
    if (Checksum(it->second->sql) != entry.second) {
      return absl::FailedPreconditionError(
          absl::StrCat(component, " migration ", it->second->name, " in schema ", schema,
                       " was changed after it was applied (checksum mismatch); add a new "
                       "migration instead of editing an applied one"));
    }
  }
  for (const auto& [version, file] : wanted) {
    if (applied.contains(version)) continue;
    pqxx::work tx(conn);
    tx.exec(absl::StrCat("SET LOCAL search_path TO ", tx.quote_name(schema), ", public"));
    tx.exec(file->sql);
    tx.exec_params(absl::StrCat("INSERT INTO ", tx.quote_name(schema),
                                ".schema_migrations (component, version, name, checksum) "
                                "VALUES ($1, $2, $3, $4)"),
                   component, version, file->name, Checksum(file->sql));
    tx.commit();
    logging::Info("migration_applied",
                  {{"schema", schema}, {"component", component}, {"file", file->name}});
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Apply(pqxx::connection& conn, std::string_view schema, std::string_view component,
                   const std::vector<MigrationFile>& files) {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  const std::string schema_name(schema);
  const std::string component_name(component);
  try {
    // One lock per schema: replicas of a service serialise here.
    const std::string key = "zx.migrations." + schema_name;
    pqxx::nontransaction(conn).exec_params("SELECT pg_advisory_lock(hashtext($1))", key);
    absl::Status status;
    try {
      status = ApplyLocked(conn, schema_name, component_name, files);
    } catch (const std::exception& e) {
      status = absl::Status(pg::StatusFromException(e).code(),
                            absl::StrCat("applying ", component_name, " migrations to ",
                                         schema_name, ": ", e.what()));
    }
    pqxx::nontransaction(conn).exec_params("SELECT pg_advisory_unlock(hashtext($1))", key);
    return status;
  } catch (const std::exception& e) {
    return pg::StatusFromException(e);
  }
}

}  // namespace zx::migrations
