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

#include "core/strings.h"

namespace studybot::testing {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string Chunk(const std::string& piece) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
  return size + piece + "\r\n";
}

// Splits a request head ("GET / HTTP/1.1\r\nName: value\r\n...") into `ex`.
void ParseHead(std::string_view head, StreamExchange& ex) {
  std::vector<std::string_view> lines = Split(head, '\n');
  std::vector<std::string_view> start = Split(Trim(lines[0]), ' ');
  if (start.size() >= 2) {
    ex.method = start[0];
    ex.target = start[1];
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto colon = lines[i].find(':');
    if (colon == std::string_view::npos) continue;
    ex.headers.emplace_back(ToLower(std::string(Trim(lines[i].substr(0, colon)))),
                            std::string(Trim(lines[i].substr(colon + 1))));
  }
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

awaitable<bool> Write(asio::ip::tcp::socket& socket, const std::string& data) {
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
    std::size_t end;
    while ((end = c->in.find("\r\n\r\n")) == std::string::npos) {
      char buf[4096];
      auto [ec, n] = co_await c->socket.async_read_some(asio::buffer(buf), kTuple);
      if (ec) co_return;  // between requests: an ordinary close
      c->in.append(buf, n);
    }
    StreamExchange ex;
    ex.connection = c->index;
    ParseHead(std::string_view(c->in).substr(0, end), ex);
    c->in.erase(0, end + 4);
    std::string length = ex.Header("content-length");
    std::size_t want = length.empty() ? 0 : std::stoul(length);
    while (c->in.size() < want) {
      char buf[4096];
      auto [ec, n] = co_await c->socket.async_read_some(asio::buffer(buf), kTuple);
      if (ec) co_return;
      c->in.append(buf, n);
    }
    ex.body = c->in.substr(0, want);
    c->in.erase(0, want);
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
    if (!co_await Write(c.socket, plan.chunked ? Chunk(plan.pieces[i]) : plan.pieces[i])) {
      co_return false;
    }
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
  if (plan.chunked && !plan.close_after && !co_await Write(c.socket, "0\r\n\r\n")) co_return false;
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
