#include "ratelimit/memory_rate_limiter.h"
#include "core/fake_clock.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace studybot::ratelimit {
namespace {

using std::chrono::milliseconds;

// A clock that only moves when told to.
using studybot::FakeClock;

// 10 per second, burst 5.
constexpr RateLimit kLimit{.rate = 10, .period = milliseconds(1000), .burst = 5};

class MemoryRateLimiterTest : public ::testing::Test {
 protected:
  RateLimitDecision MustCheck(std::string_view key, int cost = 1) {
    auto d = limiter_.Check(key, kLimit, cost);
    EXPECT_TRUE(d.ok()) << d.error().message;
    return d.ok() ? *d : RateLimitDecision{};
  }

  FakeClock clock_;
  MemoryRateLimiter limiter_{MemoryRateLimiterOptions{}, clock_};
};

TEST_F(MemoryRateLimiterTest, BurstAllowedThenRefused) {
  for (int i = 0; i < 5; ++i) {
    auto d = MustCheck("ip:1.2.3.4");
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.limit, 5);
    EXPECT_EQ(d.remaining, 4 - i);
    EXPECT_EQ(d.reset_after, milliseconds(100 * (i + 1)));
  }
  auto refused = MustCheck("ip:1.2.3.4");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.reset_after, milliseconds(500));
  EXPECT_EQ(refused.retry_after, milliseconds(100));
}

TEST_F(MemoryRateLimiterTest, RefillsOverTime) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(MustCheck("k").allowed);
  ASSERT_FALSE(MustCheck("k").allowed);
  clock_.Advance(milliseconds(250));  // two units back, half of a third
  EXPECT_TRUE(MustCheck("k").allowed);
  EXPECT_TRUE(MustCheck("k").allowed);
  EXPECT_FALSE(MustCheck("k").allowed);
  clock_.Advance(milliseconds(10'000));  // long quiet spell: a full burst, never more
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(MustCheck("k").allowed) << i;
  EXPECT_FALSE(MustCheck("k").allowed);
}

TEST_F(MemoryRateLimiterTest, RetryAfterIsExact) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(MustCheck("k").allowed);
  clock_.Advance(milliseconds(30));
  auto refused = MustCheck("k");
  ASSERT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(70));
  clock_.Advance(milliseconds(69));
  EXPECT_FALSE(MustCheck("k").allowed);
  clock_.Advance(milliseconds(1));
  EXPECT_TRUE(MustCheck("k").allowed);
}

TEST_F(MemoryRateLimiterTest, KeysAreIndependent) {
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(MustCheck("ip:1.2.3.4").allowed);
  EXPECT_FALSE(MustCheck("ip:1.2.3.4").allowed);
  EXPECT_TRUE(MustCheck("ip:1.2.3.5").allowed);
  EXPECT_TRUE(MustCheck("key:pk_abc").allowed);
  EXPECT_EQ(MustCheck("session:s1").remaining, 4);
}

TEST_F(MemoryRateLimiterTest, CostAboveOne) {
  auto d = MustCheck("k", 3);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 2);
  auto refused = MustCheck("k", 3);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(100));
  EXPECT_TRUE(MustCheck("k", 2).allowed);  // a refused request is not charged
  EXPECT_FALSE(MustCheck("k", 1).allowed);
}

TEST_F(MemoryRateLimiterTest, CostZeroReadsWithoutCharging) {
  ASSERT_TRUE(MustCheck("k", 2).allowed);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(MustCheck("k", 0).remaining, 3);
  EXPECT_EQ(limiter_.size(), 1u);
}

TEST_F(MemoryRateLimiterTest, InvalidRequests) {
  auto over = limiter_.Check("k", kLimit, 6);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kInvalidArgument);
  auto bad = limiter_.Check("k", RateLimit{.rate = 0, .period = milliseconds(1), .burst = 1});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(limiter_.size(), 0u);
}

TEST_F(MemoryRateLimiterTest, SweepDropsExpiredKeys) {
  ASSERT_TRUE(MustCheck("a").allowed);     // TAT now+100ms
  ASSERT_TRUE(MustCheck("b", 5).allowed);  // TAT now+500ms
  EXPECT_EQ(limiter_.size(), 2u);
  clock_.Advance(milliseconds(100));
  EXPECT_EQ(limiter_.Sweep(), 1u);
  EXPECT_EQ(limiter_.size(), 1u);
  clock_.Advance(milliseconds(400));
  EXPECT_EQ(limiter_.Sweep(), 1u);
  EXPECT_EQ(limiter_.size(), 0u);
  // Forgetting an expired key changes nothing: it was a full bucket.
  EXPECT_EQ(MustCheck("b").remaining, 4);
}

