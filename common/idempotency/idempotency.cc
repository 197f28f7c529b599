#include "common/idempotency/idempotency.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"

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
    if (row[0].as<std::string>() != m || pqxx::binarystring(row[1]).str() != hash) {
      return errors::InvalidField(
          "request_id", absl::StrCat("was already used for a different request (", id, ")"));
    }
    if (row[2].is_null() || !response.ParseFromString(pqxx::binarystring(row[2]).str())) {
      return absl::InternalError(absl::StrCat("stored response of ", id, " is unreadable"));
    }
    return absl::OkStatus();
  }
  if (auto s = fn(); !s.ok()) return s;
  const std::string bytes = response.SerializeAsString();
  tx.exec_params("UPDATE idempotency SET response = $2 WHERE request_id = $1", id,
                 pqxx::binarystring(bytes.data(), bytes.size()));
  return absl::OkStatus();
}

}  // namespace zx::idempotency
