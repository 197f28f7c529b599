#include "common/auth/auth.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "zx/testing/v1/echo.pb.h"

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

TEST(AuthorizeTest, PersonalDataNeedsPrivilegeAndPurpose) {
  auto p = [](Role role) { return Principal{"u", role, *division::Code::Parse("653121"), "", ""}; };
  EXPECT_TRUE(MaySeePersonalData(p(Role::kCountyOfficial), "verification visit"));
  EXPECT_TRUE(MaySeePersonalData(p(Role::kDepartment), "verification visit"));
  EXPECT_FALSE(MaySeePersonalData(p(Role::kCountyOfficial), ""));
  EXPECT_FALSE(MaySeePersonalData(p(Role::kPrefectureOfficial), "oversight"));
  EXPECT_FALSE(MaySeePersonalData(p(Role::kAuditor), "audit"));
  EXPECT_FALSE(MaySeePersonalData(p(Role::kOperator), "debugging"));
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
  claims.set_issued_at_unix(absl::ToUnixSeconds(now) - 60);
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

TEST(TokenTest, LongLivedOrUndatedTokensAreRefused) {
  const KeyPair kp = GenerateKeyPair();
  TokenVerifier verifier;
  verifier.AddKey("k1", kp.public_key);
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  zx::common::v1::TokenClaims claims;
  claims.set_user_id("u");
  claims.set_role("auditor");
  claims.set_division_code("653100000000");
  claims.set_audience("kashgar");
  claims.set_issued_at_unix(absl::ToUnixSeconds(now));
  claims.set_expires_at_unix(absl::ToUnixSeconds(now + absl::Hours(12)));
  EXPECT_TRUE(verifier.Verify(SignToken(claims, "k1", kp.secret_key), "kashgar", now).ok());
  claims.set_expires_at_unix(absl::ToUnixSeconds(now + absl::Hours(13)));
  EXPECT_EQ(verifier.Verify(SignToken(claims, "k1", kp.secret_key), "kashgar", now).status().code(),
            absl::StatusCode::kUnauthenticated);
  claims.set_issued_at_unix(0);
  claims.set_expires_at_unix(absl::ToUnixSeconds(now + absl::Hours(1)));
  EXPECT_FALSE(verifier.Verify(SignToken(claims, "k1", kp.secret_key), "kashgar", now).ok());
  claims.set_issued_at_unix(absl::ToUnixSeconds(now + absl::Hours(1)));
  claims.set_expires_at_unix(absl::ToUnixSeconds(now + absl::Hours(2)));
  EXPECT_FALSE(verifier.Verify(SignToken(claims, "k1", kp.secret_key), "kashgar", now).ok());
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

TEST(TokenTest, DevTokenCarriesAKnownDepartment) {
  auto water = ParseDevToken("dev.653121000000.department:water.w1");
  ASSERT_TRUE(water.ok()) << water.status();
  EXPECT_EQ(water->role, Role::kDepartment);
  EXPECT_EQ(water->department, "water");
  EXPECT_EQ(ParseDevToken("dev.653121000000.department:police.w1").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ParseDevToken("dev.653121000000.department.w1").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ParseDevToken("dev.653121000000.county_official:water.w1").status().code(),
            absl::StatusCode::kUnauthenticated);
}

// Keys rotate by id: once a key id leaves the key file, its tokens fail.
TEST(TokenTest, RotatedOutKeyIsRefused) {
  const KeyPair old_key = GenerateKeyPair();
  const KeyPair new_key = GenerateKeyPair();
  zx::common::v1::TokenClaims claims;
  claims.set_user_id("u");
  claims.set_role("county_official");
  claims.set_division_code("653121000000");
  claims.set_audience("shufu");
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  claims.set_issued_at_unix(absl::ToUnixSeconds(now));
  claims.set_expires_at_unix(absl::ToUnixSeconds(now) + 600);
  TokenVerifier during;  // both keys listed while tokens of the old one expire
  during.AddKey("k1", old_key.public_key);
  during.AddKey("k2", new_key.public_key);
  TokenVerifier after;
  after.AddKey("k2", new_key.public_key);
  const std::string old_token = SignToken(claims, "k1", old_key.secret_key);
  const std::string new_token = SignToken(claims, "k2", new_key.secret_key);
  EXPECT_TRUE(during.Verify(old_token, "shufu", now).ok());
  EXPECT_TRUE(during.Verify(new_token, "shufu", now).ok());
  const auto refused = after.Verify(old_token, "shufu", now);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(refused.status().message().find("k1"), std::string_view::npos);
  EXPECT_TRUE(after.Verify(new_token, "shufu", now).ok());
  // A key id naming the new key but signed by the old one: bad signature.
  EXPECT_FALSE(after.Verify(SignToken(claims, "k2", old_key.secret_key), "shufu", now).ok());
}

// Files as zx-token keygen writes them: the secret key, and the key file
// line "key_id base64url(public key)" every service reads (--token-keys).
struct KeyFiles {
  std::string secret;
  std::string keys;
};
KeyFiles WriteKeyFiles(const KeyPair& kp, const std::string& kid, const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  KeyFiles files{(dir / absl::StrCat(name, "-", getpid(), ".secret")).string(),
                 (dir / absl::StrCat(name, "-", getpid(), ".keys")).string()};
  std::ofstream(files.secret) << Base64UrlEncode(kp.secret_key) << "\n";
  std::ofstream(files.keys) << "# the gateway's service key\n"
                            << kid << " " << Base64UrlEncode(kp.public_key) << "\n";
  return files;
}

// The federation gateway calls its own instance's services with tokens it
// signs with its service key: they verify there and nowhere else.
TEST(ServiceTokenTest, VerifiesForItsInstanceOnly) {
  const KeyFiles files = WriteKeyFiles(GenerateKeyPair(), "fed-shufu-1", "zx-service-token");
  auto secret = ReadSecretKeyFile(files.secret);
  ASSERT_TRUE(secret.ok()) << secret.status();
  auto verifier = TokenVerifier::FromFile(files.keys);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  std::filesystem::remove(files.secret);
  std::filesystem::remove(files.keys);

  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  const Principal clerk{"fed-user", Role::kDepartment, C("653121000000"), "medical_insurance", ""};
  const std::string token = SignServiceToken(clerk, "shufu", "fed-shufu-1", *secret, now);
  ASSERT_TRUE(token.starts_with("zx1.fed-shufu-1.")) << token;

  auto principal = verifier->Verify(token, "shufu", now);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->user_id, "fed-user");
  EXPECT_EQ(principal->role, Role::kDepartment);
  EXPECT_EQ(principal->department, "medical_insurance");
  EXPECT_EQ(principal->division.str(), "653121000000");
  // Still good a little later, gone after a few minutes.
  EXPECT_TRUE(verifier->Verify(token, "shufu", now + absl::Minutes(4)).ok());
  EXPECT_EQ(verifier->Verify(token, "shufu", now + kServiceTokenLifetime).status().code(),
            absl::StatusCode::kUnauthenticated);
  // Another instance's services refuse it, though they list the same key.
  const auto foreign = verifier->Verify(token, "shule", now);
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(foreign.status().message().find("for instance shufu, not shule"),
            std::string_view::npos)
      << foreign.status();
  // A partner's province travels in the claims.
  const Principal partner{"instance", Role::kPartner, C("370000000000"), "", "370000000000"};
  auto p = verifier->Verify(SignServiceToken(partner, "shufu", "fed-shufu-1", *secret, now),
                            "shufu", now);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->partner_province, "370000000000");
}

