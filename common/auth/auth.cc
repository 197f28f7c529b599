#include "common/auth/auth.h"

#include <sodium.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/base/strings.h"

namespace zx::auth {
namespace {

struct RoleEntry {
  Role role;
  std::string_view name;
};
constexpr RoleEntry kRoles[] = {
    {Role::kVillageCadre, "village_cadre"},
    {Role::kTownshipOfficial, "township_official"},
    {Role::kCountyOfficial, "county_official"},
    {Role::kDepartment, "department"},
    {Role::kPrefectureOfficial, "prefecture_official"},
    {Role::kRegionOfficial, "region_official"},
    {Role::kPartner, "partner"},
    {Role::kAuditor, "auditor"},
    {Role::kOperator, "operator"},
};

constexpr absl::Duration kMaxTokenLifetime = absl::Hours(12);
constexpr absl::Duration kClockSkew = absl::Minutes(5);

void InitSodium() {
  static const bool ok = sodium_init() >= 0;
  (void)ok;
}

// A department principal names a known department kind; nobody else names one.
absl::Status CheckDepartment(const Principal& p) {
  if (p.role != Role::kDepartment) {
    if (p.department.empty()) return absl::OkStatus();
    return absl::UnauthenticatedError("only role department carries a department kind");
  }
  for (std::string_view kind : DepartmentKinds()) {
    if (kind == p.department) return absl::OkStatus();
  }
  return absl::UnauthenticatedError(
      absl::StrCat("department kind \"", p.department, "\" is unknown"));
}

}  // namespace

std::string_view RoleName(Role role) {
  for (const auto& e : kRoles) {
    if (e.role == role) return e.name;
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(std::string_view name) {
  for (const auto& e : kRoles) {
    if (e.name == name) return e.role;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown role \"", AsAbsl(name), "\""));
}

bool HoldsPersonalDataPrivilege(Role role) {
  return role == Role::kVillageCadre || role == Role::kTownshipOfficial ||
         role == Role::kCountyOfficial || role == Role::kDepartment;
}

bool MaySeePersonalData(const Principal& principal, std::string_view purpose) {
  return HoldsPersonalDataPrivilege(principal.role) && !purpose.empty();
}

std::string Principal::ToString() const {
  if (!instance_level.empty()) {
    return absl::StrCat("instance:", instance_level, "@", division.str());
  }
  if (role == Role::kDepartment) {
    return absl::StrCat("department:", department, ":", user_id, "@", division.str());
  }
  return absl::StrCat(AsAbsl(RoleName(role)), ":", user_id, "@", division.str());
}

bool Holds(const Principal& principal, const Permission& permission) {
  const std::string_view role = RoleName(principal.role);
  for (std::string_view grantee : permission.grantees) {
    if (grantee == role) return true;
    if (principal.role == Role::kDepartment && grantee.starts_with("department:")) {
      const std::string_view kind = grantee.substr(grantee.find(':') + 1);
      if (kind == "*" || kind == principal.department) return true;
    }
  }
  return false;
}

absl::Status Authorize(const Principal& principal, std::string_view action,
                       const division::Code& resource_division) {
  const Permission* permission = FindPermission(action);
  if (permission == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat("action ", AsAbsl(action), " is not declared"));
  }
  if (!Holds(principal, *permission)) {
    std::string who(RoleName(principal.role));
    if (principal.role == Role::kDepartment) who += ":" + principal.department;
    // Name who may, in words: "held by village cadre, township official".
    std::string holders;
    for (std::string_view g : permission->grantees) {
      std::string name = absl::StrReplaceAll(AsAbsl(g), {{"_", " "}, {":", " "}});
      absl::StrAppend(&holders, holders.empty() ? "" : ", ", name);
    }
    return absl::PermissionDeniedError(
        absl::StrCat("role ", who, " may not ", AsAbsl(action), "; held by ", holders));
  }
  if (!principal.division.IsAncestorOrSelfOf(resource_division)) {
    return absl::PermissionDeniedError(absl::StrCat(
        resource_division.str(), " is outside the jurisdiction of ", principal.division.str()));
  }
  return absl::OkStatus();
}

absl::StatusOr<division::Code> ListScope(const Principal& principal, std::string_view requested) {
  if (requested.empty()) return principal.division;
  return division::Code::Parse(requested);
}

std::string Base64UrlEncode(std::string_view bytes) {
  InitSodium();
  const auto variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

absl::StatusOr<std::string> Base64UrlDecode(std::string_view text) {
  InitSodium();
  // libsodium 1.0.18 decodes some bytes >= 0x80 as base64 digits (found by
  // fuzzing): only the base64url alphabet is accepted, so decoding stays
  // one-to-one and a token has exactly one spelling.
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return absl::InvalidArgumentError("not base64url");
    }
  }
  std::string out(text.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return absl::InvalidArgumentError("not base64url");
  }
  out.resize(len);
  return out;
}

