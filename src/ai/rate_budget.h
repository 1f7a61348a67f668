// RateBudget: a client-side pacer for one metered third-party API account (OpenAI's requests per
// minute and tokens per minute), so that a big crawl spreads its calls out instead of setting off
// a storm of 429s that each cost a retry and a backoff.
//
// Two token buckets, one for requests and one for (estimated) tokens, each refilled continuously
// at its per-minute rate and holding at most `burst` worth of it. A caller reserves before each
// request: the reservation is granted at once and may leave a bucket in debt, and the caller is
// told how long to wait before sending. Because reservations are taken in order under one lock,
// concurrent callers queue up behind each other rather than all waking at the same instant; a
// request larger than a whole bucket still goes through, after waiting for the debt to refill.
//
// Hold() lets a caller that was told by the provider to back off (429 with Retry-After) pause
// every other caller of the same account too, since the provider's limit is per account.
//
// Time comes from the Clock's monotonic reading and waiting goes through the injected sleep
// function, so tests advance a FakeClock instead of sleeping.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

#include "core/result.h"
#include "core/time.h"

namespace studybot::ai {

// Blocks the calling thread for the given time. Injected so that tests never really wait.
using SleepFunction = std::function<void(std::chrono::milliseconds)>;

// std::this_thread::sleep_for.
SleepFunction RealSleep();

struct RateBudgetOptions {
  // Requests per minute; 0 = unlimited. >= 0.
  int64_t requests_per_minute = 0;
  // Tokens per minute, counted as the caller estimates them; 0 = unlimited. >= 0.
  int64_t tokens_per_minute = 0;
  // How much unused budget may accumulate, as time at the full rate (a bucket holds at most
  // rate * burst, and at least one request). Short, because providers enforce their per-minute
  // limits over shorter windows too (60,000 RPM may mean 1,000 per second). Positive.
  std::chrono::milliseconds burst{10'000};

  // kInvalidArgument naming the first bad field.
  Status Validate() const;
};

class RateBudget {
 public:
  // REQUIRES: options.Validate().ok(). `clock` must outlive the budget; an empty `sleep` means
  // RealSleep(). Both buckets start full.
  RateBudget(const RateBudgetOptions& options, const Clock& clock, SleepFunction sleep);
  RateBudget(const RateBudget&) = delete;
  RateBudget& operator=(const RateBudget&) = delete;

  // Reserves one request costing `tokens` (>= 0) and returns how long to wait before sending it:
  // zero when it may go now. The reservation is kept whether or not the caller then sends.
  std::chrono::milliseconds Reserve(int64_t tokens);

  // Reserve, then sleep for the wait (no call to sleep when there is none).
  void Acquire(int64_t tokens);

  // No reservation made from now on may be sent earlier than `duration` from now (a longer
  // earlier hold stays).
  void Hold(std::chrono::milliseconds duration);

 private:
  struct Bucket {
    double per_ms = 0;     // refill rate; 0 = unlimited
    double capacity = 0;   // most it holds
    double available = 0;  // may be negative: reservations ahead of the refill
  };

  // Refills `b` for `elapsed_ms`, then takes `cost` from it; returns the wait in ms until the
  // bucket is out of debt. REQUIRES: mu_ held.
  static double Take(Bucket& b, double elapsed_ms, double cost);

  const Clock& clock_;
  SleepFunction sleep_;
  std::mutex mu_;
  Bucket requests_;                                   // REQUIRES: mu_ held
  Bucket tokens_;                                     // REQUIRES: mu_ held
  std::chrono::steady_clock::time_point last_;        // REQUIRES: mu_ held
  std::chrono::steady_clock::time_point hold_until_;  // REQUIRES: mu_ held
};

}  // namespace studybot::ai
