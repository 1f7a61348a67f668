#include "auth/user_routes.h"

#include "auth/user_json.h"
#include "http/request_body.h"
#include "http/responses.h"

namespace studybot::auth {
namespace {

namespace asio = boost::asio;
using http::Fail;
using http::RequestContext;
using http::Response;

boost::json::object ViewJson(const UserView& v) {
  auto o = UserJson(v.user);
  boost::json::array ids;
  for (const auto& id : v.chatbot_ids)
    ids.emplace_back(id);
  o["chatbot_ids"] = std::move(ids);
  return o;
}

UserInput InputFrom(const boost::json::object& body) {
  UserInput in;
  if (auto* v = body.if_contains("email")) in.email = std::string(v->as_string());
  if (auto* v = body.if_contains("password")) in.password = std::string(v->as_string());
  if (auto* v = body.if_contains("name")) in.name = std::string(v->as_string());
  if (auto* v = body.if_contains("role")) in.role = std::string(v->as_string());
  if (auto* v = body.if_contains("is_active")) in.is_active = v->as_bool();
  if (auto* v = body.if_contains("chatbot_ids")) {
    std::vector<std::string> ids;
    for (const auto& id : v->as_array())
      ids.emplace_back(id.as_string());
    in.chatbot_ids = std::move(ids);
  }
  return in;
}

boost::json::object AuditJson(const AuditRecord& r) {
  return {{"id", r.id},
          {"created_at", r.created_at},
          {"actor",
           {{"user_id", r.actor.user_id.empty() ? boost::json::value(nullptr)
                                                : boost::json::value(r.actor.user_id)},
            {"email", r.actor.email},
            {"ip", r.actor.ip},
            {"user_agent", r.actor.user_agent}}},
          {"request_id", r.actor.request_id},
          {"action", r.entry.action},
          {"target_type", r.entry.target_type},
          {"target_id", r.entry.target_id},
          {"summary", r.entry.summary}};
}

}  // namespace

void RegisterUserRoutes(http::Router& router, const UserRoutesDeps& deps) {
  const UserRoutesDeps* d = &deps;

  router.Add(http::Method::get, "/api/users",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.RequireSystemAdmin(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto page = http::ReadPageParams(ctx.query);
               if (!page.ok()) co_return Fail(ctx, page.error());
               auto p = *page;
               auto job = [=] { return d->users.List(p.limit, p.cursor); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               boost::json::array items;
               for (const auto& v : r->items)
                 items.push_back(ViewJson(v));
               co_return http::JsonResponse(http::Status::ok,
                                            http::PageJson(std::move(items), r->next_cursor));
             });

  router.Add(http::Method::post, "/api/users",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.RequireSystemAdmin(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto body = http::ReadBody(ctx.request, d->validator, "create_user_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               auto in = InputFrom(*body);
               auto p = *who;
               auto client = ClientOf(ctx);
               auto job = [=] { return d->users.Create(in, p, client); };
               auto r = co_await d->password_workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               auto res = http::JsonResponse(http::Status::created, ViewJson(*r));
               res.set(http::bhttp::field::location, "/api/users/" + r->user.id);
               co_return res;
             });

  router.Add(http::Method::get, "/api/users/:id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.RequireSystemAdmin(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               std::string id(ctx.Param("id"));
               auto job = [=] { return d->users.Get(id); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::ok, ViewJson(*r));
             });

  router.Add(http::Method::put, "/api/users/:id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.RequireSystemAdmin(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto body = http::ReadBody(ctx.request, d->validator, "update_user_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               auto in = InputFrom(*body);
               auto p = *who;
               auto client = ClientOf(ctx);
               std::string id(ctx.Param("id"));
               auto job = [=] { return d->users.Update(id, in, p, client); };
               // A new password is hashed: that belongs on the password pool.
               Result<UserView> r = Error::Internal("not run");
               if (in.password) {
                 r = co_await d->password_workers.Run(job);
               } else {
                 r = co_await d->workers.Run(job);
               }
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::ok, ViewJson(*r));
             });

  router.Add(http::Method::delete_, "/api/users/:id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.RequireSystemAdmin(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               auto client = ClientOf(ctx);
               std::string id(ctx.Param("id"));
               auto job = [=] { return d->users.Delete(id, p, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return Response{http::Status::no_content, 11};
             });

  router.Add(
      http::Method::get, "/api/audit-logs", [d](RequestContext& ctx) -> asio::awaitable<Response> {
        auto who = co_await d->guard.RequireSystemAdmin(ctx);
        if (!who.ok()) co_return Fail(ctx, who.error());
        auto page = http::ReadPageParams(ctx.query);
        if (!page.ok()) co_return Fail(ctx, page.error());
        AuditQuery q;
        q.limit = page->limit;
        q.cursor = page->cursor;
        std::vector<FieldError> bad;
        auto text = [&](const char* name, std::string* out, bool is_time) {
          auto v = http::QueryParam(ctx.query, name);
          if (!v) return;
          if (v->size() > 128 || (is_time && !ParseRfc3339(*v))) {
            bad.push_back(
                {std::string("/") + name,
                 is_time ? "must be an RFC 3339 UTC time like 2026-01-31T00:00:00Z" : "too long"});
            return;
          }
          *out = *v;
        };
        text("actor_id", &q.actor_id, false);
        text("action", &q.action, false);
        text("from", &q.from, true);
        text("to", &q.to, true);
        if (!bad.empty()) {
          co_return Fail(ctx, Error::InvalidArgument("bad query parameters", std::move(bad)));
        }
        // Stored times have milliseconds: compare in the same shape.
        for (auto* t : {&q.from, &q.to}) {
          if (!t->empty()) *t = FormatRfc3339Millis(*ParseRfc3339(*t));
        }
        auto job = [=] { return d->audit.List(q); };
        auto r = co_await d->workers.Run(job);
        if (!r.ok()) co_return Fail(ctx, r.error());
        boost::json::array items;
        for (const auto& rec : r->records)
          items.push_back(AuditJson(rec));
        co_return http::JsonResponse(http::Status::ok,
                                     http::PageJson(std::move(items), r->next_cursor));
      });
}

}  // namespace studybot::auth
