#include "outbound/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/strings.h"

namespace studybot::outbound {
namespace {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

// A small HTTP/1.1 server on 127.0.0.1 with canned answers, one thread per connection, one
// request per connection ("Connection: close"), so every redirect makes curl connect again.
class CannedHttpServer {
 public:
  static constexpr std::size_t kBigBodyBytes = 64 * 1024;

  CannedHttpServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;  // any free port
    socklen_t len = sizeof addr;
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listen_fd_, 16) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::abort();  // the test cannot run without its server
    }
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }

  ~CannedHttpServer() {
    stopping_ = true;
    shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    accept_thread_.join();
    close(listen_fd_);
    std::lock_guard lock(mu_);
    for (std::thread& t : connections_)
      t.join();
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  int accepted() const { return accepted_; }
  std::vector<ReceivedRequest> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    while (true) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (stopping_) return;
        continue;
      }
      ++accepted_;
      // A safety net so that a test failure cannot hang the suite on a blocked read.
      timeval tv{10, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::lock_guard lock(mu_);
      connections_.emplace_back([this, fd] {
        Serve(fd);
        close(fd);
      });
    }
  }

  static bool SendAll(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  static std::optional<ReceivedRequest> Read(int fd) {
    std::string buf;
    char chunk[4096];
    std::size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      buf.append(chunk, static_cast<std::size_t>(n));
    }
    ReceivedRequest r;
    std::vector<std::string_view> lines = Split(std::string_view(buf).substr(0, end), '\n');
    std::vector<std::string_view> start = Split(Trim(lines[0]), ' ');
    if (start.size() != 3) return std::nullopt;
    r.method = start[0];
    r.target = start[1];
    for (std::size_t i = 1; i < lines.size(); ++i) {
      auto colon = lines[i].find(':');
      if (colon == std::string_view::npos) continue;
      r.headers[ToLower(std::string(Trim(lines[i].substr(0, colon))))] =
          Trim(lines[i].substr(colon + 1));
    }
    std::size_t length =
        r.headers.count("content-length") != 0 ? std::stoul(r.headers["content-length"]) : 0;
    r.body = buf.substr(end + 4);
    while (r.body.size() < length) {
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return std::nullopt;
      r.body.append(chunk, static_cast<std::size_t>(n));
    }
    return r;
  }

  static std::string Response(const std::string& status, const std::string& headers,
                              const std::string& body) {
    return "HTTP/1.1 " + status +
           "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           headers + "\r\n" + body;
  }

  void Serve(int fd) {
    std::optional<ReceivedRequest> request = Read(fd);
    if (!request) return;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(*request);
    }
    std::string path = request->target.substr(0, request->target.find('?'));
    if (path == "/hello") {
      SendAll(fd, Response("200 OK",
                           "Content-Type: Text/HTML; Charset=UTF-8\r\n"
                           "X-Custom:   spaced value  \r\n"
                           "X-Folded: first\r\n  second\r\n",
                           "hello world"));
    } else if (path == "/redirect") {
      SendAll(fd, Response("302 Found", "Location: /hello\r\nX-Hop: first\r\n", "moved"));
    } else if (path == "/loop") {
      SendAll(fd, Response("302 Found", "Location: /loop\r\n", ""));
    } else if (path == "/to-file") {
      SendAll(fd, Response("302 Found", "Location: file:///etc/passwd\r\n", ""));
    } else if (path == "/to-ftp") {
      SendAll(fd, Response("302 Found", "Location: ftp://127.0.0.1/secret\r\n", ""));
    } else if (path == "/big") {
      SendAll(fd,
              Response("200 OK", "Content-Type: text/plain\r\n", std::string(kBigBodyBytes, 'x')));
    } else if (path == "/gzip") {
      static const unsigned char kGzip[] = {
          0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9,
          0xd7, 0x51, 0x48, 0xce, 0xcf, 0x2d, 0x28, 0x4a, 0x2d, 0x2e, 0x4e, 0x4d, 0x51, 0x28, 0xcf,
          0x2f, 0xca, 0x49, 0x01, 0x00, 0x08, 0x9e, 0x34, 0x35, 0x17, 0x00, 0x00, 0x00};
      SendAll(fd, Response("200 OK", "Content-Encoding: gzip\r\nContent-Type: text/plain\r\n",
                           std::string(std::begin(kGzip), std::end(kGzip))));
    } else if (path == "/slow") {
      // Promise a body, deliver part of it, and wait for the client to give up.
      SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
      char c;
      while (recv(fd, &c, 1, 0) > 0) {
      }
    } else if (path == "/echo") {
      SendAll(fd, Response("201 Created", "Content-Type: application/octet-stream\r\n",
                           request->method + " " + request->body));
    } else if (path == "/missing") {
      SendAll(fd, Response("404 Not Found", "Content-Type: text/plain\r\n", "no such page"));
    } else {
      SendAll(fd, Response("500 Internal Server Error", "", "unknown path"));
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> connections_;   // REQUIRES: mu_ held
  std::vector<ReceivedRequest> requests_;  // REQUIRES: mu_ held
};

