// RequestLimits: the limits the HTTP layer applies, per scope, and checking several at once
// (a widget request counts against its key and its client IP; an admin request against its user).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "ratelimit/rate_limiter.h"

namespace studybot::ratelimit {

struct RequestLimits {
  RateLimit per_ip;
  RateLimit per_key;
  RateLimit per_session;
  RateLimit per_user;
};

// From "N/period" settings (burst = N). The config was validated at start, so this cannot fail
// on a loaded Config; it reports kInvalidArgument otherwise.
Result<RequestLimits> LimitsFrom(const RateLimitConfig& config);

// Charges every (key, limit); stops at the first refusal and returns it. When all admit, returns
// the decision with the fewest remaining requests (what RateLimit-* headers should show).
Result<RateLimitDecision> CheckAll(RateLimiter& limiter,
                                   const std::vector<std::pair<std::string, RateLimit>>& checks);

// RateLimit-Limit / -Remaining / -Reset (and Retry-After when refused) for a decision.
std::vector<std::pair<std::string, std::string>> RateLimitHeaders(const RateLimitDecision& d);

}  // namespace studybot::ratelimit
