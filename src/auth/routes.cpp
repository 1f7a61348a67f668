#include "auth/routes.h"

#include "auth/user_json.h"
#include "http/request_body.h"
#include "http/responses.h"
#include "ratelimit/request_limits.h"

namespace studybot::auth {
namespace {

namespace asio = boost::asio;
using http::Fail;
using http::RequestContext;
using http::Response;

Response NoContent() {
  return Response{http::Status::no_content, 11};
}

std::string RefreshCookie(const std::string& token, int64_t max_age) {
  return std::string(kRefreshCookie) + "=" + token +
         "; Path=/api/auth; HttpOnly; Secure; SameSite=Strict; Max-Age=" + std::to_string(max_age);
}

Response Tokens(const TokenPair& t, bool cookie) {
  boost::json::object body{
      {"access_token", t.access_token}, {"token_type", "Bearer"},
      {"expires_in", t.expires_in},     {"refresh_expires_in", t.refresh_expires_in},
      {"session_id", t.session_id},     {"user", UserJson(t.user)}};
  if (!cookie) body["refresh_token"] = t.refresh_token;
  auto res = http::JsonResponse(http::Status::ok, body);
  if (cookie)
    res.set(http::bhttp::field::set_cookie, RefreshCookie(t.refresh_token, t.refresh_expires_in));
  return res;
}

// At most this many reset mails per address per window, whoever asks: the endpoint must not turn
// into a way to flood someone's inbox.
constexpr ratelimit::RateLimit kResetMailsPerAddress{3, std::chrono::minutes(15), 3};

// Charges the client IP's budget for unauthenticated auth routes; the error when over it.
asio::awaitable<Status> LimitClient(const AuthRoutesDeps* d, const RequestContext& ctx) {
  if (d->limiter == nullptr) co_return OkStatus();
  std::string key = "auth-ip:" + ctx.client_ip;
  auto job = [d, key] { return ratelimit::CheckAll(*d->limiter, {{key, d->per_ip}}); };
  auto decision = co_await d->workers.Run(job);
  if (!decision.ok()) co_return decision.error();
  for (auto& h : ratelimit::RateLimitHeaders(*decision))
    ctx.extra_headers.push_back(std::move(h));
  if (!decision->allowed) {
    co_return Error::RateLimited(
        "too many requests from this address",
        static_cast<long>(std::max<int64_t>(1, ratelimit::CeilSeconds(decision->retry_after))))
        .WithSlug("rate_limited");
  }
  co_return OkStatus();
}

}  // namespace

void RegisterAuthRoutes(http::Router& router, const AuthRoutesDeps& deps) {
  const AuthRoutesDeps* d = &deps;

  router.Add(http::Method::post, "/api/auth/login",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto limited = co_await LimitClient(d, ctx);
               if (!limited.ok()) co_return Fail(ctx, limited.error());
               auto body = http::ReadBody(ctx.request, d->validator, "login_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               std::string email(body->at("email").as_string());
               std::string password(body->at("password").as_string());
               bool cookie = d->config.refresh_cookie;
               if (auto* c = body->if_contains("refresh_token_in_cookie")) cookie = c->as_bool();
               auto client = ClientOf(ctx);
               auto job = [=] { return d->service.Login(email, password, client); };
               auto r = co_await d->password_workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return Tokens(*r, cookie);
             });

  router.Add(http::Method::post, "/api/auth/refresh",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto limited = co_await LimitClient(d, ctx);
               if (!limited.ok()) co_return Fail(ctx, limited.error());
               std::string token;
               bool from_cookie = false;
               if (!ctx.request.body().empty()) {
                 auto body = http::ReadBody(ctx.request, d->validator, "refresh_request");
                 if (!body.ok()) co_return Fail(ctx, body.error());
                 if (auto* t = body->if_contains("refresh_token")) token = t->as_string();
               }
               if (token.empty()) {
                 token = std::string(http::CookieValue(ctx.request, kRefreshCookie));
                 from_cookie = !token.empty();
               }
               if (token.empty()) {
                 co_return Fail(ctx, Error::Unauthenticated("no refresh token (body or cookie)")
                                         .WithSlug("missing_refresh_token"));
               }
               auto client = ClientOf(ctx);
               auto job = [=] { return d->service.Refresh(token, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return Tokens(*r, from_cookie);
             });

  router.Add(http::Method::post, "/api/auth/logout",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto client = ClientOf(ctx);
               auto p = *who;
               auto job = [=] { return d->service.Logout(p, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               auto res = NoContent();
               res.set(http::bhttp::field::set_cookie, RefreshCookie("", 0));
               co_return res;
             });

  router.Add(http::Method::get, "/api/auth/me",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto id = who->user_id;
               auto job = [=]() -> Result<boost::json::object> {
                 auto u = d->users.FindById(id);
                 if (!u.ok()) return u.error();
                 if (!u->has_value()) return Error::Unauthenticated("no such user");
                 auto o = UserJson(**u);
                 auto bots = d->users.ChatbotsOf(id);
                 if (!bots.ok()) return bots.error();
                 boost::json::array ids;
                 for (auto& b : *bots)
                   ids.emplace_back(b);
                 o["chatbot_ids"] = std::move(ids);
                 return o;
               };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::ok, *r);
             });

  router.Add(http::Method::get, "/api/auth/sessions",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               auto job = [=] { return d->service.ListSessions(p); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               boost::json::array items;
               for (const auto& s : *r)
                 items.push_back(SessionJson(s, s.id == p.session_id));
               co_return http::JsonResponse(http::Status::ok, {{"items", std::move(items)}});
             });

  router.Add(http::Method::delete_, "/api/auth/sessions/:id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               std::string id(ctx.Param("id"));
               auto client = ClientOf(ctx);
               auto job = [=] { return d->service.RevokeSession(p, id, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return NoContent();
             });

  router.Add(http::Method::post, "/api/auth/password/change",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto body = http::ReadBody(ctx.request, d->validator, "change_password_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               auto p = *who;
               std::string current(body->at("current_password").as_string());
               std::string next(body->at("new_password").as_string());
               auto client = ClientOf(ctx);
               auto job = [=] { return d->service.ChangePassword(p, current, next, client); };
               auto r = co_await d->password_workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return NoContent();
             });

  router.Add(
      http::Method::post, "/api/auth/password/forgot",
      [d](RequestContext& ctx) -> asio::awaitable<Response> {
        auto limited = co_await LimitClient(d, ctx);
        if (!limited.ok()) co_return Fail(ctx, limited.error());
        auto body = http::ReadBody(ctx.request, d->validator, "forgot_password_request");
        if (!body.ok()) co_return Fail(ctx, body.error());
        std::string email(body->at("email").as_string());
        auto client = ClientOf(ctx);
        // The work happens after the answer: its duration must not tell whether the email exists.
        d->workers.Post([d, email, client] {
          if (d->limiter != nullptr) {
            auto allowed =
                d->limiter->Check("reset-mail:" + NormalizeEmail(email), kResetMailsPerAddress);
            if (allowed.ok() && !allowed->allowed) return;  // quietly: still 202
          }
          auto started = d->service.StartPasswordReset(email, client);
          if (!started.ok() || !started->has_value()) return;
          const auto& [user, token] = **started;
          std::string link = d->config.public_url + "/reset-password?token=" + token;
          if (d->mailer == nullptr) {
            if (d->log_reset_links) {
              // Development only (no SMTP configured), as documented in the README.
              d->logger.Warn("password reset link (no SMTP configured; development only)",
                             {{"user_id", user.id}, {"link", link}});
            } else {
              d->logger.Error("password reset requested but SMTP is not configured",
                              {{"user_id", user.id}});
            }
            return;
          }
          auto sent = d->mailer->Send(
              {user.email, "Reset your Studybot password",
               "Someone asked to reset the password of your Studybot account.\n\n"
               "To choose a new password, open this link within " +
                   std::to_string(d->config.reset_ttl.count() / 60) + " minutes:\n\n" + link +
                   "\n\nIf it was not you, ignore this message: your password stays as it is.\n"});
          if (!sent.ok()) {
            d->logger.Error("password reset mail failed",
                            {{"user_id", user.id}, {"error", sent.error().message}});
          }
        });
        co_return http::JsonResponse(
            http::Status::accepted,
            {{"status", "accepted"},
             {"message", "if the address belongs to an account, a reset link is on its way"}});
      });

  router.Add(http::Method::post, "/api/auth/password/reset",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto limited = co_await LimitClient(d, ctx);
               if (!limited.ok()) co_return Fail(ctx, limited.error());
               auto body = http::ReadBody(ctx.request, d->validator, "reset_password_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               std::string token(body->at("token").as_string());
               std::string password(body->at("password").as_string());
               auto client = ClientOf(ctx);
               auto job = [=] { return d->service.ResetPassword(token, password, client); };
               auto r = co_await d->password_workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return NoContent();
             });
}

}  // namespace studybot::auth
