// ChatRuntime: what chat models behind OpenAI-style APIs run on: one I/O thread whose
// io_context carries their timers (backoff, rate budget) and call steps, and two streaming HTTP
// clients (one libcurl multi thread each): `operator_client` for the operator's OPENAI_BASE_URL,
// which may be on this machine or network, and `guarded_client` for URLs chatbot admins set,
// which the SSRF guard (outbound.allow_private_addresses) applies to.
//
// Thread-safe: the clients and the executor may be used from any thread. Destruction aborts
// every exchange in flight, then stops the thread.
#pragma once

#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "core/config.h"
#include "outbound/curl_stream_client.h"

namespace studybot::app {

class ChatRuntime {
 public:
  explicit ChatRuntime(const Config& config);
  ~ChatRuntime();
  ChatRuntime(const ChatRuntime&) = delete;
  ChatRuntime& operator=(const ChatRuntime&) = delete;

  boost::asio::any_io_executor executor() { return ioc_.get_executor(); }
  outbound::StreamClient& operator_client() { return *operator_client_; }
  outbound::StreamClient& guarded_client() { return *guarded_client_; }

 private:
  boost::asio::io_context ioc_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::unique_ptr<outbound::CurlStreamClient> operator_client_;
  std::unique_ptr<outbound::CurlStreamClient> guarded_client_;
  std::thread thread_;
};

}  // namespace studybot::app
