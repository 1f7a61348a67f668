#include "http/server.h"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include "core/strings.h"

namespace studybot::http {
namespace {

// RFC 9112: section 3.2 (an HTTP/1.1 request has exactly one Host), section 6.1 (chunked must be
// the final transfer coding of a request, and appear once), section 6.3 (a message with both
// Transfer-Encoding and Content-Length, or Transfer-Encoding in HTTP/1.0, is suspect). We decode
// no coding but chunked, so any other is "not implemented".
studybot::Status CheckFraming(const bhttp::request_header<>& head) {
  auto bad = [](std::string message) {
    return Error::InvalidArgument(std::move(message)).WithSlug("bad_request");
  };
  if (head.version() >= 11 && head.count(bhttp::field::host) != 1) {
    return bad("an HTTP/1.1 request needs exactly one Host header");
  }
  if (head.count(bhttp::field::transfer_encoding) == 0) return OkStatus();
  if (head.version() < 11) return bad("Transfer-Encoding is not allowed in HTTP/1.0");
  if (head.count(bhttp::field::content_length) != 0) {
    return bad("Transfer-Encoding and Content-Length together are not allowed");
  }
  std::vector<std::string> codings;
  auto [first, last] = head.equal_range(bhttp::field::transfer_encoding);
  for (auto f = first; f != last; ++f) {
    for (auto part : Split(f->value(), ',')) {
      auto coding = ToLower(std::string(Trim(part)));
      if (!coding.empty()) codings.push_back(std::move(coding));
    }
  }
  if (codings.empty() || codings.back() != "chunked") {
    return bad("the final transfer coding of a request must be chunked");
  }
  if (codings.size() > 1) {
    for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
      if (codings[i] == "chunked") return bad("chunked may be applied only once");
    }
    return Error::InvalidArgument("only the chunked transfer coding is supported")
        .WithSlug("unsupported_transfer_coding");
  }
  return OkStatus();
}

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// After an error response, how long we keep reading (and discarding) what the client still sends,
// so that closing does not reset the connection before it has read our answer.
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;

}  // namespace

// The StreamWriter of one streamed response. Besides writing chunks, it keeps a read pending on
// the socket (the client sends nothing more on a streamed exchange, which ends the connection),
// so that a client closing the connection is seen at once, not at the next write.
class ChunkWriter final : public StreamWriter {
 public:
  ChunkWriter(beast::tcp_stream& stream, std::chrono::milliseconds write_timeout)
      : stream_(stream), write_timeout_(write_timeout) {}

  // Any byte or error ends the watch: bytes would be a pipelined request, which we do not serve
  // after a stream (the connection closes), so they are dropped. The completion owns what it
  // touches, so the writer may go before it runs (it runs when the socket closes at the latest).
  void WatchForClose() {
    auto watch = std::make_shared<Watch>();
    watch->gone = gone_;
    stream_.socket().async_read_some(
        asio::buffer(watch->sink),
        [watch](const boost::system::error_code&, std::size_t) { watch->gone->Cancel(); });
  }

  asio::awaitable<bool> Write(std::string data) override {
    if (gone_->cancelled()) co_return false;
    if (data.empty()) co_return true;
    stream_.expires_after(write_timeout_);
    auto [ec, n] = co_await asio::async_write(stream_, bhttp::make_chunk(asio::buffer(data)),
                                              asio::as_tuple(asio::use_awaitable));
    if (ec) {
      gone_->Cancel();
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<void> End() {
    if (gone_->cancelled()) co_return;
    stream_.expires_after(write_timeout_);
    co_await asio::async_write(stream_, bhttp::make_chunk_last(),
                               asio::as_tuple(asio::use_awaitable));
  }

  std::shared_ptr<Cancellation> gone() override { return gone_; }
  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  struct Watch {
    std::array<char, 512> sink;
    std::shared_ptr<Cancellation> gone;
  };

  beast::tcp_stream& stream_;
  std::chrono::milliseconds write_timeout_;
  std::shared_ptr<Cancellation> gone_ = std::make_shared<Cancellation>();
};

class Server::Connection {
 public:
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  // True while waiting for the next request on a keep-alive connection. Touched on the strand.
  bool idle = true;
};

Server::Server(const HttpConfig& config, Pipeline& pipeline, Logger& logger)
    : config_(config),
      pipeline_(pipeline),
      logger_(logger),
      ioc_(config.io_threads > 0 ? config.io_threads
                                 : static_cast<int>(std::thread::hardware_concurrency())),
      acceptor_(ioc_) {}

Server::~Server() {
  if (started_) {
    Shutdown();
    Wait();
  }
}

studybot::Status Server::Listen() {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(config_.host, ec);
  if (ec) return Error::InvalidArgument("http.host: '" + config_.host + "' is not an IP address");
  tcp::endpoint ep(addr, config_.port);
  std::string where = config_.host + ":" + std::to_string(config_.port);
  if (acceptor_.open(ep.protocol(), ec); ec) {
    return Error::Unavailable("cannot open socket for " + where + ": " + ec.message());
  }
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor_.bind(ep, ec); ec) {
    return Error::Unavailable("cannot listen on " + where + ": " + ec.message());
  }
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Error::Unavailable("cannot listen on " + where + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  return OkStatus();
}

void Server::Start() {
  started_ = true;
  asio::co_spawn(acceptor_.get_executor(), AcceptLoop(), asio::detached);
  int n = config_.io_threads > 0
              ? config_.io_threads
              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back([this] { ioc_.run(); });
  }
}

void Server::Wait() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Server::RunUntilSignal() {
  asio::signal_set signals(ioc_, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    logger_.Info("shutdown requested", {{"signal", sig}});
    Shutdown();
  });
  Start();
  Wait();
}

