#include "core/secret_box.h"

#include <gtest/gtest.h>

namespace studybot {
namespace {

TEST(SecretBoxTest, SealOpenAndAssociatedData) {
  auto box = SecretBox::FromKeyring(SecretBox::GenerateKeyring("k1"));
  ASSERT_TRUE(box.ok()) << box.error().message;
  for (std::string plain :
       {std::string(""), std::string("sk-secret-value"), std::string(1 << 20, 'x')}) {
    auto sealed = box->Seal(plain, "chatbot:1:openai");
    ASSERT_TRUE(sealed.ok());
    EXPECT_EQ(sealed->substr(0, 6), "v1.k1.");
    EXPECT_EQ(sealed->find(plain.empty() ? "\x01" : plain.substr(0, 10)), std::string::npos);
    auto opened = box->Open(*sealed, "chatbot:1:openai");
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(*opened, plain);
    EXPECT_FALSE(box->Open(*sealed, "chatbot:2:openai").ok());
  }
  auto a = *box->Seal("same", "ad");
  auto b = *box->Seal("same", "ad");
  EXPECT_NE(a, b);  // fresh nonce each time
}

TEST(SecretBoxTest, EveryTamperingFails) {
  auto box = *SecretBox::FromKeyring(SecretBox::GenerateKeyring("k1"));
  auto sealed = *box.Seal("provider key", "ad");
  auto payload_start = sealed.rfind('.') + 1;
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = payload_start; i < sealed.size(); ++i) {
    std::string t = sealed;
    t[i] = t[i] == kAlphabet[0] ? kAlphabet[1] : kAlphabet[0];
    auto r = box.Open(t, "ad");
    EXPECT_FALSE(r.ok() && *r == "provider key") << i;
  }
  for (const char* bad : {"", "v1", "v1.k1", "v2.k1.AAAA", "v1.k1.!!!!", "v1.k1.AAAA",
                          "v1.nokey.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}) {
    EXPECT_FALSE(box.Open(bad, "ad").ok()) << bad;
  }
}

TEST(SecretBoxTest, RotationKeepsOldKeysReadable) {
  auto old_ring = SecretBox::GenerateKeyring("k1");
  auto old_box = *SecretBox::FromKeyring(old_ring);
  auto sealed = *old_box.Seal("value", "ad");
  auto new_box = *SecretBox::FromKeyring(SecretBox::GenerateKeyring("k2") + "," + old_ring);
  EXPECT_EQ(new_box.current_key_id(), "k2");
  EXPECT_TRUE(new_box.NeedsRotation(sealed));
  EXPECT_EQ(*new_box.Open(sealed, "ad"), "value");
  auto resealed = *new_box.Seal("value", "ad");
  EXPECT_FALSE(new_box.NeedsRotation(resealed));
  EXPECT_FALSE(old_box.Open(resealed, "ad").ok());
}

TEST(SecretBoxTest, KeyringErrors) {
  for (const char* bad : {"", "k1", "k1:short", "bad id!:AAAA", "k1:!!!"}) {
    EXPECT_FALSE(SecretBox::FromKeyring(bad).ok()) << bad;
  }
  auto k = SecretBox::GenerateKeyring("k1");
  EXPECT_FALSE(SecretBox::FromKeyring(k + "," + k).ok());
  EXPECT_EQ(MaskSecret("sk-proj-1234567890abcdef"), "sk-p…cdef");
  EXPECT_EQ(MaskSecret("abc"), "…");
}

}  // namespace
}  // namespace studybot