HttpClientOptions AllowLoopback() {
  HttpClientOptions options;
  options.addresses.allow_private = true;
  return options;
}

HttpRequest Get(const std::string& url) {
  HttpRequest request;
  request.url = url;
  request.timeout = std::chrono::seconds(10);
  return request;
}

// A port nothing listens on: bound once, then released.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(CurlHttpClientTest, FetchesStatusHeadersAndBody) {
  CannedHttpServer server;
  CurlHttpClient client(AllowLoopback());
  auto got = client.Send(Get(server.Url("/hello")));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, "hello world");
  EXPECT_EQ(got->final_url, server.Url("/hello"));
  EXPECT_EQ(got->content_type, "text/html");
  EXPECT_EQ(got->Header("X-CUSTOM"), "spaced value");
  EXPECT_EQ(got->Header("x-folded"), "first second");
  EXPECT_EQ(got->Header("content-type"), "Text/HTML; Charset=UTF-8");
  EXPECT_EQ(got->Header("x-absent"), std::nullopt);
  for (const auto& [name, value] : got->headers)
    EXPECT_EQ(name, ToLower(name));

  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].headers["user-agent"], "Studybot/0.1 (+https://github.com/studybot)");
  EXPECT_FALSE(requests[0].headers["accept-encoding"].empty());
}

TEST(CurlHttpClientTest, ErrorStatusesAreResponses) {
  CannedHttpServer server;
  auto got = CurlHttpClient(AllowLoopback()).Send(Get(server.Url("/missing")));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->status, 404);
  EXPECT_EQ(got->body, "no such page");
}

TEST(CurlHttpClientTest, FollowsRedirectsAndKeepsOnlyTheFinalHeaders) {
  CannedHttpServer server;
  auto got = CurlHttpClient(AllowLoopback()).Send(Get(server.Url("/redirect")));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, "hello world");
  EXPECT_EQ(got->final_url, server.Url("/hello"));
  EXPECT_EQ(got->content_type, "text/html");
  EXPECT_EQ(got->Header("x-hop"), std::nullopt);
  EXPECT_EQ(got->Header("location"), std::nullopt);
  EXPECT_EQ(server.accepted(), 2);
}

TEST(CurlHttpClientTest, ZeroMaxRedirectsReturnsTheRedirect) {
  CannedHttpServer server;
  HttpRequest request = Get(server.Url("/redirect"));
  request.max_redirects = 0;
  auto got = CurlHttpClient(AllowLoopback()).Send(request);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->status, 302);
  EXPECT_EQ(got->Header("location"), "/hello");
  EXPECT_EQ(got->body, "moved");
  EXPECT_EQ(server.accepted(), 1);
}

