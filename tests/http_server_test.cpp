// The HTTP core end to end: a real server on loopback, real sockets.
#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <atomic>
#include <future>
#include <sstream>
#include <thread>

#include "http/json_body.h"
#include "http/responses.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

namespace bhttp = boost::beast::http;
using bhttp::verb;

boost::json::value Json(const HttpResponse& r) {
  return boost::json::parse(r.body());
}

// The slow route holds its request until the test releases it.
std::atomic<bool> g_release_slow{false};

void AddTestRoutes(app::Application& app) {
  app.router().Add(verb::post, "/test/echo",
                   [](http::RequestContext& ctx) -> boost::asio::awaitable<http::Response> {
                     auto body = http::ParseJsonBody(ctx.request);
                     if (!body.ok()) co_return http::ErrorResponse(body.error(), ctx.request_id);
                     co_return http::JsonResponse(http::Status::ok, {{"echo", *body}});
                   });
  app.router().Add(verb::get, "/test/throw",
                   [](http::RequestContext&) -> boost::asio::awaitable<http::Response> {
                     throw std::runtime_error("boom: secret internals");
                     co_return http::Response{};
                   });
  app.router().Add(verb::get, "/test/slow",
                   [](http::RequestContext&) -> boost::asio::awaitable<http::Response> {
                     boost::asio::steady_timer t(co_await boost::asio::this_coro::executor);
                     while (!g_release_slow) {
                       t.expires_after(std::chrono::milliseconds(5));
                       co_await t.async_wait(boost::asio::use_awaitable);
                     }
                     co_return http::JsonResponse(http::Status::ok, {{"slow", true}});
                   });
}

