#include "scraping/routes.h"

#include "http/request_body.h"
#include "http/responses.h"
#include "scraping/job_runner.h"

namespace studybot::scraping {
namespace {

namespace asio = boost::asio;
using http::Fail;
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

}  // namespace

void RegisterScrapingRoutes(http::Router& router, const ScrapingRoutesDeps& deps) {
  const ScrapingRoutesDeps* d = &deps;

  router.Add(http::Method::get, "/api/scraping/urls",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto bot = ChatbotParam(ctx, false);
               if (!bot.ok()) co_return Fail(ctx, bot.error());
               auto p = *who;
               auto id = *bot;
               auto job = [=] { return d->service.ListSources(p, id); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               boost::json::array items;
               for (const auto& s : *r)
                 items.push_back(SourceJson(s));
               co_return http::JsonResponse(http::Status::ok, {{"items", std::move(items)}});
             });

  router.Add(http::Method::post, "/api/scraping/urls",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto body = http::ReadBody(ctx.request, d->validator, "create_scraping_url_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               NewSource in;
               in.chatbot_id = body->at("chatbot_id").as_string();
               in.url = body->at("url").as_string();
               if (auto* v = body->if_contains("max_pages")) in.max_pages = v->as_int64();
               if (auto* v = body->if_contains("max_depth")) in.max_depth = v->as_int64();
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               auto job = [=] { return d->service.AddSource(p, in, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::created, SourceJson(*r));
             });

  router.Add(http::Method::delete_, "/api/scraping/urls/:id",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               std::string id(ctx.Param("id"));
               auto job = [=] { return d->service.DeleteSource(p, id, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return Response{http::Status::no_content, 11};
             });

  router.Add(http::Method::post, "/api/scraping/trigger",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto body = http::ReadBody(ctx.request, d->validator, "trigger_scraping_request");
               if (!body.ok()) co_return Fail(ctx, body.error());
               std::string bot(body->at("chatbot_id").as_string());
               std::string source;
               if (auto* v = body->if_contains("source_id")) source = v->as_string();
               auto p = *who;
               auto client = auth::ClientOf(ctx);
               auto job = [=] { return d->service.Trigger(p, bot, source, client); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               co_return http::JsonResponse(http::Status::accepted, JobJson(*r));
             });

  router.Add(http::Method::get, "/api/scraping/status",
             [d](RequestContext& ctx) -> asio::awaitable<Response> {
               auto who = co_await d->guard.Authenticate(ctx);
               if (!who.ok()) co_return Fail(ctx, who.error());
               auto bot = ChatbotParam(ctx, true);
               if (!bot.ok()) co_return Fail(ctx, bot.error());
               auto p = *who;
               auto id = *bot;
               auto job = [=] { return d->service.GetStatus(p, id); };
               auto r = co_await d->workers.Run(job);
               if (!r.ok()) co_return Fail(ctx, r.error());
               boost::json::array jobs;
               for (const auto& j : r->jobs)
                 jobs.push_back(JobJson(j));
               boost::json::object out{
                   {"chatbot_id", r->chatbot_id}, {"pages", r->pages}, {"sources", r->sources}};
               out["running"] = !r->jobs.empty() &&
                                (r->jobs[0].status == "queued" || r->jobs[0].status == "running");
               out["jobs"] = std::move(jobs);
               co_return http::JsonResponse(http::Status::ok, out);
             });
}

}  // namespace studybot::scraping
