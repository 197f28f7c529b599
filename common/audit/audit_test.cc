#include "common/audit/audit.h"

#include <gtest/gtest.h>

#include <vector>

namespace zx::audit {
namespace {

Entry Sample(const std::string& user) {
  Entry e;
  e.at = absl::FromUnixMicros(1'790'000'000'123'456);
  e.request_id = "req-1";
  e.user_id = user;
  e.role = "county_official";
  e.principal_division = "653121000000";
  e.kind = kKindWrite;
  e.action = "assets.asset.register";
  e.method = "/zx.assets.v1.AssetsService/RegisterAsset";
  e.resource_division = "653121101201";
  e.resource_id = "as-0123456789abcdef0123";
  e.result_code = 0;
  return e;
}

std::vector<Entry> ChainOf(int n) {
  std::vector<Entry> entries;
  for (int i = 0; i < n; ++i) entries.push_back(Sample("u" + std::to_string(i)));
  Chain(0, GenesisHash(), entries);
  return entries;
}

ChainVerifier VerifyAll(const std::vector<Entry>& stored, int64_t head_seq,
                        const std::string& head_hash) {
  ChainVerifier v(1, GenesisHash());
  for (const Entry& e : stored) {
    if (!v.Next(e)) break;
  }
  v.End(head_seq, head_hash);
  return v;
}

TEST(AuditEncodingTest, FieldBoundariesAreUnambiguous) {
  Entry a = Sample("ab");
  a.role = "c";
  Entry b = Sample("a");
  b.role = "bc";
  EXPECT_NE(CanonicalEncoding(a), CanonicalEncoding(b));
  EXPECT_NE(ComputeHash(a), ComputeHash(b));
}

TEST(AuditEncodingTest, EveryFieldIsCovered) {
  const Entry base = Sample("u");
  const std::string h = ComputeHash(base);
  std::vector<Entry> changed(17, base);
  changed[0].seq = 7;
  changed[1].at += absl::Microseconds(1);
  changed[2].request_id = "req-2";
  changed[3].user_id = "v";
  changed[4].role = "auditor";
  changed[5].principal_division = "653122000000";
  changed[6].department = "civil_affairs";
  changed[7].kind = kKindRefusal;
  changed[8].action = "assets.asset.get";
  changed[9].method = "/x/Y";
  changed[10].resource_division = "653121101202";
  changed[11].resource_id = "as-1";
  changed[12].purpose = "verification visit";
  changed[13].personal_data_read = true;
  changed[14].result_code = 7;
  changed[15].result_message = "denied";
  changed[16].prev_hash = std::string(kHashBytes, '\1');
  for (size_t i = 0; i < changed.size(); ++i) {
    EXPECT_NE(ComputeHash(changed[i]), h) << "field " << i << " is not hashed";
  }
  EXPECT_EQ(ComputeHash(base).size(), kHashBytes);
  EXPECT_EQ(ComputeHash(base), h) << "deterministic";
}

TEST(AuditChainTest, ChainNumbersAndLinks) {
  const auto entries = ChainOf(3);
  EXPECT_EQ(entries[0].seq, 1);
  EXPECT_EQ(entries[2].seq, 3);
  EXPECT_EQ(entries[0].prev_hash, GenesisHash());
  EXPECT_EQ(entries[1].prev_hash, entries[0].hash);
  EXPECT_EQ(entries[2].prev_hash, entries[1].hash);
  // Continuing after the head gives the same chain as chaining at once.
  std::vector<Entry> tail = {Sample("u2")};
  Chain(2, entries[1].hash, tail);
  EXPECT_EQ(tail[0].hash, entries[2].hash);
}

TEST(AuditChainTest, ChainTruncatesTimeToMicroseconds) {
  std::vector<Entry> entries = {Sample("u")};
  entries[0].at = absl::FromUnixNanos(1'790'000'000'123'456'789);
  Chain(0, GenesisHash(), entries);
  EXPECT_EQ(absl::ToUnixMicros(entries[0].at), 1'790'000'000'123'456);
  EXPECT_EQ(absl::ToUnixNanos(entries[0].at) % 1000, 0);
}

TEST(AuditVerifierTest, IntactChainPasses) {
  const auto entries = ChainOf(5);
  auto v = VerifyAll(entries, 5, entries.back().hash);
  EXPECT_TRUE(v.ok()) << v.broken()->detail;
  EXPECT_EQ(v.checked(), 5);
  ChainVerifier empty(1, GenesisHash());
  empty.End(0, GenesisHash());
  EXPECT_TRUE(empty.ok());
}

TEST(AuditVerifierTest, EditedEntryIsNamed) {
  auto entries = ChainOf(5);
  entries[2].result_code = 0;
  entries[2].user_id = "someone-else";
  auto v = VerifyAll(entries, 5, entries.back().hash);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.broken()->seq, 3);
  EXPECT_EQ(v.broken()->kind, BreakKind::kEdited);
  EXPECT_EQ(v.checked(), 2);
}

TEST(AuditVerifierTest, EditedAndRehashedEntryBreaksTheNextLink) {
  auto entries = ChainOf(5);
  entries[2].user_id = "someone-else";
  entries[2].hash = ComputeHash(entries[2]);
  auto v = VerifyAll(entries, 5, entries.back().hash);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.broken()->seq, 4);
  EXPECT_EQ(v.broken()->kind, BreakKind::kLink);
}

TEST(AuditVerifierTest, DeletedMiddleEntryIsNamed) {
  auto entries = ChainOf(5);
  entries.erase(entries.begin() + 2);
  auto v = VerifyAll(entries, 5, entries.back().hash);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.broken()->seq, 3);
  EXPECT_EQ(v.broken()->kind, BreakKind::kMissing);
}

TEST(AuditVerifierTest, DeletedNewestEntryIsCaughtByTheHead) {
  auto entries = ChainOf(5);
  const std::string head_hash = entries.back().hash;
  entries.pop_back();
  auto v = VerifyAll(entries, 5, head_hash);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.broken()->seq, 5);
  EXPECT_EQ(v.broken()->kind, BreakKind::kMissing);
}