KeyPair GenerateKeyPair() {
  InitSodium();
  KeyPair kp;
  kp.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  kp.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(kp.public_key.data()),
                      reinterpret_cast<unsigned char*>(kp.secret_key.data()));
  return kp;
}

std::string SignToken(const zx::common::v1::TokenClaims& claims, std::string_view key_id,
                      std::string_view secret_key) {
  InitSodium();
  const std::string signed_part =
      absl::StrCat("zx1.", AsAbsl(key_id), ".", Base64UrlEncode(claims.SerializeAsString()));
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size(),
                       reinterpret_cast<const unsigned char*>(secret_key.data()));
  return absl::StrCat(signed_part, ".",
                      Base64UrlEncode(std::string_view(reinterpret_cast<char*>(sig), sizeof sig)));
}

absl::StatusOr<std::string> ReadSecretKeyFile(const std::string& path) {
  InitSodium();
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read secret key file ", path));
  std::stringstream text;
  text << in.rdbuf();
  const absl::StatusOr<std::string> key =
      Base64UrlDecode(AsStd(absl::StripAsciiWhitespace(text.str())));
  // The key must also be whole: its second half is the public key of its
  // first (the seed), so a damaged file is refused rather than signing
  // tokens nobody can verify.
  if (key.ok() && key->size() == crypto_sign_SECRETKEYBYTES) {
    unsigned char seed[crypto_sign_SEEDBYTES];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_ed25519_sk_to_seed(seed, reinterpret_cast<const unsigned char*>(key->data()));
    crypto_sign_seed_keypair(pk, sk, seed);
    const bool whole = sodium_memcmp(sk, key->data(), sizeof sk) == 0;
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    if (whole) return key;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      path, " does not hold a secret key from zx-token keygen (one base64url Ed25519 key)"));
}

std::string SignServiceToken(const Principal& actor, std::string_view instance,
                             std::string_view key_id, std::string_view secret_key, absl::Time now) {
  zx::common::v1::TokenClaims claims;
  claims.set_user_id(actor.user_id);
  claims.set_role(std::string(RoleName(actor.role)));
  claims.set_division_code(actor.division.str());
  claims.set_department(actor.department);
  claims.set_partner_province(actor.partner_province);
  claims.set_audience(std::string(instance));
  claims.set_issued_at_unix(absl::ToUnixSeconds(now));
  claims.set_expires_at_unix(absl::ToUnixSeconds(now + kServiceTokenLifetime));
  return SignToken(claims, key_id, secret_key);
}

absl::StatusOr<TokenVerifier> TokenVerifier::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read token key file ", path));
  TokenVerifier verifier;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    std::vector<std::string> parts = absl::StrSplit(l, ' ', absl::SkipEmpty());
    auto key = parts.size() == 2 ? Base64UrlDecode(parts[1]) : absl::InvalidArgumentError("");
    if (!key.ok() || key->size() != crypto_sign_PUBLICKEYBYTES) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": each line must be \"key_id base64url(32-byte key)\""));
    }
    verifier.AddKey(parts[0], *key);
  }
  return verifier;
}

void TokenVerifier::AddKey(std::string key_id, std::string public_key) {
  keys_[std::move(key_id)] = std::move(public_key);
}

