// Streaming, cancellation, timeouts and shutdown. HTTP semantics: curl_stream_client_http_test.cpp.
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

// The loop acts only on sockets with events: a stream among many silent ones must still be
// driven to its end, piece by piece, while the others keep waiting (and are still served after).
TEST(CurlStreamClientTest, OneActiveStreamAmongManySilentOnes) {
  constexpr int kSilent = 300;
  SlowStreamServer server([](const StreamExchange& ex) {
    if (ex.target == "/active") {
      StreamPlan plan = Pieces({"1", "2", "3", "4", "5", "6", "7", "8"});
      plan.delay = 5ms;
      return plan;
    }
    StreamPlan plan = Pieces({"started"});
    plan.hang = true;
    return plan;
  });
  CurlStreamClient client(AllowLoopback());
  std::vector<std::shared_ptr<Recorder>> silent;
  for (int i = 0; i < kSilent; ++i) {
    silent.push_back(std::make_shared<Recorder>());
    client.Start(Get(server.url("/silent")), silent.back(), nullptr);
  }
  for (auto& h : silent)
    ASSERT_TRUE(WaitFor([&] { return h->pieces() == 1; }));
  auto active = std::make_shared<Recorder>();
  client.Start(Get(server.url("/active")), active, nullptr);
  ASSERT_TRUE(active->WaitDone());
  EXPECT_TRUE(active->ok()) << active->message();
  EXPECT_EQ(active->body(), "12345678");
  for (auto& h : silent)
    EXPECT_EQ(h->dones(), 0);
  // A second round on the same client after the first: nothing went stale in the socket set.
  auto again = std::make_shared<Recorder>();
  client.Start(Get(server.url("/active")), again, nullptr);
  ASSERT_TRUE(again->WaitDone());
  EXPECT_EQ(again->body(), "12345678");
}

// A redirect whose connection the server closes: curl closes that socket and opens another
// (often under the same descriptor number) for the next hop, many times over in sequence.
TEST(CurlStreamClientTest, RedirectsOverNewConnectionsInSequence) {
  SlowStreamServer server([](const StreamExchange& ex) {
    if (ex.target == "/start") {
      StreamPlan plan = Redirect("/final");
      plan.head += "Connection: close\r\n";
      plan.close_after = true;
      return plan;
    }
    // Delimited by the close itself (a chunked body would lack its last chunk).
    StreamPlan plan = Pieces({"arrived"});
    plan.chunked = false;
    plan.head += "Connection: close\r\n";
    plan.close_after = true;
    return plan;
  });
  CurlStreamClient client(AllowLoopback());
  constexpr int kRounds = 20;
  for (int i = 0; i < kRounds; ++i) {
    auto handler = std::make_shared<Recorder>();
    client.Start(Get(server.url("/start")), handler, nullptr);
    ASSERT_TRUE(handler->WaitDone()) << i;
    ASSERT_TRUE(handler->ok()) << i << ": " << handler->message();
    EXPECT_EQ(handler->head().final_url, server.url("/final"));
    EXPECT_EQ(handler->body(), "arrived");
  }
  std::vector<StreamExchange> seen = server.Exchanges();
  ASSERT_EQ(seen.size(), 2u * kRounds);
  EXPECT_EQ(server.accepted(), 2u * kRounds);  // every hop on a connection of its own
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