TEST(CurlHttpClientTest, TooManyRedirectsIsUnavailable) {
  CannedHttpServer server;
  HttpRequest request = Get(server.Url("/loop"));
  request.max_redirects = 3;
  auto got = CurlHttpClient(AllowLoopback()).Send(request);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(got.error().message.find("redirected more than 3 times"), std::string::npos);
  EXPECT_EQ(server.accepted(), 4);
}

TEST(CurlHttpClientTest, DecodesGzip) {
  CannedHttpServer server;
  auto got = CurlHttpClient(AllowLoopback()).Send(Get(server.Url("/gzip")));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->body, "hello, compressed world");
}

TEST(CurlHttpClientTest, PostSendsBodyAndHeaders) {
  CannedHttpServer server;
  HttpRequest request = Get(server.Url("/echo"));
  request.method = "POST";
  request.body = std::string(3000, 'b');  // large enough that curl would ask for 100-continue
  request.headers = {
      {"Content-Type", "application/json"}, {"Authorization", "Bearer abc"}, {"X-Empty", ""}};
  auto got = CurlHttpClient(AllowLoopback()).Send(request);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->status, 201);
  EXPECT_EQ(got->body, "POST " + request.body);

  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, request.body);
  EXPECT_EQ(requests[0].headers["content-type"], "application/json");
  EXPECT_EQ(requests[0].headers["authorization"], "Bearer abc");
  EXPECT_EQ(requests[0].headers.count("x-empty"), 1u);
  EXPECT_EQ(requests[0].headers.count("expect"), 0u);
}

TEST(CurlHttpClientTest, OtherMethodsAndNoDefaultContentType) {
  CannedHttpServer server;
  HttpRequest request = Get(server.Url("/echo"));
  request.method = "PUT";
  request.body = "data";
  auto got = CurlHttpClient(AllowLoopback()).Send(request);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->body, "PUT data");
  auto requests = server.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.count("content-type"), 0u);
}

TEST(CurlHttpClientTest, LoopbackIsRefusedByDefaultPolicy) {
  CannedHttpServer server;
  CurlHttpClient client{HttpClientOptions{}};
  std::string port = std::to_string(server.port());
  for (const std::string& url : {
           server.Url("/hello"),
           "http://localhost:" + port + "/hello",
           "http://127.1:" + port + "/hello",
           "http://2130706433:" + port + "/hello",  // 127.0.0.1 as one number
           "http://0.0.0.0:" + port + "/hello",
           "http://[::1]:" + port + "/hello",
           "http://[::ffff:127.0.0.1]:" + port + "/hello",
       }) {
    auto got = client.Send(Get(url));
    ASSERT_FALSE(got.ok()) << url;
    EXPECT_EQ(got.error().code, ErrorCode::kPermissionDenied) << url << ": " << got.error().message;
    EXPECT_NE(got.error().message.find("private or loopback"), std::string::npos);
  }
  EXPECT_EQ(server.accepted(), 0);
}

TEST(CurlHttpClientTest, ErrorMessagesNameOnlySchemeAndHost) {
  CannedHttpServer server;
  std::string url = "http://alice:hunter2@127.0.0.1:" + std::to_string(server.port()) +
                    "/hidden-dir/page?token=s3cret#frag";
  auto got = CurlHttpClient(HttpClientOptions{}).Send(Get(url));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kPermissionDenied);
  const std::string& message = got.error().message;
  EXPECT_NE(message.find("http://127.0.0.1"), std::string::npos) << message;
  for (const char* secret : {"alice", "hunter2", "hidden-dir", "page", "token", "s3cret", "frag"})
    EXPECT_EQ(message.find(secret), std::string::npos) << message;
}

