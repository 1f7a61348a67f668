#include "auth/guard.h"

#include "http/request_body.h"

namespace studybot::auth {

ClientInfo ClientOf(const http::RequestContext& ctx) {
  return {ctx.client_ip, std::string(ctx.request[http::bhttp::field::user_agent]), ctx.request_id};
}

boost::asio::awaitable<Result<Principal>> Guard::Authenticate(const http::RequestContext& ctx) {
  std::string token(http::BearerToken(ctx.request));
  if (token.empty()) {
    co_return Error::Unauthenticated("missing bearer token (Authorization: Bearer <token>)")
        .WithSlug("missing_token");
  }
  auto job = [this, token] { return service_.Authenticate(token); };
  co_return co_await workers_.Run(job);
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