absl::StatusOr<Principal> TokenVerifier::Verify(std::string_view token, std::string_view audience,
                                                absl::Time now) const {
  InitSodium();
  std::vector<absl::string_view> parts = absl::StrSplit(AsAbsl(token), '.');
  if (parts.size() != 4 || parts[0] != "zx1") {
    return absl::UnauthenticatedError("token is not of the form zx1.<kid>.<claims>.<sig>");
  }
  auto key = keys_.find(AsStd(parts[1]));
  if (key == keys_.end()) {
    return absl::UnauthenticatedError(absl::StrCat("token key id ", parts[1], " is unknown"));
  }
  auto sig = Base64UrlDecode(AsStd(parts[3]));
  const std::string_view signed_part = token.substr(0, token.rfind('.'));
  if (!sig.ok() || sig->size() != crypto_sign_BYTES ||
      crypto_sign_verify_detached(
          reinterpret_cast<const unsigned char*>(sig->data()),
          reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(),
          reinterpret_cast<const unsigned char*>(key->second.data())) != 0) {
    return absl::UnauthenticatedError("token signature is invalid");
  }
  auto bytes = Base64UrlDecode(AsStd(parts[2]));
  zx::common::v1::TokenClaims claims;
  if (!bytes.ok() || !claims.ParseFromString(*bytes)) {
    return absl::UnauthenticatedError("token claims are unreadable");
  }
  if (claims.audience() != audience) {
    return absl::UnauthenticatedError(
        absl::StrCat("token is for instance ", claims.audience(), ", not ", AsAbsl(audience)));
  }
  const absl::Time issued = absl::FromUnixSeconds(claims.issued_at_unix());
  const absl::Time expires = absl::FromUnixSeconds(claims.expires_at_unix());
  if (expires <= now) return absl::UnauthenticatedError("token has expired");
  // People's tokens are short-lived: a leaked one is worth little.
  if (claims.issued_at_unix() <= 0 || issued > now + kClockSkew ||
      expires - issued > kMaxTokenLifetime) {
    return absl::UnauthenticatedError(
        absl::StrCat("token must carry its issue time, not in the future, and live at most ",
                     absl::FormatDuration(kMaxTokenLifetime)));
  }
  auto role = ParseRole(claims.role());
  auto division = division::Code::Parse(claims.division_code());
  if (!role.ok() || !division.ok() || claims.user_id().empty()) {
    return absl::UnauthenticatedError("token claims lack a valid user, role or division");
  }
  Principal principal{claims.user_id(), *role, *division, claims.department(),
                      claims.partner_province()};
  if (auto s = CheckDepartment(principal); !s.ok()) return s;
  return principal;
}

absl::StatusOr<Principal> ParseDevToken(std::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(AsAbsl(token), absl::MaxSplits('.', 3));
  if (parts.size() != 4 || parts[0] != "dev") {
    return absl::UnauthenticatedError(
        "development token must be dev.<division>.<role>[:<department>].<user>");
  }
  auto division = division::Code::Parse(AsStd(parts[1]));
  if (!division.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("development token division: ", division.status().message()));
  }
  std::vector<absl::string_view> role_parts = absl::StrSplit(parts[2], absl::MaxSplits(':', 1));
  auto role = ParseRole(AsStd(role_parts[0]));
  if (!role.ok()) return absl::UnauthenticatedError(role.status().message());
  if (parts[3].empty()) return absl::UnauthenticatedError("development token has no user");
  Principal principal{std::string(parts[3]), *role, *division,
                      role_parts.size() == 2 ? std::string(role_parts[1]) : "", ""};
  if (auto s = CheckDepartment(principal); !s.ok()) return s;
  return principal;
}

absl::StatusOr<Principal> PrincipalFromCertificate(std::string_view common_name) {
  std::vector<absl::string_view> parts = absl::StrSplit(AsAbsl(common_name), ':');
  if (parts.size() != 2) {
    return absl::UnauthenticatedError(
        absl::StrCat("certificate CN \"", AsAbsl(common_name), "\" is not \"<level>:<division>\""));
  }
  static const std::map<std::string, Role, std::less<>> kRoles = {
      {"county", Role::kCountyOfficial},
      {"prefecture", Role::kPrefectureOfficial},
      {"region", Role::kRegionOfficial},
      {"partner", Role::kPartner}};
  auto role = kRoles.find(AsStd(parts[0]));
  if (role == kRoles.end()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "certificate level \"", parts[0], "\" is not county, prefecture, region or partner"));
  }
  auto division = division::Code::Parse(AsStd(parts[1]));
  if (!division.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("certificate division: ", division.status().message()));
  }
  Principal principal{"instance", role->second, *division, "", ""};
  principal.instance_level = role->first;
  if (role->second == Role::kPartner) principal.partner_province = division->str();
  return principal;
}

}  // namespace zx::auth
