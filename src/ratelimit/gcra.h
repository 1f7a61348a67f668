// GCRA (the generic cell rate algorithm): the arithmetic behind every RateLimiter backend, kept
// pure so that it can be tested with exact numbers and mirrored by the Redis script.
//
// Per key, one number is stored: the theoretical arrival time (TAT), the instant at which the key
// would be back to a full burst. Each admitted unit of cost pushes the TAT one emission interval
// (period / rate) further; a request is admitted when the pushed TAT stays within the delay
// tolerance (emission interval * burst) of now. An absent or past TAT means "full burst available".
//
// Times are integer microseconds on any timeline the caller keeps consistent (the memory backend
// uses the monotonic clock, Redis its own TIME). Microseconds are fine enough for any per-second
// rate and stay exact in the doubles of Redis' Lua (2^53 us is 285 years).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "core/result.h"
#include "ratelimit/rate_limiter.h"

namespace studybot::ratelimit {

// The largest delay tolerance accepted (about 35 years); keeps every sum exact in a double.
inline constexpr int64_t kMaxDelayToleranceMicros = int64_t{1} << 50;

struct GcraParams {
  int64_t emission_interval_us = 0;  // period / rate, rounded up so that we never over-admit
  int64_t delay_tolerance_us = 0;    // emission_interval_us * burst
  int64_t burst = 0;
};

// Validates `limit` and `cost` (see RateLimiter::Check for the rules) and derives the parameters.
// Errors: kInvalidArgument naming the bad field.
Result<GcraParams> MakeGcraParams(const RateLimit& limit, int64_t cost);

struct GcraOutcome {
  RateLimitDecision decision;
  // The TAT to store after this check: the pushed TAT when admitted, `tat_us` unchanged when
  // refused. Only worth writing when decision.allowed and cost > 0.
  int64_t new_tat_us = 0;
};

// One check at `now_us` against the stored `tat_us` (0 when the key has no state).
// REQUIRES: params from MakeGcraParams(limit, cost) for the same cost.
GcraOutcome GcraCheck(const GcraParams& params, int64_t tat_us, int64_t now_us, int64_t cost);

}  // namespace studybot::ratelimit
