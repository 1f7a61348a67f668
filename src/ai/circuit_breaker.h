// CircuitBreaker: makes calls to a provider account that is down fail fast, instead of each one
// waiting for its own timeouts and retries (a chat answer that stalls for minutes is worse than
// the chatbot's fallback at once).
//
//   closed     calls go through; `failure_threshold` failures in a row open the circuit
//   open       calls are refused for `cooldown`
//   half-open  after the cooldown, one call (the probe) goes through and the others are still
//              refused; its success closes the circuit, its failure opens it for another
//              cooldown. A probe that never reports (its caller forgot) is replaced by another
//              once a cooldown has passed, so the circuit cannot stay half-open for ever.
//
// What counts is the caller's verdict (Record): a failure says the provider is unwell (transport
// errors, timeouts, 5xx, a stream broken mid-way); a success says it answered, even with a 4xx
// (the caller's mistake proves the provider is up); kNeutral says nothing (the call was
// cancelled, or rate limited: a 429 is the provider protecting itself, not failing).
//
// Time comes from the Clock's monotonic reading, so tests advance a FakeClock.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <mutex>

#include "core/result.h"
#include "core/time.h"

namespace studybot::ai {

struct CircuitBreakerOptions {
  // Failures in a row that open the circuit. >= 1.
  int failure_threshold = 5;
  // How long an open circuit refuses calls before letting a probe through. Positive.
  std::chrono::milliseconds cooldown{30'000};

  // kInvalidArgument naming the first bad field.
  Status Validate() const;
};

class CircuitBreaker {
 public:
  enum class State { kClosed, kOpen, kHalfOpen };
  enum class Outcome { kSuccess, kFailure, kNeutral };

  // REQUIRES: options.Validate().ok(). `clock` must outlive the breaker.
  CircuitBreaker(const CircuitBreakerOptions& options, const Clock& clock);
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Whether a call may go now. Every call allowed must be followed by one Record of its outcome
  // (a half-open circuit waits for its probe's). A refused call must not Record.
  bool Allow();

  // The outcome of a call that Allow let through.
  void Record(Outcome outcome);

  State state() const;
  // How long until an open circuit lets a probe through; zero when it is not open.
  std::chrono::milliseconds RetryIn() const;

 private:
  // Moves an open circuit whose cooldown has passed to half-open. REQUIRES: mu_ held.
  void Refresh(std::chrono::steady_clock::time_point now);

  const CircuitBreakerOptions options_;
  const Clock& clock_;
  mutable std::mutex mu_;
  State state_ = State::kClosed;                       // REQUIRES: mu_ held
  int failures_ = 0;                                   // in a row; REQUIRES: mu_ held
  std::chrono::steady_clock::time_point open_until_;   // REQUIRES: mu_ held
  bool probing_ = false;                               // half-open probe out; REQUIRES: mu_ held
  std::chrono::steady_clock::time_point probe_since_;  // REQUIRES: mu_ held
};

}  // namespace studybot::ai
