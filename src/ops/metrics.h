// Metrics: request counts, latency histograms and in-flight requests, plus process figures,
// rendered in the Prometheus text exposition format (version 0.0.4).
//
// Thread-safe: the HTTP layer reports every request from every I/O thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/observer.h"

namespace studybot::ops {

class Metrics final : public http::RequestObserver {
 public:
  Metrics();

  void OnRequestStart() override;
  void OnRequestEnd(http::Method method, std::string_view route, unsigned status,
                    std::chrono::nanoseconds duration, std::size_t response_bytes) override;

  // The whole exposition, ready to serve as text/plain; version=0.0.4.
  std::string Render() const;

  // Upper bounds of the latency histogram buckets, in seconds.
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct RouteStats {
    std::array<uint64_t, kBuckets.size()> buckets{};  // non-cumulative counts
    uint64_t count = 0;
    double sum_seconds = 0;
    // (method, status) -> count
    std::map<std::pair<std::string, unsigned>, uint64_t> requests;
    uint64_t response_bytes = 0;
  };

  std::chrono::system_clock::time_point started_;
  std::atomic<int64_t> in_flight_{0};
  mutable std::mutex mu_;
  std::unordered_map<std::string, RouteStats, StringHash, std::equal_to<>>
      routes_;  // REQUIRES: mu_
};

// Figures about this process read from /proc.
struct ProcessStats {
  double cpu_seconds = 0;
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
  uint64_t threads = 0;
  double start_time_seconds = 0;  // since the epoch
};
ProcessStats ReadProcessStats();

}  // namespace studybot::ops
