#include "ratelimit/gcra.h"

#include <gtest/gtest.h>

namespace studybot::ratelimit {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kNow = 1'000'000'000;  // an arbitrary instant, in microseconds

struct GcraCase {
  const char* name;
  RateLimit limit;
  int64_t tat_us;  // stored TAT; 0 = no state
  int64_t cost;
  bool allowed;
  int64_t remaining;
  int64_t reset_after_ms;
  int64_t retry_after_ms;
  int64_t new_tat_us;
};

// 10 per second, burst 5: emission interval 100'000 us, delay tolerance 500'000 us.
constexpr RateLimit kTenPerSecond{.rate = 10, .period = milliseconds(1000), .burst = 5};
// 3 per second, burst 1: emission interval rounds up to 333'334 us.
constexpr RateLimit kThreePerSecond{.rate = 3, .period = milliseconds(1000), .burst = 1};

const GcraCase kCases[] = {
    {"fresh key", kTenPerSecond, 0, 1, true, 4, 100, 0, kNow + 100'000},
    {"past TAT is a fresh key", kTenPerSecond, kNow - 5'000'000, 1, true, 4, 100, 0,
     kNow + 100'000},
    {"TAT exactly now", kTenPerSecond, kNow, 1, true, 4, 100, 0, kNow + 100'000},
    {"last unit of the burst", kTenPerSecond, kNow + 400'000, 1, true, 0, 500, 0, kNow + 500'000},
    {"burst exhausted", kTenPerSecond, kNow + 500'000, 1, false, 0, 500, 100, kNow + 500'000},
    {"partly refilled", kTenPerSecond, kNow + 450'000, 1, false, 0, 450, 50, kNow + 450'000},
    {"one unit refilled", kTenPerSecond, kNow + 399'999, 1, true, 0, 500, 0, kNow + 499'999},
    {"cost 3 fresh", kTenPerSecond, 0, 3, true, 2, 300, 0, kNow + 300'000},
    {"cost 3 needs one more", kTenPerSecond, kNow + 300'000, 3, false, 2, 300, 100, kNow + 300'000},
    {"cost equal to burst", kTenPerSecond, 0, 5, true, 0, 500, 0, kNow + 500'000},
    {"cost 0 reads state", kTenPerSecond, kNow + 250'000, 0, true, 2, 250, 0, kNow + 250'000},
    {"cost 0 when exhausted", kTenPerSecond, kNow + 500'000, 0, true, 0, 500, 0, kNow + 500'000},
    {"interval rounds up", kThreePerSecond, 0, 1, true, 0, 334, 0, kNow + 333'334},
    {"retry rounds up to ms", kThreePerSecond, kNow + 333'334, 1, false, 0, 334, 334,
     kNow + 333'334},
};

class GcraTableTest : public ::testing::TestWithParam<GcraCase> {};

TEST_P(GcraTableTest, ExactNumbers) {
  const GcraCase& c = GetParam();
  auto params = MakeGcraParams(c.limit, c.cost);
  ASSERT_TRUE(params.ok()) << params.error().message;
  GcraOutcome out = GcraCheck(*params, c.tat_us, kNow, c.cost);
  EXPECT_EQ(out.decision.allowed, c.allowed);
  EXPECT_EQ(out.decision.limit, c.limit.burst);
  EXPECT_EQ(out.decision.remaining, c.remaining);
  EXPECT_EQ(out.decision.reset_after, milliseconds(c.reset_after_ms));
  EXPECT_EQ(out.decision.retry_after, milliseconds(c.retry_after_ms));
  EXPECT_EQ(out.new_tat_us, c.new_tat_us);
}

INSTANTIATE_TEST_SUITE_P(Cases, GcraTableTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<GcraCase>& info) {
                           std::string name = info.param.name;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

TEST(GcraParamsTest, Derived) {
  auto p = MakeGcraParams({.rate = 60, .period = milliseconds(60'000), .burst = 10}, 1);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->emission_interval_us, 1'000'000);
  EXPECT_EQ(p->delay_tolerance_us, 10'000'000);
  EXPECT_EQ(p->burst, 10);
}

struct BadLimitCase {
  const char* name;
  RateLimit limit;
  int64_t cost;
};

TEST(GcraParamsTest, RejectsMalformedLimits) {
  const BadLimitCase cases[] = {
      {"zero rate", {.rate = 0, .period = milliseconds(1000), .burst = 1}, 1},
      {"negative rate", {.rate = -1, .period = milliseconds(1000), .burst = 1}, 1},
      {"zero period", {.rate = 1, .period = milliseconds(0), .burst = 1}, 1},
      {"zero burst", {.rate = 1, .period = milliseconds(1000), .burst = 0}, 1},
      {"negative cost", {.rate = 1, .period = milliseconds(1000), .burst = 1}, -1},
      {"cost above burst", {.rate = 1, .period = milliseconds(1000), .burst = 2}, 3},
      {"sub-microsecond interval", {.rate = 2'000, .period = milliseconds(1), .burst = 1}, 1},
      {"tolerance too long",
       {.rate = 1, .period = milliseconds(int64_t{1} << 40), .burst = 1'000'000},
       1},
      {"period too long", {.rate = 1, .period = milliseconds::max(), .burst = 1}, 1},
  };
  for (const auto& c : cases) {
    auto p = MakeGcraParams(c.limit, c.cost);
    ASSERT_FALSE(p.ok()) << c.name;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument) << c.name;
  }
}

// Sustained traffic at exactly the rate is always admitted; any faster is not.
TEST(GcraTest, SteadyRateAfterBurst) {
  auto p = MakeGcraParams(kTenPerSecond, 1);
  ASSERT_TRUE(p.ok());
  int64_t tat = 0;
  int64_t now = kNow;
  for (int i = 0; i < 5; ++i) {
    auto out = GcraCheck(*p, tat, now, 1);
    ASSERT_TRUE(out.decision.allowed) << i;
    tat = out.new_tat_us;
  }
  EXPECT_FALSE(GcraCheck(*p, tat, now, 1).decision.allowed);
  for (int i = 0; i < 100; ++i) {
    now += 100'000;
    auto out = GcraCheck(*p, tat, now, 1);
    ASSERT_TRUE(out.decision.allowed) << i;
    EXPECT_EQ(out.decision.remaining, 0);
    tat = out.new_tat_us;
    EXPECT_FALSE(GcraCheck(*p, tat, now + 99'999, 1).decision.allowed);
  }
}

TEST(CeilSecondsTest, RoundsUp) {
  EXPECT_EQ(CeilSeconds(milliseconds(0)), 0);
  EXPECT_EQ(CeilSeconds(milliseconds(-5)), 0);
  EXPECT_EQ(CeilSeconds(milliseconds(1)), 1);
  EXPECT_EQ(CeilSeconds(milliseconds(1000)), 1);
  EXPECT_EQ(CeilSeconds(milliseconds(1001)), 2);
}

}  // namespace
}  // namespace studybot::ratelimit
