// The admin API end to end on MariaDB (the other API suites run on SQLite): every repository's
// SQL is exercised on the MySQL dialect too.
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "api_client.h"
#include "loopback_http_server.h"
#include "mariadb_server.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

using boost::beast::http::verb;

TEST(MysqlApiTest, AdminFlowsOnMariadb) {
  auto server = testutil::SharedMariadbServer();
  if (!server.ok()) {
    if (testutil::SkipMysqlTests()) GTEST_SKIP() << "STUDYBOT_TEST_SKIP_MYSQL=1";
    FAIL() << server.error().message;
  }
  auto url = (*server)->FreshDatabase("api_flow");
  ASSERT_TRUE(url.ok()) << url.error().message;
  std::cerr << "[api] running against mariadb " << (*server)->version() << "\n";
  TestServer app([&](Config& c) {
    c.database.url = *url;
    c.admin.email = "root@example.com";
    c.admin.password = "correct horse battery";
  });
  ApiClient api(app.port());
  EXPECT_EQ(api.Get("/ready").at("checks").at("database").at("dialect").as_string(), "mysql");

  // Login, failures, refresh rotation and reuse.
  EXPECT_EQ(api.Post("/api/auth/login", {{"email", "root@example.com"}, {"password", "wrong one!"}})
                .status,
            401u);
  auto login = api.Post("/api/auth/login",
                        {{"email", "ROOT@example.com"}, {"password", "correct horse battery"}});
  ASSERT_EQ(login.status, 200u) << login.raw.body();
  std::string root(login.at("access_token").as_string());
  std::string r1(login.at("refresh_token").as_string());
  auto r2 = api.Post("/api/auth/refresh", {{"refresh_token", r1}});
  ASSERT_EQ(r2.status, 200u);
  EXPECT_EQ(api.Post("/api/auth/refresh", {{"refresh_token", r1}}).ErrorCode(),
            "refresh_token_reused");
  root = api.Login("root@example.com", "correct horse battery");
  ASSERT_FALSE(root.empty());

  // Chatbots with overrides and secrets, a bot admin, API keys.
  auto a = api.Post("/api/chatbots",
                    {{"name", "A"},
                     {"allowed_domains", {"https://shop.example.com"}},
                     {"rate_limits", {{"key", {{"rate", 2}, {"period_seconds", 60}}}}},
                     {"secrets", {{"openai_api_key", "sk-abcdefghijklmnop"}}}},
                    root);
  ASSERT_EQ(a.status, 201u) << a.raw.body();
  std::string a_id(a.at("id").as_string());
  auto b = api.Post("/api/chatbots", {{"name", "B"}}, root);
  std::string b_id(b.at("id").as_string());
  ASSERT_EQ(api.Post("/api/users",
                     {{"email", "bot@example.com"},
                      {"password", "bot admin password"},
                      {"role", "bot_admin"},
                      {"chatbot_ids", {a_id}}},
                     root)
                .status,
            201u);
  std::string bot = api.Login("bot@example.com", "bot admin password");
  EXPECT_EQ(api.Get("/api/chatbots", bot).at("items").as_array().size(), 1u);
  EXPECT_EQ(api.Get("/api/chatbots/" + b_id, bot).status, 403u);
  auto key = api.Post("/api/chatbots/" + a_id + "/api-keys",
                      {{"name", "w"}, {"kind", "publishable"}}, bot);
  ASSERT_EQ(key.status, 201u);
  std::vector<std::pair<std::string, std::string>> h = {
      {"X-Api-Key", std::string(key.at("key").as_string())},
      {"Origin", "https://shop.example.com"}};
  EXPECT_EQ(api.Call(verb::get, "/api/chatbots/" + a_id + "/config", nullptr, {}, h).status, 200u);
  EXPECT_EQ(api.Call(verb::get, "/api/chatbots/" + a_id + "/config", nullptr, {}, h).status, 200u);
  EXPECT_EQ(api.Call(verb::get, "/api/chatbots/" + a_id + "/config", nullptr, {}, h).status, 429u);
  EXPECT_EQ(app.app().secrets().Get(a_id, "openai_api_key")->value_or(""), "sk-abcdefghijklmnop");

  // Last admin, audit paging, deletion cascade.
  std::string me(api.Get("/api/auth/me", root).at("id").as_string());
  EXPECT_EQ(api.Put("/api/users/" + me, {{"role", "bot_admin"}}, root).status, 409u);
  auto page = api.Get("/api/audit-logs?limit=3", root);
  ASSERT_EQ(page.status, 200u);
  EXPECT_EQ(page.at("items").as_array().size(), 3u);
  ASSERT_TRUE(page.at("next_cursor").is_string());
  auto next = api.Get(
      "/api/audit-logs?limit=3&cursor=" + std::string(page.at("next_cursor").as_string()), root);
  EXPECT_EQ(next.status, 200u);
  EXPECT_NE(next.at("items").as_array()[0].at("id"), page.at("items").as_array()[0].at("id"));
  EXPECT_EQ(api.Delete("/api/chatbots/" + a_id, root).status, 204u);
  EXPECT_EQ(api.Get("/api/auth/me", bot).at("chatbot_ids").as_array().size(), 0u);
  EXPECT_EQ(api.Post("/api/auth/logout", nullptr, root).status, 204u);
  EXPECT_EQ(api.Get("/api/auth/me", root).status, 401u);
}

