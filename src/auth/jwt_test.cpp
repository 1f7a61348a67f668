#include "auth/jwt.h"

#include <jwt.h>

#include <gtest/gtest.h>

#include "core/crypto.h"
#include "core/fake_clock.h"

namespace studybot::auth {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef-current";
const std::string kOld = "0123456789abcdef0123456789abcdef-previous";

JwtOptions Options() {
  JwtOptions o;
  o.current = {"k2", kSecret};
  o.previous = JwtKey{"k1", kOld};
  return o;
}

JwtClaims Claims(const FakeClock& clock) {
  JwtClaims c;
  c.sub = "user-1";
  c.sid = "session-1";
  c.role = "bot_admin";
  c.iat = std::chrono::system_clock::to_time_t(clock.Now());
  c.exp = c.iat + 900;
  c.jti = "j1";
  return c;
}

// A token built by hand: header and payload JSON, signed with HMAC-SHA-256 (or not at all).
std::string HandMade(const std::string& header, const std::string& payload,
                     const std::string& secret, bool sign = true) {
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return input + "." + (sign ? Base64UrlEncode(HmacSha256(secret, input)) : "");
}

std::string Payload(const FakeClock& clock, const std::string& aud = "studybot-admin",
                    const std::string& iss = "studybot") {
  auto now = std::chrono::system_clock::to_time_t(clock.Now());
  return R"({"sub":"u","sid":"s","role":"system_admin","iat":)" + std::to_string(now) +
         R"(,"exp":)" + std::to_string(now + 600) + R"(,"iss":")" + iss + R"(","aud":")" + aud +
         R"(","jti":"x"})";
}

TEST(JwtTest, RoundTripAndClaims) {
  FakeClock clock;
  JwtSigner signer(Options());
  JwtVerifier verifier(Options(), clock);
  auto t = signer.Sign(Claims(clock));
  ASSERT_TRUE(t.ok()) << t.error().message;
  auto c = verifier.Verify(*t);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->sub, "user-1");
  EXPECT_EQ(c->sid, "session-1");
  EXPECT_EQ(c->role, "bot_admin");
  EXPECT_EQ(c->iss, "studybot");
  EXPECT_EQ(c->aud, "studybot-admin");
  EXPECT_EQ(c->jti, "j1");
}

