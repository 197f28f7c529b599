#include "common/idempotency/idempotency.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <sodium.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"
#include "common/pg/pg.h"

namespace zx::idempotency {
namespace {

std::string RequestHash(const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(hash), sizeof hash);
}

// The stored row of a request_id decides a repeat: the same method and
// request replay the stored response; anything else is refused.
absl::Status Replay(const std::string& request_id, std::string_view method,
                    const std::string& request_hash, const pqxx::row& row,
                    google::protobuf::Message& response) {
  if (row["method"].as<std::string>() != method ||
      pqxx::binarystring(row["request_hash"]).str() != request_hash) {
    return errors::InvalidField("request_id", absl::StrCat("was already used for a different "
                                                           "request (",
                                                           request_id, ")"));
  }
  if (row["response"].is_null() ||
      !response.ParseFromString(pqxx::binarystring(row["response"]).str())) {
    return absl::InternalError(absl::StrCat("stored response of ", request_id, " is unreadable"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRequestId(std::string_view request_id) {
  if (request_id.empty()) {
    return errors::InvalidField("request_id", "must be set on every mutating call");
  }
  if (request_id.size() > 128) {
    return errors::InvalidField("request_id", "must be at most 128 characters");
  }
  for (unsigned char c : request_id) {
    if (c < 0x21 || c > 0x7e) {
      return errors::InvalidField("request_id", "must be printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

absl::Status Run(pqxx::transaction_base& tx, std::string_view method, std::string_view request_id,
                 const google::protobuf::Message& request, google::protobuf::Message& response,
                 const std::function<absl::Status()>& fn) {
  if (auto s = ValidateRequestId(request_id); !s.ok()) return s;
  const std::string hash = RequestHash(request);
  const std::string id(request_id), m(method);
  // A concurrent duplicate blocks here on the unique index until the first
  // commits, then sees the conflict and reads the stored response.
  auto inserted = tx.exec_params(
      "INSERT INTO idempotency (request_id, method, request_hash) VALUES ($1, $2, $3) "
      "ON CONFLICT (request_id) DO NOTHING",
      id, m, pqxx::binarystring(hash.data(), hash.size()));
  if (inserted.affected_rows() == 0) {
    auto row = tx.exec_params1(
        "SELECT method, request_hash, response FROM idempotency WHERE request_id = $1", id);
    return Replay(id, m, hash, row, response);
  }
  if (auto s = fn(); !s.ok()) return s;
  const std::string bytes = response.SerializeAsString();
  tx.exec_params("UPDATE idempotency SET response = $2 WHERE request_id = $1", id,
                 pqxx::binarystring(bytes.data(), bytes.size()));
  return absl::OkStatus();
}

void Lookup(pqxx::transaction_base& tx, std::string_view method, std::span<BatchEntry> entries) {
  std::map<std::string_view, BatchEntry*> first;
  std::vector<std::string> ids;
  for (BatchEntry& e : entries) {
    e.status = absl::OkStatus();
    if (!first.emplace(e.request_id, &e).second) {
      e.state = BatchEntry::State::kRepeatInBatch;
      continue;
    }
    e.state = BatchEntry::State::kNew;
    e.request_hash = RequestHash(*e.request);
    ids.emplace_back(e.request_id);
  }
  for (const auto& row :
       pg::ExecPrepared(tx, "idempotency_lookup",
                        "SELECT request_id, method, request_hash, response FROM idempotency "
                        "WHERE request_id = ANY($1::text[])",
                        pg::ArrayLiteral(ids))) {
    BatchEntry& e = *first.at(row["request_id"].as<std::string>());
    e.status = Replay(std::string(e.request_id), method, e.request_hash, row, *e.response);
    e.state = e.status.ok() ? BatchEntry::State::kReplayed : BatchEntry::State::kRefused;
  }
}

absl::Status Record(pqxx::transaction_base& tx, std::string_view method,
                    std::span<const BatchEntry> entries) {
  std::vector<std::string> ids, hashes, responses;
  for (const BatchEntry& e : entries) {
    if (e.state != BatchEntry::State::kNew) continue;
    ids.emplace_back(e.request_id);
    hashes.push_back(pg::HexBytes(e.request_hash));
    responses.push_back(pg::HexBytes(e.response->SerializeAsString()));
  }
  if (ids.empty()) return absl::OkStatus();
  // In request_id order, so two batches sharing ids cannot deadlock.
  const auto inserted =
      pg::ExecPrepared(tx, "idempotency_record",
                       "INSERT INTO idempotency (request_id, method, request_hash, response) "
                       "SELECT u.id, $2, decode(u.hash, 'hex'), decode(u.response, 'hex') "
                       "FROM unnest($1::text[], $3::text[], $4::text[]) AS u(id, hash, response) "
                       "ORDER BY u.id ON CONFLICT (request_id) DO NOTHING",
                       pg::ArrayLiteral(ids), std::string(method), pg::ArrayLiteral(hashes),
                       pg::ArrayLiteral(responses));
  if (inserted.affected_rows() != ids.size()) {
    return absl::AbortedError("a concurrent request with the same request_id committed first");
  }
  return absl::OkStatus();
}

int64_t PurgeOlderThan(pqxx::transaction_base& tx, int retention_days, int limit) {
  return tx
      .exec_params(
          "DELETE FROM idempotency WHERE request_id IN (SELECT request_id FROM idempotency "
          "WHERE created_at < now() - $1 * interval '1 day' ORDER BY created_at LIMIT $2 "
          "FOR UPDATE SKIP LOCKED)",
          retention_days, limit)
      .affected_rows();
}

}  // namespace zx::idempotency
