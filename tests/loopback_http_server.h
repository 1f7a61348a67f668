// A small real HTTP/1.1 server for tests on 127.0.0.1 (Beast, one background thread, one
// connection at a time, keep-alive). It records every request and answers with `handler`: a test
// webhook receiver, or a web site for the crawler.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "loopback_listener.h"

namespace studybot::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  std::string Header(const std::string& lower_name) const;
};

struct Reply {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class LoopbackHttpServer {
 public:
  using Handler = std::function<Reply(const ReceivedRequest&)>;
  explicit LoopbackHttpServer(Handler handler);
  ~LoopbackHttpServer();

  uint16_t port() const { return listener_.port(); }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }
  std::vector<ReceivedRequest> Received();
  // Polls until at least `n` requests arrived or ~10 s passed; returns what arrived.
  std::vector<ReceivedRequest> WaitFor(std::size_t n);

 private:
  void Session(boost::asio::ip::tcp::socket& s);

  Handler handler_;
  std::mutex mu_;
  std::vector<ReceivedRequest> received_;  // REQUIRES: mu_ held
  LoopbackListener listener_;              // last: serves until destroyed first
};

}  // namespace studybot::testing
