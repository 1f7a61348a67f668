#include "chatbots/widget_guard.h"

namespace studybot::chatbots {
namespace {

ratelimit::RateLimit Effective(const Chatbot& bot, const std::string& scope,
                               const ratelimit::RateLimit& fallback) {
  auto it = bot.rate_limits.find(scope);
  if (it == bot.rate_limits.end()) return fallback;
  return {it->second.rate, std::chrono::milliseconds(it->second.period_ms), it->second.burst};
}

}  // namespace

boost::asio::awaitable<Result<WidgetAccess>> WidgetGuard::Authenticate(
    const http::RequestContext& ctx, const std::string& chatbot_id, const std::string& session_id) {
  std::string key(ctx.request["X-Api-Key"]);
  std::string origin(ctx.request[http::bhttp::field::origin]);
  std::string referer(ctx.request[http::bhttp::field::referer]);
  std::string ip = ctx.client_ip;
  auto job =
      [this, key, chatbot_id, origin, referer, ip,
       session_id]() -> std::pair<Result<WidgetAccess>, Result<ratelimit::RateLimitDecision>> {
    auto access = keys_.Authenticate(key, chatbot_id, origin, referer);
    if (!access.ok()) return {access, ratelimit::RateLimitDecision{}};
    const Chatbot& bot = access->chatbot;
    std::vector<std::pair<std::string, ratelimit::RateLimit>> checks = {
        {"key:" + access->key.id, Effective(bot, "key", limits_.per_key)},
        {"ip:" + bot.id + ":" + ip, Effective(bot, "ip", limits_.per_ip)}};
    if (!session_id.empty()) {
      checks.emplace_back("session:" + bot.id + ":" + session_id,
                          Effective(bot, "session", limits_.per_session));
    }
    return {access, ratelimit::CheckAll(limiter_, checks)};
  };
  auto [access, decision] = co_await workers_.Run(job);
  if (!access.ok()) co_return access;
  if (!decision.ok()) co_return decision.error();
  for (auto& h : ratelimit::RateLimitHeaders(*decision))
    ctx.extra_headers.push_back(std::move(h));
  if (!access->allowed_origin.empty()) {
    ctx.extra_headers.emplace_back("Access-Control-Allow-Origin", access->allowed_origin);
    ctx.extra_headers.emplace_back("Vary", "Origin");
    ctx.extra_headers.emplace_back(
        "Access-Control-Expose-Headers",
        "X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, ETag");
  }
  if (!decision->allowed) {
    co_return Error::RateLimited(
        "too many requests; slow down",
        static_cast<long>(std::max<int64_t>(1, ratelimit::CeilSeconds(decision->retry_after))))
        .WithSlug("rate_limited");
  }
  co_return access;
}

}  // namespace studybot::chatbots
