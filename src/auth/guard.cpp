#include "auth/guard.h"

#include "core/strings.h"

#include "http/request_body.h"
#include "ratelimit/request_limits.h"

namespace studybot::auth {

ClientInfo ClientOf(const http::RequestContext& ctx) {
  // Headers may carry any bytes; the user agent is stored (sessions, audit) in utf8mb4 columns.
  return {ctx.client_ip, CleanUtf8(ctx.request[http::bhttp::field::user_agent], 512),
          ctx.request_id};
}

boost::asio::awaitable<Result<Principal>> Guard::Authenticate(const http::RequestContext& ctx) {
  std::string token(http::BearerToken(ctx.request));
  if (token.empty()) {
    co_return Error::Unauthenticated("missing bearer token (Authorization: Bearer <token>)")
        .WithSlug("missing_token");
  }
  auto job = [this, token]() -> std::pair<Result<Principal>, Result<ratelimit::RateLimitDecision>> {
    auto p = service_.Authenticate(token);
    if (!p.ok() || limiter_ == nullptr) return {p, ratelimit::RateLimitDecision{true}};
    return {p, ratelimit::CheckAll(*limiter_, {{"user:" + p->user_id, per_user_}})};
  };
  auto [principal, decision] = co_await workers_.Run(job);
  if (!principal.ok()) co_return principal;
  if (!decision.ok()) co_return decision.error();
  if (limiter_ == nullptr) co_return principal;
  for (auto& h : ratelimit::RateLimitHeaders(*decision))
    ctx.extra_headers.push_back(std::move(h));
  if (!decision->allowed) {
    co_return Error::RateLimited(
        "too many requests; slow down",
        static_cast<long>(std::max<int64_t>(1, ratelimit::CeilSeconds(decision->retry_after))))
        .WithSlug("rate_limited");
  }
  co_return principal;
}

boost::asio::awaitable<Result<Principal>> Guard::RequireSystemAdmin(
    const http::RequestContext& ctx) {
  auto p = co_await Authenticate(ctx);
  if (!p.ok()) co_return p;
  if (!p->IsSystemAdmin()) {
    co_return Error::PermissionDenied("this needs the system_admin role").WithSlug("forbidden");
  }
  co_return p;
}

}  // namespace studybot::auth