void Server::Shutdown() {
  if (draining_.exchange(true)) return;
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  // Wake idle keep-alive connections so they close; busy ones close after their response.
  {
    std::lock_guard lock(mu_);
    for (auto& [id, conn] : conns_) {
      asio::post(conn->stream.get_executor(), [this, id = id] {
        std::lock_guard inner(mu_);
        auto it = conns_.find(id);
        if (it != conns_.end() && it->second->idle) it->second->stream.cancel();
      });
    }
  }
  // Not under mu_: co_spawn may start DrainLoop inline, and it takes mu_.
  asio::co_spawn(ioc_, DrainLoop(), asio::detached);
}

asio::awaitable<void> Server::DrainLoop() {
  auto deadline = std::chrono::steady_clock::now() + config_.shutdown_grace;
  asio::steady_timer timer(ioc_);
  while (ConnectionCount() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(kTuple);
  }
  if (ConnectionCount() > 0) {
    logger_.Warn("shutdown grace expired; closing remaining connections",
                 {{"connections", ConnectionCount()}});
  } else {
    logger_.Info("all connections drained");
  }
  ioc_.stop();
}

std::size_t Server::ConnectionCount() const {
  std::lock_guard lock(mu_);
  return conns_.size();
}

uint64_t Server::Register(Connection* conn) {
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  conns_.emplace(id, conn);
  return id;
}

void Server::Unregister(uint64_t id) {
  std::lock_guard lock(mu_);
  conns_.erase(id);
}

asio::awaitable<void> Server::AcceptLoop() {
  while (!draining_) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(ioc_), kTuple);
    if (ec) {
      if (draining_ || ec == asio::error::operation_aborted) break;
      // EMFILE and friends: log, back off a little, keep accepting.
      logger_.Warn("accept failed", {{"error", ec.message()}});
      asio::steady_timer t(ioc_, std::chrono::milliseconds(50));
      co_await t.async_wait(kTuple);
      continue;
    }
    if (ConnectionCount() >= static_cast<std::size_t>(config_.max_connections)) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    auto ex = socket.get_executor();
    asio::co_spawn(ex, Serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::Stream(beast::tcp_stream& stream, Response& head,
                                     const StreamBody& body) {
  head.keep_alive(false);
  bhttp::response_serializer<bhttp::string_body> serializer(head);
  stream.expires_after(config_.write_timeout);
  auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, kTuple);
  if (ec) co_return;
  ChunkWriter writer(stream, config_.write_timeout);
  writer.WatchForClose();
  co_await body(writer);
  co_await writer.End();
}

