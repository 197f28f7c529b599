#include "common/auth/auth.h"

#include <gtest/gtest.h>

namespace zx::auth {
namespace {

division::Code C(std::string_view s) { return *division::Code::Parse(s); }

Principal P(Role role, std::string_view division) {
  return Principal{"u1", role, C(division), "", ""};
}

TEST(AuthorizeTest, JurisdictionIsAncestorOrSelf) {
  const Principal county = P(Role::kCountyOfficial, "653121000000");
  EXPECT_TRUE(Authorize(county, "monitoring.household.get", C("653121101201")).ok());
  EXPECT_TRUE(Authorize(county, "monitoring.household.list", C("653121000000")).ok());
  const auto other = Authorize(county, "monitoring.household.get", C("653122101201"));
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  // A county official cannot act on its parent prefecture.
  EXPECT_EQ(Authorize(county, "monitoring.household.list", C("653100000000")).code(),
            absl::StatusCode::kPermissionDenied);
  const Principal prefecture = P(Role::kPrefectureOfficial, "653100000000");
  EXPECT_TRUE(Authorize(prefecture, "monitoring.household.get", C("653122101201")).ok());
  EXPECT_FALSE(Authorize(prefecture, "monitoring.household.get", C("652901101201")).ok());
}

TEST(AuthorizeTest, RolesByAccessKind) {
  EXPECT_FALSE(
      Authorize(P(Role::kOperator, "653100"), "monitoring.household.get", C("653121101201")).ok());
  EXPECT_TRUE(Authorize(P(Role::kOperator, "653100"), "service.info.get", C("653100")).ok());
  EXPECT_TRUE(
      Authorize(P(Role::kAuditor, "653100"), "monitoring.household.list", C("653121")).ok());
  EXPECT_FALSE(
      Authorize(P(Role::kAuditor, "653100"), "monitoring.household.create", C("653121101201"))
          .ok());
  EXPECT_TRUE(Authorize(P(Role::kVillageCadre, "653121101201"), "monitoring.household.create",
                        C("653121101201"))
                  .ok());
}

TEST(AuthorizeTest, UndeclaredActionIsRefused) {
  const auto s = Authorize(P(Role::kRegionOfficial, "650000"), "monitoring.secret", C("650000"));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("not declared"), std::string_view::npos);
}

TEST(TokenTest, SignedTokenVerifies) {
  const KeyPair kp = GenerateKeyPair();
  TokenVerifier verifier;
  verifier.AddKey("k1", kp.public_key);
  zx::common::v1::TokenClaims claims;
  claims.set_user_id("ayxam");
  claims.set_role("township_official");
  claims.set_division_code("653121101000");
  claims.set_audience("shufu");
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  claims.set_expires_at_unix(absl::ToUnixSeconds(now) + 600);
  const std::string token = SignToken(claims, "k1", kp.secret_key);

  auto principal = verifier.Verify(token, "shufu", now);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->user_id, "ayxam");
  EXPECT_EQ(principal->role, Role::kTownshipOfficial);
  EXPECT_EQ(principal->division.str(), "653121101000");

  EXPECT_EQ(verifier.Verify(token, "shule", now).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(verifier.Verify(token, "shufu", now + absl::Minutes(11)).status().code(),
            absl::StatusCode::kUnauthenticated);
  std::string tampered = token;
  tampered[token.find('.', 4) + 3] ^= 1;
  EXPECT_FALSE(verifier.Verify(tampered, "shufu", now).ok());
  const KeyPair other = GenerateKeyPair();
  EXPECT_FALSE(verifier.Verify(SignToken(claims, "k1", other.secret_key), "shufu", now).ok());
  EXPECT_FALSE(verifier.Verify(SignToken(claims, "k9", kp.secret_key), "shufu", now).ok());
}

TEST(TokenTest, DevTokenParses) {
  auto p = ParseDevToken("dev.653121.county_official.demo");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->division.str(), "653121000000");
  EXPECT_EQ(p->role, Role::kCountyOfficial);
  EXPECT_EQ(p->ToString(), "county_official:demo@653121000000");
  EXPECT_FALSE(ParseDevToken("dev.653121.king.demo").ok());
  EXPECT_FALSE(ParseDevToken("dev.65312.county_official.demo").ok());
  EXPECT_FALSE(ParseDevToken("dev.653121.county_official.").ok());
}

TEST(TokenTest, Base64UrlRoundTrip) {
  const std::string bytes("\x00\xff\xfe zx", 6);
  auto back = Base64UrlDecode(Base64UrlEncode(bytes));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, bytes);
  EXPECT_FALSE(Base64UrlDecode("***").ok());
}

}  // namespace
}  // namespace zx::auth
