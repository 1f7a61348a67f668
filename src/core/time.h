// Time helpers and the Clock seam (tests advance a fake clock instead of sleeping).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace studybot {

using SystemTime = std::chrono::system_clock::time_point;

inline SystemTime SystemNow() {
  return std::chrono::system_clock::now();
}

// "2026-11-24T11:25:39.123Z"
std::string FormatRfc3339Millis(SystemTime t);
// "2026-11-24T11:25:39Z"
std::string FormatRfc3339(SystemTime t);

// Parses "YYYY-MM-DDTHH:MM:SS[.fff]Z" (UTC only, as we write them); nullopt otherwise.
std::optional<SystemTime> ParseRfc3339(std::string_view text);

// Wall and monotonic time. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime Now() const = 0;
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

class RealClock final : public Clock {
 public:
  SystemTime Now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace studybot
