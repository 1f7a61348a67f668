// A small real SMTP server for tests (RFC 5321 subset, no TLS) on 127.0.0.1, in a background
// thread. It records every accepted message.
#pragma once

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "loopback_listener.h"

namespace studybot::testing {

struct ReceivedMail {
  std::string from;
  std::vector<std::string> to;
  std::string data;  // the message as sent, dot-unstuffed
};

class FakeSmtpServer {
 public:
  // Accepts AUTH with these credentials (any when `user` is empty); RCPT to `reject` gets 550.
  FakeSmtpServer(std::string user = {}, std::string password = {}, std::string reject = {});
  ~FakeSmtpServer();

  uint16_t port() const { return listener_.port(); }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port()); }
  std::vector<ReceivedMail> Received();
  // Polls until at least one message arrived (mail is sent after the HTTP answer) or ~10 s.
  std::vector<ReceivedMail> WaitForMail();

 private:
  void Session(boost::asio::ip::tcp::socket& s);

  std::string user_, password_, reject_;
  std::mutex mu_;
  std::vector<ReceivedMail> received_;  // REQUIRES: mu_ held
  LoopbackListener listener_;           // last: serves until destroyed first
};

}  // namespace studybot::testing
