#include "common/audit/audit.h"

#include <sodium.h>

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace zx::audit {
namespace {

constexpr char kVersionTag[] = "zx.audit.v1";

void PutU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

void PutField(std::string& out, std::string_view bytes) {
  PutU64(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

// Length of the valid UTF-8 sequence starting at s[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return n;
}

std::string Hex(std::string_view bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  hex.pop_back();
  return hex;
}

}  // namespace

std::string GenesisHash() { return std::string(kHashBytes, '\0'); }

std::string CanonicalEncoding(const Entry& e) {
  std::string out;
  out.reserve(512);
  PutField(out, kVersionTag);
  PutField(out, e.prev_hash);
  PutU64(out, static_cast<uint64_t>(e.seq));
  PutU64(out, static_cast<uint64_t>(absl::ToUnixMicros(e.at)));
  for (const std::string* field :
       {&e.request_id, &e.user_id, &e.role, &e.principal_division, &e.department, &e.kind,
        &e.action, &e.method, &e.resource_division, &e.resource_id, &e.purpose}) {
    PutField(out, *field);
  }
  PutU64(out, e.personal_data_read ? 1 : 0);
  PutU64(out, static_cast<uint64_t>(static_cast<int64_t>(e.result_code)));
  PutField(out, e.result_message);
  return out;
}

std::string ComputeHash(const Entry& entry) {
  if (sodium_init() < 0) std::abort();  // cannot hash at all: nothing sensible to return
  const std::string encoding = CanonicalEncoding(entry);
  std::string hash(kHashBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(),
                     reinterpret_cast<const unsigned char*>(encoding.data()), encoding.size(),
                     nullptr, 0);
  return hash;
}

void Chain(int64_t last_seq, const std::string& last_hash, std::span<Entry> entries) {
  std::string prev = last_hash;
  for (Entry& e : entries) {
    e.seq = ++last_seq;
    e.at = absl::FromUnixMicros(absl::ToUnixMicros(e.at));
    e.prev_hash = prev;
    e.hash = ComputeHash(e);
    prev = e.hash;
  }
}

std::string Clean(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  size_t i = 0;
  while (i < text.size()) {
    size_t n = Utf8SequenceLength(text, i);
    const bool valid = n > 0 && text[i] != '\0';
    const size_t width = valid ? n : 1;
    if (out.size() + width > max_bytes) break;
    if (valid) {
      out.append(text.substr(i, n));
    } else {
      out += '?';
      n = 1;
    }
    i += n;
  }
  return out;
}

std::string_view BreakKindName(BreakKind kind) {
  switch (kind) {
    case BreakKind::kEdited:
      return "edited";
    case BreakKind::kMissing:
      return "missing";
    case BreakKind::kLink:
      return "link";
    case BreakKind::kHead:
      return "head";
  }
  return "unknown";
}

ChainVerifier::ChainVerifier(int64_t first_seq, std::optional<std::string> prev_hash)
    : expected_seq_(first_seq), expected_prev_(std::move(prev_hash)) {}

bool ChainVerifier::Next(const Entry& stored) {
  if (broken_) return false;
  if (stored.seq > expected_seq_) {
    broken_ = ChainBreak{expected_seq_, BreakKind::kMissing,
                         absl::StrCat("entry ", expected_seq_, " is missing (the next stored is ",
                                      stored.seq, "): deleted")};
    return false;
  }
  if (stored.seq < expected_seq_) {  // cannot happen when read ordered by the primary key
    broken_ = ChainBreak{stored.seq, BreakKind::kLink,
                         absl::StrCat("entry ", stored.seq, " is out of order")};
    return false;
  }
  if (ComputeHash(stored) != stored.hash) {
    broken_ = ChainBreak{
        stored.seq, BreakKind::kEdited,
        absl::StrCat("entry ", stored.seq, " does not match its hash: its fields were changed")};
    return false;
  }
  if (expected_prev_ && stored.prev_hash != *expected_prev_) {
    broken_ = ChainBreak{
        stored.seq, BreakKind::kLink,
        absl::StrCat("entry ", stored.seq, " does not follow entry ", stored.seq - 1,
                     " (prev_hash ", Hex(stored.prev_hash).substr(0, 16), "… is not its hash ",
                     Hex(*expected_prev_).substr(0, 16), "…): an entry was replaced or inserted")};
    return false;
  }
  expected_prev_ = stored.hash;
  ++expected_seq_;
  ++checked_;
  return true;
}

void ChainVerifier::End(int64_t last_seq, const std::optional<std::string>& head_hash) {
  if (broken_) return;
  const int64_t last_seen = expected_seq_ - 1;
  if (last_seen < last_seq) {
    broken_ = ChainBreak{
        expected_seq_, BreakKind::kMissing,
        head_hash
            ? absl::StrCat("the head records ", last_seq, " entries but the log ends at ",
                           last_seen, ": entries ", expected_seq_, "..", last_seq, " were deleted")
            : absl::StrCat("entries ", expected_seq_, "..", last_seq, " are missing")};
    return;
  }
  if (last_seen > last_seq) {
    broken_ = ChainBreak{
        last_seq + 1, BreakKind::kHead,
        absl::StrCat("entries after the head (", last_seq, ") exist: they were inserted")};
    return;
  }
  if (head_hash && last_seq > 0 && expected_prev_ && *expected_prev_ != *head_hash) {
    broken_ = ChainBreak{
        last_seq, BreakKind::kHead,
        absl::StrCat("entry ", last_seq, " does not carry the head's hash: it was replaced")};
  }
}

}  // namespace zx::audit
