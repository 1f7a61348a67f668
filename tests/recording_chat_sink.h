// RecordingChatSink: a ChatSink for tests that keeps every delta and the completion, checks the
// order the ChatSink contract promises, and lets a test wait for the end. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ai/chat_model.h"

namespace studybot::testing {

class RecordingChatSink final : public ai::ChatSink {
 public:
  void OnDelta(std::string_view text) override {
    std::lock_guard lock(mu_);
    if (result_ || text.empty()) broken_ = true;
    deltas_.emplace_back(text);
  }
  void OnComplete(Result<ai::ChatCompletion> result) override {
    std::lock_guard lock(mu_);
    if (result_) broken_ = true;
    result_.emplace(std::move(result));
    cv_.notify_all();
  }

  // Waits for OnComplete (a failure guard: 20 s); false if it did not come.
  bool Wait() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return result_.has_value(); });
  }
  // REQUIRES: Wait() returned true.
  Result<ai::ChatCompletion> result() {
    std::lock_guard lock(mu_);
    return *result_;
  }
  // The error code, or kInternal when the call succeeded. REQUIRES: Wait() returned true.
  ErrorCode code() {
    std::lock_guard lock(mu_);
    return result_->ok() ? ErrorCode::kInternal : result_->error().code;
  }
  std::string message() {
    std::lock_guard lock(mu_);
    return result_->ok() ? "ok" : result_->error().message;
  }
  bool done() {
    std::lock_guard lock(mu_);
    return result_.has_value();
  }
  std::vector<std::string> deltas() {
    std::lock_guard lock(mu_);
    return deltas_;
  }
  std::string text() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const std::string& d : deltas_)
      out += d;
    return out;
  }
  // A delta after the completion, an empty delta, or two completions.
  bool broken() {
    std::lock_guard lock(mu_);
    return broken_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> deltas_;                   // REQUIRES: mu_ held
  std::optional<Result<ai::ChatCompletion>> result_;  // REQUIRES: mu_ held
  bool broken_ = false;                               // REQUIRES: mu_ held
};

}  // namespace studybot::testing
