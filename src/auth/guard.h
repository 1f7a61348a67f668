// Guard: the admin authentication step of a route. Reads the bearer token, checks it through the
// AuthService on the worker pool, charges the user's rate limit (RateLimit-* headers on the
// response, 429 past it), and hands back the Principal or the error.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "auth/auth_service.h"
#include "core/worker_pool.h"
#include "http/types.h"
#include "ratelimit/rate_limiter.h"

namespace studybot::auth {

class Guard {
 public:
  // `limiter` may be null (no limits).
  Guard(AuthService& service, WorkerPool& workers, ratelimit::RateLimiter* limiter,
        ratelimit::RateLimit per_user)
      : service_(service), workers_(workers), limiter_(limiter), per_user_(per_user) {}

  boost::asio::awaitable<Result<Principal>> Authenticate(const http::RequestContext& ctx);
  // Authenticate, then require the system_admin role (403 otherwise).
  boost::asio::awaitable<Result<Principal>> RequireSystemAdmin(const http::RequestContext& ctx);

 private:
  AuthService& service_;
  WorkerPool& workers_;
  ratelimit::RateLimiter* limiter_;
  ratelimit::RateLimit per_user_;
};

// The client facts an audit row needs.
ClientInfo ClientOf(const http::RequestContext& ctx);

}  // namespace studybot::auth
