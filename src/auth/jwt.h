// Access tokens: JWTs signed with HMAC-SHA-256 through libjwt, the algorithm pinned. A token whose
// header names any other algorithm ("none", HS384, RS256...) is refused before its signature is
// looked at, so a forged header cannot switch the verification. Keys carry an id (kid): tokens
// are signed with the current key and verified with the key their kid names (current or
// previous), which lets a secret be rotated without logging everyone out.
//
// Signer and verifier are immutable after construction; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"
#include "core/time.h"

namespace studybot::auth {

struct JwtClaims {
  std::string sub;   // user id
  std::string sid;   // session id
  std::string role;  // system_admin | bot_admin
  int64_t iat = 0;   // seconds since the epoch
  int64_t exp = 0;
  std::string jti;
  std::string iss;
  std::string aud;
};

struct JwtKey {
  std::string kid;
  std::string secret;  // >= 32 bytes
};

struct JwtOptions {
  JwtKey current;
  std::optional<JwtKey> previous;
  std::string issuer = "studybot";
  std::string audience = "studybot-admin";
  std::chrono::seconds access_ttl{900};
  std::chrono::seconds leeway{30};
};

class JwtSigner {
 public:
  // Throws std::invalid_argument on a secret shorter than 32 bytes (checked at start-up).
  explicit JwtSigner(JwtOptions options);

  // Signs `claims` (iss and aud are set from the options) with the current key.
  Result<std::string> Sign(JwtClaims claims) const;
  std::chrono::seconds access_ttl() const { return options_.access_ttl; }

 private:
  JwtOptions options_;
};

class JwtVerifier {
 public:
  JwtVerifier(JwtOptions options, const Clock& clock);

  // kUnauthenticated with a safe reason ("token expired", "bad signature"...) on any failure.
  Result<JwtClaims> Verify(const std::string& token) const;

 private:
  JwtOptions options_;
  const Clock& clock_;
};

}  // namespace studybot::auth
