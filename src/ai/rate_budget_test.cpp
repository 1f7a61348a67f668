#include "ai/rate_budget.h"

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/fake_clock.h"

namespace studybot::ai {
namespace {

using std::chrono::milliseconds;

class RateBudgetTest : public ::testing::Test {
 protected:
  RateBudget Make(RateBudgetOptions options) {
    EXPECT_TRUE(options.Validate().ok());
    return RateBudget(options, clock_, [this](milliseconds d) {
      sleeps_.push_back(d);
      clock_.Advance(d);
    });
  }

  FakeClock clock_;
  std::vector<milliseconds> sleeps_;
};

TEST_F(RateBudgetTest, UnlimitedNeverWaits) {
  RateBudget budget(RateBudgetOptions{}, clock_, nullptr);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(budget.Reserve(1'000'000), milliseconds(0));
}

TEST_F(RateBudgetTest, RequestsBurstThenPace) {
  RateBudgetOptions o;
  o.requests_per_minute = 600;  // one per 100 ms
  o.burst = milliseconds(500);  // five saved up
  RateBudget budget(o, clock_, nullptr);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(budget.Reserve(0), milliseconds(0)) << i;
  // Reservations queue: each waits one interval more than the one before.
  EXPECT_EQ(budget.Reserve(0), milliseconds(100));
  EXPECT_EQ(budget.Reserve(0), milliseconds(200));
  clock_.Advance(milliseconds(200));
  EXPECT_EQ(budget.Reserve(0), milliseconds(100));
  // A long idle refills up to the burst, not beyond.
  clock_.Advance(std::chrono::minutes(10));
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(budget.Reserve(0), milliseconds(0)) << i;
  EXPECT_EQ(budget.Reserve(0), milliseconds(100));
}

TEST_F(RateBudgetTest, TokensPaceAndOversizeRequestsStillPass) {
  RateBudgetOptions o;
  o.tokens_per_minute = 60'000;  // 1 per ms
  o.burst = milliseconds(1000);  // 1,000 saved up
  RateBudget budget = Make(o);
  budget.Acquire(600);
  EXPECT_TRUE(sleeps_.empty());
  budget.Acquire(600);   // 200 short
  budget.Acquire(5000);  // larger than the bucket: waits for the debt to refill
  EXPECT_EQ(sleeps_, (std::vector<milliseconds>{milliseconds(200), milliseconds(5000)}));
}

TEST_F(RateBudgetTest, BothLimitsApply) {
  RateBudgetOptions o;
  o.requests_per_minute = 60;   // 1 per second
  o.tokens_per_minute = 6'000;  // 100 per second
  o.burst = milliseconds(1000);
  RateBudget budget(o, clock_, nullptr);
  EXPECT_EQ(budget.Reserve(10), milliseconds(0));
  EXPECT_EQ(budget.Reserve(10), milliseconds(1000));  // requests are the limit
  clock_.Advance(milliseconds(2000));
  EXPECT_EQ(budget.Reserve(300), milliseconds(2000));  // tokens are the limit
}

TEST_F(RateBudgetTest, HoldDelaysEveryone) {
  RateBudget budget(RateBudgetOptions{}, clock_, nullptr);
  budget.Hold(milliseconds(3000));
  budget.Hold(milliseconds(1000));  // a shorter hold does not shorten the longer one
  EXPECT_EQ(budget.Reserve(1), milliseconds(3000));
  clock_.Advance(milliseconds(2500));
  EXPECT_EQ(budget.Reserve(1), milliseconds(500));
  clock_.Advance(milliseconds(500));
  EXPECT_EQ(budget.Reserve(1), milliseconds(0));
}

TEST_F(RateBudgetTest, ConcurrentReservationsAreSpacedOut) {
  RateBudgetOptions o;
  o.requests_per_minute = 60'000;  // one per ms
  o.burst = milliseconds(1);
  RateBudget budget(o, clock_, nullptr);
  std::mutex mu;
  std::vector<int64_t> waits;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const int64_t w = budget.Reserve(0).count();
        std::lock_guard lock(mu);
        waits.push_back(w);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  // The clock stands still: 200 reservations get waits 0, 1, ..., 199 ms, each exactly once.
  std::sort(waits.begin(), waits.end());
  for (int64_t i = 0; i < 200; ++i)
    ASSERT_EQ(waits[i], i);
}

TEST(RateBudgetOptionsTest, Validates) {
  RateBudgetOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.requests_per_minute = -1;
  EXPECT_FALSE(o.Validate().ok());
  o = {};
  o.tokens_per_minute = -5;
  EXPECT_FALSE(o.Validate().ok());
  o = {};
  o.burst = milliseconds(0);
  EXPECT_FALSE(o.Validate().ok());
}

}  // namespace
}  // namespace studybot::ai
