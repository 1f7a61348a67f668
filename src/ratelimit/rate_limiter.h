// RateLimiter: decides whether one more request under a key fits its limit, and says when it will.
//
// A limit is a sustained rate (N requests per period) plus a burst: the number of requests that may
// be admitted at once after a quiet spell. Implementations use GCRA (see gcra.h), which behaves
// like a token bucket of `burst` tokens refilled at one token per period/rate, with one timestamp
// of state per key.
//
// Keys are built by the caller ("ip:1.2.3.4", "key:pk_abc", "session:...", "user:...") and are used
// as given; a backend may prefix them with its own namespace. Different keys never share state.
//
// Check() blocks (it may do network I/O); call it from the worker pool, never from an I/O thread.
// Implementations are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "core/result.h"

namespace studybot::ratelimit {

struct RateLimit {
  // Requests admitted per `period`, sustained. REQUIRES: > 0.
  int64_t rate = 1;
  // The window `rate` is counted over. REQUIRES: > 0, and period/rate >= 1 microsecond.
  std::chrono::milliseconds period{1000};
  // Requests that may be admitted at once (the bucket's capacity). REQUIRES: >= 1.
  int64_t burst = 1;
};

// What the HTTP layer needs to answer (429 or not) and to emit RateLimit-* and Retry-After headers.
struct RateLimitDecision {
  bool allowed = false;
  // The burst: RateLimit-Limit.
  int64_t limit = 0;
  // Cost-1 requests that would still be admitted right now after this one: RateLimit-Remaining.
  int64_t remaining = 0;
  // Time until the key is back to a full burst: RateLimit-Reset (in seconds, rounded up).
  std::chrono::milliseconds reset_after{0};
  // When refused, the wait before the same request would be admitted: Retry-After (seconds,
  // rounded up). Zero when allowed.
  std::chrono::milliseconds retry_after{0};
};

// Whole seconds, rounded up, as HTTP headers want them (RateLimit-Reset, Retry-After).
inline int64_t CeilSeconds(std::chrono::milliseconds d) {
  if (d.count() <= 0) return 0;
  return (d.count() + 999) / 1000;
}

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;

  // Charges `cost` units against `key` if they fit `limit`, and reports the key's state.
  // A refused request is not charged. A cost of 0 reads the state without charging anything.
  //
  // Errors: kInvalidArgument if the limit is malformed, cost < 0 or cost > limit.burst (such a
  // request could never be admitted); kUnavailable if the backend cannot be reached (see
  // FailurePolicyRateLimiter for fail-open behaviour).
  virtual Result<RateLimitDecision> Check(std::string_view key, const RateLimit& limit,
                                          int cost = 1) = 0;
};

}  // namespace studybot::ratelimit
