#include "app/chat_runtime.h"

namespace studybot::app {

ChatRuntime::ChatRuntime(const Config& config)
    : work_(boost::asio::make_work_guard(ioc_)),
      operator_client_(std::make_unique<outbound::CurlStreamClient>(
          outbound::HttpClientOptions{outbound::AddressPolicy{true}})),
      guarded_client_(std::make_unique<outbound::CurlStreamClient>(outbound::HttpClientOptions{
          outbound::AddressPolicy{config.outbound.allow_private_addresses}})),
      thread_([this] { ioc_.run(); }) {}

ChatRuntime::~ChatRuntime() {
  // The clients abort their exchanges (each call's completion is posted to the io_context);
  // nobody waits for those answers any more (the server has stopped), so the io_context stops
  // without running what is left.
  guarded_client_.reset();
  operator_client_.reset();
  work_.reset();
  ioc_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace studybot::app
