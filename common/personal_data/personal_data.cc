#include "common/personal_data/personal_data.h"

#include <sodium.h>
#include <sys/stat.h>

#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/auth/auth.h"
#include "common/base/strings.h"
#include "common/id_card/id_card.h"

namespace zx::personal_data {
namespace {

std::string RandomKey() {
  std::string key(crypto_secretbox_KEYBYTES, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

const unsigned char* U(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Byte length of the UTF-8 character starting at s[i].
size_t Utf8Length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xe) return 3;
  if ((lead >> 3) == 0x1e) return 4;
  return 1;
}

}  // namespace

absl::StatusOr<Vault> Vault::FromFile(const std::string& path) {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read personal-data key file ", path));
  Vault vault;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    std::vector<std::string> parts = absl::StrSplit(l, ' ', absl::SkipEmpty());
    auto key = parts.size() == 2 ? auth::Base64UrlDecode(parts[1])
                                 : absl::StatusOr<std::string>(absl::InvalidArgumentError(""));
    if (!key.ok() || key->size() != crypto_secretbox_KEYBYTES) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": each line must be \"key_id base64url(32-byte key)\""));
    }
    if (parts[0] == "lookup") {
      vault.lookup_key_ = *key;
      continue;
    }
    if (vault.current_.empty()) vault.current_ = parts[0];
    vault.keys_[parts[0]] = *key;
  }
  if (vault.current_.empty() || vault.lookup_key_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " needs at least one encryption key and a \"lookup\" key"));
  }
  return vault;
}

Vault Vault::Random(std::string key_id) {
  if (sodium_init() < 0) std::abort();  // cannot seal anything without it
  Vault vault;
  vault.current_ = key_id;
  vault.keys_[std::move(key_id)] = RandomKey();
  vault.lookup_key_ = RandomKey();
  return vault;
}

absl::Status Vault::WriteNewKeyFile(const std::string& path, const std::string& key_id) {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  const mode_t old = umask(077);
  std::ofstream out(path, std::ios::trunc);
  umask(old);
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  out << "# personal-data keys: first line encrypts, \"lookup\" keys the ID hash\n"
      << key_id << " " << auth::Base64UrlEncode(RandomKey()) << "\n"
      << "lookup " << auth::Base64UrlEncode(RandomKey()) << "\n";
  return absl::OkStatus();
}

Sealed Vault::Seal(std::string_view plaintext) const {
  const std::string& key = keys_.at(current_);
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        nonce, U(key));
  return Sealed{current_, std::move(out)};
}

absl::StatusOr<std::string> Vault::Open(const Sealed& sealed) const {
  auto key = keys_.find(sealed.key_id);
  if (key == keys_.end()) {
    return absl::NotFoundError(absl::StrCat("personal-data key ", sealed.key_id, " is not loaded"));
  }
  const size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.ciphertext.size() < overhead) return absl::DataLossError("ciphertext too short");
  std::string plain(sealed.ciphertext.size() - overhead, '\0');
  const auto* nonce = U(sealed.ciphertext);
  if (crypto_secretbox_open_easy(
          reinterpret_cast<unsigned char*>(plain.data()), nonce + crypto_secretbox_NONCEBYTES,
          sealed.ciphertext.size() - crypto_secretbox_NONCEBYTES, nonce, U(key->second)) != 0) {
    return absl::DataLossError("personal data does not authenticate (tampered or wrong key)");
  }
  return plain;
}

std::string Vault::LookupHash(std::string_view value) const {
  const std::string normalised = id_card::Normalize(value);
  std::string hash(32, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(hash.data()), hash.size(), U(normalised),
                     normalised.size(), U(lookup_key_), lookup_key_.size());
  return hash;
}

std::string MaskIdNumber(std::string_view id) { return id_card::Mask(id); }

std::string MaskName(std::string_view name) {
  if (name.empty()) return "";
  const size_t first = std::min(name.size(), Utf8Length(static_cast<unsigned char>(name[0])));
  size_t rest = 0;
  for (size_t i = first; i < name.size(); i += Utf8Length(static_cast<unsigned char>(name[i]))) {
    ++rest;
  }
  return std::string(name.substr(0, first)) + std::string(std::max<size_t>(rest, 1), '*');
}

std::string MaskPhone(std::string_view phone) {
  if (phone.size() < 7) return std::string(phone.size(), '*');
  return std::string(phone.substr(0, 3)) + std::string(phone.size() - 7, '*') +
         std::string(phone.substr(phone.size() - 4));
}

}  // namespace zx::personal_data
