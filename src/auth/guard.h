// Guard: the admin authentication step of a route. Reads the bearer token, checks it through the
// AuthService on the worker pool, and hands back the Principal or the 401 error.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "auth/auth_service.h"
#include "core/worker_pool.h"
#include "http/types.h"

namespace studybot::auth {

class Guard {
 public:
  Guard(AuthService& service, WorkerPool& workers) : service_(service), workers_(workers) {}

  boost::asio::awaitable<Result<Principal>> Authenticate(const http::RequestContext& ctx);
  // Authenticate, then require the system_admin role (403 otherwise).
  boost::asio::awaitable<Result<Principal>> RequireSystemAdmin(const http::RequestContext& ctx);

 private:
  AuthService& service_;
  WorkerPool& workers_;
};

// The client facts an audit row needs.
ClientInfo ClientOf(const http::RequestContext& ctx);

}  // namespace studybot::auth