asio::awaitable<void> Server::Serve(tcp::socket socket) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (ec) co_return;
  socket.set_option(tcp::no_delay(true), ec);
  auto peer = remote.address();
  Connection conn(std::move(socket));
  uint64_t id = Register(&conn);
  beast::flat_buffer buffer;
  bool lingering_close = false;

  auto write_error = [&](Status status, Error error) -> asio::awaitable<void> {
    auto res = pipeline_.Reject(status, error, peer);
    conn.stream.expires_after(std::min(config_.write_timeout, std::chrono::milliseconds(5000)));
    co_await bhttp::async_write(conn.stream, res, kTuple);
    lingering_close = true;
  };

  try {
    for (;;) {
      // Wait for the first byte of the next request: the idle phase.
      if (buffer.size() == 0) {
        if (draining_) break;
        conn.idle = true;
        conn.stream.expires_after(config_.idle_timeout);
        auto [rec, n] = co_await conn.stream.async_read_some(buffer.prepare(4096), kTuple);
        if (rec) break;  // closed, timed out or cancelled by shutdown: nothing in flight
        buffer.commit(n);
      }
      conn.idle = false;

      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(config_.header_limit_bytes));
      // The larger upload limit until the head says which applies (a declared length is checked
      // against it below; a chunked body against the limit set then, as it arrives).
      parser.body_limit(std::max(config_.body_limit_bytes, config_.upload_limit_bytes));
      conn.stream.expires_after(config_.read_timeout);
      auto [hec, hn] = co_await bhttp::async_read_header(conn.stream, buffer, parser, kTuple);
      boost::system::error_code rec = hec;
      if (!rec) {
        // Framing and Host are checked before any body byte is read: a request whose length a
        // proxy in front of us might read differently is refused and the connection closed,
        // so nothing after it is taken as another request (request smuggling).
        auto framing = CheckFraming(parser.get());
        if (!framing.ok()) {
          bool unknown = framing.error().slug == "unsupported_transfer_coding";
          co_await write_error(unknown ? Status::not_implemented : Status::bad_request,
                               std::move(framing).error());
          break;
        }
      }
      std::size_t body_limit = config_.body_limit_bytes;
      if (!rec) {
        if (pipeline_.IsUpload(parser.get())) body_limit = config_.upload_limit_bytes;
        auto length = parser.content_length();
        if (length && *length > body_limit) rec = bhttp::error::body_limit;
        parser.body_limit(body_limit);
      }
      if (!rec && !parser.is_done()) {
        const auto& head = parser.get();
        if (EqualsIgnoreCase(head[bhttp::field::expect], "100-continue")) {
          Response cont{Status::continue_, 11};
          co_await bhttp::async_write(conn.stream, cont, kTuple);
        }
        auto [bec, bn] = co_await bhttp::async_read(conn.stream, buffer, parser, kTuple);
        rec = bec;
      }
      if (rec) {
        if (rec == bhttp::error::header_limit) {
          co_await write_error(
              Status::request_header_fields_too_large,
              Error::InvalidArgument("the request head is too large").WithSlug("header_too_large"));
        } else if (rec == bhttp::error::body_limit) {
          co_await write_error(Status::payload_too_large,
                               Error::PayloadTooLarge("the request body is larger than " +
                                                      std::to_string(body_limit) + " bytes")
                                   .WithSlug("body_too_large"));
        } else if (rec == beast::error::timeout) {
          co_await write_error(Status::request_timeout,
                               Error::InvalidArgument("the request was not received in time")
                                   .WithSlug("request_timeout"));
        } else if (rec == bhttp::error::end_of_stream || rec == asio::error::eof ||
                   rec == asio::error::connection_reset || rec == asio::error::operation_aborted ||
                   rec == bhttp::error::partial_message) {
          // The client went away (possibly mid-request): nobody to answer.
        } else {
          co_await write_error(Status::bad_request,
                               Error::InvalidArgument("malformed HTTP request: " + rec.message())
                                   .WithSlug("bad_request"));
        }
        break;
      }

      Request req = parser.release();
      StreamBody body;
      Response res = co_await pipeline_.Handle(req, peer, &body);
      if (body) {
        co_await Stream(conn.stream, res, body);
        break;
      }
      bool keep_alive = req.keep_alive() && !draining_ && res.keep_alive();
      res.keep_alive(keep_alive);
      conn.stream.expires_after(config_.write_timeout);
      auto [wec, wn] = co_await bhttp::async_write(conn.stream, res, kTuple);
      if (wec || !keep_alive) break;
    }
  } catch (const std::exception& e) {
    logger_.Error("connection failed", {{"what", e.what()}});
  }

  auto& sock = conn.stream.socket();
  sock.shutdown(tcp::socket::shutdown_send, ec);
  if (lingering_close) {
    // Read and drop what the client is still sending, for a short while, so it sees our answer.
    std::size_t dropped = 0;
    conn.stream.expires_after(kLingerTime);
    char sink[16 * 1024];
    while (dropped < kLingerBytes) {
      auto [lec, n] = co_await conn.stream.async_read_some(asio::buffer(sink), kTuple);
      if (lec) break;
      dropped += n;
    }
  }
  conn.stream.close();
  Unregister(id);
}

}  // namespace studybot::http
