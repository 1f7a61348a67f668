#include "outbound/curl_stream_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "slow_stream_server.h"

namespace studybot::outbound {
namespace {

using studybot::testing::SlowStreamServer;
using studybot::testing::StreamExchange;
using studybot::testing::StreamPlan;
using studybot::testing::WaitFor;
using namespace std::chrono_literals;

// Records every call and checks the order the contract promises.
class Recorder final : public StreamHandler {
 public:
  bool OnHead(const HttpResponse& head) override {
    std::lock_guard lock(mu_);
    Note();
    if (heads_ != 0) order_broken_ = true;
    ++heads_;
    head_ = head;
    return stop_at_head_ ? false : true;
  }
  bool OnData(std::string_view bytes) override {
    std::lock_guard lock(mu_);
    Note();
    if (heads_ != 1 || bytes.empty()) order_broken_ = true;
    body_.append(bytes);
    ++pieces_;
    return stop_after_pieces_ == 0 || pieces_ < stop_after_pieces_;
  }
  void OnDone(Status status) override {
    std::function<void()> then;
    {
      std::lock_guard lock(mu_);
      Note();
      ++dones_;
      status_ = std::move(status);
      then = std::move(on_done_);
    }
    if (then) then();
    cv_.notify_all();
  }

  // Waits for OnDone (a failure guard: 20 s).
  bool WaitDone() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 20s, [&] { return dones_ > 0; });
  }
  bool ok() {
    std::lock_guard lock(mu_);
    return dones_ == 1 && status_.ok();
  }
  ErrorCode code() {
    std::lock_guard lock(mu_);
    return status_.ok() ? ErrorCode::kInternal : status_.error().code;
  }
  std::string message() {
    std::lock_guard lock(mu_);
    return status_.ok() ? "ok" : status_.error().message;
  }
  std::string body() {
    std::lock_guard lock(mu_);
    return body_;
  }
  HttpResponse head() {
    std::lock_guard lock(mu_);
    return head_;
  }
  int heads() {
    std::lock_guard lock(mu_);
    return heads_;
  }
  int pieces() {
    std::lock_guard lock(mu_);
    return pieces_;
  }
  int dones() {
    std::lock_guard lock(mu_);
    return dones_;
  }
  bool order_broken() {
    std::lock_guard lock(mu_);
    return order_broken_;
  }
  std::set<std::thread::id> threads() {
    std::lock_guard lock(mu_);
    return threads_;
  }

  bool stop_at_head_ = false;
  int stop_after_pieces_ = 0;  // 0: never
  std::function<void()> on_done_;

