// Redis connection URLs: `redis://[[user]:password@]host[:port][/db]`.
//
// The password may be percent-encoded (a literal '@', ':' or '/' in it must be). IPv6 hosts go in
// brackets. TLS (`rediss://`), Unix sockets and query parameters are not supported. Errors never
// quote the URL, since it may hold a password; log Redacted() instead.
//
// Thread-safety: pure functions and a plain value type.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace studybot::ratelimit {

struct RedisUrl {
  std::string host;
  int port = 6379;
  std::string username;  // empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;

  // The URL with the password replaced by "***", for logs.
  std::string Redacted() const;
};

// Errors: kInvalidArgument saying which part is wrong.
Result<RedisUrl> ParseRedisUrl(std::string_view url);

}  // namespace studybot::ratelimit
