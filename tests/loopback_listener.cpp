#include "loopback_listener.h"

#include <chrono>
#include <exception>

namespace studybot::testing {

namespace asio = boost::asio;

LoopbackListener::LoopbackListener(Session session)
    : session_(std::move(session)), acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}) {
  port_ = acceptor_.local_endpoint().port();
  thread_ = std::thread([this] { Serve(); });
}

LoopbackListener::~LoopbackListener() {
  stop_ = true;
  boost::system::error_code ec;
  // Wake the blocking accept with a connection of our own.
  asio::ip::tcp::socket poke(ioc_);
  poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
  poke.close(ec);
  thread_.join();
}

void LoopbackListener::Serve() {
  while (!stop_) {
    asio::ip::tcp::socket s(ioc_);
    boost::system::error_code ec;
    acceptor_.accept(s, ec);
    if (ec || stop_) return;
    try {
      session_(s);
    } catch (const std::exception&) {
      // the client went away
    }
  }
}

void WaitUntil(const std::function<bool()>& done) {
  for (int i = 0; i < 2000 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace studybot::testing