TEST(JwtTest, ExpiryWithLeeway) {
  FakeClock clock;
  JwtSigner signer(Options());
  JwtVerifier verifier(Options(), clock);
  auto t = *signer.Sign(Claims(clock));
  clock.Advance(std::chrono::seconds(900 + 29));
  EXPECT_TRUE(verifier.Verify(t).ok());
  clock.Advance(std::chrono::seconds(2));
  auto r = verifier.Verify(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(r.error().slug, "token_expired");
}

TEST(JwtTest, RefusesForgeriesAndWrongClaims) {
  FakeClock clock;
  JwtVerifier verifier(Options(), clock);
  auto good = HandMade(R"({"alg":"HS256","typ":"JWT","kid":"k2"})", Payload(clock), kSecret);
  ASSERT_TRUE(verifier.Verify(good).ok()) << verifier.Verify(good).error().message;

  std::vector<std::pair<std::string, std::string>> bad = {
      {"alg none", HandMade(R"({"alg":"none","kid":"k2"})", Payload(clock), kSecret, false)},
      {"alg None", HandMade(R"({"alg":"None","kid":"k2"})", Payload(clock), kSecret, false)},
      {"no alg", HandMade(R"({"kid":"k2"})", Payload(clock), kSecret)},
      {"HS512", HandMade(R"({"alg":"HS512","kid":"k2"})", Payload(clock), kSecret)},
      {"RS256", HandMade(R"({"alg":"RS256","kid":"k2"})", Payload(clock), kSecret)},
      {"wrong secret", HandMade(R"({"alg":"HS256","kid":"k2"})", Payload(clock),
                                "another secret that is long enough......")},
      {"unknown kid", HandMade(R"({"alg":"HS256","kid":"k9"})", Payload(clock), kSecret)},
      {"no kid", HandMade(R"({"alg":"HS256"})", Payload(clock), kSecret)},
      {"wrong aud", HandMade(R"({"alg":"HS256","kid":"k2"})", Payload(clock, "other"), kSecret)},
      {"wrong iss", HandMade(R"({"alg":"HS256","kid":"k2"})",
                             Payload(clock, "studybot-admin", "evil"), kSecret)},
      {"previous kid, current secret",
       HandMade(R"({"alg":"HS256","kid":"k1"})", Payload(clock), kSecret)},
      {"", ""},
      {"a.b", "a.b"},
      {"a.b.c.d", "a.b.c.d"},
      {"garbage", "eyJ.eyJ.sig"},
      {"long", std::string(10000, 'a')},
  };
  // Tampering with the payload of a good token.
  auto dot = good.find('.');
  auto dot2 = good.find('.', dot + 1);
  std::string payload = *Base64UrlDecode(good.substr(dot + 1, dot2 - dot - 1));
  auto pos = payload.find("system_admin");
  std::string tampered_payload = payload;
  tampered_payload.replace(pos, 12, "system_admix");
  bad.push_back({"tampered payload",
                 good.substr(0, dot + 1) + Base64UrlEncode(tampered_payload) + good.substr(dot2)});
  std::string sig_tampered = good;
  sig_tampered.back() = sig_tampered.back() == 'A' ? 'B' : 'A';
  bad.push_back({"tampered signature", sig_tampered});

  // Security review finding 8: an unknown critical header and a future nbf were accepted.
  std::string p = Payload(clock);
  auto now = std::chrono::system_clock::to_time_t(clock.Now());
  bad.push_back(
      {"crit", HandMade(R"({"alg":"HS256","kid":"k2","crit":["x-ext"],"x-ext":1})", p, kSecret)});
  bad.push_back({"nbf in the future", HandMade(R"({"alg":"HS256","kid":"k2"})",
                                               p.substr(0, p.size() - 1) + R"(,"nbf":)" +
                                                   std::to_string(now + 3600) + "}",
                                               kSecret)});
  bad.push_back(
      {"nbf not a number", HandMade(R"({"alg":"HS256","kid":"k2"})",
                                    p.substr(0, p.size() - 1) + R"(,"nbf":"soon"})", kSecret)});

  // Every refusal reads the same: nothing says which check failed.
  for (const auto& [name, token] : bad) {
    auto r = verifier.Verify(token);
    EXPECT_FALSE(r.ok()) << name;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated) << name;
      EXPECT_EQ(r.error().message, "the access token is invalid") << name;
      EXPECT_EQ(r.error().slug, "invalid_token") << name;
    }
  }

  // A past nbf is fine.
  EXPECT_TRUE(
      verifier
          .Verify(HandMade(
              R"({"alg":"HS256","kid":"k2"})",
              p.substr(0, p.size() - 1) + R"(,"nbf":)" + std::to_string(now - 10) + "}", kSecret))
          .ok());
}

TEST(JwtTest, FutureIatRefused) {
  FakeClock clock;
  JwtSigner signer(Options());
  JwtVerifier verifier(Options(), clock);
  auto c = Claims(clock);
  c.iat += 120;
  c.exp += 120;
  EXPECT_FALSE(verifier.Verify(*signer.Sign(c)).ok());
}

TEST(JwtTest, PreviousKeyStillVerifies) {
  FakeClock clock;
  JwtOptions old;
  old.current = {"k1", kOld};
  JwtSigner old_signer(old);
  JwtVerifier verifier(Options(), clock);
  auto t = *old_signer.Sign(Claims(clock));
  EXPECT_TRUE(verifier.Verify(t).ok());
  JwtOptions no_previous = Options();
  no_previous.previous.reset();
  JwtVerifier strict(no_previous, clock);
  EXPECT_FALSE(strict.Verify(t).ok());
}

TEST(JwtTest, ShortSecretsAreRefusedAtConstruction) {
  JwtOptions o;
  o.current = {"k1", "short"};
  EXPECT_THROW(JwtSigner{o}, std::invalid_argument);
}

}  // namespace
}  // namespace studybot::auth