TEST(ServiceTokenTest, SecretKeyFileMustHoldOneWholeKey) {
  const KeyPair kp = GenerateKeyPair();
  const KeyFiles files = WriteKeyFiles(kp, "k1", "zx-secret-check");
  std::filesystem::remove(files.keys);
  auto read = ReadSecretKeyFile(files.secret);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, kp.secret_key);

  EXPECT_EQ(ReadSecretKeyFile(files.secret + ".missing").status().code(),
            absl::StatusCode::kNotFound);
  // The public key file, a truncated key, a damaged key (its public half no
  // longer that of its seed), two keys: refused, naming the file.
  std::string damaged = kp.secret_key;
  damaged[40] ^= 1;
  for (const std::string& text :
       {Base64UrlEncode(kp.public_key), Base64UrlEncode(kp.secret_key.substr(0, 63)),
        Base64UrlEncode(damaged),
        absl::StrCat(Base64UrlEncode(kp.secret_key), "\n", Base64UrlEncode(kp.secret_key)),
        std::string("k1 ") + Base64UrlEncode(kp.public_key)}) {
    std::ofstream(files.secret, std::ios::trunc) << text << "\n";
    const auto refused = ReadSecretKeyFile(files.secret);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_NE(refused.status().message().find(files.secret), std::string_view::npos);
  }
  std::filesystem::remove(files.secret);
}

