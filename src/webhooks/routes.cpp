#include "webhooks/routes.h"

#include "auth/admin_call.h"

namespace studybot::webhooks {
namespace {

namespace asio = boost::asio;
using auth::Principal;
using http::RequestContext;
using http::Response;

WebhookInput InputFrom(const boost::json::object& body) {
  WebhookInput in;
  if (auto* v = body.if_contains("url")) in.url = std::string(v->as_string());
  if (auto* v = body.if_contains("events")) {
    std::vector<std::string> events;
    for (const auto& e : v->as_array())
      events.emplace_back(e.as_string());
    in.events = std::move(events);
  }
  if (auto* v = body.if_contains("active")) in.active = v->as_bool();
  return in;
}

Response WithSecret(http::Status status, const WebhookWithSecret& w) {
  auto o = WebhookJson(w.webhook);
  o["secret"] = w.secret;  // the only time the secret is shown
  return http::JsonResponse(status, o);
}

Response One(const Webhook& w) {
  return http::JsonResponse(http::Status::ok, WebhookJson(w));
}

}  // namespace

void RegisterWebhookRoutes(http::Router& router, const WebhookRoutesDeps& deps) {
  const WebhookRoutesDeps* d = &deps;

  router.Add(http::Method::post, "/api/chatbots/:id/webhooks",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               return auth::AdminCallWithBody(
                   d->guard, d->workers, d->validator, ctx, "create_webhook_request",
                   [d, id](const Principal& p) { return d->service.CheckAccess(p, id); },
                   [d, client, id](const Principal& p, const boost::json::object& body) {
                     return d->service.Create(p, id, InputFrom(body), client);
                   },
                   [](const WebhookWithSecret& w) { return WithSecret(http::Status::created, w); });
             });

  router.Add(http::Method::get, "/api/chatbots/:id/webhooks",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               std::string id(ctx.Param("id"));
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, id](const Principal& p) { return d->service.List(p, id); },
                   [](const std::vector<Webhook>& hooks) {
                     boost::json::array items;
                     for (const auto& w : hooks)
                       items.push_back(WebhookJson(w));
                     return http::JsonResponse(http::Status::ok, {{"items", std::move(items)}});
                   });
             });

  router.Add(http::Method::get, "/api/chatbots/:id/webhooks/:webhook_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, id, hook](const Principal& p) { return d->service.Get(p, id, hook); }, One);
             });

  router.Add(http::Method::put, "/api/chatbots/:id/webhooks/:webhook_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               return auth::AdminCallWithBody(
                   d->guard, d->workers, d->validator, ctx, "update_webhook_request",
                   [d, id](const Principal& p) { return d->service.CheckAccess(p, id); },
                   [d, client, id, hook](const Principal& p, const boost::json::object& body) {
                     return d->service.Update(p, id, hook, InputFrom(body), client);
                   },
                   One);
             });

  router.Add(http::Method::delete_, "/api/chatbots/:id/webhooks/:webhook_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, client, id, hook](const Principal& p) {
                     return d->service.Delete(p, id, hook, client);
                   },
                   [] {
                     return Response{http::Status::no_content, 11};
                   });
             });

  router.Add(http::Method::post, "/api/chatbots/:id/webhooks/:webhook_id/rotate-secret",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, client, id, hook](const Principal& p) {
                     return d->service.RotateSecret(p, id, hook, client);
                   },
                   [](const WebhookWithSecret& w) { return WithSecret(http::Status::ok, w); });
             });

  router.Add(http::Method::post, "/api/chatbots/:id/webhooks/:webhook_id/test",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, id, hook](const Principal& p) { return d->service.SendTest(p, id, hook); },
                   [](const Delivery& x) {
                     return http::JsonResponse(http::Status::accepted, DeliveryJson(x));
                   });
             });

  router.Add(http::Method::get, "/api/chatbots/:id/webhooks/:webhook_id/deliveries",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               auto page = http::ReadPageParams(ctx.query, 100);
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, id, hook, page](const Principal& p) -> Result<std::vector<Delivery>> {
                     if (!page.ok()) return page.error();
                     if (!page->cursor.empty()) {
                       return Error::InvalidArgument("deliveries take no cursor",
                                                     {{"/cursor", "only the newest are listed"}});
                     }
                     return d->service.Deliveries(p, id, hook, page->limit);
                   },
                   [](const std::vector<Delivery>& list) {
                     boost::json::array items;
                     for (const auto& x : list)
                       items.push_back(DeliveryJson(x));
                     return http::JsonResponse(http::Status::ok, {{"items", std::move(items)}});
                   });
             });
}

}  // namespace studybot::webhooks
