#include "ai/circuit_breaker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/fake_clock.h"

namespace studybot::ai {
namespace {

using namespace std::chrono_literals;
using Outcome = CircuitBreaker::Outcome;
using State = CircuitBreaker::State;

CircuitBreakerOptions Options() {
  CircuitBreakerOptions o;
  o.failure_threshold = 3;
  o.cooldown = 10s;
  return o;
}

void Fail(CircuitBreaker& b, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(b.Allow());
    b.Record(Outcome::kFailure);
  }
}

TEST(CircuitBreakerTest, ValidatesOptions) {
  EXPECT_TRUE(Options().Validate().ok());
  CircuitBreakerOptions o = Options();
  o.failure_threshold = 0;
  EXPECT_FALSE(o.Validate().ok());
  o = Options();
  o.cooldown = 0ms;
  EXPECT_FALSE(o.Validate().ok());
}

TEST(CircuitBreakerTest, OpensAfterConsecutiveFailuresOnly) {
  FakeClock clock;
  CircuitBreaker b(Options(), clock);
  Fail(b, 2);
  ASSERT_TRUE(b.Allow());
  b.Record(Outcome::kSuccess);  // breaks the run
  Fail(b, 2);
  ASSERT_TRUE(b.Allow());
  b.Record(Outcome::kNeutral);  // neither breaks nor extends it
  EXPECT_EQ(b.state(), State::kClosed);
  Fail(b, 1);
  EXPECT_EQ(b.state(), State::kOpen);
  EXPECT_FALSE(b.Allow());
  EXPECT_EQ(b.RetryIn(), 10s);
}

TEST(CircuitBreakerTest, HalfOpenLetsOneProbeThrough) {
  FakeClock clock;
  CircuitBreaker b(Options(), clock);
  Fail(b, 3);
  clock.Advance(9999ms);
  EXPECT_FALSE(b.Allow());
  EXPECT_EQ(b.RetryIn(), 1ms);
  clock.Advance(1ms);
  EXPECT_EQ(b.state(), State::kHalfOpen);
  EXPECT_TRUE(b.Allow());   // the probe
  EXPECT_FALSE(b.Allow());  // everyone else waits for it
  b.Record(Outcome::kSuccess);
  EXPECT_EQ(b.state(), State::kClosed);
  EXPECT_TRUE(b.Allow());
  b.Record(Outcome::kSuccess);
}

TEST(CircuitBreakerTest, AFailedProbeReopensForACooldown) {
  FakeClock clock;
  CircuitBreaker b(Options(), clock);
  Fail(b, 3);
  clock.Advance(10s);
  ASSERT_TRUE(b.Allow());
  b.Record(Outcome::kFailure);
  EXPECT_EQ(b.state(), State::kOpen);
  EXPECT_FALSE(b.Allow());
  EXPECT_EQ(b.RetryIn(), 10s);
  clock.Advance(10s);
  EXPECT_TRUE(b.Allow());
}

TEST(CircuitBreakerTest, ANeutralProbeLetsAnotherOneGo) {
  FakeClock clock;
  CircuitBreaker b(Options(), clock);
  Fail(b, 3);
  clock.Advance(10s);
  ASSERT_TRUE(b.Allow());
  b.Record(Outcome::kNeutral);  // cancelled: says nothing about the provider
  EXPECT_EQ(b.state(), State::kHalfOpen);
  EXPECT_TRUE(b.Allow());
  EXPECT_FALSE(b.Allow());
}

TEST(CircuitBreakerTest, AProbeThatNeverReportsIsReplaced) {
  FakeClock clock;
  CircuitBreaker b(Options(), clock);
  Fail(b, 3);
  clock.Advance(10s);
  ASSERT_TRUE(b.Allow());
  clock.Advance(9s);
  EXPECT_FALSE(b.Allow());
  clock.Advance(1s);
  EXPECT_TRUE(b.Allow());
}

TEST(CircuitBreakerTest, IsThreadSafe) {
  FakeClock clock;
  CircuitBreakerOptions o = Options();
  o.failure_threshold = 1000;
  CircuitBreaker b(o, clock);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (!b.Allow()) continue;
        allowed.fetch_add(1);
        b.Record(i % 2 == 0 ? Outcome::kFailure : Outcome::kSuccess);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(allowed.load(), 4000);  // successes keep breaking the runs
  EXPECT_EQ(b.state(), State::kClosed);
}

}  // namespace
}  // namespace studybot::ai
