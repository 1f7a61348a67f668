// Test helpers for StreamClient: a StreamHandler that records every call and checks the order
// the contract promises, and the SlowStreamServer plans the tests use.
//
// Thread-safe: the handler is called on the client's thread while the test reads it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "outbound/stream_client.h"
#include "slow_stream_server.h"

namespace studybot::testing {

using outbound::HttpClientOptions;
using outbound::HttpResponse;
using outbound::StreamHandler;
using outbound::StreamRequest;
using namespace std::chrono_literals;

// Records every call and checks the order the contract promises.
class Recorder final : public StreamHandler {
 public:
  bool OnHead(const HttpResponse& head) override {
    std::lock_guard lock(mu_);
    Note();
    if (heads_ != 0) order_broken_ = true;
    ++heads_;
    head_ = head;
    return stop_at_head_ ? false : true;
  }
  bool OnData(std::string_view bytes) override {
    std::lock_guard lock(mu_);
    Note();
    if (heads_ != 1 || bytes.empty()) order_broken_ = true;
    body_.append(bytes);
    ++pieces_;
    return stop_after_pieces_ == 0 || pieces_ < stop_after_pieces_;
  }
  void OnDone(Status status) override {
    std::function<void()> then;
    {
      std::lock_guard lock(mu_);
      Note();
      ++dones_;
      status_ = std::move(status);
      then = std::move(on_done_);
    }
    if (then) then();
    cv_.notify_all();
  }

  // Waits for OnDone (a failure guard: 20 s).
  bool WaitDone() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 20s, [&] { return dones_ > 0; });
  }
  bool ok() {
    std::lock_guard lock(mu_);
    return dones_ == 1 && status_.ok();
  }
  ErrorCode code() {
    std::lock_guard lock(mu_);
    return status_.ok() ? ErrorCode::kInternal : status_.error().code;
  }
  std::string message() {
    std::lock_guard lock(mu_);
    return status_.ok() ? "ok" : status_.error().message;
  }
  std::string body() {
    std::lock_guard lock(mu_);
    return body_;
  }
  HttpResponse head() {
    std::lock_guard lock(mu_);
    return head_;
  }
  int heads() {
    std::lock_guard lock(mu_);
    return heads_;
  }
  int pieces() {
    std::lock_guard lock(mu_);
    return pieces_;
  }
  int dones() {
    std::lock_guard lock(mu_);
    return dones_;
  }
  bool order_broken() {
    std::lock_guard lock(mu_);
    return order_broken_;
  }
  std::set<std::thread::id> threads() {
    std::lock_guard lock(mu_);
    return threads_;
  }

  bool stop_at_head_ = false;
  int stop_after_pieces_ = 0;  // 0: never
  std::function<void()> on_done_;

 private:
  void Note() {
    threads_.insert(std::this_thread::get_id());
    if (dones_ != 0) order_broken_ = true;  // nothing may follow OnDone
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int heads_ = 0;
  int pieces_ = 0;
  int dones_ = 0;
  bool order_broken_ = false;
  HttpResponse head_;
  std::string body_;
  Status status_;
  std::set<std::thread::id> threads_;
};

inline HttpClientOptions AllowLoopback() {
  HttpClientOptions options;
  options.addresses.allow_private = true;
  return options;
}

inline StreamRequest Get(const std::string& url) {
  StreamRequest request;
  request.http.url = url;
  request.http.timeout = 60s;
  return request;
}

inline StreamPlan Pieces(std::vector<std::string> pieces) {
  StreamPlan plan;
  plan.pieces = std::move(pieces);
  return plan;
}

// Accepts the request and never answers.
inline StreamPlan Silent() {
  StreamPlan plan;
  plan.head.clear();
  return plan;
}

// A stream that never ends by itself: a piece every 20 ms.
inline StreamPlan Endless() {
  StreamPlan plan = Pieces({"data: tick\n\n"});
  plan.delay = 20ms;
  plan.repeat_forever = true;
  return plan;
}

inline StreamPlan Redirect(const std::string& location) {
  StreamPlan plan;
  plan.head = "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 5\r\n";
  plan.chunked = false;
  plan.pieces = {"moved"};
  return plan;
}

}  // namespace studybot::testing
