// zx-token: keys and signed tokens for people and partner systems, and the
// key files that seal personal data at rest
// (common/auth). Operators keep the secret key; services get the public
// key file (--token-keys). Several keys may be listed, so keys rotate
// without downtime: add the new key, sign with it, drop the old one later.
//
//   zx-token keygen --kid 2026-11 --secret-file k.secret --public-file keys
//   zx-token sign --kid 2026-11 --secret-file k.secret --user ayxam
//       --role township_official --division 653121101 --audience shufu
//       --ttl-minutes 60
//
// The federation gateway's service key is made the same way (keygen, its
// own key id); the gateway signs its calls to its instance's services with
// it (federation config service_token_key_id / service_token_secret_file).
#include <sys/stat.h>
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>

#include "absl/time/clock.h"
#include "common/auth/auth.h"
#include "common/division/division.h"
#include "common/personal_data/personal_data.h"

namespace {

int Keygen(const std::string& kid, const std::string& secret_file, const std::string& public_file) {
  const zx::auth::KeyPair kp = zx::auth::GenerateKeyPair();
  {
    const mode_t old = umask(077);  // the secret key is readable by its owner only
    std::ofstream secret(secret_file, std::ios::trunc);
    umask(old);
    if (!secret) {
      std::cerr << "zx-token: cannot write " << secret_file << "\n";
      return 1;
    }
    secret << zx::auth::Base64UrlEncode(kp.secret_key) << "\n";
  }
  std::ofstream pub(public_file, std::ios::app);
  if (!pub) {
    std::cerr << "zx-token: cannot append to " << public_file << "\n";
    return 1;
  }
  pub << kid << " " << zx::auth::Base64UrlEncode(kp.public_key) << "\n";
  std::cerr << "zx-token: key " << kid << ": secret in " << secret_file << ", public key added to "
            << public_file << "\n";
  return 0;
}

int Sign(const std::string& kid, const std::string& secret_file,
         const zx::common::v1::TokenClaims& claims_in, int ttl_minutes) {
  auto secret = zx::auth::ReadSecretKeyFile(secret_file);
  if (!secret.ok()) {
    std::cerr << "zx-token: " << secret.status().message() << "\n";
    return 1;
  }
  auto role = zx::auth::ParseRole(claims_in.role());
  auto division = zx::division::Code::Parse(claims_in.division_code());
  if (!role.ok() || !division.ok()) {
    std::cerr << "zx-token: " << (!role.ok() ? role.status() : division.status()).message() << "\n";
    return 2;
  }
  zx::common::v1::TokenClaims claims = claims_in;
  claims.set_division_code(division->str());
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  claims.set_issued_at_unix(now);
  claims.set_expires_at_unix(now + int64_t{60} * ttl_minutes);
  std::cout << zx::auth::SignToken(claims, kid, *secret) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"zx-token: Ed25519 keys and signed tokens for zhenxing"};
  app.require_subcommand(1);
  std::string kid, secret_file, public_file;
  auto* keygen = app.add_subcommand("keygen", "create a key pair");
  keygen->add_option("--kid", kid, "key id, e.g. 2026-11")->required();
  keygen->add_option("--secret-file", secret_file)->required();
  keygen->add_option("--public-file", public_file, "key file services read (appended)")->required();

  zx::common::v1::TokenClaims claims;
  std::string user, role, division, audience, department, partner;
  int ttl_minutes = 60;
  auto* sign = app.add_subcommand("sign", "print a signed token");
  sign->add_option("--kid", kid)->required();
  sign->add_option("--secret-file", secret_file)->required();
  sign->add_option("--user", user)->required();
  sign->add_option("--role", role)->required();
  sign->add_option("--division", division)->required();
  sign->add_option("--audience", audience, "instance name, e.g. shufu")->required();
  sign->add_option("--department", department);
  sign->add_option("--partner-province", partner);
  sign->add_option("--ttl-minutes", ttl_minutes, "short-lived by design")
      ->check(CLI::Range(1, 12 * 60));  // services refuse longer (auth.cc)
  std::string pd_key_id, pd_out;
  auto* pd =
      app.add_subcommand("personal-data-keygen", "create a key file sealing personal data at rest");
  pd->add_option("--key-id", pd_key_id)->required();
  pd->add_option("--out", pd_out)->required();
  CLI11_PARSE(app, argc, argv);

  if (keygen->parsed()) return Keygen(kid, secret_file, public_file);
  if (pd->parsed()) {
    const absl::Status s = zx::personal_data::Vault::WriteNewKeyFile(pd_out, pd_key_id);
    if (!s.ok()) std::cerr << "zx-token: " << s.message() << "\n";
    return s.ok() ? 0 : 1;
  }
  claims.set_user_id(user);
  claims.set_role(role);
  claims.set_division_code(division);
  claims.set_audience(audience);
  claims.set_department(department);
  claims.set_partner_province(partner);
  return Sign(kid, secret_file, claims, ttl_minutes);
}
