// RequestObserver: how the HTTP layer reports each request to whoever counts them (ops/metrics).
// Implementations must be thread-safe: every I/O thread calls them.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

#include "http/types.h"

namespace studybot::http {

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void OnRequestStart() = 0;
  // `route` is the matched pattern, or "unmatched".
  virtual void OnRequestEnd(Method method, std::string_view route, unsigned status,
                            std::chrono::nanoseconds duration, std::size_t response_bytes) = 0;
};

}  // namespace studybot::http
