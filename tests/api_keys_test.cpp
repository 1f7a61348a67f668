// API keys and the widget's access: origins, revocation, per-chatbot rate limits.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api_client.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

using boost::beast::http::verb;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string kRoot = "root@example.com";
const std::string kRootPassword = "correct horse battery staple";

class ApiKeysTest : public ::testing::Test {
 protected:
  ApiKeysTest()
      : server_([](Config& c) {
          c.admin.email = kRoot;
          c.admin.password = kRootPassword;
        }),
        api_(server_.port()) {
    root_ = api_.Login(kRoot, kRootPassword);
    auto bot =
        api_.Post("/api/chatbots",
                  {{"name", "Shop"},
                   {"allowed_domains", {"https://shop.example.com", "http://localhost:3000"}}},
                  root_);
    bot_ = std::string(bot.at("id").as_string());
  }

  std::string NewKey(const std::string& kind, const std::string& bot = {}) {
    auto r = api_.Post("/api/chatbots/" + (bot.empty() ? bot_ : bot) + "/api-keys",
                       {{"name", kind + " key"}, {"kind", kind}}, root_);
    EXPECT_EQ(r.status, 201u) << r.raw.body();
    return std::string(r.at("key").as_string());
  }

  ApiResponse GetConfig(const Headers& headers) {
    return api_.Call(verb::get, "/api/chatbots/" + bot_ + "/config", nullptr, {}, headers);
  }

  TestServer server_;
  ApiClient api_;
  std::string root_;
  std::string bot_;
};

TEST_F(ApiKeysTest, KeysAreShownOnceAndListedByPrefix) {
  auto r = api_.Post("/api/chatbots/" + bot_ + "/api-keys",
                     {{"name", "site"}, {"kind", "publishable"}}, root_);
  ASSERT_EQ(r.status, 201u);
  std::string key(r.at("key").as_string());
  EXPECT_EQ(key.substr(0, 3), "pk_");
  EXPECT_EQ(r.at("prefix").as_string(), key.substr(0, 11));
  std::string secret = NewKey("secret");
  EXPECT_EQ(secret.substr(0, 3), "sk_");
  auto list = api_.Get("/api/chatbots/" + bot_ + "/api-keys", root_);
  ASSERT_EQ(list.status, 200u);
  ASSERT_EQ(list.at("items").as_array().size(), 2u);
  EXPECT_EQ(list.raw.body().find(key), std::string::npos);
  EXPECT_EQ(list.raw.body().find(secret), std::string::npos);
  EXPECT_EQ(
      api_.Post("/api/chatbots/" + bot_ + "/api-keys", {{"name", "x"}, {"kind", "admin"}}, root_)
          .status,
      400u);
  EXPECT_EQ(
      api_.Post("/api/chatbots/" + bot_ + "/api-keys",
                {{"name", "x"}, {"kind", "secret"}, {"expires_at", "2001-01-01T00:00:00Z"}}, root_)
          .status,
      400u);
  EXPECT_EQ(
      api_.Post("/api/chatbots/nope/api-keys", {{"name", "x"}, {"kind", "secret"}}, root_).status,
      404u);

  // Stored hashed: neither key is in the database file.
  server_.Stop();
  std::string all = DatabaseFileBytes(server_.config().data_dir);
  EXPECT_EQ(all.find(key), std::string::npos);
  EXPECT_EQ(all.find(secret), std::string::npos);
}

TEST_F(ApiKeysTest, PublishableKeysOnlyFromAllowedOrigins) {
  std::string pk = NewKey("publishable");
  auto ok = GetConfig({{"X-Api-Key", pk}, {"Origin", "https://shop.example.com"}});
  ASSERT_EQ(ok.status, 200u) << ok.raw.body();
  EXPECT_EQ(ok.raw["Access-Control-Allow-Origin"], "https://shop.example.com");
  EXPECT_NE(std::string(ok.raw["Vary"]).find("Origin"), std::string::npos);
  EXPECT_FALSE(ok.raw["RateLimit-Limit"].empty());
  EXPECT_TRUE(ok.raw["Access-Control-Allow-Credentials"].empty());

  for (const char* origin :
       {"https://evil.test", "http://shop.example.com", "https://shop.example.com:8443",
        "https://shop.example.com.evil.test", "null"}) {
    auto bad = GetConfig({{"X-Api-Key", pk}, {"Origin", origin}});
    EXPECT_EQ(bad.status, 403u) << origin;
    EXPECT_EQ(bad.ErrorCode(),
              origin == std::string("null") ? "origin_not_allowed" : "origin_not_allowed");
    EXPECT_TRUE(bad.raw["Access-Control-Allow-Origin"].empty()) << origin;
  }
  auto referer = GetConfig({{"X-Api-Key", pk}, {"Referer", "http://localhost:3000/page.html"}});
  EXPECT_EQ(referer.status, 200u);
  auto neither = GetConfig({{"X-Api-Key", pk}});
  EXPECT_EQ(neither.status, 403u);
  EXPECT_EQ(neither.ErrorCode(), "origin_required");
  auto missing = GetConfig({{"Origin", "https://shop.example.com"}});
  EXPECT_EQ(missing.status, 401u);
  EXPECT_EQ(GetConfig({{"X-Api-Key", "pk_made_up_and_long_enough"},
                       {"Origin", "https://shop.example.com"}})
                .status,
            401u);

  // The preflight for a widget route is answered for any origin; the real request decides.
  auto pre = api_.Call(verb::options, "/api/chatbots/" + bot_ + "/config", nullptr, {},
                       {{"Origin", "https://shop.example.com"},
                        {"Access-Control-Request-Method", "GET"},
                        {"Access-Control-Request-Headers", "x-api-key"}});
  EXPECT_EQ(pre.status, 204u);
  EXPECT_EQ(pre.raw["Access-Control-Allow-Origin"], "https://shop.example.com");
  EXPECT_NE(std::string(pre.raw["Access-Control-Allow-Headers"]).find("x-api-key"),
            std::string::npos);
}

