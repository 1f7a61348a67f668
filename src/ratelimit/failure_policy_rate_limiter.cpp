#include "ratelimit/failure_policy_rate_limiter.h"

namespace studybot::ratelimit {

Result<RateLimitDecision> FailurePolicyRateLimiter::Check(std::string_view key,
                                                          const RateLimit& limit, int cost) {
  auto result = inner_.Check(key, limit, cost);
  if (result.ok() || policy_ == FailurePolicy::kClosed ||
      result.error().code != ErrorCode::kUnavailable) {
    return result;
  }
  fail_open_count_.fetch_add(1, std::memory_order_relaxed);
  RateLimitDecision open;
  open.allowed = true;
  open.limit = limit.burst;
  open.remaining = limit.burst > cost ? limit.burst - cost : 0;
  return open;
}

}  // namespace studybot::ratelimit
