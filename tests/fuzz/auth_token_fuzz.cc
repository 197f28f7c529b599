// Bearer tokens (common/auth): the signed people tokens, the development
// tokens and their base64url. The first byte picks the surface.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/auth/auth.h"
#include "tests/fuzz/fuzz_support.h"
#include "zx/common/v1/types.pb.h"

namespace zx::auth {
namespace {

constexpr std::string_view kAudience = "shufu";
const absl::Time kNow = absl::FromUnixSeconds(1'795'000'000);

struct Keys {
  std::string public_key, secret_key;
  TokenVerifier verifier;
};

// A fixed key (from a constant seed), so every run verifies the same way.
const Keys& TestKeys() {
  static const Keys keys = [] {
    Keys k;
    if (sodium_init() < 0) std::abort();
    unsigned char seed[crypto_sign_SEEDBYTES] = {7};
    k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
    k.secret_key.resize(crypto_sign_SECRETKEYBYTES);
    crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(k.public_key.data()),
                             reinterpret_cast<unsigned char*>(k.secret_key.data()), seed);
    k.verifier.AddKey("k1", k.public_key);
    return k;
  }();
  return keys;
}

void CheckVerifiedPrincipal(const absl::StatusOr<Principal>& p) {
  if (!p.ok()) {
    ZX_FUZZ_CHECK(absl::IsUnauthenticated(p.status()));
    return;
  }
  ZX_FUZZ_CHECK(!p->user_id.empty() && p->division.str().size() == 12);
}

void FuzzDevToken(std::string_view token) {
  auto p = ParseDevToken(token);
  CheckVerifiedPrincipal(p);
  if (p.ok()) {
    // The token names exactly what the principal holds.
    ZX_FUZZ_CHECK(token.substr(0, 4) == "dev." && token.ends_with(p->user_id));
    ZX_FUZZ_CHECK(ParseRole(RoleName(p->role)).ok());
  }
}

void FuzzBase64(std::string_view text) {
  auto bytes = Base64UrlDecode(text);
  // libsodium rejects non-canonical trailing bits, so decoding is one-to-one.
  if (bytes.ok()) ZX_FUZZ_CHECK(Base64UrlEncode(*bytes) == text);
  auto back = Base64UrlDecode(Base64UrlEncode(text));
  ZX_FUZZ_CHECK(back.ok() && *back == text);
}

void FuzzVerify(std::string_view token) {
  CheckVerifiedPrincipal(TestKeys().verifier.Verify(token, kAudience, kNow));
}

// Claims from the input, signed with the test key: they verify exactly when
// they are valid, and any change to one character of the token is refused.
void FuzzSignedClaims(std::string_view bytes) {
  zx::common::v1::TokenClaims claims;
  if (!claims.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  const std::string token = SignToken(claims, "k1", TestKeys().secret_key);
  auto p = TestKeys().verifier.Verify(token, kAudience, kNow);
  CheckVerifiedPrincipal(p);
  if (p.ok()) {
    ZX_FUZZ_CHECK(p->user_id == claims.user_id() && RoleName(p->role) == claims.role());
    ZX_FUZZ_CHECK(claims.audience() == kAudience &&
                  claims.expires_at_unix() > absl::ToUnixSeconds(kNow));
  }
  std::string tampered = token;
  const size_t at = bytes.empty() ? 0 : static_cast<unsigned char>(bytes[0]) % tampered.size();
  tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
  ZX_FUZZ_CHECK(!TestKeys().verifier.Verify(tampered, kAudience, kNow).ok());
}

}  // namespace
}  // namespace zx::auth

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      zx::auth::FuzzDevToken(rest);
      break;
    case 1:
      zx::auth::FuzzBase64(rest);
      break;
    case 2:
      zx::auth::FuzzVerify(rest);
      break;
    default:
      zx::auth::FuzzSignedClaims(rest);
      break;
  }
  return 0;
}
