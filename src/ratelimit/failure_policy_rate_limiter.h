// FailurePolicyRateLimiter: decides what a request gets when the rate limiter's backend is down.
//
// Wraps another RateLimiter. When the wrapped Check fails with kUnavailable (Redis unreachable,
// timed out, refused our credentials), kOpen admits the request (availability over strictness:
// a Redis outage does not take the chat down) and counts it, kClosed passes the error on (the HTTP
// layer answers 503). Every other result, including kInvalidArgument, passes through unchanged.
//
// Thread-safe if the wrapped limiter is.
#pragma once

#include <atomic>
#include <cstdint>

#include "ratelimit/rate_limiter.h"

namespace studybot::ratelimit {

enum class FailurePolicy {
  kOpen,    // admit when the backend is unavailable
  kClosed,  // refuse (with the kUnavailable error) when the backend is unavailable
};

class FailurePolicyRateLimiter final : public RateLimiter {
 public:
  // `inner` must outlive this object.
  FailurePolicyRateLimiter(RateLimiter& inner, FailurePolicy policy)
      : inner_(inner), policy_(policy) {}

  // With kOpen, an unavailable backend gives an admitted decision that reports a full burst
  // (limit = burst, remaining = burst - cost, no reset), since the real state is unknown.
  Result<RateLimitDecision> Check(std::string_view key, const RateLimit& limit,
                                  int cost = 1) override;

  FailurePolicy policy() const { return policy_; }
  // Requests admitted because the backend was unavailable (for metrics and alerts).
  uint64_t fail_open_count() const { return fail_open_count_.load(std::memory_order_relaxed); }

 private:
  RateLimiter& inner_;
  const FailurePolicy policy_;
  std::atomic<uint64_t> fail_open_count_{0};
};

}  // namespace studybot::ratelimit
