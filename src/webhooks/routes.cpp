#include "webhooks/routes.h"

#include "http/request_body.h"
#include "http/responses.h"

namespace studybot::webhooks {
namespace {

namespace asio = boost::asio;
using http::Fail;
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

boost::json::object WithSecret(const WebhookWithSecret& w) {
  auto o = WebhookJson(w.webhook);
  o["secret"] = w.secret;  // the only time the secret is shown
  return o;
}

}  // namespace

void RegisterWebhookRoutes(http::Router& router, const WebhookRoutesDeps& deps) {
  const WebhookRoutesDeps* d = &deps;

  router.Add(http::Method::post, "/api/chatbots/:id/webhooks",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto body = http::ReadBody(ctx.request, d->validator, "create_webhook_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               auto in = InputFrom(*body);
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               auto job = [=] { return d->service.Create(p, id, in, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::created, WithSecret(*r));
             });

  router.Add(http::Method::get, "/api/chatbots/:id/webhooks",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               std::string id(ctx.Param("id"));
               auto job = [=] { return d->service.List(p, id); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               boost::json::array items;
               for (const auto& w : *r)
                 items.push_back(WebhookJson(w));
               co_return http::JsonResponse(http::Status::ok, {{"items", std::move(items)}});
             });

  router.Add(http::Method::get, "/api/chatbots/:id/webhooks/:webhook_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               auto job = [=] { return d->service.Get(p, id, hook); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::ok, WebhookJson(*r));
             });

  router.Add(http::Method::put, "/api/chatbots/:id/webhooks/:webhook_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto body = http::ReadBody(ctx.request, d->validator, "update_webhook_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               auto in = InputFrom(*body);
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               auto job = [=] { return d->service.Update(p, id, hook, in, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::ok, WebhookJson(*r));
             });

  router.Add(http::Method::delete_, "/api/chatbots/:id/webhooks/:webhook_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               auto job = [=] { return d->service.Delete(p, id, hook, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return Response{http::Status::no_content, 11};
             });

  router.Add(http::Method::post, "/api/chatbots/:id/webhooks/:webhook_id/rotate-secret",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               auto job = [=] { return d->service.RotateSecret(p, id, hook, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::ok, WithSecret(*r));
             });

  router.Add(http::Method::post, "/api/chatbots/:id/webhooks/:webhook_id/test",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               auto job = [=] { return d->service.SendTest(p, id, hook); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::accepted, DeliveryJson(*r));
             });

  router.Add(http::Method::get, "/api/chatbots/:id/webhooks/:webhook_id/deliveries",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto page = http::ReadPageParams(ctx.query, 100);
               if (!page.ok()) co_return Fail(ctx, page.error());
               auto p = *who;
               int limit = page->limit;
               std::string id(ctx.Param("id"));
               std::string hook(ctx.Param("webhook_id"));
               auto job = [=] { return d->service.Deliveries(p, id, hook, limit); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               boost::json::array items;
               for (const auto& x : *r)
                 items.push_back(DeliveryJson(x));
               co_return http::JsonResponse(http::Status::ok, {{"items", std::move(items)}});
             });
}

}  // namespace studybot::webhooks