 private:
  void Note() {
    threads_.insert(std::this_thread::get_id());
    if (dones_ != 0) order_broken_ = true;  // nothing may follow OnDone
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int heads_ = 0;
  int pieces_ = 0;
  int dones_ = 0;
  bool order_broken_ = false;
  HttpResponse head_;
  std::string body_;
  Status status_;
  std::set<std::thread::id> threads_;
};

HttpClientOptions AllowLoopback() {
  HttpClientOptions options;
  options.addresses.allow_private = true;
  return options;
}

StreamRequest Get(const std::string& url) {
  StreamRequest request;
  request.http.url = url;
  request.http.timeout = 60s;
  return request;
}

StreamPlan Pieces(std::vector<std::string> pieces) {
  StreamPlan plan;
  plan.pieces = std::move(pieces);
  return plan;
}

// Accepts the request and never answers.
StreamPlan Silent() {
  StreamPlan plan;
  plan.head.clear();
  return plan;
}

// A stream that never ends by itself: a piece every 20 ms.
StreamPlan Endless() {
  StreamPlan plan = Pieces({"data: tick\n\n"});
  plan.delay = 20ms;
  plan.repeat_forever = true;
  return plan;
}

TEST(CurlStreamClientTest, StreamsPiecesAsTheyArrive) {
  auto handler = std::make_shared<Recorder>();
  // Piece i leaves the server only after the client has handed piece i-1 over: the body is
  // delivered while the server is still sending it.
  SlowStreamServer server([&](const StreamExchange&) {
    StreamPlan plan =
        Pieces({"data: one\n\n", "data: two\n\n", "data: three\n\n", "data: four\n\n"});
    plan.gate = [&](std::size_t i) { return handler->pieces() >= static_cast<int>(i); };
    return plan;
  });
  CurlStreamClient client(AllowLoopback());
  client.Start(Get(server.url("/stream")), handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_TRUE(handler->ok()) << handler->message();
  EXPECT_EQ(handler->heads(), 1);
  EXPECT_EQ(handler->pieces(), 4);
  EXPECT_EQ(handler->body(), "data: one\n\ndata: two\n\ndata: three\n\ndata: four\n\n");
  HttpResponse head = handler->head();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.content_type, "text/event-stream");
  EXPECT_EQ(head.Header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(head.final_url, server.url("/stream"));
  EXPECT_TRUE(head.body.empty());
  EXPECT_FALSE(handler->order_broken());
  ASSERT_EQ(handler->threads().size(), 1u);
  EXPECT_NE(*handler->threads().begin(), std::this_thread::get_id());
}

TEST(CurlStreamClientTest, ManyConcurrentSlowStreamsOnOneThread) {
  constexpr int kStreams = 200;
  std::atomic<int> requests{0};
  // The last piece of every stream waits until all streams have been requested, so they are all
  // open at once.
  SlowStreamServer server([&](const StreamExchange& ex) {
    ++requests;
    StreamPlan plan = Pieces({"a", "b", ex.target});
    plan.delay = 10ms;
    plan.gate = [&](std::size_t i) { return i < 2 || requests >= kStreams; };
    return plan;
  });
  CurlStreamClient client(AllowLoopback());
  std::vector<std::shared_ptr<Recorder>> handlers;
  for (int i = 0; i < kStreams; ++i) {
    handlers.push_back(std::make_shared<Recorder>());
    client.Start(Get(server.url("/s" + std::to_string(i))), handlers.back(), nullptr);
  }
  std::set<std::thread::id> threads;
  for (int i = 0; i < kStreams; ++i) {
    ASSERT_TRUE(handlers[i]->WaitDone()) << i;
    EXPECT_TRUE(handlers[i]->ok()) << i << ": " << handlers[i]->message();
    EXPECT_EQ(handlers[i]->body(), "ab/s" + std::to_string(i));
    EXPECT_FALSE(handlers[i]->order_broken());
    for (std::thread::id id : handlers[i]->threads())
      threads.insert(id);
  }
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_GE(server.accepted(), static_cast<std::size_t>(kStreams));
}

TEST(CurlStreamClientTest, CancelMidStreamClosesTheConnection) {
  SlowStreamServer server([](const StreamExchange&) { return Endless(); });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  auto cancel = std::make_shared<Cancellation>();
  client.Start(Get(server.url("/endless")), handler, cancel);
  ASSERT_TRUE(WaitFor([&] { return handler->pieces() >= 2; }));
  cancel->Cancel();
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_EQ(handler->code(), ErrorCode::kCancelled);
  // The server, still streaming, sees the connection closed (failure guard: 5 s).
  EXPECT_TRUE(WaitFor([&] { return server.closed_by_client() == 1; }, 5s));
  cancel->Cancel();  // again, after the end: nothing happens
  EXPECT_EQ(handler->dones(), 1);
  EXPECT_FALSE(handler->order_broken());
}

TEST(CurlStreamClientTest, CancelWhileWaitingForTheHead) {
  SlowStreamServer server([](const StreamExchange&) { return Silent(); });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  auto cancel = std::make_shared<Cancellation>();
  client.Start(Get(server.url("/silent")), handler, cancel);
  ASSERT_TRUE(WaitFor([&] { return server.Exchanges().size() == 1; }));
  cancel->Cancel();
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_EQ(handler->code(), ErrorCode::kCancelled);
  EXPECT_EQ(handler->heads(), 0);
  EXPECT_TRUE(WaitFor([&] { return server.closed_by_client() == 1; }, 5s));
}

TEST(CurlStreamClientTest, CancelBeforeStartSendsNothing) {
  SlowStreamServer server([](const StreamExchange&) { return Pieces({"x"}); });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  auto cancel = std::make_shared<Cancellation>();
  cancel->Cancel();
  client.Start(Get(server.url("/x")), handler, cancel);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_EQ(handler->code(), ErrorCode::kCancelled);
  EXPECT_EQ(handler->heads(), 0);
  EXPECT_EQ(server.accepted(), 0u);
}

TEST(CurlStreamClientTest, CancelRacingCompletionEndsEachExchangeOnce) {
  SlowStreamServer server([](const StreamExchange&) { return Pieces({"quick"}); });
  CurlStreamClient client(AllowLoopback());
  std::vector<std::shared_ptr<Recorder>> handlers;
  std::vector<std::shared_ptr<Cancellation>> cancels;
  for (int i = 0; i < 100; ++i) {
    handlers.push_back(std::make_shared<Recorder>());
    cancels.push_back(std::make_shared<Cancellation>());
    client.Start(Get(server.url("/q")), handlers.back(), cancels.back());
    if (i % 3 != 0) cancels.back()->Cancel();
  }
  std::thread late([&] {
    for (auto& c : cancels)
      c->Cancel();
  });
  for (auto& h : handlers) {
    ASSERT_TRUE(h->WaitDone());
    EXPECT_TRUE(h->ok() || h->code() == ErrorCode::kCancelled) << h->message();
  }
  late.join();
  for (auto& h : handlers) {
    EXPECT_EQ(h->dones(), 1);
    EXPECT_FALSE(h->order_broken());
  }
}

TEST(CurlStreamClientTest, HeadTimeoutIsUnavailable) {
  SlowStreamServer server([](const StreamExchange&) { return Silent(); });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  StreamRequest request = Get(server.url("/silent"));
  request.head_timeout = 200ms;
  client.Start(request, handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_EQ(handler->code(), ErrorCode::kUnavailable);
  EXPECT_NE(handler->message().find("timed out"), std::string::npos) << handler->message();
  EXPECT_EQ(handler->heads(), 0);
}

TEST(CurlStreamClientTest, IdleTimeoutIsUnavailable) {
  SlowStreamServer server([](const StreamExchange&) {
    StreamPlan plan = Pieces({"first"});
    plan.hang = true;
    return plan;
  });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  StreamRequest request = Get(server.url("/stalls"));
  request.idle_timeout = 200ms;
  client.Start(request, handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_EQ(handler->code(), ErrorCode::kUnavailable);
  EXPECT_NE(handler->message().find("timed out"), std::string::npos) << handler->message();
  EXPECT_EQ(handler->heads(), 1);
  EXPECT_EQ(handler->body(), "first");
  EXPECT_TRUE(WaitFor([&] { return server.closed_by_client() == 1; }, 5s));
}

TEST(CurlStreamClientTest, WholeTimeoutBoundsAnEndlessStream) {
  SlowStreamServer server([](const StreamExchange&) { return Endless(); });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  StreamRequest request = Get(server.url("/endless"));
  request.http.timeout = 300ms;
  client.Start(request, handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_EQ(handler->code(), ErrorCode::kUnavailable);
  EXPECT_NE(handler->message().find("timed out"), std::string::npos) << handler->message();
  EXPECT_TRUE(WaitFor([&] { return server.closed_by_client() == 1; }, 5s));
}

TEST(CurlStreamClientTest, PrivateAddressesFollowThePolicy) {
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

TEST(CurlStreamClientTest, InvalidRequestsSendNothing) {
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

TEST(CurlStreamClientTest, HandlerReturningFalseAborts) {
  SlowStreamServer server([](const StreamExchange&) { return Endless(); });
  CurlStreamClient client(AllowLoopback());
  auto at_head = std::make_shared<Recorder>();
  at_head->stop_at_head_ = true;
  client.Start(Get(server.url("/a")), at_head, nullptr);
  ASSERT_TRUE(at_head->WaitDone());
  EXPECT_EQ(at_head->code(), ErrorCode::kCancelled);
  EXPECT_EQ(at_head->pieces(), 0);

  auto at_data = std::make_shared<Recorder>();
  at_data->stop_after_pieces_ = 2;
  client.Start(Get(server.url("/b")), at_data, nullptr);
  ASSERT_TRUE(at_data->WaitDone());
  EXPECT_EQ(at_data->code(), ErrorCode::kCancelled);
  EXPECT_EQ(at_data->pieces(), 2);
  EXPECT_FALSE(at_data->order_broken());
  EXPECT_TRUE(WaitFor([&] { return server.closed_by_client() == 2; }, 5s));
}

StreamPlan Redirect(const std::string& location) {
  StreamPlan plan;
  plan.head = "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 5\r\n";
  plan.chunked = false;
  plan.pieces = {"moved"};
  return plan;
}

TEST(CurlStreamClientTest, FollowsRedirectsAndReportsOnlyTheFinalHead) {
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

TEST(CurlStreamClientTest, CredentialsAreNotForwardedToAnotherHost) {
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

TEST(CurlStreamClientTest, ErrorStatusesAreResponses) {
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

TEST(CurlStreamClientTest, EmptyBodyGetsHeadThenDone) {
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

TEST(CurlStreamClientTest, BrokenBodyIsUnavailable) {
  SlowStreamServer server([](const StreamExchange&) {
    StreamPlan plan;
    plan.head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n";
    plan.chunked = false;
    plan.pieces = {"only part of it"};
    plan.close_after = true;
    return plan;
  });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  client.Start(Get(server.url("/broken")), handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_EQ(handler->code(), ErrorCode::kUnavailable) << handler->message();
  EXPECT_EQ(handler->body(), "only part of it");
}

TEST(CurlStreamClientTest, BodyOverTheCapIsPayloadTooLarge) {
  SlowStreamServer server([](const StreamExchange&) { return Endless(); });
  CurlStreamClient client(AllowLoopback());
  auto handler = std::make_shared<Recorder>();
  StreamRequest request = Get(server.url("/endless"));
  request.http.max_body_bytes = 30;
  client.Start(request, handler, nullptr);
  ASSERT_TRUE(handler->WaitDone());
  EXPECT_EQ(handler->code(), ErrorCode::kPayloadTooLarge) << handler->message();
  EXPECT_LE(handler->body().size(), 30u);
  EXPECT_TRUE(WaitFor([&] { return server.closed_by_client() == 1; }, 5s));
}

TEST(CurlStreamClientTest, AcceptEncodingOnlyWhenAskedAndGzipDecoded) {
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

TEST(CurlStreamClientTest, PostsTheBodyAndReusesTheConnection) {
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

TEST(CurlStreamClientTest, DestructorAbortsTransfersInFlight) {
  SlowStreamServer server([](const StreamExchange&) {
    StreamPlan plan = Pieces({"started"});
    plan.hang = true;
    return plan;
  });
  std::vector<std::shared_ptr<Recorder>> handlers;
  {
    CurlStreamClient client(AllowLoopback());
    for (int i = 0; i < 5; ++i) {
      handlers.push_back(std::make_shared<Recorder>());
      client.Start(Get(server.url("/hang")), handlers.back(), nullptr);
    }
    for (auto& h : handlers)
      ASSERT_TRUE(WaitFor([&] { return h->pieces() == 1; }));
  }
  for (auto& h : handlers) {
    EXPECT_EQ(h->dones(), 1);
    EXPECT_EQ(h->code(), ErrorCode::kCancelled);
    EXPECT_NE(h->message().find("shutting down"), std::string::npos) << h->message();
  }
  EXPECT_TRUE(WaitFor([&] { return server.closed_by_client() == 5; }, 5s));
}

TEST(CurlStreamClientTest, StartDuringShutdownIsCancelled) {
  SlowStreamServer server([](const StreamExchange&) { return Silent(); });
  auto first = std::make_shared<Recorder>();
  auto second = std::make_shared<Recorder>();
  {
    CurlStreamClient client(AllowLoopback());
    // A handler that retries from OnDone, as a caller might, while the client shuts down.
    first->on_done_ = [&] { client.Start(Get(server.url("/retry")), second, nullptr); };
    client.Start(Get(server.url("/first")), first, nullptr);
    ASSERT_TRUE(WaitFor([&] { return server.Exchanges().size() == 1; }));
  }
  EXPECT_EQ(first->code(), ErrorCode::kCancelled);
  EXPECT_EQ(second->dones(), 1);
  EXPECT_EQ(second->code(), ErrorCode::kCancelled);
  EXPECT_EQ(server.Exchanges().size(), 1u);
}

}  // namespace
}  // namespace studybot::outbound
