// LoopbackListener: the accept loop of the test servers (fake SMTP, HTTP). Listens on
// 127.0.0.1 on a port the kernel picks and runs `session` for each connection, one at a time, on
// its own thread. Declare it as the last member of its owner: it starts serving in its
// constructor and stops (joining the thread) in its destructor.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace studybot::testing {

class LoopbackListener {
 public:
  using Session = std::function<void(boost::asio::ip::tcp::socket&)>;
  explicit LoopbackListener(Session session);
  ~LoopbackListener();

  uint16_t port() const { return port_; }

 private:
  void Serve();

  Session session_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Polls `done` every 5 ms until it holds or about 10 s passed.
void WaitUntil(const std::function<bool()>& done);

}  // namespace studybot::testing
