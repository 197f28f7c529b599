#include "common/personal_data/personal_data.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace zx::personal_data {
namespace {

TEST(VaultTest, SealsAndOpens) {
  const Vault vault = Vault::Random("k1");
  const Sealed sealed = vault.Seal("11010519491231002X");
  EXPECT_EQ(sealed.key_id, "k1");
  EXPECT_EQ(sealed.ciphertext.find("11010519491231002X"), std::string::npos)
      << "no clear text at rest";
  auto opened = vault.Open(sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "11010519491231002X");
  EXPECT_NE(vault.Seal("11010519491231002X").ciphertext, sealed.ciphertext) << "random nonce";
}

TEST(VaultTest, TamperingAndUnknownKeysAreRefused) {
  const Vault vault = Vault::Random("k1");
  Sealed sealed = vault.Seal("653121199001011234");
  sealed.ciphertext.back() ^= 1;
  EXPECT_EQ(vault.Open(sealed).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(vault.Open({"k9", vault.Seal("x").ciphertext}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Vault::Random("k1").Open(vault.Seal("x")).status().code(), absl::StatusCode::kDataLoss)
      << "another key with the same id does not open it";
}

TEST(VaultTest, LookupHashIsKeyedAndNormalised) {
  const Vault a = Vault::Random();
  const Vault b = Vault::Random();
  EXPECT_EQ(a.LookupHash("11010519491231002x"), a.LookupHash("11010519491231002X"));
  EXPECT_NE(a.LookupHash("11010519491231002X"), b.LookupHash("11010519491231002X"));
  EXPECT_NE(a.LookupHash("11010519491231002X"), a.LookupHash("110105194912310038"));
  EXPECT_EQ(a.LookupHash("x").size(), 32u);
}

TEST(VaultTest, KeyFileRotation) {
  const std::string path = ::testing::TempDir() + "/zx_pd_keys";
  ASSERT_TRUE(Vault::WriteNewKeyFile(path, "old").ok());
  auto old_vault = Vault::FromFile(path);
  ASSERT_TRUE(old_vault.ok()) << old_vault.status();
  const Sealed sealed_with_old = old_vault->Seal("653121199001011234");
  // Rotate: a new current key on top, the old one kept for reading.
  std::ifstream in(path);
  std::string header, old_line, lookup_line;
  std::getline(in, header);
  std::getline(in, old_line);
  std::getline(in, lookup_line);
  in.close();
  const std::string fresh = path + ".new";
  ASSERT_TRUE(Vault::WriteNewKeyFile(fresh, "new").ok());
  std::ifstream fin(fresh);
  std::string h2, new_line;
  std::getline(fin, h2);
  std::getline(fin, new_line);
  std::ofstream out(path, std::ios::trunc);
  out << new_line << "\n" << old_line << "\n" << lookup_line << "\n";
  out.close();
  auto rotated = Vault::FromFile(path);
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_EQ(rotated->current_key_id(), "new");
  EXPECT_EQ(*rotated->Open(sealed_with_old), "653121199001011234");
  EXPECT_EQ(rotated->LookupHash("653121199001011234"), old_vault->LookupHash("653121199001011234"))
      << "lookup hashes survive encryption-key rotation";
  std::remove(path.c_str());
  std::remove(fresh.c_str());
}

TEST(VaultTest, BadKeyFilesAreRefused) {
  const std::string path = ::testing::TempDir() + "/zx_pd_bad";
  std::ofstream(path) << "k1 not-base64!\n";
  EXPECT_EQ(Vault::FromFile(path).status().code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(path, std::ios::trunc) << "# only a comment\n";
  EXPECT_EQ(Vault::FromFile(path).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Vault::FromFile(path + ".missing").status().code(), absl::StatusCode::kNotFound);
  std::remove(path.c_str());
}

TEST(MaskTest, MasksKeepOnlyWhatIsSafe) {
  EXPECT_EQ(MaskIdNumber("653121199001011234"), "653121***********4");
  EXPECT_EQ(MaskName("艾力买买提"), "艾****");
  EXPECT_EQ(MaskName("Li"), "L*");
  EXPECT_EQ(MaskName("王"), "王*");
  EXPECT_EQ(MaskPhone("13912345678"), "139****5678");
  EXPECT_EQ(MaskPhone("12345"), "*****");
}

}  // namespace
}  // namespace zx::personal_data