TEST(HttpServerTest, HealthAnswersWithSecurityHeaders) {
  TestServer server;
  auto r = Request(server.port(), verb::get, "/health");
  EXPECT_EQ(r.result_int(), 200);
  auto j = Json(r);
  EXPECT_EQ(j.at("status").as_string(), "ok");
  EXPECT_EQ(j.at("version").as_string(), STUDYBOT_VERSION);
  EXPECT_TRUE(j.at("uptime_seconds").is_int64());
  EXPECT_EQ(r["Content-Type"], "application/json");
  EXPECT_NE(r["Content-Security-Policy"].find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(r["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(r["X-Frame-Options"], "DENY");
  EXPECT_EQ(r["Referrer-Policy"], "no-referrer");
  EXPECT_EQ(r["Cross-Origin-Resource-Policy"], "same-origin");
  EXPECT_EQ(r["Server"], "studybot");                   // no version
  EXPECT_TRUE(r["Strict-Transport-Security"].empty());  // plain HTTP, no trusted proxy
  EXPECT_EQ(r["X-Request-Id"].size(), 32u);
}

TEST(HttpServerTest, RequestIdIsEchoedWhenWellFormedAndOnTheAccessLog) {
  TestServer server;
  auto r = Request(server.port(), verb::get, "/health", {}, {{"X-Request-Id", "abc-123"}});
  EXPECT_EQ(r["X-Request-Id"], "abc-123");
  auto bad = Request(server.port(), verb::get, "/health", {}, {{"X-Request-Id", "a b\"<x>"}});
  EXPECT_NE(bad["X-Request-Id"], "a b\"<x>");
  EXPECT_EQ(bad["X-Request-Id"].size(), 32u);
  server.Stop();
  auto log = server.LogText();
  std::istringstream lines(log);
  std::string line;
  bool found = false;
  while (std::getline(lines, line)) {
    auto j = boost::json::parse(line).as_object();
    if (j.contains("request_id") && j.at("request_id").as_string() == "abc-123") {
      found = true;
      EXPECT_EQ(j.at("msg").as_string(), "request");
      EXPECT_EQ(j.at("method").as_string(), "GET");
      EXPECT_EQ(j.at("route").as_string(), "/health");
      EXPECT_EQ(j.at("status").as_int64(), 200);
      EXPECT_TRUE(j.at("bytes").is_number());
      EXPECT_TRUE(j.at("duration_us").is_int64());
      EXPECT_EQ(j.at("ip").as_string(), "127.0.0.1");
    }
  }
  EXPECT_TRUE(found) << log;
}

TEST(HttpServerTest, ReadyChecksTheDatabase) {
  TestServer server;
  auto r = Request(server.port(), verb::get, "/ready");
  ASSERT_EQ(r.result_int(), 200) << r.body();
  auto j = Json(r);
  EXPECT_EQ(j.at("status").as_string(), "ready");
  EXPECT_EQ(j.at("checks").at("database").at("status").as_string(), "ok");
  EXPECT_EQ(j.at("checks").at("database").at("dialect").as_string(), "sqlite");
  EXPECT_GE(j.at("checks").at("database").at("schema_version").as_int64(), 1);
}

TEST(HttpServerTest, MetricsInPrometheusFormat) {
  TestServer server;
  Request(server.port(), verb::get, "/health");
  Request(server.port(), verb::get, "/nope");
  auto r = Request(server.port(), verb::get, "/metrics");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_NE(r["Content-Type"].find("text/plain; version=0.0.4"), std::string::npos);
  const auto& b = r.body();
  EXPECT_NE(
      b.find("studybot_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1"),
      std::string::npos)
      << b;
  EXPECT_NE(b.find("route=\"unmatched\",status=\"404\""), std::string::npos);
  EXPECT_NE(
      b.find("studybot_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 1"),
      std::string::npos);
  EXPECT_NE(b.find("studybot_http_requests_in_flight 1"), std::string::npos);
  EXPECT_NE(b.find("process_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(b.find("process_open_fds "), std::string::npos);
  EXPECT_NE(b.find("process_cpu_seconds_total "), std::string::npos);
  EXPECT_NE(b.find("studybot_build_info{version=\"" STUDYBOT_VERSION "\""), std::string::npos);
}

TEST(HttpServerTest, NotFoundMethodNotAllowedOptionsAndHead) {
  TestServer server;
  auto nf = Request(server.port(), verb::get, "/api/nothing-here");
  EXPECT_EQ(nf.result_int(), 404);
  auto j = Json(nf);
  EXPECT_EQ(j.at("error").at("code").as_string(), "not_found");
  EXPECT_TRUE(j.at("error").at("message").is_string());
  EXPECT_TRUE(j.at("error").at("details").is_array());

  auto na = Request(server.port(), verb::post, "/health", "{}");
  EXPECT_EQ(na.result_int(), 405);
  EXPECT_EQ(na["Allow"], "GET, HEAD, OPTIONS");
  EXPECT_EQ(Json(na).at("error").at("code").as_string(), "method_not_allowed");

  auto opt = Request(server.port(), verb::options, "/health");
  EXPECT_EQ(opt.result_int(), 204);
  EXPECT_EQ(opt["Allow"], "GET, HEAD, OPTIONS");

  auto head = Request(server.port(), verb::head, "/health");
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_TRUE(head.body().empty());
  EXPECT_NE(head["Content-Length"], "0");
}

TEST(HttpServerTest, CorsAllowsOnlyConfiguredOrigins) {
  TestServer server([](Config& c) { c.http.cors_origins = {"https://admin.example.com"}; });
  auto ok =
      Request(server.port(), verb::get, "/health", {}, {{"Origin", "https://admin.example.com"}});
  EXPECT_EQ(ok["Access-Control-Allow-Origin"], "https://admin.example.com");
  EXPECT_EQ(ok["Access-Control-Allow-Credentials"], "true");
  EXPECT_NE(ok["Vary"].find("Origin"), std::string::npos);

  auto other = Request(server.port(), verb::get, "/health", {}, {{"Origin", "https://evil.test"}});
  EXPECT_EQ(other.result_int(), 200);
  EXPECT_TRUE(other["Access-Control-Allow-Origin"].empty());

  auto pre = Request(server.port(), verb::options, "/health", {},
                     {{"Origin", "https://admin.example.com"},
                      {"Access-Control-Request-Method", "GET"},
                      {"Access-Control-Request-Headers", "Authorization, Content-Type"}});
  EXPECT_EQ(pre.result_int(), 204);
  EXPECT_EQ(pre["Access-Control-Allow-Origin"], "https://admin.example.com");
  EXPECT_EQ(pre["Access-Control-Allow-Methods"], "GET, HEAD, OPTIONS");
  EXPECT_EQ(pre["Access-Control-Allow-Headers"], "authorization, content-type");
  EXPECT_FALSE(pre["Access-Control-Max-Age"].empty());

  auto bad = Request(server.port(), verb::options, "/health", {},
                     {{"Origin", "https://evil.test"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(bad.result_int(), 403);
  EXPECT_TRUE(bad["Access-Control-Allow-Origin"].empty());
  auto bad_method = Request(
      server.port(), verb::options, "/health", {},
      {{"Origin", "https://admin.example.com"}, {"Access-Control-Request-Method", "DELETE"}});
  EXPECT_EQ(bad_method.result_int(), 403);
}

TEST(HttpServerTest, ForwardedHeadersOnlyFromTrustedProxies) {
  {
    TestServer server;  // no trusted proxy: X-Forwarded-* ignored
    auto r = Request(server.port(), verb::get, "/health", {},
                     {{"X-Forwarded-For", "203.0.113.9"}, {"X-Forwarded-Proto", "https"}});
    EXPECT_TRUE(r["Strict-Transport-Security"].empty());
    server.Stop();
    EXPECT_EQ(server.LogText().find("203.0.113.9"), std::string::npos);
  }
  {
    TestServer server([](Config& c) { c.http.trusted_proxies = {"127.0.0.0/8"}; });
    auto r = Request(server.port(), verb::get, "/health", {},
                     {{"X-Forwarded-For", "198.51.100.7, 203.0.113.9, 127.0.0.5"},
                      {"X-Forwarded-Proto", "https"}});
    EXPECT_NE(r["Strict-Transport-Security"].find("max-age="), std::string::npos);
    server.Stop();
    auto log = server.LogText();
    EXPECT_NE(log.find("\"ip\":\"203.0.113.9\""), std::string::npos) << log;
  }
}

TEST(HttpServerTest, HandlerExceptionIsA500WithRequestIdAndTheServerKeepsServing) {
  TestServer server({}, AddTestRoutes);
  auto r = Request(server.port(), verb::get, "/test/throw", {}, {{"X-Request-Id", "req-500"}});
  EXPECT_EQ(r.result_int(), 500);
  auto j = Json(r);
  EXPECT_EQ(j.at("error").at("code").as_string(), "internal");
  EXPECT_EQ(j.at("error").at("request_id").as_string(), "req-500");
  EXPECT_EQ(r.body().find("secret internals"), std::string::npos);  // not shown to the client
  EXPECT_EQ(Request(server.port(), verb::get, "/health").result_int(), 200);
  server.Stop();
  auto log = server.LogText();
  EXPECT_NE(log.find("handler threw"), std::string::npos);
  EXPECT_NE(log.find("boom: secret internals"), std::string::npos);  // but logged
}

TEST(HttpServerTest, JsonBodies) {
  TestServer server({}, AddTestRoutes);
  auto ok = Request(server.port(), verb::post, "/test/echo", R"({"a":[1,2,"é"]})");
  EXPECT_EQ(ok.result_int(), 200);
  EXPECT_EQ(Json(ok).at("echo").at("a").as_array().size(), 3u);

  auto wrong_type = Request(server.port(), verb::post, "/test/echo", "a=1",
                            {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(wrong_type.result_int(), 415);
  EXPECT_EQ(Json(wrong_type).at("error").at("code").as_string(), "unsupported_media_type");

  auto bad = Request(server.port(), verb::post, "/test/echo", "{\n\"a\": [1,}");
  EXPECT_EQ(bad.result_int(), 400);
  EXPECT_EQ(Json(bad).at("error").at("code").as_string(), "malformed_json");
  EXPECT_NE(Json(bad).at("error").at("message").as_string().find("line 2"), std::string::npos);
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestServer server;
  RawClient c(server.port());
  for (int i = 0; i < 3; ++i) {
    c.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.Read();
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->result_int(), 200);
    EXPECT_TRUE(r->keep_alive());
  }
  c.Send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->keep_alive());
  EXPECT_TRUE(c.WaitClosed());
}

TEST(HttpServerTest, ShutdownLetsInFlightRequestsFinish) {
  g_release_slow = false;
  TestServer server({}, AddTestRoutes);
  RawClient idle(server.port());  // an idle keep-alive connection must not hold shutdown up
  idle.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(idle.Read().has_value());

  RawClient busy(server.port());
  busy.Send("GET /test/slow HTTP/1.1\r\nHost: x\r\n\r\n");
  // Wait until the slow request is in flight (visible in the metrics) before shutting down.
  for (;;) {
    auto m = Request(server.port(), verb::get, "/metrics").body();
    if (m.find("studybot_http_requests_in_flight 2") != std::string::npos) break;
    std::this_thread::yield();
  }
  auto stopped = std::async(std::launch::async, [&] { server.Stop(); });
  // Shutdown has begun (the idle connection gets closed) while the slow request is still held.
  EXPECT_TRUE(idle.WaitClosed());
  g_release_slow = true;
  auto r = busy.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->result_int(), 200);
  EXPECT_FALSE(r->keep_alive());  // draining: the connection closes after the response
  stopped.get();
}

}  // namespace
}  // namespace studybot::testing
