// Runs against a real redis-server started by the test (tests/redis_server.h). Without
// redis-server these tests fail, unless STUDYBOT_TEST_SKIP_REDIS=1.
#include "ratelimit/redis_rate_limiter.h"
#include "core/fake_clock.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ratelimit/failure_policy_rate_limiter.h"
#include "redis_server.h"

namespace studybot::ratelimit {
namespace {

using std::chrono::milliseconds;
using testing::RedisServer;

// Paces reconnects only; rate-limit time is Redis' own.
using studybot::FakeClock;

// Slow enough that nothing refills while a test runs: 5 per minute, burst 5.
constexpr RateLimit kFivePerMinute{.rate = 5, .period = milliseconds(60'000), .burst = 5};

class RedisRateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = StartServer({}); }

  std::unique_ptr<RedisServer> StartServer(const RedisServer::Options& options) {
    auto server = RedisServer::Start(options);
    if (!server.ok()) {
      if (testing::SkipRedisTests()) {
        skipped_ = true;
        return nullptr;
      }
      ADD_FAILURE() << server.error().message;
      return nullptr;
    }
    return std::move(*server);
  }

  std::unique_ptr<RedisRateLimiter> NewLimiter(std::string url, int pool_size = 4) {
    RedisRateLimiterOptions options;
    options.redis.url = std::move(url);
    options.redis.pool_size = pool_size;
    options.redis.command_timeout = milliseconds(2000);  // generous for a loaded test machine
    options.redis.reconnect_backoff = milliseconds(500);
    auto limiter = RedisRateLimiter::Create(options, clock_);
    EXPECT_TRUE(limiter.ok()) << limiter.error().message;
    return limiter.ok() ? std::move(*limiter) : nullptr;
  }

  static RateLimitDecision MustCheck(RateLimiter& limiter, std::string_view key,
                                     const RateLimit& limit = kFivePerMinute, int cost = 1) {
    auto d = limiter.Check(key, limit, cost);
    EXPECT_TRUE(d.ok()) << d.error().message;
    return d.ok() ? *d : RateLimitDecision{};
  }

  FakeClock clock_;
  std::unique_ptr<RedisServer> server_;
  bool skipped_ = false;
};

// Starts the test's server or leaves the test (skipped or failed).
#define REQUIRE_REDIS()                                         \
  do {                                                          \
    if (skipped_) GTEST_SKIP() << "STUDYBOT_TEST_SKIP_REDIS=1"; \
    ASSERT_NE(server_, nullptr);                                \
  } while (0)

TEST_F(RedisRateLimiterTest, EnforcesTheLimit) {
  REQUIRE_REDIS();
  auto limiter = NewLimiter(server_->url());
  ASSERT_NE(limiter, nullptr);
  for (int i = 0; i < 5; ++i) {
    auto d = MustCheck(*limiter, "ip:1.2.3.4");
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.limit, 5);
    EXPECT_EQ(d.remaining, 4 - i);
  }
  auto refused = MustCheck(*limiter, "ip:1.2.3.4");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  // One unit comes back every 12 s; only Redis' clock has moved since.
  EXPECT_GT(refused.retry_after, milliseconds(10'000));
  EXPECT_LE(refused.retry_after, milliseconds(12'000));
  EXPECT_GT(refused.reset_after, milliseconds(58'000));
  EXPECT_LE(refused.reset_after, milliseconds(60'000));
  EXPECT_EQ(CeilSeconds(refused.reset_after), 60);
}

TEST_F(RedisRateLimiterTest, KeysAreIndependentAndCostsAdd) {
  REQUIRE_REDIS();
  auto limiter = NewLimiter(server_->url());
  ASSERT_NE(limiter, nullptr);
  EXPECT_TRUE(MustCheck(*limiter, "key:pk_abc", kFivePerMinute, 4).allowed);
  EXPECT_FALSE(MustCheck(*limiter, "key:pk_abc", kFivePerMinute, 2).allowed);
  EXPECT_TRUE(MustCheck(*limiter, "key:pk_abc", kFivePerMinute, 1).allowed);
  EXPECT_FALSE(MustCheck(*limiter, "key:pk_abc").allowed);
  EXPECT_TRUE(MustCheck(*limiter, "key:pk_other").allowed);
  EXPECT_EQ(MustCheck(*limiter, "session:s1", kFivePerMinute, 0).remaining, 5);
}

TEST_F(RedisRateLimiterTest, StoresNamespacedKeysThatExpire) {
  REQUIRE_REDIS();
  auto limiter = NewLimiter(server_->url());
  ASSERT_NE(limiter, nullptr);
  ASSERT_TRUE(MustCheck(*limiter, "ip:1.2.3.4", kFivePerMinute, 2).allowed);
  auto pttl = server_->Command({"PTTL", "studybot:rl:ip:1.2.3.4"});
  ASSERT_TRUE(pttl.ok());
  int64_t ms = std::stoll(*pttl);
  EXPECT_GT(ms, 20'000);  // two units of 12 s
  EXPECT_LE(ms, 24'000);
  EXPECT_EQ(*server_->Command({"EXISTS", "ip:1.2.3.4"}), "0");
  // A refused or zero-cost check writes nothing.
  ASSERT_TRUE(MustCheck(*limiter, "user:u1", kFivePerMinute, 0).allowed);
  EXPECT_EQ(*server_->Command({"EXISTS", "studybot:rl:user:u1"}), "0");
}

TEST_F(RedisRateLimiterTest, UsesTheDatabaseOfTheUrl) {
  REQUIRE_REDIS();
  auto limiter = NewLimiter(server_->url(3));
  ASSERT_NE(limiter, nullptr);
  ASSERT_TRUE(MustCheck(*limiter, "ip:9.9.9.9").allowed);
  EXPECT_EQ(*server_->Command({"EXISTS", "studybot:rl:ip:9.9.9.9"}, 3), "1");
  EXPECT_EQ(*server_->Command({"EXISTS", "studybot:rl:ip:9.9.9.9"}, 0), "0");
}

// Two limiters with their own pools stand for two API nodes sharing one Redis.
TEST_F(RedisRateLimiterTest, TwoInstancesEnforceOneLimitTogether) {
  REQUIRE_REDIS();
  auto node_a = NewLimiter(server_->url(), 2);
  auto node_b = NewLimiter(server_->url(), 2);
  ASSERT_NE(node_a, nullptr);
  ASSERT_NE(node_b, nullptr);
  const RateLimit limit{.rate = 1, .period = milliseconds(3'600'000), .burst = 40};
  std::atomic<int> admitted{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    RedisRateLimiter& node = t % 2 == 0 ? *node_a : *node_b;
    threads.emplace_back([&] {
      for (int i = 0; i < 30; ++i) {
        auto d = node.Check("key:pk_shared", limit);
        if (!d.ok()) {
          ++errors;
        } else if (d->allowed) {
          ++admitted;
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(admitted.load(), 40);
  EXPECT_FALSE(MustCheck(*node_a, "key:pk_shared", limit).allowed);
  EXPECT_FALSE(MustCheck(*node_b, "key:pk_shared", limit).allowed);
}

TEST_F(RedisRateLimiterTest, EightThreadsNeverOverAdmit) {
  REQUIRE_REDIS();
  auto limiter = NewLimiter(server_->url(), 3);  // fewer connections than threads
  ASSERT_NE(limiter, nullptr);
  const RateLimit limit{.rate = 1, .period = milliseconds(3'600'000), .burst = 100};
  std::atomic<int> admitted{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto d = limiter->Check("ip:10.0.0.1", limit);
        if (!d.ok()) {
          ++errors;
        } else if (d->allowed) {
          ++admitted;
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(admitted.load(), 100);
}

TEST_F(RedisRateLimiterTest, RecoversFromScriptFlush) {
  REQUIRE_REDIS();
  auto limiter = NewLimiter(server_->url());
  ASSERT_NE(limiter, nullptr);
  ASSERT_TRUE(MustCheck(*limiter, "k").allowed);
  ASSERT_EQ(*server_->Command({"SCRIPT", "FLUSH"}), "OK");
  auto d = MustCheck(*limiter, "k");  // NOSCRIPT, then EVAL
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 3);  // the key's state survived; only the script cache was flushed
  EXPECT_EQ(MustCheck(*limiter, "k").remaining, 2);  // EVAL cached it again: EVALSHA works
}

TEST_F(RedisRateLimiterTest, FailOpenAndFailClosedWhileRedisIsDown) {
  REQUIRE_REDIS();
  auto limiter = NewLimiter(server_->url());
  ASSERT_NE(limiter, nullptr);
  FailurePolicyRateLimiter open(*limiter, FailurePolicy::kOpen);
  FailurePolicyRateLimiter closed(*limiter, FailurePolicy::kClosed);
  ASSERT_TRUE(MustCheck(*limiter, "k").allowed);
  ASSERT_TRUE(limiter->Ping().ok());

  server_->Stop();
  auto bare = limiter->Check("k", kFivePerMinute);
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.error().code, ErrorCode::kUnavailable);
  auto fail_open = open.Check("k", kFivePerMinute);
  ASSERT_TRUE(fail_open.ok());
  EXPECT_TRUE(fail_open->allowed);
  EXPECT_EQ(open.fail_open_count(), 1u);
  auto fail_closed = closed.Check("k", kFivePerMinute);
  ASSERT_FALSE(fail_closed.ok());
  EXPECT_EQ(fail_closed.error().code, ErrorCode::kUnavailable);
  Status ping = limiter->Ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().code, ErrorCode::kUnavailable);

  ASSERT_TRUE(server_->Restart().ok());
  // Readiness sees the recovery at once; checks wait out the reconnect backoff.
  EXPECT_TRUE(limiter->Ping().ok());
  clock_.Advance(milliseconds(500));
  auto d = closed.Check("k", kFivePerMinute);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_TRUE(d->allowed);
  EXPECT_EQ(d->remaining, 4);  // nothing persisted across the restart
  EXPECT_EQ(open.fail_open_count(), 1u);
}

TEST_F(RedisRateLimiterTest, BacksOffAfterAFailedConnect) {
  REQUIRE_REDIS();
  auto limiter = NewLimiter(server_->url());
  ASSERT_NE(limiter, nullptr);
  server_->Stop();
  ASSERT_FALSE(limiter->Check("k", kFivePerMinute).ok());
  ASSERT_TRUE(server_->Restart().ok());
  clock_.Advance(milliseconds(499));
  auto early = limiter->Check("k", kFivePerMinute);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, ErrorCode::kUnavailable);
  clock_.Advance(milliseconds(1));
  EXPECT_TRUE(MustCheck(*limiter, "k").allowed);
}

// Pooled connections die with the server; the next check replaces them without an error.
TEST_F(RedisRateLimiterTest, ReconnectsAfterARestart) {
  REQUIRE_REDIS();
  auto limiter = NewLimiter(server_->url(), 2);
  ASSERT_NE(limiter, nullptr);
  ASSERT_TRUE(MustCheck(*limiter, "k").allowed);
  ASSERT_TRUE(server_->Restart().ok());
  auto d = MustCheck(*limiter, "k");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 4);
}

TEST_F(RedisRateLimiterTest, InvalidLimitIsRejectedBeforeRedis) {
  REQUIRE_REDIS();
  auto limiter = NewLimiter(server_->url());
  ASSERT_NE(limiter, nullptr);
  auto d = limiter->Check("k", kFivePerMinute, 6);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(*server_->Command({"DBSIZE"}), "0");
}

TEST_F(RedisRateLimiterTest, ScriptErrorIsInternal) {
  REQUIRE_REDIS();
  auto limiter = NewLimiter(server_->url());
  ASSERT_NE(limiter, nullptr);
  ASSERT_EQ(*server_->Command({"RPUSH", "studybot:rl:list", "x"}), "1");
  auto d = limiter->Check("list", kFivePerMinute);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kInternal);
}

// Needs no server: the URL is checked before any connection.
TEST(RedisRateLimiterUrlTest, BadUrlIsInvalidArgument) {
  FakeClock clock;
  for (const char* url : {"http://127.0.0.1:6379", "redis://:secret@127.0.0.1:notaport",
                          "redis://127.0.0.1:6379/db"}) {
    RedisRateLimiterOptions options;
    options.redis.url = url;
    auto limiter = RedisRateLimiter::Create(options, clock);
    ASSERT_FALSE(limiter.ok()) << url;
    EXPECT_EQ(limiter.error().code, ErrorCode::kInvalidArgument) << url;
    EXPECT_EQ(limiter.error().message.find("secret"), std::string::npos);
  }
}

TEST_F(RedisRateLimiterTest, NothingListeningIsUnavailable) {
  REQUIRE_REDIS();
  std::string url = server_->url();
  server_->Stop();
  auto limiter = NewLimiter(url);
  ASSERT_NE(limiter, nullptr);
  auto d = limiter->Check("k", kFivePerMinute);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(limiter->Ping().ok());
}

TEST_F(RedisRateLimiterTest, AuthenticatesWithThePasswordOfTheUrl) {
  REQUIRE_REDIS();
  server_.reset();
  server_ = StartServer({.password = "pa:ss@word"});
  ASSERT_NE(server_, nullptr);
  std::string host = "127.0.0.1:" + std::to_string(server_->port());

  auto good = NewLimiter("redis://:pa%3Ass%40word@" + host + "/0");
  ASSERT_NE(good, nullptr);
  EXPECT_TRUE(good->Ping().ok());
  EXPECT_TRUE(MustCheck(*good, "k").allowed);
  EXPECT_EQ(good->url().Redacted(), "redis://:***@" + host + "/0");

  for (std::string url : {"redis://:wrongpassword@" + host, "redis://" + host}) {
    auto bad = NewLimiter(url);
    ASSERT_NE(bad, nullptr);
    auto d = bad->Check("k", kFivePerMinute);
    ASSERT_FALSE(d.ok()) << url;
    EXPECT_EQ(d.error().code, ErrorCode::kUnavailable) << url;
    EXPECT_EQ(d.error().message.find("wrongpassword"), std::string::npos);
    EXPECT_EQ(d.error().message.find("pa:ss"), std::string::npos);
  }
}

}  // namespace
}  // namespace studybot::ratelimit
