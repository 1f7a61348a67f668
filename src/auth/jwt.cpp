#include "auth/jwt.h"

#include <jwt.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include <boost/json/parse.hpp>

#include "core/crypto.h"

namespace studybot::auth {
namespace {

constexpr std::size_t kMaxTokenBytes = 4096;

struct JwtDeleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

// Every refusal answers the same words: which check failed (signature, key, algorithm, claim)
// is of use to someone forging tokens, not to a legitimate client. `why` documents the call site.
Error Refuse([[maybe_unused]] const char* why) {
  return Error::Unauthenticated("the access token is invalid").WithSlug("invalid_token");
}

void CheckKey(const JwtKey& k) {
  if (k.secret.size() < 32) throw std::invalid_argument("JWT secret must be at least 32 bytes");
  if (k.kid.empty()) throw std::invalid_argument("JWT key id must not be empty");
}

std::string GrantString(jwt_t* j, const char* name) {
  const char* v = jwt_get_grant(j, name);
  return v == nullptr ? std::string() : std::string(v);
}

std::optional<int64_t> GrantInt(jwt_t* j, const char* name) {
  errno = 0;
  long v = jwt_get_grant_int(j, name);
  if (errno != 0) return std::nullopt;
  return static_cast<int64_t>(v);
}

}  // namespace

JwtSigner::JwtSigner(JwtOptions options) : options_(std::move(options)) {
  CheckKey(options_.current);
  if (options_.previous) CheckKey(*options_.previous);
}

Result<std::string> JwtSigner::Sign(JwtClaims c) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return Error::Internal("jwt_new failed");
  JwtPtr j(raw);
  const auto& key = options_.current;
  bool ok =
      jwt_set_alg(j.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(key.secret.data()),
                  static_cast<int>(key.secret.size())) == 0 &&
      jwt_add_header(j.get(), "kid", key.kid.c_str()) == 0 &&
      jwt_add_grant(j.get(), "sub", c.sub.c_str()) == 0 &&
      jwt_add_grant(j.get(), "sid", c.sid.c_str()) == 0 &&
      jwt_add_grant(j.get(), "role", c.role.c_str()) == 0 &&
      jwt_add_grant(j.get(), "jti", c.jti.c_str()) == 0 &&
      jwt_add_grant(j.get(), "iss", options_.issuer.c_str()) == 0 &&
      jwt_add_grant(j.get(), "aud", options_.audience.c_str()) == 0 &&
      jwt_add_grant_int(j.get(), "iat", static_cast<long>(c.iat)) == 0 &&
      jwt_add_grant_int(j.get(), "exp", static_cast<long>(c.exp)) == 0;
  if (!ok) return Error::Internal("building the JWT failed");
  char* text = jwt_encode_str(j.get());
  if (text == nullptr) return Error::Internal("jwt_encode_str failed");
  std::string out(text);
  free(text);  // libjwt 1.10 allocates with malloc and has no jwt_free_str
  return out;
}

JwtVerifier::JwtVerifier(JwtOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  CheckKey(options_.current);
  if (options_.previous) CheckKey(*options_.previous);
}

Result<JwtClaims> JwtVerifier::Verify(const std::string& token) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return Refuse("malformed");
  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot1 == std::string::npos || dot2 == std::string::npos ||
      token.find('.', dot2 + 1) != std::string::npos || dot2 + 1 >= token.size()) {
    return Refuse("malformed");
  }
  // Read the header ourselves first: the algorithm is ours to choose, not the token's.
  auto header_text = Base64UrlDecode(std::string_view(token).substr(0, dot1));
  if (!header_text) return Refuse("malformed header");
  boost::system::error_code ec;
  auto header = boost::json::parse(*header_text, ec);
  if (ec || !header.is_object()) return Refuse("malformed header");
  const auto* alg = header.as_object().if_contains("alg");
  if (alg == nullptr || !alg->is_string() || alg->as_string() != "HS256") {
    return Refuse("algorithm not allowed");
  }
  // RFC 7515 section 4.1.11: a "crit" header lists extensions the recipient must understand;
  // we understand none, so any token that has one is refused.
  if (header.as_object().contains("crit")) return Refuse("critical extension");
  const auto* kid = header.as_object().if_contains("kid");
  if (kid == nullptr || !kid->is_string()) return Refuse("unknown key");
  const JwtKey* key = nullptr;
  if (kid->as_string() == options_.current.kid) {
    key = &options_.current;
  } else if (options_.previous && kid->as_string() == options_.previous->kid) {
    key = &*options_.previous;
  }
  if (key == nullptr) return Refuse("unknown key");

  jwt_t* raw = nullptr;
  int rc =
      jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(key->secret.data()),
                 static_cast<int>(key->secret.size()));
  JwtPtr j(raw);
  if (rc != 0 || j == nullptr) return Refuse("bad signature");
  if (jwt_get_alg(j.get()) != JWT_ALG_HS256) return Refuse("algorithm not allowed");

  JwtClaims c;
  c.sub = GrantString(j.get(), "sub");
  c.sid = GrantString(j.get(), "sid");
  c.role = GrantString(j.get(), "role");
  c.jti = GrantString(j.get(), "jti");
  c.iss = GrantString(j.get(), "iss");
  c.aud = GrantString(j.get(), "aud");
  auto iat = GrantInt(j.get(), "iat");
  auto exp = GrantInt(j.get(), "exp");
  if (!iat || !exp || c.sub.empty() || c.sid.empty() || c.role.empty()) {
    return Refuse("missing claims");
  }
  c.iat = *iat;
  c.exp = *exp;
  if (c.iss != options_.issuer) return Refuse("wrong issuer");
  if (c.aud != options_.audience) return Refuse("wrong audience");
  int64_t now = std::chrono::system_clock::to_time_t(clock_.Now());
  int64_t leeway = options_.leeway.count();
  if (now >= c.exp + leeway) {
    return Error::Unauthenticated("the access token has expired").WithSlug("token_expired");
  }
  if (c.iat > now + leeway) return Refuse("issued in the future");
  // RFC 7519 section 4.1.4: not valid before "nbf".
  if (char* nbf_json = jwt_get_grants_json(j.get(), "nbf")) {
    boost::system::error_code nbf_ec;
    auto nbf = boost::json::parse(nbf_json, nbf_ec);
    free(nbf_json);  // malloc'd by libjwt
    if (nbf_ec || !nbf.is_int64()) return Refuse("malformed nbf");
    if (nbf.get_int64() > now + leeway) return Refuse("not yet valid");
  }
  return c;
}

}  // namespace studybot::auth
