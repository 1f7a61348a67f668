// CORS for the admin API: which browser origins may call us, and the answers to preflights.
//
// Allowed origins are exact "scheme://host[:port]" strings (compared case-insensitively) or "*".
// An exact match gets Access-Control-Allow-Origin: <origin> with credentials allowed; "*" gets
// "*" and never credentials. Responses vary on Origin. Immutable after construction: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/types.h"

namespace studybot::http {

class CorsPolicy {
 public:
  static Result<CorsPolicy> Create(const std::vector<std::string>& origins);

  bool enabled() const { return any_ || !origins_.empty(); }
  bool IsAllowed(std::string_view origin) const;

  // Adds the CORS headers of an actual (non-preflight) request from `origin`, if allowed.
  void Decorate(std::string_view origin, Response& res) const;

  // Answers a preflight for a path whose registered methods are `allowed`. A disallowed origin
  // or method gets 403 with the error envelope and no CORS headers.
  Response Preflight(const Request& req, const std::vector<Method>& allowed,
                     std::string_view request_id) const;

 private:
  std::vector<std::string> origins_;  // lower-cased
  bool any_ = false;
};

}  // namespace studybot::http
