#include "webhooks/signature.h"

#include <gtest/gtest.h>

namespace studybot::webhooks {
namespace {

TEST(WebhookSignature, RoundTrips) {
  auto h = SignatureHeader("whsec_abc", 1'700'000'000, R"({"a":1})");
  EXPECT_EQ(h.substr(0, 13), "t=1700000000,");
  EXPECT_TRUE(VerifySignature("whsec_abc", h, R"({"a":1})", 1'700'000'010));
}

TEST(WebhookSignature, RefusesTamperingWrongSecretAndOldTimestamps) {
  auto h = SignatureHeader("whsec_abc", 1'700'000'000, "body");
  EXPECT_FALSE(VerifySignature("whsec_abc", h, "body!", 1'700'000'000));
  EXPECT_FALSE(VerifySignature("whsec_abd", h, "body", 1'700'000'000));
  EXPECT_FALSE(VerifySignature("whsec_abc", h, "body", 1'700'000'000 + 301));
  EXPECT_FALSE(VerifySignature("whsec_abc", "t=x,v1=00", "body", 1'700'000'000));
  EXPECT_FALSE(VerifySignature("whsec_abc", "", "body", 1'700'000'000));
  // The timestamp is part of what is signed: changing it breaks the signature.
  auto moved = "t=1700000001" + h.substr(12);
  EXPECT_FALSE(VerifySignature("whsec_abc", moved, "body", 1'700'000'000));
}

TEST(WebhookSignature, KnownVector) {
  // HMAC-SHA256("key", "0.The quick brown fox jumps over the lazy dog"), computed with openssl:
  // printf '0.The quick brown fox jumps over the lazy dog' | openssl dgst -sha256 -hmac key
  auto h = SignatureHeader("key", 0, "The quick brown fox jumps over the lazy dog");
  EXPECT_EQ(h, "t=0,v1=8511f28f7a1949f0c42772b447d68b2daf760f5f0439a20a17e3b4e7cd395763");
}

}  // namespace
}  // namespace studybot::webhooks
