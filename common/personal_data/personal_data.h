// Personal data at rest: ID numbers (and later phones, bank accounts) are
// encrypted with libsodium secretbox (XSalsa20-Poly1305) under a key that
// carries an id, so keys rotate without re-encrypting everything at once; a
// keyed BLAKE2b hash of the normalised value lets records be found by ID
// number (department screening, de-duplication) without decrypting.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace zx::personal_data {

struct Sealed {
  std::string key_id;
  std::string ciphertext;  // nonce || secretbox(value)
};

class Vault {
 public:
  // Key file: lines "key_id base64url(32-byte key)"; the first line is the
  // current key (encrypts), the others only decrypt. A separate line
  // "lookup base64url(32-byte key)" gives the lookup-hash key, which never
  // rotates silently (changing it means re-hashing every row).
  static absl::StatusOr<Vault> FromFile(const std::string& path);
  // For tests and development: fresh random keys.
  static Vault Random(std::string key_id = "dev");

  Sealed Seal(std::string_view plaintext) const;
  // NOT_FOUND for an unknown key id, DATA_LOSS when the ciphertext does not
  // authenticate (tampered or the wrong key).
  absl::StatusOr<std::string> Open(const Sealed& sealed) const;
  // Keyed hash (32 bytes) of the value, for equality lookups.
  std::string LookupHash(std::string_view value) const;

  const std::string& current_key_id() const { return current_; }

  // Writes a new key file (current key + lookup key) for `./zx up` and tests.
  static absl::Status WriteNewKeyFile(const std::string& path, const std::string& key_id);

 private:
  std::map<std::string, std::string, std::less<>> keys_;
  std::string current_;
  std::string lookup_key_;
};

// Masks for responses to callers without the personal-data privilege.
// "653121199001011234" -> "653121********1234"
std::string MaskIdNumber(std::string_view id);
// "艾力·买买提" -> "艾*****"; keeps the first character (UTF-8 aware).
std::string MaskName(std::string_view name);
// "13912345678" -> "139****5678"
std::string MaskPhone(std::string_view phone);

}  // namespace zx::personal_data
