#include "ai/rate_budget.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace studybot::ai {
namespace {

constexpr double kMsPerMinute = 60'000.0;

double MsBetween(std::chrono::steady_clock::time_point from,
                 std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace

SleepFunction RealSleep() {
  return [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

Status RateBudgetOptions::Validate() const {
  if (requests_per_minute < 0) {
    return Error::InvalidArgument("requests_per_minute must be >= 0 (0 = unlimited)");
  }
  if (tokens_per_minute < 0) {
    return Error::InvalidArgument("tokens_per_minute must be >= 0 (0 = unlimited)");
  }
  if (burst.count() <= 0) return Error::InvalidArgument("burst must be positive");
  return OkStatus();
}

RateBudget::RateBudget(const RateBudgetOptions& options, const Clock& clock, SleepFunction sleep)
    : clock_(clock), sleep_(sleep ? std::move(sleep) : RealSleep()) {
  auto init = [&](Bucket& b, int64_t per_minute) {
    if (per_minute <= 0) return;
    b.per_ms = static_cast<double>(per_minute) / kMsPerMinute;
    b.capacity = std::max(1.0, b.per_ms * static_cast<double>(options.burst.count()));
    b.available = b.capacity;
  };
  init(requests_, options.requests_per_minute);
  init(tokens_, options.tokens_per_minute);
  last_ = clock_.Monotonic();
  hold_until_ = last_;
}

double RateBudget::Take(Bucket& b, double elapsed_ms, double cost) {
  if (b.per_ms == 0) return 0;
  b.available = std::min(b.capacity, b.available + elapsed_ms * b.per_ms);
  const double wait = b.available >= cost ? 0 : (cost - b.available) / b.per_ms;
  b.available -= cost;
  return wait;
}

std::chrono::milliseconds RateBudget::Reserve(int64_t tokens) {
  std::lock_guard lock(mu_);
  // Read the clock under the lock so that refills are computed in time order.
  const auto now = clock_.Monotonic();
  const double elapsed = std::max(0.0, MsBetween(last_, now));
  last_ = std::max(last_, now);
  double wait =
      std::max(Take(requests_, elapsed, 1), Take(tokens_, elapsed, std::max<double>(0, tokens)));
  wait = std::max(wait, MsBetween(now, hold_until_));
  if (wait <= 0) return std::chrono::milliseconds(0);
  // Round up (less a hair of floating-point noise) so that the caller never sends early.
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(wait - 1e-6)));
}

void RateBudget::Acquire(int64_t tokens) {
  const auto wait = Reserve(tokens);
  if (wait.count() > 0) sleep_(wait);
}

void RateBudget::Hold(std::chrono::milliseconds duration) {
  std::lock_guard lock(mu_);
  hold_until_ = std::max(hold_until_, clock_.Monotonic() + duration);
}

}  // namespace studybot::ai
