#include "chatbots/api_key_routes.h"

#include "auth/admin_call.h"

namespace studybot::chatbots {
namespace {

namespace asio = boost::asio;
using auth::Principal;
using http::RequestContext;
using http::Response;

}  // namespace

void RegisterApiKeyRoutes(http::Router& router, const ApiKeyRoutesDeps& deps) {
  const ApiKeyRoutesDeps* d = &deps;

  router.Add(http::Method::post, "/api/chatbots/:id/api-keys",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               return auth::AdminCallWithBody(
                   d->guard, d->workers, d->validator, ctx, "create_api_key_request",
                   [d, id](const Principal& p) { return d->keys.CheckAccess(p, id); },
                   [d, client, id](const Principal& p, const boost::json::object& body) {
                     NewApiKey in;
                     in.name = std::string(body.at("name").as_string());
                     in.kind = std::string(body.at("kind").as_string());
                     if (auto* e = body.if_contains("expires_at"))
                       in.expires_at = std::string(e->as_string());
                     return d->keys.Create(p, id, in, client);
                   },
                   [](const CreatedApiKey& created) {
                     auto out = ApiKeyJson(created.key);
                     out["key"] = created.plaintext;  // the only time the full key is shown
                     return http::JsonResponse(http::Status::created, out);
                   });
             });

  router.Add(http::Method::get, "/api/chatbots/:id/api-keys",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               std::string id(ctx.Param("id"));
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, id](const Principal& p) { return d->keys.List(p, id); },
                   [](const std::vector<auth::ApiKey>& keys) {
                     boost::json::array items;
                     for (const auto& k : keys)
                       items.push_back(ApiKeyJson(k));
                     return http::JsonResponse(http::Status::ok, {{"items", std::move(items)}});
                   });
             });

  router.Add(http::Method::delete_, "/api/chatbots/:id/api-keys/:key_id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               std::string key_id(ctx.Param("key_id"));
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, client, id, key_id](const Principal& p) {
                     return d->keys.Revoke(p, id, key_id, client);
                   },
                   [] {
                     return Response{http::Status::no_content, 11};
                   });
             });
}

}  // namespace studybot::chatbots