TEST_F(ApiKeysTest, SecretKeysNeedNoOriginAndWrongChatbotIsRefused) {
  std::string sk = NewKey("secret");
  auto r = GetConfig({{"X-Api-Key", sk}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.raw["Access-Control-Allow-Origin"].empty());
  auto other = api_.Post("/api/chatbots", {{"name", "Other"}}, root_);
  std::string other_key = NewKey("secret", std::string(other.at("id").as_string()));
  auto wrong = GetConfig({{"X-Api-Key", other_key}});
  EXPECT_EQ(wrong.status, 403u);
  EXPECT_EQ(wrong.ErrorCode(), "api_key_wrong_chatbot");
}

TEST_F(ApiKeysTest, RevocationTakesEffectAtOnce) {
  auto created = api_.Post("/api/chatbots/" + bot_ + "/api-keys",
                           {{"name", "site"}, {"kind", "publishable"}}, root_);
  std::string pk(created.at("key").as_string());
  std::string id(created.at("id").as_string());
  Headers h = {{"X-Api-Key", pk}, {"Origin", "https://shop.example.com"}};
  ASSERT_EQ(GetConfig(h).status, 200u);
  EXPECT_EQ(api_.Delete("/api/chatbots/" + bot_ + "/api-keys/" + id, root_).status, 204u);
  auto after = GetConfig(h);
  EXPECT_EQ(after.status, 401u);
  EXPECT_EQ(after.ErrorCode(), "api_key_revoked");
  EXPECT_EQ(api_.Delete("/api/chatbots/" + bot_ + "/api-keys/" + id, root_).status, 404u);
  auto list = api_.Get("/api/chatbots/" + bot_ + "/api-keys", root_);
  EXPECT_FALSE(list.at("items").as_array()[0].at("revoked_at").is_null());
  EXPECT_FALSE(list.at("items").as_array()[0].at("last_used_at").is_null());

  auto audit = api_.Get("/api/audit-logs?action=api_key.revoke", root_);
  EXPECT_EQ(audit.at("items").as_array().size(), 1u);
  audit = api_.Get("/api/audit-logs?action=api_key.create", root_);
  EXPECT_EQ(audit.at("items").as_array().size(), 1u);
}

TEST_F(ApiKeysTest, BotAdminsManageOnlyTheirChatbotsKeys) {
  auto other = api_.Post("/api/chatbots", {{"name", "Other"}}, root_);
  std::string other_id(other.at("id").as_string());
  std::string bot = api_.SignInBotAdmin(root_, bot_);
  EXPECT_EQ(api_.Post("/api/chatbots/" + bot_ + "/api-keys",
                      {{"name", "k"}, {"kind", "publishable"}}, bot)
                .status,
            201u);
  EXPECT_EQ(api_.Post("/api/chatbots/" + other_id + "/api-keys",
                      {{"name", "k"}, {"kind", "publishable"}}, bot)
                .status,
            403u);
  EXPECT_EQ(api_.Get("/api/chatbots/" + other_id + "/api-keys", bot).status, 403u);
}

TEST_F(ApiKeysTest, PerChatbotRateLimitOverride) {
  ASSERT_EQ(api_.Put("/api/chatbots/" + bot_,
                     {{"rate_limits", {{"key", {{"rate", 3}, {"period_seconds", 60}}}}}}, root_)
                .status,
            200u);
  std::string sk = NewKey("secret");
  for (int i = 0; i < 3; ++i) {
    auto r = GetConfig({{"X-Api-Key", sk}});
    ASSERT_EQ(r.status, 200u) << i;
    EXPECT_EQ(r.raw["RateLimit-Limit"], "3");
    EXPECT_EQ(r.raw["RateLimit-Remaining"], std::to_string(2 - i));
  }
  auto limited = GetConfig({{"X-Api-Key", sk}});
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(limited.ErrorCode(), "rate_limited");
  int retry = std::stoi(std::string(limited.raw["Retry-After"]));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 20);
  EXPECT_EQ(limited.raw["RateLimit-Remaining"], "0");
  // Another key of the same chatbot has its own budget.
  EXPECT_EQ(GetConfig({{"X-Api-Key", NewKey("secret")}}).status, 200u);
}

TEST_F(ApiKeysTest, AdminRequestsCarryRateLimitHeaders) {
  auto me = api_.Get("/api/auth/me", root_);
  EXPECT_EQ(me.status, 200u);
  EXPECT_FALSE(me.raw["RateLimit-Limit"].empty());
  EXPECT_FALSE(me.raw["RateLimit-Remaining"].empty());
  EXPECT_FALSE(me.raw["RateLimit-Reset"].empty());
}

}  // namespace
}  // namespace studybot::testing
