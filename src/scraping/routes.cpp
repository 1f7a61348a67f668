#include "scraping/routes.h"

#include "auth/admin_call.h"
#include "scraping/crawl_job.h"

namespace studybot::scraping {
namespace {

namespace asio = boost::asio;
using auth::Principal;
using http::RequestContext;
using http::Response;

// The chatbot_id query parameter: required or optional, at most 64 characters.
Result<std::string> ChatbotParam(const RequestContext& ctx, bool required) {
  auto id = http::QueryParam(ctx.query, "chatbot_id");
  if (!id || id->empty()) {
    if (!required) return std::string();
    return Error::InvalidArgument("chatbot_id is required", {{"/chatbot_id", "required"}});
  }
  if (id->size() > 64) {
    return Error::InvalidArgument("chatbot_id is too long", {{"/chatbot_id", "at most 64"}});
  }
  return *id;
}

Response StatusJson(const ScrapingStatus& s) {
  boost::json::array jobs;
  for (const auto& j : s.jobs)
    jobs.push_back(JobJson(j));
  bool running = !s.jobs.empty() && (s.jobs[0].status == "queued" || s.jobs[0].status == "running");
  return http::JsonResponse(http::Status::ok, {{"chatbot_id", s.chatbot_id},
                                               {"pages", s.pages},
                                               {"sources", s.sources},
                                               {"running", running},
                                               {"jobs", std::move(jobs)}});
}

}  // namespace

void RegisterScrapingRoutes(http::Router& router, const ScrapingRoutesDeps& deps) {
  const ScrapingRoutesDeps* d = &deps;

  router.Add(http::Method::get, "/api/scraping/urls",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto bot = ChatbotParam(ctx, false);
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, bot](const Principal& p) -> Result<std::vector<Source>> {
                     if (!bot.ok()) return bot.error();
                     return d->service.ListSources(p, *bot);
                   },
                   [](const std::vector<Source>& sources) {
                     boost::json::array items;
                     for (const auto& s : sources)
                       items.push_back(SourceJson(s));
                     return http::JsonResponse(http::Status::ok, {{"items", std::move(items)}});
                   });
             });

  router.Add(http::Method::post, "/api/scraping/urls",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto client = auth::ClientOf(ctx);
               return auth::AdminCallWithBody(
                   d->guard, d->workers, d->validator, ctx, "create_scraping_url_request",
                   auth::NoResourceCheck{},
                   [d, client](const Principal& p, const boost::json::object& body) {
                     NewSource in;
                     in.chatbot_id = body.at("chatbot_id").as_string();
                     in.url = body.at("url").as_string();
                     if (auto* v = body.if_contains("max_pages")) in.max_pages = v->as_int64();
                     if (auto* v = body.if_contains("max_depth")) in.max_depth = v->as_int64();
                     if (auto* v = body.if_contains("recrawl_hours")) {
                       in.recrawl_hours = v->as_int64();
                     }
                     return d->service.AddSource(p, in, client);
                   },
                   [](const Source& s) {
                     return http::JsonResponse(http::Status::created, SourceJson(s));
                   });
             });

  router.Add(
      http::Method::delete_, "/api/scraping/urls/:id",
      [d](RequestContext& ctx) -> asio::awaitable<Response> {
        auto client = auth::ClientOf(ctx);
        std::string id(ctx.Param("id"));
        return auth::AdminCall(
            d->guard, d->workers, ctx,
            [d, client, id](const Principal& p) { return d->service.DeleteSource(p, id, client); },
            [] {
              return Response{http::Status::no_content, 11};
            });
      });

  router.Add(
      http::Method::post, "/api/scraping/trigger",
      [d](RequestContext& ctx) -> asio::awaitable<Response> {
        auto client = auth::ClientOf(ctx);
        return auth::AdminCallWithBody(
            d->guard, d->workers, d->validator, ctx, "trigger_scraping_request",
            auth::NoResourceCheck{},
            [d, client](const Principal& p, const boost::json::object& body) {
              std::string source;
              if (auto* v = body.if_contains("source_id")) source = v->as_string();
              return d->service.Trigger(p, std::string(body.at("chatbot_id").as_string()), source,
                                        client);
            },
            [](const Job& j) { return http::JsonResponse(http::Status::accepted, JobJson(j)); });
      });

  router.Add(http::Method::get, "/api/scraping/status",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto bot = ChatbotParam(ctx, true);
               return auth::AdminCall(
                   d->guard, d->workers, ctx,
                   [d, bot](const Principal& p) -> Result<ScrapingStatus> {
                     if (!bot.ok()) return bot.error();
                     return d->service.GetStatus(p, *bot);
                   },
                   StatusJson);
             });
}

}  // namespace studybot::scraping
