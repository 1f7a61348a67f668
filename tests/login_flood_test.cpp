// Security review finding 4: a flood of sign-ins must not starve SQL-backed requests. Password
// hashing has a pool of its own with a bounded queue: past it, sign-ins get 503 + Retry-After,
// while /api/auth/me and /ready keep being served. Latencies are printed for bench/RESULTS.md;
// nothing here depends on timing.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>

#include "api_client.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

namespace bhttp = boost::beast::http;
using bhttp::verb;

constexpr int kAccounts = 8;

struct Flood {
  std::atomic<int> ok{0};
  std::atomic<int> busy{0};
  std::atomic<int> limited{0};
  std::atomic<int> other{0};
};

// 40 sign-ins with good passwords, over kAccounts accounts and 40 client addresses (through
// the trusted proxy header), all at once.
void SignInFlood(uint16_t port, Flood& flood) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&, i] {
      std::string body = R"({"email":"user)" + std::to_string(i % kAccounts) +
                         R"(@example.com","password":"a long password 1"})";
      auto r = Request(port, verb::post, "/api/auth/login", body,
                       {{"X-Forwarded-For", "10.1.0." + std::to_string(i)}});
      if (r.result_int() == 200) {
        ++flood.ok;
      } else if (r.result_int() == 503) {
        EXPECT_EQ(r["Retry-After"], "1");
        EXPECT_EQ(boost::json::parse(r.body()).at("error").at("code").as_string(), "busy");
        ++flood.busy;
      } else if (r.result_int() == 429) {
        ++flood.limited;
      } else {
        ADD_FAILURE() << r.result_int() << " " << r.body();
        ++flood.other;
      }
    });
  }
  for (auto& t : threads)
    t.join();
}

void FloodConfig(Config& c, int hash_threads, int hash_queue) {
  c.admin.email = "root@example.com";
  c.admin.password = "correct horse battery";
  c.auth.bcrypt_cost = 11;  // real work per sign-in (about 100 ms here), not the tests' cost 4
  c.auth.hash_threads = hash_threads;
  c.auth.hash_queue = hash_queue;
  c.http.trusted_proxies = {"127.0.0.0/8"};
  c.ratelimit.per_ip = "1000000/1m";
  c.ratelimit.per_user = "1000000/1m";
}

void AddAccounts(ApiClient& api, const std::string& root) {
  for (int i = 0; i < kAccounts; ++i) {
    auto r = api.Post("/api/users",
                      {{"email", "user" + std::to_string(i) + "@example.com"},
                       {"password", "a long password 1"},
                       {"role", "system_admin"}},
                      root);
    ASSERT_EQ(r.status, 201u) << r.raw.body();
  }
}

TEST(LoginFloodTest, SqlBackedRequestsAreServedDuringASignInFlood) {
  TestServer server([](Config& c) { FloodConfig(c, 2, 64); });
  ApiClient api(server.port());
  std::string root = api.Login("root@example.com", "correct horse battery");
  ASSERT_NO_FATAL_FAILURE(AddAccounts(api, root));

  Flood flood;
  std::atomic<bool> done{false};
  std::vector<double> me_ms;
  std::thread prober([&] {
    while (!done) {
      auto start = std::chrono::steady_clock::now();
      auto r = api.Get("/api/auth/me", root);
      me_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count());
      EXPECT_EQ(r.status, 200u);
      auto ready = Request(server.port(), verb::get, "/ready");
      EXPECT_EQ(ready.result_int(), 200u);
      EXPECT_TRUE(
          boost::json::parse(ready.body()).at("checks").as_object().contains("password_hashing"));
    }
  });
  SignInFlood(server.port(), flood);
  done = true;
  prober.join();
  EXPECT_EQ(flood.other.load(), 0);
  EXPECT_GT(flood.ok.load(), 0);
  ASSERT_FALSE(me_ms.empty());
  std::sort(me_ms.begin(), me_ms.end());
  std::printf(
      "[login flood] 40 sign-ins: %d ok, %d busy, %d limited; /api/auth/me during it: "
      "%zu requests, p50 %.1f ms, max %.1f ms\n",
      flood.ok.load(), flood.busy.load(), flood.limited.load(), me_ms.size(),
      me_ms[me_ms.size() / 2], me_ms.back());
}

TEST(LoginFloodTest, PastTheQueueBoundSignInsGet503AndReadyShowsSaturation) {
  TestServer server([](Config& c) { FloodConfig(c, 1, 2); });
  ApiClient api(server.port());
  std::string root = api.Login("root@example.com", "correct horse battery");
  ASSERT_NO_FATAL_FAILURE(AddAccounts(api, root));
  Flood flood;
  SignInFlood(server.port(), flood);
  EXPECT_EQ(flood.other.load(), 0);
  EXPECT_GT(flood.ok.load(), 0);
  EXPECT_GT(flood.busy.load(), 0) << "no sign-in was turned away with only 2 queue slots";
  auto ready = boost::json::parse(Request(server.port(), verb::get, "/ready").body());
  const auto& pool = ready.at("checks").at("password_hashing").as_object();
  EXPECT_EQ(pool.at("capacity").as_int64(), 2);
  EXPECT_GE(pool.at("refused_total").as_int64(), flood.busy.load());
  EXPECT_EQ(api.Get("/api/auth/me", root).status, 200u);
}

}  // namespace
}  // namespace studybot::testing
