// Who is calling, and may they? A Principal is extracted once per call (from
// a signed token, a development token on loopback, or — with mutual TLS —
// the peer certificate), and every handler asks the one Authorize() below.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/division/division.h"
#include "zx/common/v1/types.pb.h"

namespace zx::auth {

enum class Role {
  kVillageCadre,
  kTownshipOfficial,
  kCountyOfficial,
  kDepartment,
  kPrefectureOfficial,
  kRegionOfficial,
  kPartner,
  kAuditor,
  kOperator,
};

std::string_view RoleName(Role role);  // "county_official", ...
absl::StatusOr<Role> ParseRole(std::string_view name);

struct Principal {
  std::string user_id;
  Role role = Role::kOperator;
  division::Code division;
  std::string department;        // role kDepartment: "medical_insurance", ...
  std::string partner_province;  // role kPartner: region code of the partner
  // For logs: "county_official:demo@653121000000".
  std::string ToString() const;
};

// What an action does, for the role table.
enum class Access { kRead, kWrite, kOperate };

// The one check every RPC makes: the action must be declared, the role must
// hold it, and the resource's division must lie inside the principal's
// (ancestor-or-self). Cross-jurisdiction access is PERMISSION_DENIED
// everywhere (docs/ARCHITECTURE.md, "Authorization").
absl::Status Authorize(const Principal& principal, std::string_view action,
                       const division::Code& resource_division);

// Whether the role may see personal data (ID numbers, names) in clear —
// and then only when the request states a purpose. Until the security
// issue's matrix: the levels that keep the registry (village, township,
// county, departments).
bool HoldsPersonalDataPrivilege(Role role);

// Declared actions (common/auth/permissions.cc) and their access kind.
const std::map<std::string, Access, std::less<>>& DeclaredActions();

// ---- Tokens ---------------------------------------------------------------
// Signed people tokens: "zx1.<key id>.<claims>.<signature>", claims a
// base64url zx.common.v1.TokenClaims, signature Ed25519 over
// "zx1.<key id>.<claims>".

struct KeyPair {
  std::string public_key;  // 32 bytes
  std::string secret_key;  // 64 bytes
};
KeyPair GenerateKeyPair();

std::string SignToken(const zx::common::v1::TokenClaims& claims, std::string_view key_id,
                      std::string_view secret_key);

class TokenVerifier {
 public:
  // Key file: one "key_id base64url(public key)" per line; '#' comments.
  static absl::StatusOr<TokenVerifier> FromFile(const std::string& path);
  void AddKey(std::string key_id, std::string public_key);
  // UNAUTHENTICATED with the reason for a bad, expired or foreign token.
  absl::StatusOr<Principal> Verify(std::string_view token, std::string_view audience,
                                   absl::Time now) const;

 private:
  std::map<std::string, std::string, std::less<>> keys_;
};

// Development token "dev.<division>.<role>.<user>": accepted only when the
// server allows them and the peer is on loopback (the caller checks that).
absl::StatusOr<Principal> ParseDevToken(std::string_view token);

std::string Base64UrlEncode(std::string_view bytes);
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text);

}  // namespace zx::auth
