#include "ratelimit/redis_url.h"

#include <charconv>

#include "core/strings.h"

namespace studybot::ratelimit {
namespace {

constexpr std::string_view kScheme = "redis://";
constexpr int kMaxDb = 1 << 20;

Error Bad(std::string_view what) {
  return Error::InvalidArgument("redis url: " + std::string(what));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) return Bad("bad percent-encoding in the credentials");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// Parses all of `s` as a decimal integer in [lo, hi].
bool ParseInt(std::string_view s, int lo, int hi, int& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end && out >= lo && out <= hi;
}

Status ParseHostPort(std::string_view hostport, RedisUrl& url) {
  std::string_view port;
  if (StartsWith(hostport, "[")) {
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return Bad("unclosed '[' in the host");
    url.host = std::string(hostport.substr(1, close - 1));
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return Bad("unexpected text after the IPv6 host");
      port = rest.substr(1);
      if (port.empty()) return Bad("empty port");
    }
  } else {
    auto colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
      if (hostport.find(':') != colon) return Bad("IPv6 hosts must be in brackets");
      port = hostport.substr(colon + 1);
      if (port.empty()) return Bad("empty port");
      hostport = hostport.substr(0, colon);
    }
    url.host = std::string(hostport);
  }
  if (url.host.empty()) return Bad("missing host");
  if (!port.empty() && !ParseInt(port, 1, 65535, url.port)) {
    return Bad("port must be a number from 1 to 65535");
  }
  return OkStatus();
}

}  // namespace

Result<RedisUrl> ParseRedisUrl(std::string_view text) {
  if (StartsWith(ToLower(std::string(text.substr(0, 9))), "rediss://")) {
    return Bad("TLS (rediss://) is not supported");
  }
  if (!StartsWith(ToLower(std::string(text.substr(0, kScheme.size()))), kScheme)) {
    return Bad("must start with redis://");
  }
  std::string_view rest = text.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Bad("query parameters and fragments are not supported");
  }

  RedisUrl url;
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);

  // The last '@' ends the credentials, so an unencoded '@' in a password still parses.
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      return Bad("credentials must be ':password@' or 'user:password@'");
    }
    auto user = PercentDecode(userinfo.substr(0, colon));
    if (!user.ok()) return std::move(user).error();
    auto password = PercentDecode(userinfo.substr(colon + 1));
    if (!password.ok()) return std::move(password).error();
    if (password->empty()) return Bad("empty password");
    url.username = std::move(*user);
    url.password = std::move(*password);
  }

  if (auto st = ParseHostPort(authority, url); !st.ok()) return std::move(st).error();
  if (!path.empty() && !ParseInt(path, 0, kMaxDb, url.db)) {
    return Bad("the path must be a database number");
  }
  return url;
}

std::string RedisUrl::Redacted() const {
  std::string out(kScheme);
  if (!password.empty()) out += username + ":***@";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port) + "/" + std::to_string(db);
  return out;
}

}  // namespace studybot::ratelimit
