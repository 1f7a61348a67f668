// SlowStreamServer: an HTTP/1.1 server on 127.0.0.1 for streaming tests (Boost.Asio coroutines,
// one background thread, any number of concurrent connections, keep-alive). For each request it
// asks the test's script for a StreamPlan: a head, then body pieces, each sent after a delay
// and/or once a gate opens, then optionally silence until the client leaves. Whenever it waits it
// also watches the socket, so it records when a client closed (or reset) its connection, even in
// the middle of a slow stream.
//
// Thread-safe: the script and gates run on the server's thread; the accessors may be called from
// any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace studybot::testing {

struct StreamPlan {
  // Status line and header lines, each ending in CRLF, without the blank line; Transfer-Encoding:
  // chunked is added when `chunked`. Empty: send nothing at all (and behave as `hang`).
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n";
  std::vector<std::string> pieces;
  // Frame the pieces as chunks and end with the last chunk. Otherwise send them as they are.
  bool chunked = true;
  // Before each piece.
  std::chrono::milliseconds delay{0};
  // Piece i is sent once gate(i) returns true (polled every few ms). Null: no gate.
  std::function<bool(std::size_t)> gate;
  // Send `pieces.back()` again after every `delay`, forever (until the client leaves).
  bool repeat_forever = false;
  // After the pieces (without the last chunk), send nothing and wait for the client to leave.
  bool hang = false;
  // After the pieces, close the connection (a broken body if the head promised more).
  bool close_after = false;
};

struct StreamExchange {
  std::size_t connection = 0;  // index in accept order
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::size_t pieces_sent = 0;

  std::string Header(const std::string& lower_name) const;
};

class SlowStreamServer {
 public:
  using Script = std::function<StreamPlan(const StreamExchange&)>;
  explicit SlowStreamServer(Script script);
  ~SlowStreamServer();

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<StreamExchange> Exchanges();
  std::size_t accepted() const { return accepted_; }
  // Connections the client closed or reset while the server was still serving or waiting.
  std::size_t closed_by_client() const { return closed_by_client_; }
  // Connections currently open.
  std::size_t open() const { return open_; }

 private:
  struct Connection;
  boost::asio::awaitable<void> Accept();
  boost::asio::awaitable<void> Serve(std::shared_ptr<Connection> c);
  // False when the client left before the response was complete.
  boost::asio::awaitable<bool> Respond(Connection& c, const StreamPlan& plan, std::size_t record);

  Script script_;
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> closed_by_client_{0};
  std::atomic<std::size_t> open_{0};
  std::mutex mu_;
  std::vector<StreamExchange> exchanges_;  // REQUIRES: mu_ held
  // After what the sessions use: destroying it destroys the sessions' coroutine frames.
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
};

// Polls `done` every 2 ms until it holds or `limit` passed; returns the last result. A failure
// guard only: tests never assert how long something took.
bool WaitFor(const std::function<bool()>& done,
             std::chrono::milliseconds limit = std::chrono::seconds(10));

}  // namespace studybot::testing
