#include "chatbots/api_key_routes.h"

#include "http/request_body.h"
#include "http/responses.h"

namespace studybot::chatbots {
namespace {

namespace asio = boost::asio;
using http::Fail;
using http::RequestContext;
using http::Response;

}  // namespace

void RegisterApiKeyRoutes(http::Router& router, const ApiKeyRoutesDeps& deps) {
  const ApiKeyRoutesDeps* d = &deps;

  router.Add(http::Method::post, "/api/chatbots/:id/api-keys",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto body = http::ReadBody(ctx.request, d->validator, "create_api_key_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               NewApiKey in;
               in.name = std::string(body->at("name").as_string());
               in.kind = std::string(body->at("kind").as_string());
               if (auto* e = body->if_contains("expires_at"))
                 in.expires_at = std::string(e->as_string());
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               auto job = [=] { return d->keys.Create(p, id, in, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               auto body_out = ApiKeyJson(r->key);
               body_out["key"] = r->plaintext;  // the only time the full key is shown
               co_return http::JsonResponse(http::Status::created, body_out);
             });

  router.Add(http::Method::get, "/api/chatbots/:id/api-keys",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               std::string id(ctx.Param("id"));
               auto job = [=] { return d->keys.List(p, id); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               boost::json::array items;
               for (const auto& k : *r)
                 items.push_back(ApiKeyJson(k));
               co_return http::JsonResponse(http::Status::ok, {{"items", std::move(items)}});
             });

  router.Add(http::Method::delete_, "/api/chatbots/:id/api-keys/:key_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               std::string key_id(ctx.Param("key_id"));
               auto job = [=] { return d->keys.Revoke(p, id, key_id, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return Response{http::Status::no_content, 11};
             });
}

}  // namespace studybot::chatbots
