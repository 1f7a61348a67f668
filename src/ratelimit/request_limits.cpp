#include "ratelimit/request_limits.h"

namespace studybot::ratelimit {
namespace {

Result<RateLimit> FromSpec(const std::string& spec) {
  auto parsed = ParseRateSpec(spec);
  if (!parsed.ok()) return parsed.error();
  return RateLimit{parsed->count, parsed->period, parsed->count};
}

}  // namespace

Result<RequestLimits> LimitsFrom(const RateLimitConfig& c) {
  RequestLimits out;
  for (auto [spec, field] :
       {std::pair{&c.per_ip, &out.per_ip}, std::pair{&c.per_key, &out.per_key},
        std::pair{&c.per_session, &out.per_session}, std::pair{&c.per_user, &out.per_user}}) {
    auto l = FromSpec(*spec);
    if (!l.ok()) return l.error();
    *field = *l;
  }
  return out;
}

Result<RateLimitDecision> CheckAll(RateLimiter& limiter,
                                   const std::vector<std::pair<std::string, RateLimit>>& checks) {
  RateLimitDecision tightest;
  bool any = false;
  for (const auto& [key, limit] : checks) {
    auto d = limiter.Check(key, limit);
    if (!d.ok()) {
      // The backend's own message names hosts and ports: not for API clients.
      if (d.error().code == ErrorCode::kUnavailable) {
        return Error::Unavailable("rate limiting is temporarily unavailable; try again later");
      }
      return d.error();
    }
    if (!d->allowed) return d;
    if (!any || d->remaining < tightest.remaining) tightest = *d;
    any = true;
  }
  if (!any) tightest.allowed = true;
  return tightest;
}

std::vector<std::pair<std::string, std::string>> RateLimitHeaders(const RateLimitDecision& d) {
  std::vector<std::pair<std::string, std::string>> h = {
      {"RateLimit-Limit", std::to_string(d.limit)},
      {"RateLimit-Remaining", std::to_string(d.remaining)},
      {"RateLimit-Reset", std::to_string(CeilSeconds(d.reset_after))}};
  if (!d.allowed)
    h.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, CeilSeconds(d.retry_after))));
  return h;
}

}  // namespace studybot::ratelimit