TEST(AuditVerifierTest, ReplacedNewestEntryIsCaughtByTheHead) {
  auto entries = ChainOf(5);
  const std::string head_hash = entries.back().hash;
  entries.back().user_id = "x";
  entries.back().hash = ComputeHash(entries.back());
  auto v = VerifyAll(entries, 5, head_hash);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.broken()->seq, 5);
  EXPECT_EQ(v.broken()->kind, BreakKind::kHead);
}

TEST(AuditVerifierTest, RangeStartingMidLogChecksTheLinkIntoIt) {
  auto entries = ChainOf(6);
  // Verify 4..6: the verifier starts at 3 on trust.
  ChainVerifier ok(3, std::nullopt);
  for (int i = 2; i < 6; ++i) ASSERT_TRUE(ok.Next(entries[i]));
  ok.End(6, entries.back().hash);
  EXPECT_TRUE(ok.ok());
  entries.erase(entries.begin() + 2);  // entry 3 deleted
  ChainVerifier missing(3, std::nullopt);
  for (int i = 2; i < 5; ++i) {
    if (!missing.Next(entries[i])) break;
  }
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.broken()->seq, 3);
}

TEST(AuditCleanTest, BoundsAndCleansText) {
  EXPECT_EQ(Clean("plain", 100), "plain");
  EXPECT_EQ(Clean("abcdef", 3), "abc");
  EXPECT_EQ(Clean(std::string("a\0b", 3), 100), "a?b");
  EXPECT_EQ(Clean("\xff\xfe", 100), "??");
  EXPECT_EQ(Clean("核查走访", 7), "核查") << "never cuts a character in two";
  EXPECT_EQ(Clean("\xed\xa0\x80", 100), "???") << "surrogates are not UTF-8";
  EXPECT_EQ(Clean("\xc0\xaf", 100), "??") << "overlong forms are not UTF-8";
}

}  // namespace
}  // namespace zx::audit
