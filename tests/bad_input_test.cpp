// Malformed HTTP and malformed JSON: the server answers 400/408/413/431 or closes the connection,
// never crashes, never answers 500, and keeps serving other clients meanwhile.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include "http/json_body.h"
#include "http/responses.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

namespace bhttp = boost::beast::http;
using bhttp::verb;

void AddEcho(app::Application& app) {
  app.router().Add(verb::post, "/test/echo",
                   [](http::RequestContext& ctx) -> boost::asio::awaitable<http::Response> {
                     auto body = http::ParseJsonBody(ctx.request);
                     if (!body.ok()) co_return http::ErrorResponse(body.error(), ctx.request_id);
                     co_return http::JsonResponse(http::Status::ok, {{"echo", *body}});
                   });
}

void ShortTimeouts(Config& c) {
  c.http.read_timeout = std::chrono::milliseconds(1000);
  c.http.idle_timeout = std::chrono::milliseconds(3000);
  c.http.body_limit_bytes = 1024 * 1024;
  c.http.header_limit_bytes = 16 * 1024;
}

class BadInputTest : public ::testing::Test {
 protected:
  BadInputTest() : server_(ShortTimeouts, AddEcho) {}

  void TearDown() override {
    // Whatever happened, the server still answers.
    auto r = Request(server_.port(), verb::get, "/health");
    EXPECT_EQ(r.result_int(), 200);
  }

  // Sends raw bytes and returns the status, or 0 when the server closed without answering.
  unsigned Exchange(const std::string& bytes) {
    RawClient c(server_.port());
    c.Send(bytes);
    auto r = c.Read();
    unsigned status = r ? r->result_int() : 0;
    EXPECT_NE(status, 500u) << bytes.substr(0, 80);
    return status;
  }

  unsigned PostJson(const std::string& body) {
    auto r = Request(server_.port(), verb::post, "/test/echo", body);
    EXPECT_NE(r.result_int(), 500u);
    if (r.result_int() == 400) {
      auto j = boost::json::parse(r.body());
      EXPECT_EQ(j.at("error").at("code").as_string(), "malformed_json");
    }
    return r.result_int();
  }

  TestServer server_;
};

TEST_F(BadInputTest, BadRequestLines) {
  EXPECT_EQ(Exchange("GARBAGE\r\n\r\n"), 400u);
  EXPECT_EQ(Exchange("GET /health HTTP/9.9\r\n\r\n"), 400u);
  EXPECT_EQ(Exchange("GET  /health HTTP/1.1\r\nHost: x\r\n\r\n"), 400u);
  EXPECT_EQ(Exchange("GET http://evil.test/health HTTP/1.1\r\nHost: x\r\n\r\n"), 400u);
  EXPECT_EQ(Exchange("GET /health HTTP/1.1\r\nBad Header Name: x\r\n\r\n"), 400u);
  EXPECT_EQ(Exchange(std::string("GET /health HTTP/1.1\r\nX: a\0b\r\n\r\n", 32)), 400u);
}

TEST_F(BadInputTest, OversizedHeadersGet431) {
  std::string big =
      "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(Exchange(big), 431u);
  std::string many = "GET /health HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 2000; ++i)
    many += "X-H" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(Exchange(many + "\r\n"), 431u);
  std::string long_target = "GET /" + std::string(20000, 'p') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(Exchange(long_target), 431u);
}

TEST_F(BadInputTest, InvalidChunkedEncodingGets400) {
  std::string head =
      "POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(Exchange(head + "ZZZ\r\n{}\r\n0\r\n\r\n"), 400u);
  EXPECT_EQ(Exchange(head + "2\r\n{}XX0\r\n\r\n"), 400u);
  EXPECT_EQ(Exchange(head + "ffffffffffffffffffff\r\n"), 400u);
  // Both framings at once is a smuggling attempt.
  EXPECT_EQ(Exchange("POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                     "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                     "2\r\n{}\r\n0\r\n\r\n"),
            400u);
  // A valid chunked body works.
  EXPECT_EQ(Exchange(head + "2\r\n{}\r\n0\r\n\r\n"), 200u);
}