TEST(PermissionTableTest, RolesAndDepartmentsAreHeldAsDeclared) {
  Principal water = P(Role::kDepartment, "653121000000");
  water.department = "water";
  Principal hr = water;
  hr.department = "human_resources";
  EXPECT_TRUE(Authorize(water, "monitoring.guarantees.set", C("653121101201")).ok());
  EXPECT_EQ(Authorize(hr, "monitoring.guarantees.set", C("653121101201")).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Authorize(hr, "employment.worker.upsert", C("653121101201")).ok());
  EXPECT_FALSE(Authorize(water, "employment.worker.upsert", C("653121101201")).ok());
  // A lifecycle step belongs to one level.
  EXPECT_TRUE(Authorize(P(Role::kTownshipOfficial, "653121101000"),
                        "monitoring.object.township_review", C("653121101201"))
                  .ok());
  EXPECT_FALSE(Authorize(P(Role::kCountyOfficial, "653121000000"),
                         "monitoring.object.township_review", C("653121101201"))
                   .ok());
  // Partners hold the service info, as buyers their own buyer record and
  // orders (consumption), as employers their own employers and jobs
  // (employment); nothing of any registry, ledger or policy.
  const Principal partner = P(Role::kPartner, "370000000000");
  const std::set<std::string_view> partner_actions{
      "service.info.get", "consumption.buyer.upsert", "consumption.buyer.get",
      "consumption.order.submit", "consumption.order.get", "consumption.order.advance",
      "employment.employer.upsert", "employment.job.upsert",
      // ...and, as an instance certificate, reading an agreed report and the
      // partner operations through the gateway (each if granted).
      "federation.peer.report", "federation.partner.employer", "federation.partner.job",
      "federation.partner.buyer", "federation.partner.order", "federation.partner.order_get"};
  for (const Permission& p : PermissionTable()) {
    EXPECT_EQ(Holds(partner, p), partner_actions.contains(p.action)) << p.action;
  }
}

TEST(PermissionTableTest, EveryRowIsWellFormed) {
  std::set<std::string> roles;
  for (const Permission& p : PermissionTable()) {
    EXPECT_TRUE(p.rpc.starts_with("/zx.")) << p.rpc;
    EXPECT_FALSE(p.grantees.empty()) << p.action;
    for (std::string_view g : p.grantees) {
      if (g.starts_with("department:")) {
        const std::string_view kind = g.substr(11);
        const auto& kinds = DepartmentKinds();
        EXPECT_TRUE(kind == "*" || std::find(kinds.begin(), kinds.end(), kind) != kinds.end())
            << p.action << " names department " << g;
      } else {
        EXPECT_TRUE(ParseRole(g).ok()) << p.action << " names role " << g;
      }
    }
    // Auditors and operators never change state.
    if (p.access == Access::kWrite) {
      EXPECT_FALSE(Holds(P(Role::kAuditor, "650000000000"), p)) << p.action;
      EXPECT_FALSE(Holds(P(Role::kOperator, "650000000000"), p)) << p.action;
    }
  }
  // An action authorizes one kind of access wherever it is used.
  for (const Permission& p : PermissionTable()) {
    EXPECT_EQ(FindPermission(p.action)->access, p.access) << p.action;
  }
}

TEST(PermissionTableTest, UnlistedRpcsAreNamed) {
  // Links the Echo descriptor into this binary.
  ASSERT_NE(zx::testing::v1::EchoRequest::descriptor(), nullptr);
  EXPECT_TRUE(CheckEveryRpcIsDeclared({"zx.common.v1.ServiceInfo", "grpc.health.v1.Health"}).ok());
  const auto missing = CheckEveryRpcIsDeclared({"zx.testing.v1.Echo"});
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.message().find("/zx.testing.v1.Echo/Echo"), std::string_view::npos)
      << missing.message();
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
