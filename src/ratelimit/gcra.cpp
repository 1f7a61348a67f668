#include "ratelimit/gcra.h"

#include <algorithm>
#include <string>

namespace studybot::ratelimit {
namespace {

// Durations in headers must never understate a wait, so microseconds round up to milliseconds.
std::chrono::milliseconds CeilMillis(int64_t us) {
  if (us <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds((us + 999) / 1000);
}

int64_t RemainingAt(const GcraParams& params, int64_t used_us) {
  int64_t headroom = params.delay_tolerance_us - used_us;
  return headroom <= 0 ? 0 : headroom / params.emission_interval_us;
}

}  // namespace

Result<GcraParams> MakeGcraParams(const RateLimit& limit, int64_t cost) {
  if (limit.rate <= 0) return Error::InvalidArgument("rate limit: rate must be positive");
  if (limit.period.count() <= 0) {
    return Error::InvalidArgument("rate limit: period must be positive");
  }
  if (limit.burst <= 0) return Error::InvalidArgument("rate limit: burst must be positive");
  if (cost < 0) return Error::InvalidArgument("rate limit: cost must not be negative");
  if (cost > limit.burst) {
    return Error::InvalidArgument("rate limit: cost " + std::to_string(cost) +
                                  " exceeds the burst of " + std::to_string(limit.burst));
  }
  if (limit.period.count() > kMaxDelayToleranceMicros / 1000) {
    return Error::InvalidArgument("rate limit: period is too long");
  }
  int64_t period_us = limit.period.count() * 1000;
  if (limit.rate > period_us) {
    return Error::InvalidArgument("rate limit: more than one request per microsecond");
  }
  GcraParams p;
  p.emission_interval_us = (period_us + limit.rate - 1) / limit.rate;
  if (limit.burst > kMaxDelayToleranceMicros / p.emission_interval_us) {
    return Error::InvalidArgument("rate limit: burst * period / rate is too long");
  }
  p.delay_tolerance_us = p.emission_interval_us * limit.burst;
  p.burst = limit.burst;
  return p;
}

GcraOutcome GcraCheck(const GcraParams& params, int64_t tat_us, int64_t now_us, int64_t cost) {
  const int64_t base = std::max(tat_us, now_us);
  const int64_t pushed = base + params.emission_interval_us * cost;
  const int64_t allow_at = pushed - params.delay_tolerance_us;

  GcraOutcome out;
  out.decision.limit = params.burst;
  if (allow_at > now_us) {
    out.decision.allowed = false;
    out.decision.remaining = RemainingAt(params, base - now_us);
    out.decision.reset_after = CeilMillis(base - now_us);
    out.decision.retry_after = CeilMillis(allow_at - now_us);
    out.new_tat_us = tat_us;
    return out;
  }
  out.decision.allowed = true;
  out.decision.remaining = RemainingAt(params, pushed - now_us);
  out.decision.reset_after = CeilMillis(pushed - now_us);
  out.new_tat_us = pushed;
  return out;
}

}  // namespace studybot::ratelimit
