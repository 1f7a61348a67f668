#include "auth/password_hasher.h"

#include <gtest/gtest.h>

namespace studybot::auth {
namespace {

TEST(PasswordHasherTest, HashesVerifyAndSaltsDiffer) {
  BcryptPasswordHasher h(4);
  auto a = h.Hash("correct horse battery");
  auto b = h.Hash("correct horse battery");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->substr(0, 7), "$2b$04$");
  EXPECT_TRUE(h.Verify("correct horse battery", *a));
  EXPECT_FALSE(h.Verify("correct horse batterY", *a));
  EXPECT_FALSE(h.Verify("", *a));
  EXPECT_FALSE(h.Verify("x", "not a hash"));
  EXPECT_FALSE(h.Verify("x", ""));
  EXPECT_FALSE(h.NeedsRehash(*a));
  BcryptPasswordHasher stronger(5);
  EXPECT_TRUE(stronger.NeedsRehash(*a));
  h.VerifyDummy("anything");  // must not crash
}

TEST(PasswordHasherTest, DefaultCostTwelve) {
  BcryptPasswordHasher h(12);
  auto a = h.Hash("a long enough password");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->substr(0, 7), "$2b$12$");
  EXPECT_TRUE(h.Verify("a long enough password", *a));
}

TEST(PasswordPolicyTest, LengthRules) {
  PasswordPolicy p;
  EXPECT_TRUE(p.Check("twelve chars").ok());
  EXPECT_FALSE(p.Check("short").ok());
  EXPECT_TRUE(p.Check("ééééééééééé\xc3\xa9").ok());  // 12 characters, 24 bytes
  EXPECT_FALSE(p.Check(std::string(73, 'a')).ok());
  EXPECT_FALSE(p.Check(std::string("abcdefghijkl\0m", 14)).ok());
  auto e = p.Check("short");
  ASSERT_EQ(e.error().details.size(), 1u);
  EXPECT_EQ(e.error().details[0].path, "/password");
}

}  // namespace
}  // namespace studybot::auth
