#include "ai/circuit_breaker.h"

namespace studybot::ai {

using std::chrono::milliseconds;

Status CircuitBreakerOptions::Validate() const {
  if (failure_threshold < 1) return Error::InvalidArgument("failure_threshold must be >= 1");
  if (cooldown.count() <= 0) return Error::InvalidArgument("cooldown must be positive");
  return OkStatus();
}

CircuitBreaker::CircuitBreaker(const CircuitBreakerOptions& options, const Clock& clock)
    : options_(options), clock_(clock) {}

void CircuitBreaker::Refresh(std::chrono::steady_clock::time_point now) {
  if (state_ == State::kOpen && now >= open_until_) {
    state_ = State::kHalfOpen;
    probing_ = false;
  }
}

bool CircuitBreaker::Allow() {
  const auto now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  Refresh(now);
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      return false;
    case State::kHalfOpen:
      if (probing_ && now - probe_since_ < options_.cooldown) return false;
      probing_ = true;
      probe_since_ = now;
      return true;
  }
  return false;
}

void CircuitBreaker::Record(Outcome outcome) {
  const auto now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  Refresh(now);
  switch (outcome) {
    case Outcome::kNeutral:
      if (state_ == State::kHalfOpen) probing_ = false;  // let another probe go
      return;
    case Outcome::kSuccess:
      state_ = State::kClosed;
      failures_ = 0;
      probing_ = false;
      return;
    case Outcome::kFailure:
      ++failures_;
      // A half-open failure re-opens at once; a late failure of a call that started before the
      // circuit opened only extends nothing (the circuit is already open).
      if (state_ == State::kHalfOpen ||
          (state_ == State::kClosed && failures_ >= options_.failure_threshold)) {
        state_ = State::kOpen;
        open_until_ = now + options_.cooldown;
        probing_ = false;
      }
      return;
  }
}

CircuitBreaker::State CircuitBreaker::state() const {
  const auto now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  if (state_ == State::kOpen && now >= open_until_) return State::kHalfOpen;
  return state_;
}

milliseconds CircuitBreaker::RetryIn() const {
  const auto now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  if (state_ != State::kOpen || now >= open_until_) return milliseconds(0);
  return std::chrono::ceil<milliseconds>(open_until_ - now);
}

}  // namespace studybot::ai
