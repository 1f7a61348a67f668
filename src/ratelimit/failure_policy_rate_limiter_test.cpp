#include "ratelimit/failure_policy_rate_limiter.h"

#include <gtest/gtest.h>

namespace studybot::ratelimit {
namespace {

// Answers every Check with a preset result.
class ScriptedRateLimiter final : public RateLimiter {
 public:
  explicit ScriptedRateLimiter(Result<RateLimitDecision> answer) : answer_(std::move(answer)) {}
  Result<RateLimitDecision> Check(std::string_view, const RateLimit&, int) override {
    ++calls;
    return answer_;
  }
  int calls = 0;

 private:
  Result<RateLimitDecision> answer_;
};

constexpr RateLimit kLimit{.rate = 10, .period = std::chrono::milliseconds(1000), .burst = 5};

TEST(FailurePolicyRateLimiterTest, OpenAdmitsWhenUnavailable) {
  ScriptedRateLimiter inner(Error::Unavailable("redis down"));
  FailurePolicyRateLimiter limiter(inner, FailurePolicy::kOpen);
  auto d = limiter.Check("ip:1.2.3.4", kLimit, 2);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->allowed);
  EXPECT_EQ(d->limit, 5);
  EXPECT_EQ(d->remaining, 3);
  EXPECT_EQ(d->retry_after.count(), 0);
  ASSERT_TRUE(limiter.Check("ip:1.2.3.4", kLimit).ok());
  EXPECT_EQ(limiter.fail_open_count(), 2u);
  EXPECT_EQ(inner.calls, 2);
}

TEST(FailurePolicyRateLimiterTest, ClosedPassesUnavailableOn) {
  ScriptedRateLimiter inner(Error::Unavailable("redis down"));
  FailurePolicyRateLimiter limiter(inner, FailurePolicy::kClosed);
  auto d = limiter.Check("k", kLimit);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(limiter.fail_open_count(), 0u);
}

TEST(FailurePolicyRateLimiterTest, OtherErrorsAndDecisionsPassThrough) {
  ScriptedRateLimiter invalid(Error::InvalidArgument("cost exceeds burst"));
  FailurePolicyRateLimiter open_invalid(invalid, FailurePolicy::kOpen);
  auto e = open_invalid.Check("k", kLimit);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, ErrorCode::kInvalidArgument);

  RateLimitDecision refused{.allowed = false,
                            .limit = 5,
                            .remaining = 0,
                            .reset_after = std::chrono::milliseconds(500),
                            .retry_after = std::chrono::milliseconds(100)};
  ScriptedRateLimiter refusing(refused);
  FailurePolicyRateLimiter open_refusing(refusing, FailurePolicy::kOpen);
  auto d = open_refusing.Check("k", kLimit);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(d->retry_after, std::chrono::milliseconds(100));
  EXPECT_EQ(open_invalid.fail_open_count() + open_refusing.fail_open_count(), 0u);
}

}  // namespace
}  // namespace studybot::ratelimit
