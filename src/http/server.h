// Server: accepts TCP connections and runs one coroutine per connection that reads requests
// (HTTP/1.1, keep-alive), hands them to the Pipeline and writes the responses.
//
// Every read and write has a deadline: an idle keep-alive connection is closed after
// idle_timeout; once a request starts, the client has read_timeout to send all of it (a client
// trickling one byte a second gets 408); a client that does not read its response is cut off after
// write_timeout. Oversized heads get 431, oversized bodies 413, unparseable requests 400, and the
// connection is then closed.
//
// Shutdown(): stop accepting, close idle connections, let in-flight requests finish, and stop the
// I/O threads once none remain or shutdown_grace has passed.
//
// Thread-safe: Shutdown() may be called from any thread (or a signal handler via RunUntilSignal).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "core/config.h"
#include "core/log.h"
#include "core/result.h"
#include "http/pipeline.h"

namespace studybot::http {

class Server {
 public:
  // `pipeline` and `logger` must outlive the server.
  Server(const HttpConfig& config, Pipeline& pipeline, Logger& logger);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; fails with a message naming the address.
  studybot::Status Listen();
  // The bound port (after Listen).
  uint16_t port() const { return port_; }

  // Starts the I/O threads and returns.
  void Start();
  // Blocks until the server has stopped (after Shutdown).
  void Wait();
  // Starts, then blocks until SIGINT or SIGTERM has been handled and the server has stopped.
  void RunUntilSignal();
  // Begins a graceful shutdown; returns at once. Idempotent.
  void Shutdown();

  // Connections currently open.
  std::size_t ConnectionCount() const;

 private:
  class Connection;
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  boost::asio::awaitable<void> AcceptLoop();
  boost::asio::awaitable<void> Serve(boost::asio::ip::tcp::socket socket);
  boost::asio::awaitable<void> DrainLoop();
  // Sends a streamed response: `head` with chunked coding, then `body`'s chunks, then the last
  // chunk. The connection is not reused afterwards.
  boost::asio::awaitable<void> Stream(boost::beast::tcp_stream& stream, Response& head,
                                      const StreamBody& body);

  // Connection registry, used to close idle connections on shutdown.
  uint64_t Register(Connection* conn);
  void Unregister(uint64_t id);

  const HttpConfig& config_;
  Pipeline& pipeline_;
  Logger& logger_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> started_{false};

  mutable std::mutex mu_;
  uint64_t next_id_ = 1;                             // REQUIRES: mu_ held
  std::unordered_map<uint64_t, Connection*> conns_;  // REQUIRES: mu_ held
};

}  // namespace studybot::http
