// FakeClock: a Clock that only moves when a test says so. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>

#include "core/time.h"

namespace studybot {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(SystemTime start = std::chrono::system_clock::from_time_t(1'790'000'000))
      : wall_(start), mono_(std::chrono::hours(1000)) {}

  SystemTime Now() const override {
    std::lock_guard lock(mu_);
    return wall_;
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    std::lock_guard lock(mu_);
    return mono_;
  }
  void Advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(mu_);
    wall_ += std::chrono::duration_cast<SystemTime::duration>(d);
    mono_ += d;
  }

 private:
  mutable std::mutex mu_;
  SystemTime wall_;                             // REQUIRES: mu_ held
  std::chrono::steady_clock::time_point mono_;  // REQUIRES: mu_ held
};

}  // namespace studybot