// Security review finding 3: Transfer-Encoding values other than a lone final "chunked" were
// ignored, the body taken as empty and its bytes answered as a second request. Each is refused
// and the connection closed: the smuggled request after it is never answered.
TEST_F(BadInputTest, TransferEncodingOtherThanChunkedIsRefusedAndNothingAfterItIsAnswered) {
  const std::string smuggled = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  struct Case {
    std::string te;
    unsigned status;
  };
  for (const Case& c : std::vector<Case>{{"chunked, identity", 400},
                                         {"xchunked", 400},
                                         {"gzip", 400},
                                         {"identity", 400},
                                         {"chunked, chunked", 400},
                                         {"gzip, chunked", 501},
                                         {"", 400}}) {
    RawClient client(server_.port());
    client.Send(
        "POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: " +
        c.te + "\r\n\r\n" + smuggled);
    auto first = client.Read();
    ASSERT_TRUE(first.has_value()) << c.te;
    EXPECT_EQ(first->result_int(), c.status) << c.te;
    EXPECT_FALSE(first->keep_alive()) << c.te;
    EXPECT_FALSE(client.Read().has_value()) << c.te << ": the smuggled request was answered";
  }
  // Two Transfer-Encoding headers are one list: "gzip" then "chunked".
  EXPECT_EQ(Exchange("POST /test/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            501u);
  // HTTP/1.0 has no chunked coding.
  EXPECT_EQ(Exchange("POST /test/echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "2\r\n{}\r\n0\r\n\r\n"),
            400u);
}

// Finding 8: RFC 9112 section 3.2, an HTTP/1.1 request without Host (or with two) is a 400.
TEST_F(BadInputTest, Http11RequestsNeedExactlyOneHost) {
  EXPECT_EQ(Exchange("GET /health HTTP/1.1\r\n\r\n"), 400u);
  EXPECT_EQ(Exchange("GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400u);
  EXPECT_EQ(Exchange("GET /health HTTP/1.1\r\nHost: a\r\n\r\n"), 200u);
  EXPECT_EQ(Exchange("GET /health HTTP/1.0\r\n\r\n"), 200u);
}

TEST_F(BadInputTest, RequestCutOffHalfway) {
  for (int i = 0; i < 5; ++i) {
    RawClient c(server_.port());
    c.Send(
        "POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n{\"a\":");
    c.socket().close();
  }
  RawClient half(server_.port());
  half.Send("GET /hea");
  half.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send);
  EXPECT_FALSE(half.Read().has_value());
}

TEST_F(BadInputTest, SlowClientIsCutOffWhileOthersAreServed) {
  RawClient slow(server_.port(), std::chrono::seconds(20));
  std::atomic<bool> stop{false};
  // One byte at a time of a request that never ends.
  auto trickle = std::async(std::launch::async, [&] {
    std::string req = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    for (std::size_t i = 0; !stop && i < 200; ++i) {
      char ch = i < req.size() ? req[i] : 'a';
      boost::system::error_code ec;
      boost::asio::write(slow.socket(), boost::asio::buffer(&ch, 1), ec);
      if (ec) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  // Meanwhile others are served.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Request(server_.port(), verb::get, "/health").result_int(), 200);
  }
  auto r = slow.Read();
  stop = true;
  trickle.get();
  if (r) {
    EXPECT_EQ(r->result_int(), 408u);
  }
  EXPECT_TRUE(slow.WaitClosed());
}

TEST_F(BadInputTest, ManyIdleConnectionsDoNotBlockOthers) {
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 64; ++i)
    idle.push_back(std::make_unique<RawClient>(server_.port()));
  EXPECT_EQ(Request(server_.port(), verb::get, "/health").result_int(), 200);
}

TEST_F(BadInputTest, MalformedJson) {
  EXPECT_EQ(PostJson("{\"question\": \"what is"), 400u);                         // truncated
  EXPECT_EQ(PostJson(std::string("{\"q\": \"\xc3\x28\"}")), 400u);               // invalid UTF-8
  EXPECT_EQ(PostJson(std::string("{\"q\": \"\xed\xa0\x80\"}")), 400u);           // UTF-16 surrogate
  EXPECT_EQ(PostJson(std::string(10000, '[') + std::string(10000, ']')), 400u);  // deep
  EXPECT_EQ(PostJson("{\"a\":" + std::string(10000, '{')), 400u);
  EXPECT_EQ(PostJson("1e99999"), 400u);                                  // out of range
  EXPECT_EQ(PostJson("{\"n\": 123456789012345678901234567890}"), 200u);  // big but finite
  EXPECT_EQ(PostJson("{\"n\": -" + std::string(400, '9') + "}"), 400u);
  EXPECT_EQ(PostJson("{\"a\":1} trailing"), 400u);
  EXPECT_EQ(PostJson("\"\\uZZZZ\""), 400u);
  EXPECT_EQ(PostJson("{'a': 1}"), 400u);
  EXPECT_EQ(PostJson("NaN"), 400u);
}

TEST_F(BadInputTest, FiftyMegabyteBodyGets413) {
  const std::size_t size = 50u * 1024 * 1024;
  RawClient c(server_.port());
  c.Send(
      "POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(size) + "\r\n\r\n");
  // Send the body from another thread: the server answers before reading it all.
  auto sender = std::async(std::launch::async, [&] {
    std::string chunk(1024 * 1024, ' ');
    for (std::size_t sent = 0; sent < size; sent += chunk.size()) {
      boost::system::error_code ec;
      boost::asio::write(c.socket(), boost::asio::buffer(chunk), ec);
      if (ec) return;
    }
  });
  auto r = c.Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->result_int(), 413u);
  boost::system::error_code ignored;
  c.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  sender.get();

  // Chunked, with no length announced: refused once past the limit.
  RawClient d(server_.port());
  d.Send(
      "POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n");
  auto chunked_sender = std::async(std::launch::async, [&] {
    std::string chunk = "100000\r\n" + std::string(0x100000, ' ') + "\r\n";
    for (int i = 0; i < 50; ++i) {
      boost::system::error_code ec;
      boost::asio::write(d.socket(), boost::asio::buffer(chunk), ec);
      if (ec) return;
    }
  });
  auto r2 = d.Read();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->result_int(), 413u);
  d.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  chunked_sender.get();
}

}  // namespace
}  // namespace studybot::testing