TEST(MemoryRateLimiterBoundsTest, ExpiredKeyDroppedOnAccess) {
  FakeClock clock;
  MemoryRateLimiter limiter({.shards = 1, .max_entries = 10, .sweep_every = 1'000'000}, clock);
  ASSERT_TRUE(limiter.Check("k", kLimit).ok());
  clock.Advance(milliseconds(100));
  auto peek = limiter.Check("k", kLimit, 0);
  ASSERT_TRUE(peek.ok());
  EXPECT_EQ(peek->remaining, 5);
  EXPECT_EQ(limiter.size(), 0u);
}

TEST(MemoryRateLimiterBoundsTest, PeriodicSweep) {
  FakeClock clock;
  MemoryRateLimiter limiter({.shards = 1, .max_entries = 100, .sweep_every = 3}, clock);
  ASSERT_TRUE(limiter.Check("a", kLimit).ok());
  ASSERT_TRUE(limiter.Check("b", kLimit).ok());
  clock.Advance(milliseconds(100));
  EXPECT_EQ(limiter.size(), 2u);
  ASSERT_TRUE(limiter.Check("c", kLimit).ok());  // third check: a and b have expired
  EXPECT_EQ(limiter.size(), 1u);
}

TEST(MemoryRateLimiterBoundsTest, FullTableEvictsTheKeyClosestToExpiry) {
  FakeClock clock;
  MemoryRateLimiter limiter({.shards = 1, .max_entries = 3, .sweep_every = 1'000'000}, clock);
  ASSERT_TRUE(limiter.Check("two", kLimit, 2).ok());
  ASSERT_TRUE(limiter.Check("one", kLimit, 1).ok());
  ASSERT_TRUE(limiter.Check("five", kLimit, 5).ok());
  ASSERT_TRUE(limiter.Check("new", kLimit, 4).ok());
  EXPECT_EQ(limiter.size(), 3u);
  EXPECT_EQ(limiter.evictions(), 1u);
  EXPECT_EQ(limiter.Check("one", kLimit, 0)->remaining, 5);  // forgotten
  EXPECT_EQ(limiter.Check("two", kLimit, 0)->remaining, 3);  // kept
  EXPECT_EQ(limiter.Check("five", kLimit, 0)->remaining, 0);
  EXPECT_EQ(limiter.Check("new", kLimit, 0)->remaining, 1);
}

TEST(MemoryRateLimiterBoundsTest, FullTableSweepsBeforeEvicting) {
  FakeClock clock;
  MemoryRateLimiter limiter({.shards = 1, .max_entries = 2, .sweep_every = 1'000'000}, clock);
  ASSERT_TRUE(limiter.Check("a", kLimit).ok());
  ASSERT_TRUE(limiter.Check("b", kLimit, 5).ok());
  clock.Advance(milliseconds(100));
  ASSERT_TRUE(limiter.Check("c", kLimit).ok());
  EXPECT_EQ(limiter.evictions(), 0u);
  EXPECT_EQ(limiter.size(), 2u);
}

TEST(MemoryRateLimiterBoundsTest, MalformedOptionsThrow) {
  FakeClock clock;
  EXPECT_THROW(MemoryRateLimiter({.shards = 0}, clock), std::invalid_argument);
  EXPECT_THROW(MemoryRateLimiter({.shards = 4, .max_entries = 3}, clock), std::invalid_argument);
  EXPECT_THROW(MemoryRateLimiter({.sweep_every = 0}, clock), std::invalid_argument);
}

TEST(MemoryRateLimiterConcurrencyTest, EightThreadsNeverOverAdmit) {
  FakeClock clock;  // frozen: nothing refills, so exactly the burst may pass
  MemoryRateLimiter limiter({.shards = 4, .max_entries = 1000, .sweep_every = 7}, clock);
  const RateLimit limit{.rate = 1, .period = milliseconds(60'000), .burst = 100};
  constexpr int kThreads = 8;
  constexpr int kChecksPerThread = 2'000;
  constexpr int kKeys = 3;
  std::atomic<int> admitted[kKeys] = {};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kChecksPerThread; ++i) {
        int k = (i + t) % kKeys;
        auto d = limiter.Check("user:" + std::to_string(k), limit, 1 + (i % 2));
        if (!d.ok()) {
          ++errors;
        } else if (d->allowed) {
          admitted[k] += 1 + (i % 2);
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(errors.load(), 0);
  // Costs 1 and 2 interleave, so each key may end one unit short of the burst, never above it.
  for (int k = 0; k < kKeys; ++k) {
    EXPECT_LE(admitted[k].load(), 100) << k;
    EXPECT_GE(admitted[k].load(), 99) << k;
  }
}

TEST(MemoryRateLimiterConcurrencyTest, EightThreadsAdmitExactlyTheBurst) {
  FakeClock clock;
  MemoryRateLimiter limiter(MemoryRateLimiterOptions{}, clock);
  const RateLimit limit{.rate = 10, .period = milliseconds(1000), .burst = 250};
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1'000; ++i) {
        auto d = limiter.Check("ip:10.0.0.1", limit);
        if (d.ok() && d->allowed) ++admitted;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(admitted.load(), 250);
}

}  // namespace
}  // namespace studybot::ratelimit