TEST(CurlHttpClientTest, BodyOverTheCapIsPayloadTooLarge) {
  CannedHttpServer server;
  CurlHttpClient client(AllowLoopback());
  HttpRequest request = Get(server.Url("/big"));
  request.max_body_bytes = CannedHttpServer::kBigBodyBytes - 1;
  auto got = client.Send(request);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kPayloadTooLarge);

  request.max_body_bytes = CannedHttpServer::kBigBodyBytes;  // exactly at the cap is fine
  auto exact = client.Send(request);
  ASSERT_TRUE(exact.ok()) << exact.error().message;
  EXPECT_EQ(exact->body.size(), CannedHttpServer::kBigBodyBytes);
}

TEST(CurlHttpClientTest, TimeoutIsUnavailable) {
  CannedHttpServer server;
  HttpRequest request = Get(server.Url("/slow?key=hidden"));
  request.timeout = std::chrono::milliseconds(200);
  auto got = CurlHttpClient(AllowLoopback()).Send(request);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(got.error().message.find("timed out"), std::string::npos) << got.error().message;
  EXPECT_EQ(got.error().message.find("hidden"), std::string::npos) << got.error().message;
}

TEST(CurlHttpClientTest, ConnectionFailuresAreUnavailable) {
  CurlHttpClient client(AllowLoopback());
  auto refused = client.Send(Get("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable) << refused.error().message;

  HttpRequest unresolvable = Get("http://no-such-host.invalid/");
  unresolvable.timeout = std::chrono::seconds(5);
  auto dns = client.Send(unresolvable);
  ASSERT_FALSE(dns.ok());
  EXPECT_EQ(dns.error().code, ErrorCode::kUnavailable) << dns.error().message;
}

TEST(CurlHttpClientTest, OnlyHttpAndHttpsAreFetched) {
  CurlHttpClient client(AllowLoopback());
  for (const char* url :
       {"ftp://127.0.0.1/file", "file:///etc/passwd", "gopher://127.0.0.1/",
        "dict://127.0.0.1:11211/stats", "example.com/no-scheme", "http://", "not a url", ""}) {
    auto got = client.Send(Get(url));
    ASSERT_FALSE(got.ok()) << url;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument) << url << ": " << got.error().message;
  }
}

TEST(CurlHttpClientTest, RedirectsToOtherSchemesAreRefused) {
  CannedHttpServer server;
  CurlHttpClient client(AllowLoopback());
  for (const char* path : {"/to-file", "/to-ftp"}) {
    auto got = client.Send(Get(server.Url(path)));
    ASSERT_FALSE(got.ok()) << path;
    EXPECT_EQ(got.error().code, ErrorCode::kPermissionDenied)
        << path << ": " << got.error().message;
    EXPECT_EQ(got.error().message,
              "http://127.0.0.1 redirected to a scheme other than http and https");
  }
  EXPECT_EQ(server.accepted(), 2);  // one connection each; the redirect targets were not fetched
}

TEST(CurlHttpClientTest, MalformedRequestsAreRefusedBeforeConnecting) {
  CannedHttpServer server;
  CurlHttpClient client(AllowLoopback());
  std::vector<HttpRequest> bad(6, Get(server.Url("/hello")));
  bad[0].headers = {{"X-Injected", "a\r\nHost: evil"}};
  bad[1].headers = {{"Bad Name", "v"}};
  bad[2].method = "GET /x HTTP/1.1\r\n";
  bad[3].body = "GET with a body";
  bad[4].timeout = std::chrono::milliseconds(0);
  bad[5].max_redirects = -1;
  for (const HttpRequest& request : bad) {
    auto got = client.Send(request);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument) << got.error().message;
  }
  EXPECT_EQ(server.accepted(), 0);
}

TEST(CurlHttpClientTest, ConcurrentCallsShareNothing) {
  CannedHttpServer server;
  CurlHttpClient client(AllowLoopback());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto got = client.Send(Get(server.Url("/redirect")));
      if (got.ok() && got->body == "hello world") ++ok;
    });
  }
  for (std::thread& t : threads)
    t.join();
  EXPECT_EQ(ok, 8);
}

}  // namespace
}  // namespace studybot::outbound
