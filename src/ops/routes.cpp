#include "ops/routes.h"

#include "http/responses.h"

namespace studybot::ops {
namespace {

namespace asio = boost::asio;
using http::RequestContext;
using http::Response;

// Whole seconds: an integer reads better than Boost.JSON's exponent form of small doubles.
int64_t UptimeSeconds(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                          started)
      .count();
}

}  // namespace

void RegisterOpsRoutes(http::Router& router, const OpsDeps& deps) {
  const OpsDeps* d = &deps;

  router.Add(http::Method::get, "/health", [d](RequestContext&) -> asio::awaitable<Response> {
    co_return http::JsonResponse(http::Status::ok, {{"status", "ok"},
                                                    {"version", STUDYBOT_VERSION},
                                                    {"uptime_seconds", UptimeSeconds(d->started)}});
  });

  router.Add(http::Method::get, "/ready", [d](RequestContext& ctx) -> asio::awaitable<Response> {
    boost::json::object checks;
    boost::json::array failed;
    for (DependencyCheck* check : d->checks) {
      auto job = [check] { return check->Check(); };
      auto r = co_await d->workers.Run(job);
      if (r.ok()) {
        auto o = std::move(r).value();
        if (!o.contains("status")) o["status"] = "ok";
        checks[check->name()] = std::move(o);
      } else {
        // The reason goes to the log; the response names only what failed.
        ctx.log.Warn("readiness check failed",
                     {{"check", check->name()}, {"error", r.error().message}});
        checks[check->name()] = {{"status", "failed"}, {"error", ErrorCodeName(r.error().code)}};
        failed.push_back(boost::json::string(check->name()));
      }
    }
    bool ok = failed.empty();
    boost::json::object body{{"status", ok ? "ready" : "not_ready"}, {"checks", std::move(checks)}};
    if (!ok) body["failed"] = std::move(failed);
    co_return http::JsonResponse(ok ? http::Status::ok : http::Status::service_unavailable, body);
  });

  router.Add(http::Method::get, "/metrics", [d](RequestContext&) -> asio::awaitable<Response> {
    Response res{http::Status::ok, 11};
    res.set(http::bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.body() = d->metrics.Render();
    co_return res;
  });
}

}  // namespace studybot::ops
