// The tamper-evident audit log (docs/ARCHITECTURE.md §17): every entry
// carries the BLAKE2b-256 hash of its canonical encoding, and that encoding
// starts with the previous entry's hash, so editing, deleting or inserting a
// stored entry breaks the chain at that entry. This header is the pure part:
// the encoding, the chaining and the check. audit_log.h reads and writes it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace zx::audit {

inline constexpr size_t kHashBytes = 32;

// What made a call worth an entry.
inline constexpr char kKindWrite[] = "write";      // an authorized state-changing action
inline constexpr char kKindRefusal[] = "refusal";  // UNAUTHENTICATED or PERMISSION_DENIED
inline constexpr char kKindRead[] = "read";        // a read that returned personal data in clear

// One entry as stored in audit_log. Text fields are bounded and cleaned
// (Clean) before they are hashed, so what PostgreSQL keeps re-hashes alike.
struct Entry {
  int64_t seq = 0;
  absl::Time at;  // microsecond precision (what timestamptz keeps)
  std::string request_id;
  std::string user_id;  // empty when the caller was not authenticated
  std::string role;
  std::string principal_division;
  std::string department;
  std::string kind;    // kKindWrite, kKindRefusal or kKindRead
  std::string action;  // the declared action authorized or refused ("" if none was reached)
  std::string method;  // "/zx.assets.v1.AssetsService/RegisterAsset"
  std::string resource_division;
  std::string resource_id;
  std::string purpose;  // as the request stated it
  bool personal_data_read = false;
  int32_t result_code = 0;     // google.rpc.Code (= absl::StatusCode)
  std::string result_message;  // short, never personal data
  std::string prev_hash;       // kHashBytes
  std::string hash;            // kHashBytes
};

// The prev_hash of entry 1: 32 zero bytes.
std::string GenesisHash();

// Every field but `hash`, prev_hash first: a version tag, then each field
// length-prefixed (8-byte big-endian length) in a fixed order, integers as
// 8-byte big-endian, the time as microseconds since the Unix epoch. No two
// different entries encode alike.
std::string CanonicalEncoding(const Entry& entry);

// BLAKE2b-256 (libsodium crypto_generichash) of CanonicalEncoding(entry).
std::string ComputeHash(const Entry& entry);

// Numbers `entries` after (last_seq, last_hash) and fills their prev_hash
// and hash; `at` is truncated to microseconds first.
void Chain(int64_t last_seq, const std::string& last_hash, std::span<Entry> entries);

// `text` cut to at most `max_bytes` on a UTF-8 boundary, with NUL bytes and
// invalid UTF-8 replaced by '?': PostgreSQL text refuses both, and an entry
// must store exactly what was hashed.
std::string Clean(std::string_view text, size_t max_bytes);

// How a chain is broken (zx.common.v1.AuditChainBreak).
enum class BreakKind {
  kEdited = 1,   // the stored hash is not the hash of the stored fields
  kMissing = 2,  // an entry is absent: a gap in seq, or the log ends before the head
  kLink = 3,     // prev_hash is not the previous entry's hash (replaced or inserted entries)
  kHead = 4,     // audit_head disagrees with the last entry
};

struct ChainBreak {
  int64_t seq = 0;  // the first broken entry
  BreakKind kind = BreakKind::kEdited;
  std::string detail;
};

// Checks stored entries fed in seq order. Pure, so the integrity rules are
// unit-tested without a database.
class ChainVerifier {
 public:
  // The first entry fed must be `first_seq` and follow `prev_hash`;
  // nullopt accepts the first entry's own prev_hash (a range starting
  // mid-log, whose predecessor is checked as the first entry instead).
  ChainVerifier(int64_t first_seq, std::optional<std::string> prev_hash);

  // Feeds the next stored entry; false once the chain is broken.
  bool Next(const Entry& stored);

  // No more entries up to `last_seq`: one missing at the end is a break.
  // With `head_hash` (the range reached the head) the last entry must also
  // carry the head's hash.
  void End(int64_t last_seq, const std::optional<std::string>& head_hash);

  bool ok() const { return !broken_.has_value(); }
  const std::optional<ChainBreak>& broken() const { return broken_; }
  int64_t checked() const { return checked_; }

 private:
  int64_t expected_seq_;
  std::optional<std::string> expected_prev_;
  int64_t checked_ = 0;
  std::optional<ChainBreak> broken_;
};

std::string_view BreakKindName(BreakKind kind);

}  // namespace zx::audit
