#include "chatbots/routes.h"

#include "auth/admin_call.h"

namespace studybot::chatbots {
namespace {

namespace asio = boost::asio;
using auth::Principal;
using http::Fail;
using http::RequestContext;
using http::Response;

Response One(const Chatbot& b) {
  return http::JsonResponse(http::Status::ok, ChatbotJson(b));
}

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
  if (auto* v = body.if_contains("knowledge")) in.knowledge = v->as_object();
  if (auto* v = body.if_contains("answers")) in.answers = v->as_object();
  if (auto* v = body.if_contains("system_prompt")) in.system_prompt = std::string(v->as_string());
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
               auto page = http::ReadPageParams(ctx.query);
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, page](const Principal& p) -> Result<ChatbotPage> {
                     if (!page.ok()) return page.error();
                     return d->service.List(p, page->limit, page->cursor);
                   },
                   [](const ChatbotPage& r) {
                     boost::json::array items;
                     for (const auto& b : r.items)
                       items.push_back(ChatbotJson(b));
                     return http::JsonResponse(http::Status::ok,
                                               http::PageJson(std::move(items), r.next_cursor));
                   });
             });

  router.Add(http::Method::post, "/api/chatbots",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               return auth::AdminCallWithBody(
                   d->guard, d->workers, d->validator, ctx, "create_chatbot_request",
                   auth::NoResourceCheck{},
                   [d, client](const Principal& p, const boost::json::object& body) {
                     return d->service.Create(p, InputFrom(body), client);
                   },
                   [](const Chatbot& b) {
                     auto res = http::JsonResponse(http::Status::created, ChatbotJson(b));
                     res.set(http::bhttp::field::location, "/api/chatbots/" + b.id);
                     return res;
                   });
             });

  router.Add(http::Method::get, "/api/chatbots/:id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               std::string id(ctx.Param("id"));
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, id](const Principal& p) { return d->service.Get(p, id); }, One);
             });

  router.Add(http::Method::put, "/api/chatbots/:id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               return auth::AdminCallWithBody(
                   d->guard, d->workers, d->validator, ctx, "update_chatbot_request",
                   [d, id](const Principal& p) { return d->service.CheckAccess(p, id); },
                   [d, client, id](const Principal& p, const boost::json::object& body) {
                     return d->service.Update(p, id, InputFrom(body), client);
                   },
                   One);
             });

  router.Add(http::Method::delete_, "/api/chatbots/:id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, client, id](const Principal& p) { return d->service.Delete(p, id, client); },
                   [] {
                     return Response{http::Status::no_content, 11};
                   });
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
