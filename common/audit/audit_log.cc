#include "common/audit/audit_log.h"

#include <sodium.h>

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/division/division.h"
#include "common/logging/logging.h"

namespace zx::audit {
namespace {

constexpr int kVerifyChunk = 5000;

// The columns in the order of the hash, as SELECT lists them.
constexpr char kColumns[] =
    "seq, (EXTRACT(EPOCH FROM at) * 1000000)::bigint, request_id, user_id, role, "
    "principal_division, department, kind, action, method, resource_division, resource_id, "
    "purpose, personal_data_read, result_code, result_message, encode(prev_hash, 'hex'), "
    "encode(hash, 'hex')";

std::string FromHex(const std::string& hex) {
  std::string bytes(hex.size() / 2, '\0');
  size_t len = 0;
  sodium_hex2bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), hex.data(),
                 hex.size(), nullptr, &len, nullptr);
  bytes.resize(len);
  return bytes;
}

Entry FromRow(const pqxx::row& r) {
  Entry e;
  e.seq = r[0].as<int64_t>();
  e.at = absl::FromUnixMicros(r[1].as<int64_t>());
  e.request_id = r[2].as<std::string>();
  e.user_id = r[3].as<std::string>();
  e.role = r[4].as<std::string>();
  e.principal_division = r[5].as<std::string>();
  e.department = r[6].as<std::string>();
  e.kind = r[7].as<std::string>();
  e.action = r[8].as<std::string>();
  e.method = r[9].as<std::string>();
  e.resource_division = r[10].as<std::string>();
  e.resource_id = r[11].as<std::string>();
  e.purpose = r[12].as<std::string>();
  e.personal_data_read = r[13].as<bool>();
  e.result_code = r[14].as<int32_t>();
  e.result_message = r[15].as<std::string>();
  e.prev_hash = FromHex(r[16].as<std::string>());
  e.hash = FromHex(r[17].as<std::string>());
  return e;
}

// timestamptz input with all six fractional digits: stored exactly.
std::string TimestampText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone());
}

}  // namespace

Log::Log(pg::Pool& pool)
    : pool_(pool),
      batcher_({.max_batch = 256, .max_concurrent = 2},
               [this](std::span<Pending* const> batch) { AppendBatch(batch); }) {}

absl::Status Log::Append(Entry entry) {
  Pending pending{&entry, absl::OkStatus()};
  batcher_.Submit(pending);
  return pending.status;
}

void InsertChained(pqxx::transaction_base& tx, std::span<const Entry> entries) {
  if (entries.empty()) return;
  std::vector<std::string> seq, at, request_id, user_id, role, principal_division, department, kind,
      action, method, resource_division, resource_id, purpose, personal_data_read, result_code,
      result_message, prev_hash, hash;
  for (const Entry& e : entries) {
    seq.push_back(std::to_string(e.seq));
    at.push_back(TimestampText(e.at));
    request_id.push_back(e.request_id);
    user_id.push_back(e.user_id);
    role.push_back(e.role);
    principal_division.push_back(e.principal_division);
    department.push_back(e.department);
    kind.push_back(e.kind);
    action.push_back(e.action);
    method.push_back(e.method);
    resource_division.push_back(e.resource_division);
    resource_id.push_back(e.resource_id);
    purpose.push_back(e.purpose);
    personal_data_read.push_back(e.personal_data_read ? "t" : "f");
    result_code.push_back(std::to_string(e.result_code));
    result_message.push_back(e.result_message);
    prev_hash.push_back(pg::HexBytes(e.prev_hash));
    hash.push_back(pg::HexBytes(e.hash));
  }
  using pg::ArrayLiteral;
  // One statement for the whole batch.
  tx.exec_params(
      "INSERT INTO audit_log (seq, at, request_id, user_id, role, principal_division, department, "
      "kind, action, method, resource_division, resource_id, purpose, personal_data_read, "
      "result_code, result_message, prev_hash, hash) "
      "SELECT u.seq, u.at, u.request_id, u.user_id, u.role, u.principal_division, u.department, "
      "u.kind, u.action, u.method, u.resource_division, u.resource_id, u.purpose, "
      "u.personal_data_read, u.result_code, u.result_message, decode(u.prev_hash, 'hex'), "
      "decode(u.hash, 'hex') "
      "FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], "
      "$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], "
      "$13::text[], $14::boolean[], $15::integer[], $16::text[], $17::text[], $18::text[]) "
      "AS u(seq, at, request_id, user_id, role, principal_division, department, kind, action, "
      "method, resource_division, resource_id, purpose, personal_data_read, result_code, "
      "result_message, prev_hash, hash)",
      ArrayLiteral(seq), ArrayLiteral(at), ArrayLiteral(request_id), ArrayLiteral(user_id),
      ArrayLiteral(role), ArrayLiteral(principal_division), ArrayLiteral(department),
      ArrayLiteral(kind), ArrayLiteral(action), ArrayLiteral(method),
      ArrayLiteral(resource_division), ArrayLiteral(resource_id), ArrayLiteral(purpose),
      ArrayLiteral(personal_data_read), ArrayLiteral(result_code), ArrayLiteral(result_message),
      ArrayLiteral(prev_hash), ArrayLiteral(hash));
  tx.exec_params("UPDATE audit_head SET last_seq = $1, last_hash = decode($2, 'hex')",
                 entries.back().seq, pg::HexBytes(entries.back().hash));
}

