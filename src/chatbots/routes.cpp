#include "chatbots/routes.h"

#include "http/request_body.h"
#include "http/responses.h"

namespace studybot::chatbots {
namespace {

namespace asio = boost::asio;
using http::Fail;
using http::RequestContext;
using http::Response;

ChatbotInput InputFrom(const boost::json::object& body) {
  ChatbotInput in;
  if (auto* v = body.if_contains("name")) in.name = std::string(v->as_string());
  if (auto* v = body.if_contains("description")) in.description = std::string(v->as_string());
  if (auto* v = body.if_contains("status")) in.status = std::string(v->as_string());
  if (auto* v = body.if_contains("allowed_domains")) {
    std::vector<std::string> d;
    for (const auto& s : v->as_array())
      d.emplace_back(s.as_string());
    in.allowed_domains = std::move(d);
  }
  if (auto* v = body.if_contains("widget")) in.widget = v->as_object();
  if (auto* v = body.if_contains("rate_limits")) {
    std::map<std::string, RateOverride> limits;
    for (const auto& kv : v->as_object()) {
      const auto& o = kv.value().as_object();
      int64_t rate = o.at("rate").as_int64();
      int64_t burst = o.contains("burst") ? o.at("burst").as_int64() : rate;
      limits[std::string(kv.key())] = {rate, o.at("period_seconds").as_int64() * 1000, burst};
    }
    in.rate_limits = std::move(limits);
  }
  if (auto* v = body.if_contains("secrets")) {
    std::map<std::string, std::optional<std::string>> secrets;
    for (const auto& kv : v->as_object()) {
      secrets[std::string(kv.key())] =
          kv.value().is_null() ? std::nullopt : std::optional<std::string>(kv.value().as_string());
    }
    in.secrets = std::move(secrets);
  }
  return in;
}

}  // namespace

void RegisterChatbotRoutes(http::Router& router, const ChatbotRoutesDeps& deps) {
  const ChatbotRoutesDeps* d = &deps;

  router.Add(http::Method::get, "/api/chatbots",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto page = http::ReadPageParams(ctx.query);
               if (!page.ok()) co_return Fail(ctx, page.error());
               auto p = *who;
               auto pg = *page;
               auto job = [=] { return d->service.List(p, pg.limit, pg.cursor); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               boost::json::array items;
               for (const auto& b : r->items)
                 items.push_back(ChatbotJson(b));
               co_return http::JsonResponse(http::Status::ok,
                                            http::PageJson(std::move(items), r->next_cursor));
             });

  router.Add(http::Method::post, "/api/chatbots",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto body = http::ReadBody(ctx.request, d->validator, "create_chatbot_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               auto in = InputFrom(*body);
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               auto job = [=] { return d->service.Create(p, in, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               auto res = http::JsonResponse(http::Status::created, ChatbotJson(*r));
               res.set(http::bhttp::field::location, "/api/chatbots/" + r->id);
               co_return res;
             });

  router.Add(http::Method::get, "/api/chatbots/:id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               std::string id(ctx.Param("id"));
               auto job = [=] { return d->service.Get(p, id); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::ok, ChatbotJson(*r));
             });

  router.Add(http::Method::put, "/api/chatbots/:id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto body = http::ReadBody(ctx.request, d->validator, "update_chatbot_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               auto in = InputFrom(*body);
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               auto job = [=] { return d->service.Update(p, id, in, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::ok, ChatbotJson(*r));
             });

  router.Add(http::Method::delete_, "/api/chatbots/:id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               auto job = [=] { return d->service.Delete(p, id, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return Response{http::Status::no_content, 11};
             });

  // The widget's config: what it needs to draw itself, no secrets; cacheable with ETag. Called
  // with the chatbot's API key, from one of its allowed origins.
  router.Add(http::Method::get, "/api/chatbots/:id/config",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               std::string id(ctx.Param("id"));
               auto access = co_await d->widget.Authenticate(ctx, id);
               if (!access.ok()) co_return Fail(ctx, access.error());
               auto job = [=] { return d->service.PublicConfig(id); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               if (ctx.request[http::bhttp::field::if_none_match] == r->etag) {
                 Response res{http::Status::not_modified, 11};
                 res.set(http::bhttp::field::etag, r->etag);
                 res.set(http::bhttp::field::cache_control, "private, max-age=60");
                 co_return res;
               }
               auto res = http::JsonResponse(http::Status::ok, r->body);
               res.set(http::bhttp::field::etag, r->etag);
               res.set(http::bhttp::field::cache_control, "private, max-age=60");
               co_return res;
             });
  router.MarkWidgetRoute("/api/chatbots/:id/config");
}

}  // namespace studybot::chatbots