// Webhooks, widget chat sessions and scraping on MariaDB: delivery claims, the job queue's
// locking, keyset pages and the page store on the MySQL dialect.
TEST(MysqlApiTest, WebhooksChatAndScrapingOnMariadb) {
  auto server = testutil::SharedMariadbServer();
  if (!server.ok()) {
    if (testutil::SkipMysqlTests()) GTEST_SKIP() << "STUDYBOT_TEST_SKIP_MYSQL=1";
    FAIL() << server.error().message;
  }
  auto url = (*server)->FreshDatabase("features_flow");
  ASSERT_TRUE(url.ok()) << url.error().message;
  // The home page is held until the test has seen its second trigger refused, so that the
  // crawl is still running then, however loaded the machine is.
  std::atomic<bool> hold_home{false};
  LoopbackHttpServer site([&hold_home](const ReceivedRequest& r) {
    if (r.method == "POST") return Reply{200, "", {}};
    if (r.target == "/robots.txt") return Reply{404, "", {}};
    if (r.target == "/") {
      for (int i = 0; i < 2000 && hold_home.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      return Reply{200,
                   "<title>Home</title><p>Admissions are open.</p><a href=/faq>FAQ</a>"
                   "<a href=/latin1.txt>Old notes</a>",
                   {{"Content-Type", "text/html"}}};
    }
    if (r.target == "/latin1.txt") {  // not UTF-8: stored cleaned, not refused by utf8mb4
      return Reply{200, "Caf\xE9 hours: 8 to 18.", {{"Content-Type", "text/plain"}}};
    }
    if (r.target == "/faq") {
      return Reply{200,
                   "<title>FAQ</title><p>Fees are due in October.</p>",
                   {{"Content-Type", "text/html"}, {"ETag", "\"faq1\""}}};
    }
    return Reply{404, "", {}};
  });
  TestServer app([&](Config& c) {
    c.database.url = *url;
    c.admin.email = "root@example.com";
    c.admin.password = "correct horse battery";
    c.outbound.allow_private_addresses = true;
    c.scraping.min_delay = std::chrono::milliseconds(0);
    c.scraping.poll_interval = std::chrono::milliseconds(50);
    c.webhooks.poll_interval = std::chrono::milliseconds(50);
  });
  ApiClient api(app.port());
  std::string root = api.Login("root@example.com", "correct horse battery");
  std::string bot(
      api.Post("/api/chatbots",
               {{"name", "Campus"}, {"allowed_domains", {"https://campus.example.com"}}}, root)
          .at("id")
          .as_string());

  auto hook = api.Post("/api/chatbots/" + bot + "/webhooks",
                       {{"url", site.url("/hook")}, {"events", {"scraping.completed"}}}, root);
  ASSERT_EQ(hook.status, 201u) << hook.raw.body();

  // Chat sessions and their pages.
  auto key = api.Post("/api/chatbots/" + bot + "/api-keys",
                      {{"name", "w"}, {"kind", "publishable"}}, root);
  std::vector<std::pair<std::string, std::string>> h = {
      {"X-Api-Key", std::string(key.at("key").as_string())},
      {"Origin", "https://campus.example.com"}};
  std::string s1(api.Call(verb::post, "/api/chat/sessions", boost::json::object{}, {}, h)
                     .at("id")
                     .as_string());
  auto odd_agent = h;
  odd_agent.emplace_back("User-Agent", "Mozilla/5.0 (caf\xE9)");  // not UTF-8
  ASSERT_EQ(api.Call(verb::post, "/api/chat/sessions", boost::json::object{}, {}, odd_agent).status,
            201u);
  EXPECT_EQ(api.Call(verb::get, "/api/chat/history/" + s1, nullptr, {}, h).status, 200u);
  auto page = api.Get("/api/chat/sessions?limit=1", root);
  ASSERT_EQ(page.at("items").as_array().size(), 1u);
  auto next = api.Get(
      "/api/chat/sessions?limit=1&cursor=" + std::string(page.at("next_cursor").as_string()), root);
  ASSERT_EQ(next.at("items").as_array().size(), 1u);
  EXPECT_NE(next.at("items").at(0).at("id"), page.at("items").at(0).at("id"));

  // A crawl, then an incremental one.
  ASSERT_EQ(
      api.Post("/api/scraping/urls", {{"chatbot_id", bot}, {"url", site.url("/")}}, root).status,
      201u);
  auto crawl = [&]() -> boost::json::object {
    hold_home = true;
    auto t = api.Post("/api/scraping/trigger", {{"chatbot_id", bot}}, root);
    EXPECT_EQ(t.status, 202u) << t.raw.body();
    EXPECT_EQ(api.Post("/api/scraping/trigger", {{"chatbot_id", bot}}, root).status, 409u);
    hold_home = false;
    for (int i = 0; i < 600; ++i) {
      auto st = api.Get("/api/scraping/status?chatbot_id=" + bot, root);
      const auto& job = st.at("jobs").at(0).as_object();
      if (job.at("status") == "succeeded" || job.at("status") == "failed") return job;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "crawl did not finish";
    return {};
  };
  auto first = crawl();
  ASSERT_EQ(first.at("status").as_string(), "succeeded");
  EXPECT_EQ(first.at("pages").at("changed").as_int64(), 3);
  auto second = crawl();
  EXPECT_EQ(second.at("pages").at("changed").as_int64(), 0);
  EXPECT_EQ(second.at("pages").at("unchanged").as_int64(), 3);
  EXPECT_EQ(api.Get("/api/scraping/status?chatbot_id=" + bot, root).at("pages").as_int64(), 3);

  // Both crawls reached the webhook, signed and marked delivered.
  std::string hook_id(hook.at("id").as_string());
  for (int i = 0; i < 400; ++i) {
    auto d = api.Get("/api/chatbots/" + bot + "/webhooks/" + hook_id + "/deliveries", root);
    const auto& items = d.at("items").as_array();
    if (items.size() == 2 && items[0].at("status") == "succeeded" &&
        items[1].at("status") == "succeeded") {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  auto d = api.Get("/api/chatbots/" + bot + "/webhooks/" + hook_id + "/deliveries", root);
  ASSERT_EQ(d.at("items").as_array().size(), 2u) << d.raw.body();
  EXPECT_EQ(d.at("items").at(0).at("status").as_string(), "succeeded");
  EXPECT_EQ(api.Delete("/api/chatbots/" + bot, root).status, 204u);  // cascades everything
}

}  // namespace
}  // namespace studybot::testing