void AppendInTransaction(pqxx::transaction_base& tx, std::vector<Entry>& entries) {
  if (entries.empty()) return;
  const pqxx::row head =
      tx.exec1("SELECT last_seq, encode(last_hash, 'hex') FROM audit_head FOR UPDATE");
  Chain(head[0].as<int64_t>(), FromHex(head[1].as<std::string>()), entries);
  InsertChained(tx, entries);
}

void Log::AppendBatch(std::span<Pending* const> batch) {
  const absl::Time start = absl::Now();
  // The entry must be written even when the call's own deadline has passed:
  // the append has its own bound.
  const absl::Status s = pg::WithTransaction(pool_, {.deadline = absl::Now() + absl::Seconds(10)},
                                             [&](pqxx::transaction_base& tx) {
                                               std::vector<Entry> entries;
                                               entries.reserve(batch.size());
                                               for (const Pending* p : batch)
                                                 entries.push_back(*p->entry);
                                               AppendInTransaction(tx, entries);
                                               return absl::OkStatus();
                                             });
  if (!s.ok()) {
    logging::Error("audit_append_failed", {{"entries", std::to_string(batch.size())},
                                           {"error", std::string(s.message())}});
  }
  for (Pending* p : batch) p->status = s;
  logging::Debug("audit_batch_done",
                 {{"size", std::to_string(batch.size())},
                  {"ms", absl::StrCat(absl::ToDoubleMilliseconds(absl::Now() - start))}});
}

absl::StatusOr<VerifyResult> Verify(pg::Pool& pool, absl::Time deadline, int64_t from_seq,
                                    int64_t to_seq) {
  VerifyResult result;
  // One snapshot: the rows and the head were committed together, so they
  // agree unless someone changed them outside the log.
  const absl::Status s = pg::WithTransaction(
      pool, {.deadline = deadline, .isolation = pg::Isolation::kRepeatableRead},
      [&](pqxx::transaction_base& tx) {
        result = VerifyResult{};
        const pqxx::row head =
            tx.exec1("SELECT last_seq, encode(last_hash, 'hex') FROM audit_head");
        result.head_seq = head[0].as<int64_t>();
        result.head_hash = FromHex(head[1].as<std::string>());
        const int64_t first = std::max<int64_t>(1, from_seq);
        const bool to_head = to_seq <= 0 || to_seq >= result.head_seq;
        // Rows past the head are read too when the range reaches it: an
        // inserted tail is a break.
        const int64_t last = to_head ? std::numeric_limits<int64_t>::max() : to_seq;
        // A range that starts mid-log begins one entry early, taking that
        // entry's prev_hash on trust, so the link into the range is checked.
        const int64_t start = first > 1 ? first - 1 : 1;
        ChainVerifier verifier(
            start, first > 1 ? std::nullopt : std::optional<std::string>(GenesisHash()));
        int64_t after = start - 1;
        while (verifier.ok()) {
          const pqxx::result rows = tx.exec_params(
              absl::StrCat("SELECT ", kColumns,
                           " FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"),
              after, last, kVerifyChunk);
          for (const auto& row : rows) {
            const Entry e = FromRow(row);
            after = e.seq;
            if (!verifier.Next(e)) break;
          }
          if (rows.size() < static_cast<size_t>(kVerifyChunk)) break;
        }
        if (to_head) {
          verifier.End(result.head_seq, result.head_hash);
        } else {
          verifier.End(to_seq, std::nullopt);
        }
        result.checked = verifier.checked();
        result.broken = verifier.broken();
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return result;
}

std::vector<Entry> List(pqxx::transaction_base& tx, const Filter& filter, int64_t after_seq,
                        int limit) {
  std::vector<Entry> out;
  const std::string from =
      filter.from_time ? TimestampText(*filter.from_time) : std::string("-infinity");
  const std::string to = filter.to_time ? TimestampText(*filter.to_time) : std::string("infinity");
  for (const auto& row : tx.exec_params(
           absl::StrCat("SELECT ", kColumns,
                        " FROM audit_log WHERE seq > $1 AND resource_division LIKE $2 || '%' "
                        "AND ($3 = '' OR user_id = $3) AND ($4 = '' OR action = $4) "
                        "AND ($5 = '' OR kind = $5) AND at >= $6::timestamptz "
                        "AND at < $7::timestamptz ORDER BY seq LIMIT $8"),
           after_seq, filter.division_prefix, filter.user_id, filter.action, filter.kind, from, to,
           limit)) {
    out.push_back(FromRow(row));
  }
  return out;
}

std::string DivisionPrefix(const std::string& division_code) {
  auto code = division::Code::Parse(division_code);
  if (!code.ok()) return division_code;
  static constexpr size_t kLength[] = {0, 2, 4, 6, 9, 12};
  return code->str().substr(0, kLength[static_cast<int>(code->level())]);
}

}  // namespace zx::audit
