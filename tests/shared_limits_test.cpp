// Two server processes sharing one real Redis enforce one rate limit together; when Redis goes
// away requests are still served (fail open) and /ready says so.
#include <gtest/gtest.h>

#include <thread>

#include "api_client.h"
#include "process.h"
#include "redis_server.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

using boost::beast::http::verb;

const std::string kBinary = STUDYBOT_BINARY;

bool WaitReady(uint16_t port, unsigned want = 200) {
  for (int i = 0; i < 1000; ++i) {
    try {
      if (Request(port, verb::get, "/ready").result_int() == want) return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(SharedLimitsTest, TwoProcessesOneRedisOneLimit) {
  if (SkipRedisTests()) GTEST_SKIP() << "STUDYBOT_TEST_SKIP_REDIS=1";
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.error().message;
  std::cerr << "[ratelimit] running against redis-server on port " << (*redis)->port() << "\n";
  TempDir dir;
  std::map<std::string, std::string> env = {{"STUDYBOT_DATA_DIR", dir.path().string()},
                                            {"STUDYBOT_REDIS_URL", (*redis)->url()},
                                            {"STUDYBOT_ADMIN_EMAIL", "root@example.com"},
                                            {"STUDYBOT_ADMIN_PASSWORD", "correct horse battery"},
                                            {"STUDYBOT_AUTH_BCRYPT_COST", "4"},
                                            {"STUDYBOT_LOG_LEVEL", "warn"}};
  int port_a = FreePort();
  ChildProcess a({kBinary, "serve", "--port", std::to_string(port_a)}, env,
                 (dir.path() / "a.log").string());
  ASSERT_TRUE(WaitReady(static_cast<uint16_t>(port_a)));
  int port_b = FreePort();
  ChildProcess b({kBinary, "serve", "--port", std::to_string(port_b)}, env,
                 (dir.path() / "b.log").string());
  ASSERT_TRUE(WaitReady(static_cast<uint16_t>(port_b)));

  ApiClient api_a(static_cast<uint16_t>(port_a));
  ApiClient api_b(static_cast<uint16_t>(port_b));
  std::string root = api_a.Login("root@example.com", "correct horse battery");
  ASSERT_FALSE(root.empty());
  auto bot = api_a.Post(
      "/api/chatbots",
      {{"name", "Shared"}, {"rate_limits", {{"key", {{"rate", 5}, {"period_seconds", 60}}}}}},
      root);
  ASSERT_EQ(bot.status, 201u) << bot.raw.body();
  std::string id(bot.at("id").as_string());
  auto key =
      api_a.Post("/api/chatbots/" + id + "/api-keys", {{"name", "s"}, {"kind", "secret"}}, root);
  ASSERT_EQ(key.status, 201u);
  std::vector<std::pair<std::string, std::string>> h = {
      {"X-Api-Key", std::string(key.at("key").as_string())}};

  int admitted = 0;
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    auto& api = i % 2 == 0 ? api_a : api_b;
    auto r = api.Call(verb::get, "/api/chatbots/" + id + "/config", nullptr, {}, h);
    if (r.status == 200) ++admitted;
    if (r.status == 429) ++refused;
  }
  EXPECT_EQ(admitted, 5);  // one budget across both processes
  EXPECT_EQ(refused, 5);

  // Redis goes away: requests are still served (fail open), readiness names the failure.
  (*redis)->Stop();
  auto served = api_b.Call(verb::get, "/api/chatbots/" + id + "/config", nullptr, {}, h);
  EXPECT_EQ(served.status, 200u);
  auto ready = api_b.Get("/ready");
  EXPECT_EQ(ready.status, 503u);
  ASSERT_TRUE(ready.json.is_object());
  EXPECT_EQ(ready.at("checks").at("redis").at("status").as_string(), "failed");
  EXPECT_EQ(ready.at("checks").at("database").at("status").as_string(), "ok");
  ASSERT_TRUE((*redis)->Restart().ok());
  EXPECT_TRUE(WaitReady(static_cast<uint16_t>(port_b)));

  a.Signal(SIGTERM);
  b.Signal(SIGTERM);
  EXPECT_EQ(a.Wait(), 0);
  EXPECT_EQ(b.Wait(), 0);
}

TEST(SharedLimitsTest, FailClosedAnswers503WithoutRedis) {
  if (SkipRedisTests()) GTEST_SKIP() << "STUDYBOT_TEST_SKIP_REDIS=1";
  TestServer server([](Config& c) {
    c.admin.email = "root@example.com";
    c.admin.password = "correct horse battery";
    c.redis_url = "redis://127.0.0.1:" + std::to_string(FreePort());  // nothing listens there
    c.ratelimit.failure_policy = "closed";
  });
  ApiClient api(server.port());
  // Every limited route answers 503 while the limit store is unreachable, sign-in included.
  auto login = api.Post("/api/auth/login",
                        {{"email", "root@example.com"}, {"password", "correct horse battery"}});
  EXPECT_EQ(login.status, 503u);
  EXPECT_EQ(login.ErrorCode(), "unavailable");
  EXPECT_EQ(login.raw.body().find("127.0.0.1"), std::string::npos);  // no internals
  EXPECT_EQ(api.Get("/ready").status, 503u);
}

}  // namespace
}  // namespace studybot::testing
