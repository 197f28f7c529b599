// Who is calling, and may they? A Principal is extracted once per call (from
// a signed token, a development token on loopback, or — with mutual TLS —
// the peer certificate), and every handler asks the one Authorize() below.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

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
  // Set when an instance certificate (mutual TLS) authenticated the call:
  // "county", "prefecture", "region" or "partner". Such a principal acts
  // only through the federation's PeerService.
  std::string instance_level;
  // For logs: "county_official:demo@653121000000".
  std::string ToString() const;
};

// What an action does: reads, changes state, or operates the service.
enum class Access { kRead, kWrite, kOperate };

// Department kinds a "department" principal may carry (county or higher
// line departments, 县直部门).
const std::vector<std::string_view>& DepartmentKinds();

// One row of the permission table (common/auth/permissions.cc): the RPC,
// the action its handler authorizes, and who holds it. A grantee is a role
// name, "department:<kind>", or "department:*" for every department kind.
struct Permission {
  std::string_view rpc;  // "/zx.monitoring.v1.MonitoringService/GetHousehold"
  std::string_view action;
  Access access;
  std::vector<std::string_view> grantees;
};
const std::vector<Permission>& PermissionTable();
const Permission* FindPermission(std::string_view action);

// Whether the principal's role (and department kind) holds the permission;
// jurisdiction is not considered.
bool Holds(const Principal& principal, const Permission& permission);

// The one check every RPC makes: the action must be declared, the role must
// hold it, and the resource's division must lie inside the principal's
// (ancestor-or-self). Cross-jurisdiction access is PERMISSION_DENIED
// everywhere (docs/ARCHITECTURE.md, "Authorization").
absl::Status Authorize(const Principal& principal, std::string_view action,
                       const division::Code& resource_division);

// The division a list call covers: an empty request means the caller's
// whole jurisdiction (lists are scoped to it without being asked); anything
// else must parse, and is then authorized like any division.
absl::StatusOr<division::Code> ListScope(const Principal& principal, std::string_view requested);

// Whether the role may see personal data (ID numbers, names) in clear —
// and then only when the request states a purpose: the levels that keep the
// registry (village, township, county) and the line departments.
bool HoldsPersonalDataPrivilege(Role role);
// Clear personal data only for a privileged role that states a purpose
// (the purpose goes into the audit entry of the read).
bool MaySeePersonalData(const Principal& principal, std::string_view purpose);

// Declared actions and their access kind (derived from the table).
const std::map<std::string, Access, std::less<>>& DeclaredActions();

// FAILED_PRECONDITION naming every method of `service_full_names` that has
// no row in the table: a server refuses to start with an unlisted endpoint.
// Infrastructure services ("grpc.health.v1.Health", reflection) are exempt.
absl::Status CheckEveryRpcIsDeclared(const std::vector<std::string>& service_full_names);

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

// A secret key file as `zx-token keygen --secret-file` writes it: one
// base64url 64-byte Ed25519 secret key. NOT_FOUND when it cannot be read,
// INVALID_ARGUMENT (naming the file) when it holds anything else.
absl::StatusOr<std::string> ReadSecretKeyFile(const std::string& path);

// How long a service token lives: long enough for one call, far below the
// verifier's maximum lifetime (12 hours).
inline constexpr absl::Duration kServiceTokenLifetime = absl::Minutes(5);

// A service token: a service (the federation gateway) calling the services
// of its own instance as `actor` signs `actor`'s user, role, division,
// department and partner province as claims for audience `instance` (the
// name those services verify against: --instance), issued at `now`.
std::string SignServiceToken(const Principal& actor, std::string_view instance,
                             std::string_view key_id, std::string_view secret_key, absl::Time now);

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

// ---- Instance certificates ------------------------------------------------
// An instance certificate's subject CN is "<level>:<division>" (tools/zxca).
// The principal acts with the role of its level (county_official,
// prefecture_official, region_official, partner) at its division; a
// partner's division is its province, also its partner_province.
absl::StatusOr<Principal> PrincipalFromCertificate(std::string_view common_name);

std::string Base64UrlEncode(std::string_view bytes);
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text);

}  // namespace zx::auth
