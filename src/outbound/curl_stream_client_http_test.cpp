// HTTP semantics of CurlStreamClient: the SSRF policy, validation, redirects, statuses, encodings.
#include "outbound/curl_stream_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "slow_stream_server.h"
#include "stream_recorder.h"

namespace studybot::outbound {
namespace {

using namespace studybot::testing;
using namespace std::chrono_literals;

TEST(CurlStreamClientHttpTest, PrivateAddressesFollowThePolicy) {
  SlowStreamServer server([](const StreamExchange&) { return Pieces({"local"}); });
  {
    CurlStreamClient client(HttpClientOptions{});  // allow_private = false
    auto handler = std::make_shared<Recorder>();
    client.Start(Get(server.url("/x")), handler, nullptr);
    ASSERT_TRUE(handler->WaitDone());
    EXPECT_EQ(handler->code(), ErrorCode::kPermissionDenied) << handler->message();
    EXPECT_EQ(server.accepted(), 0u);
  }
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  client.Start(Get(server.url("/x")), handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_TRUE(handler->ok()) << handler->message();
  EXPECT_EQ(handler->body(), "local");
}

TEST(CurlStreamClientHttpTest, InvalidRequestsSendNothing) {
  SlowStreamServer server([](const StreamExchange&) { return Pieces({"x"}); });
  CurlStreamClient client(AllowLoopback());
  std::vector<std::function<void(StreamRequest&)>> breakages = {
      [](StreamRequest& r) { r.http.url = "/relative"; },
      [](StreamRequest& r) { r.http.url = "ftp://127.0.0.1/file"; },
      [](StreamRequest& r) { r.http.method = "G ET"; },
      [](StreamRequest& r) {
        r.http.headers = {{"X-Bad", "a\r\nInjected: yes"}};
      },
      [](StreamRequest& r) { r.http.body = "a GET cannot carry this"; },
      [](StreamRequest& r) { r.http.timeout = 0ms; },
      [](StreamRequest& r) { r.http.max_redirects = -1; },
      [](StreamRequest& r) { r.head_timeout = 0ms; },
      [](StreamRequest& r) { r.idle_timeout = -1ms; },
  };
  for (std::size_t i = 0; i < breakages.size(); ++i) {
    StreamRequest request = Get(server.url("/x"));
    breakages[i](request);
    auto handler = std::make_shared<Recorder>();
    client.Start(request, handler, nullptr);
    ASSERT_TRUE(handler->WaitDone()) << i;
    EXPECT_EQ(handler->code(), ErrorCode::kInvalidArgument) << i << ": " << handler->message();
    EXPECT_EQ(handler->heads(), 0) << i;
  }
  EXPECT_EQ(server.accepted(), 0u);
}

TEST(CurlStreamClientHttpTest, FollowsRedirectsAndReportsOnlyTheFinalHead) {
  SlowStreamServer server([](const StreamExchange& ex) {
    if (ex.target == "/start") return Redirect("/final");
    return Pieces({"arrived"});
  });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  StreamRequest request = Get(server.url("/start"));
  request.http.headers = {{"Authorization", "Bearer same-host"}};
  client.Start(request, handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_TRUE(handler->ok()) << handler->message();
  EXPECT_EQ(handler->heads(), 1);
  EXPECT_EQ(handler->head().status, 200);
  EXPECT_EQ(handler->head().final_url, server.url("/final"));
  EXPECT_FALSE(handler->head().Header("location").has_value());
  EXPECT_EQ(handler->body(), "arrived");
  std::vector<StreamExchange> seen = server.Exchanges();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].Header("authorization"), "Bearer same-host");
}

TEST(CurlStreamClientHttpTest, ZeroMaxRedirectsDeliversTheRedirect) {
  SlowStreamServer server([](const StreamExchange&) { return Redirect("/final"); });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  StreamRequest request = Get(server.url("/start"));
  request.http.max_redirects = 0;
  client.Start(request, handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_TRUE(handler->ok()) << handler->message();
  EXPECT_EQ(handler->head().status, 302);
  EXPECT_EQ(handler->head().Header("location"), "/final");
  EXPECT_EQ(handler->body(), "moved");
  EXPECT_EQ(server.Exchanges().size(), 1u);
}

TEST(CurlStreamClientHttpTest, InterimResponsesAreSkipped) {
  SlowStreamServer server([](const StreamExchange&) {
    StreamPlan plan = Pieces({"final"});
    plan.head =
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";
    return plan;
  });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  client.Start(Get(server.url("/hints")), handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_TRUE(handler->ok()) << handler->message();
  EXPECT_EQ(handler->heads(), 1);
  EXPECT_EQ(handler->head().status, 200);
  EXPECT_FALSE(handler->head().Header("link").has_value());
  EXPECT_EQ(handler->body(), "final");
}

TEST(CurlStreamClientHttpTest, CredentialsAreNotForwardedToAnotherHost) {
  std::string other_host;
  SlowStreamServer server([&](const StreamExchange& ex) {
    if (ex.target == "/start") return Redirect(other_host);
    return Pieces({"arrived"});
  });
  other_host = "http://localhost:" + std::to_string(server.port()) + "/final";
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  StreamRequest request = Get(server.url("/start"));
  request.http.headers = {{"Authorization", "Bearer secret"}, {"Cookie", "session=secret"}};
  client.Start(request, handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  ASSERT_TRUE(handler->ok()) << handler->message();
  std::vector<StreamExchange> seen = server.Exchanges();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].Header("authorization"), "Bearer secret");
  EXPECT_EQ(seen[1].Header("authorization"), "");
  EXPECT_EQ(seen[1].Header("cookie"), "");
}

TEST(CurlStreamClientHttpTest, ErrorStatusesAreResponses) {
  SlowStreamServer server([](const StreamExchange& ex) {
    StreamPlan plan = Pieces({"{\"error\":", "\"" + ex.target + "\"}"});
    plan.head = ex.target == "/missing" ? "HTTP/1.1 404 Not Found\r\n"
                                        : "HTTP/1.1 503 Service Unavailable\r\n";
    plan.head += "Content-Type: application/json; charset=utf-8\r\n";
    return plan;
  });
  CurlStreamClient client(AllowLoopback());
  for (const auto& [path, status] :
       {std::pair<std::string, long>{"/missing", 404}, {"/busy", 503}}) {
    auto handler = std::make_shared<Recorder>();
    client.Start(Get(server.url(path)), handler, nullptr);
    ASSERT_TRUE(handler->WaitDone());
    EXPECT_TRUE(handler->ok()) << handler->message();
    EXPECT_EQ(handler->head().status, status);
    EXPECT_EQ(handler->head().content_type, "application/json");
    EXPECT_EQ(handler->body(), "{\"error\":\"" + path + "\"}");
  }
}

TEST(CurlStreamClientHttpTest, EmptyBodyGetsHeadThenDone) {
  SlowStreamServer server([](const StreamExchange&) {
    StreamPlan plan;
    plan.head = "HTTP/1.1 204 No Content\r\nX-Seen: yes\r\n";
    plan.chunked = false;
    return plan;
  });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  client.Start(Get(server.url("/empty")), handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_TRUE(handler->ok()) << handler->message();
  EXPECT_EQ(handler->heads(), 1);
  EXPECT_EQ(handler->head().status, 204);
  EXPECT_EQ(handler->head().Header("x-seen"), "yes");
  EXPECT_EQ(handler->pieces(), 0);
}

TEST(CurlStreamClientHttpTest, AcceptEncodingOnlyWhenAskedAndGzipDecoded) {
  static const unsigned char kCompressedStream[] = {
      0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x4b, 0xce, 0xcf,
      0x2d, 0x28, 0x4a, 0x2d, 0x2e, 0x4e, 0x4d, 0x51, 0x28, 0x2e, 0x29, 0x4a, 0x4d,
      0xcc, 0x05, 0x00, 0x17, 0x07, 0x40, 0xd6, 0x11, 0x00, 0x00, 0x00};
  SlowStreamServer server([](const StreamExchange& ex) {
    if (ex.Header("accept-encoding").empty()) return Pieces({"plain"});
    StreamPlan plan;
    plan.head = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n";
    plan.pieces = {std::string(std::begin(kCompressedStream), std::end(kCompressedStream))};
    return plan;
  });
  CurlStreamClient client(AllowLoopback());
  auto plain = std::make_shared<Recorder>();
  client.Start(Get(server.url("/plain")), plain, nullptr);
  ASSERT_TRUE(plain->WaitDone());
  EXPECT_EQ(plain->body(), "plain");

  auto gzip = std::make_shared<Recorder>();
  StreamRequest request = Get(server.url("/gzip"));
  request.http.headers = {{"Accept-Encoding", "gzip"}};
  client.Start(request, gzip, nullptr);
  ASSERT_TRUE(gzip->WaitDone());
  EXPECT_TRUE(gzip->ok()) << gzip->message();
  EXPECT_EQ(gzip->body(), "compressed stream");
  std::vector<StreamExchange> seen = server.Exchanges();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].Header("accept-encoding"), "");
  EXPECT_EQ(seen[1].Header("accept-encoding"), "gzip");
}

TEST(CurlStreamClientHttpTest, PostsTheBodyAndReusesTheConnection) {
  SlowStreamServer server(
      [](const StreamExchange& ex) { return Pieces({ex.method + " " + ex.body}); });
  CurlStreamClient client(AllowLoopback());
  for (int i = 0; i < 2; ++i) {
    auto handler = std::make_shared<Recorder>();
    StreamRequest request = Get(server.url("/v1/chat/completions"));
    request.http.method = "POST";
    request.http.body = "{\"stream\":true}";
    request.http.headers = {{"Content-Type", "application/json"}};
    client.Start(request, handler, nullptr);
    ASSERT_TRUE(handler->WaitDone());
    EXPECT_TRUE(handler->ok()) << handler->message();
    EXPECT_EQ(handler->body(), "POST {\"stream\":true}");
  }
  EXPECT_EQ(server.accepted(), 1u);
  EXPECT_EQ(server.Exchanges().at(0).Header("content-type"), "application/json");
}

}  // namespace
}  // namespace studybot::outbound
