// WidgetGuard: the access step of routes the widget calls from customers' sites. Checks the API
// key and the origin (ApiKeyService), then the rate limits of the key and of the client IP (with
// the chatbot's overrides), and prepares the response's CORS and RateLimit-* headers. A refused
// request gets no CORS headers, so a foreign page cannot even read the refusal.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "chatbots/api_key_service.h"
#include "core/worker_pool.h"
#include "http/types.h"
#include "ratelimit/rate_limiter.h"
#include "ratelimit/request_limits.h"

namespace studybot::chatbots {

class WidgetGuard {
 public:
  WidgetGuard(ApiKeyService& keys, WorkerPool& workers, ratelimit::RateLimiter& limiter,
              const ratelimit::RequestLimits& limits)
      : keys_(keys), workers_(workers), limiter_(limiter), limits_(limits) {}

  // `chatbot_id`: the chatbot the route names ("" when the key decides). `session_id`: the
  // widget session, when the request has one, limited per session too.
  boost::asio::awaitable<Result<WidgetAccess>> Authenticate(const http::RequestContext& ctx,
                                                            const std::string& chatbot_id,
                                                            const std::string& session_id = {});

 private:
  ApiKeyService& keys_;
  WorkerPool& workers_;
  ratelimit::RateLimiter& limiter_;
  const ratelimit::RequestLimits& limits_;
};

}  // namespace studybot::chatbots
