#include "slow_stream_server.h"

#include <cstdio>
#include <string_view>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/strings.h"

namespace studybot::testing {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string Chunk(const std::string& piece) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
  return size + piece + "\r\n";
}

}  // namespace

struct SlowStreamServer::Connection {
  Connection(asio::ip::tcp::socket s, std::size_t i) : socket(std::move(s)), index(i) {}
  asio::ip::tcp::socket socket;
  std::size_t index;
  std::string in;  // received, not yet parsed
};

namespace {

// Waits `d` while watching the socket: true when the client closed or reset the connection.
awaitable<bool> WaitWatching(asio::ip::tcp::socket& socket, std::string& in,
                             std::chrono::milliseconds d) {
  asio::steady_timer timer(socket.get_executor());
  timer.expires_after(d);
  char byte = 0;
  auto result =
      co_await (socket.async_read_some(asio::buffer(&byte, 1), kTuple) || timer.async_wait(kTuple));
  if (result.index() != 0) co_return false;
  auto [ec, n] = std::get<0>(result);
  if (ec || n == 0) co_return true;
  in.push_back(byte);  // curl does not pipeline, but keep it for the next request anyway
  co_return false;
}

// `data` by value: it lives in the coroutine frame. (g++ 12 mishandles some temporaries in
// co_await expressions, so callers pass named strings.)
awaitable<bool> Write(asio::ip::tcp::socket& socket, std::string data) {
  auto [ec, n] = co_await asio::async_write(socket, asio::buffer(data), kTuple);
  co_return !ec;
}

}  // namespace

std::string StreamExchange::Header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return "";
}

SlowStreamServer::SlowStreamServer(Script script)
    : script_(std::move(script)), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(ioc_, Accept(), asio::detached);
  thread_ = std::thread([this] { ioc_.run(); });
}

SlowStreamServer::~SlowStreamServer() {
  ioc_.stop();
  thread_.join();
}

std::vector<StreamExchange> SlowStreamServer::Exchanges() {
  std::lock_guard lock(mu_);
  return exchanges_;
}

awaitable<void> SlowStreamServer::Accept() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
    if (ec) co_return;
    auto c = std::make_shared<Connection>(std::move(socket), accepted_++);
    asio::co_spawn(ioc_, Serve(std::move(c)), asio::detached);
  }
}

awaitable<void> SlowStreamServer::Serve(std::shared_ptr<Connection> c) {
  ++open_;
  struct Closer {
    std::atomic<std::size_t>& open;
    ~Closer() { --open; }
  } closer{open_};
  for (;;) {
    // Beast parses what the session has read so far; leftover bytes stay in `in`.
    bhttp::request_parser<bhttp::string_body> parser;
    parser.eager(true);
    while (!parser.is_done()) {
      boost::beast::error_code ec;
      std::size_t used = c->in.empty() ? 0 : parser.put(asio::buffer(c->in), ec);
      c->in.erase(0, used);
      if (ec && ec != bhttp::error::need_more) co_return;
      if (parser.is_done() || used > 0) continue;
      char buf[4096];
      auto [read_ec, n] = co_await c->socket.async_read_some(asio::buffer(buf), kTuple);
      if (read_ec) co_return;  // between requests: an ordinary close
      c->in.append(buf, n);
    }
    const auto& req = parser.get();
    StreamExchange ex;
    ex.connection = c->index;
    ex.method = std::string(req.method_string());
    ex.target = std::string(req.target());
    for (const auto& field : req)
      ex.headers.emplace_back(ToLower(std::string(field.name_string())),
                              std::string(field.value()));
    ex.body = req.body();
    StreamPlan plan = script_(ex);
    std::size_t record;
    {
      std::lock_guard lock(mu_);
      record = exchanges_.size();
      exchanges_.push_back(std::move(ex));
    }
    if (!co_await Respond(*c, plan, record)) {
      ++closed_by_client_;
      co_return;
    }
    if (plan.close_after) co_return;
  }
}

awaitable<bool> SlowStreamServer::Respond(Connection& c, const StreamPlan& plan,
                                          std::size_t record) {
  auto wait = [&c](std::chrono::milliseconds d) { return WaitWatching(c.socket, c.in, d); };
  // Awaited at once, so the references it captures outlive it.
  auto send_piece = [&](std::size_t i) -> awaitable<bool> {
    if (plan.delay.count() > 0 && co_await wait(plan.delay)) co_return false;
    while (plan.gate && !plan.gate(i)) {
      if (co_await wait(std::chrono::milliseconds(2))) co_return false;
    }
    std::string framed = plan.chunked ? Chunk(plan.pieces[i]) : plan.pieces[i];
    if (!co_await Write(c.socket, std::move(framed))) co_return false;
    std::lock_guard lock(mu_);
    ++exchanges_[record].pieces_sent;
    co_return true;
  };
  if (!plan.head.empty()) {
    std::string head = plan.head + (plan.chunked ? "Transfer-Encoding: chunked\r\n" : "") + "\r\n";
    if (!co_await Write(c.socket, head)) co_return false;
    for (std::size_t i = 0; i < plan.pieces.size(); ++i) {
      if (!co_await send_piece(i)) co_return false;
    }
    while (plan.repeat_forever && !plan.pieces.empty()) {
      if (!co_await send_piece(plan.pieces.size() - 1)) co_return false;
    }
  }
  if (plan.head.empty() || plan.hang) {
    for (;;) {
      if (co_await wait(std::chrono::milliseconds(200))) co_return false;
    }
  }
  if (plan.chunked && !plan.close_after) {
    std::string last_chunk = "0\r\n\r\n";
    if (!co_await Write(c.socket, std::move(last_chunk))) co_return false;
  }
  co_return true;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace studybot::testing
