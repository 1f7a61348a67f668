// Users, roles and chatbots: who may see and change what, and the audit trail of it.
#include <gtest/gtest.h>

#include <set>

#include <boost/json/serialize.hpp>

#include "api_client.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

const std::string kRoot = "root@example.com";
const std::string kRootPassword = "correct horse battery staple";

void WithAdmin(Config& c) {
  c.admin.email = kRoot;
  c.admin.password = kRootPassword;
}

class UsersChatbotsTest : public ::testing::Test {
 protected:
  UsersChatbotsTest() : server_(WithAdmin), api_(server_.port()) {
    root_ = api_.Login(kRoot, kRootPassword);
  }

  std::string CreateChatbot(const std::string& name) {
    auto r = api_.Post("/api/chatbots",
                       {{"name", name}, {"allowed_domains", {"https://www.example.com"}}}, root_);
    EXPECT_EQ(r.status, 201u) << r.raw.body();
    return std::string(r.at("id").as_string());
  }

  TestServer server_;
  ApiClient api_;
  std::string root_;
};

TEST_F(UsersChatbotsTest, BotAdminSeesOnlyTheirChatbots) {
  std::string a = CreateChatbot("A");
  std::string b = CreateChatbot("B");
  auto created = api_.Post("/api/users",
                           {{"email", "bot@example.com"},
                            {"password", "bot admin password"},
                            {"name", "Bot Admin"},
                            {"role", "bot_admin"},
                            {"chatbot_ids", {a}}},
                           root_);
  ASSERT_EQ(created.status, 201u) << created.raw.body();
  EXPECT_EQ(created.at("chatbot_ids").as_array().size(), 1u);
  std::string bot = api_.Login("bot@example.com", "bot admin password");
  ASSERT_FALSE(bot.empty());

  auto list = api_.Get("/api/chatbots", bot);
  ASSERT_EQ(list.status, 200u);
  ASSERT_EQ(list.at("items").as_array().size(), 1u);
  EXPECT_EQ(list.at("items").as_array()[0].at("id").as_string(), a);
  EXPECT_EQ(api_.Get("/api/chatbots", root_).at("items").as_array().size(), 2u);

  EXPECT_EQ(api_.Get("/api/chatbots/" + a, bot).status, 200u);
  auto other = api_.Get("/api/chatbots/" + b, bot);
  EXPECT_EQ(other.status, 403u);
  EXPECT_EQ(other.ErrorCode(), "forbidden");
  EXPECT_EQ(api_.Put("/api/chatbots/" + b, {{"name", "mine now"}}, bot).status, 403u);
  EXPECT_EQ(api_.Put("/api/chatbots/" + a, {{"description", "ok"}}, bot).status, 200u);
  EXPECT_EQ(api_.Delete("/api/chatbots/" + a, bot).status, 403u);
  EXPECT_EQ(api_.Post("/api/chatbots", {{"name", "C"}}, bot).status, 403u);
  EXPECT_EQ(api_.Get("/api/users", bot).status, 403u);
  EXPECT_EQ(api_.Get("/api/audit-logs", bot).status, 403u);
  EXPECT_EQ(api_.Get("/api/chatbots/no-such-id", root_).status, 404u);

  // Deleting a chatbot removes the memberships that pointed at it.
  EXPECT_EQ(api_.Delete("/api/chatbots/" + a, root_).status, 204u);
  EXPECT_EQ(api_.Get("/api/auth/me", bot).at("chatbot_ids").as_array().size(), 0u);
  EXPECT_EQ(api_.Get("/api/chatbots/" + a, root_).status, 404u);
}

TEST_F(UsersChatbotsTest, UserValidationAndConflicts) {
  auto dup = api_.Post(
      "/api/users",
      {{"email", "ROOT@example.com"}, {"password", "a long password"}, {"role", "bot_admin"}},
      root_);
  EXPECT_EQ(dup.status, 409u);
  EXPECT_EQ(dup.ErrorCode(), "email_taken");
  auto weak =
      api_.Post("/api/users",
                {{"email", "x@example.com"}, {"password", "short"}, {"role", "bot_admin"}}, root_);
  EXPECT_EQ(weak.status, 400u);
  auto bad_role = api_.Post(
      "/api/users", {{"email", "x@example.com"}, {"password", "a long password"}, {"role", "god"}},
      root_);
  EXPECT_EQ(bad_role.status, 400u);
  auto unknown_bot = api_.Post("/api/users",
                               {{"email", "x@example.com"},
                                {"password", "a long password"},
                                {"role", "bot_admin"},
                                {"chatbot_ids", {"nope"}}},
                               root_);
  EXPECT_EQ(unknown_bot.status, 422u);
  // Nothing half-written: the user was not created.
  EXPECT_EQ(api_.Get("/api/users", root_).at("items").as_array().size(), 1u);
  EXPECT_EQ(api_.Put("/api/users/missing", {{"name", "x"}}, root_).status, 404u);
  EXPECT_EQ(api_.Put("/api/users/missing", boost::json::object{}, root_).status, 400u);
}

TEST_F(UsersChatbotsTest, TheLastSystemAdminStays) {
  std::string me(api_.Get("/api/auth/me", root_).at("id").as_string());
  auto demote = api_.Put("/api/users/" + me, {{"role", "bot_admin"}}, root_);
  EXPECT_EQ(demote.status, 409u);
  EXPECT_EQ(demote.ErrorCode(), "last_system_admin");
  EXPECT_EQ(api_.Put("/api/users/" + me, {{"is_active", false}}, root_).status, 409u);
  EXPECT_EQ(api_.Delete("/api/users/" + me, root_).status, 409u);

  auto second = api_.Post("/api/users",
                          {{"email", "second@example.com"},
                           {"password", "second admin password"},
                           {"role", "system_admin"}},
                          root_);
  ASSERT_EQ(second.status, 201u);
  std::string second_token = api_.Login("second@example.com", "second admin password");
  // With another admin around, the first may be demoted; their sessions end.
  EXPECT_EQ(api_.Put("/api/users/" + me, {{"role", "bot_admin"}}, second_token).status, 200u);
  EXPECT_EQ(api_.Get("/api/auth/me", root_).status, 401u);
  std::string second_id(second.at("id").as_string());
  EXPECT_EQ(api_.Delete("/api/users/" + second_id, second_token).status, 409u);
}

TEST_F(UsersChatbotsTest, ChatbotValidationAndWidgetConfig) {
  auto bad = api_.Post(
      "/api/chatbots",
      {{"name", "X"}, {"allowed_domains", {"https://ok.example.com", "not a domain"}}}, root_);
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.at("error").at("details").as_array()[0].at("path").as_string(),
            "/allowed_domains/1");
  auto colour =
      api_.Post("/api/chatbots", {{"name", "X"}, {"widget", {{"primary_color", "red"}}}}, root_);
  EXPECT_EQ(colour.status, 400u);

  auto made = api_.Post("/api/chatbots",
                        {{"name", "Support"},
                         {"allowed_domains", {"https://*.Example.com"}},
                         {"widget", {{"primary_color", "#112233"}, {"welcome_message", "Hi"}}}},
                        root_);
  ASSERT_EQ(made.status, 201u) << made.raw.body();
  std::string id(made.at("id").as_string());
  EXPECT_EQ(made.at("allowed_domains").as_array()[0].as_string(), "https://*.example.com");
  EXPECT_EQ(made.at("widget").at("title").as_string(), "Support");

  auto key = api_.Post("/api/chatbots/" + id + "/api-keys",
                       {{"name", "site"}, {"kind", "publishable"}}, root_);
  ASSERT_EQ(key.status, 201u) << key.raw.body();
  std::vector<std::pair<std::string, std::string>> widget = {
      {"X-Api-Key", std::string(key.at("key").as_string())},
      {"Origin", "https://shop.example.com"}};
  auto cfg = api_.Call(boost::beast::http::verb::get, "/api/chatbots/" + id + "/config", nullptr,
                       {}, widget);
  ASSERT_EQ(cfg.status, 200u);
  EXPECT_EQ(cfg.at("widget").at("primary_color").as_string(), "#112233");
  EXPECT_FALSE(cfg.json.as_object().contains("allowed_domains"));
  std::string etag(cfg.raw["ETag"]);
  ASSERT_FALSE(etag.empty());
  auto with_etag = widget;
  with_etag.emplace_back("If-None-Match", etag);
  auto same = api_.Call(boost::beast::http::verb::get, "/api/chatbots/" + id + "/config", nullptr,
                        {}, with_etag);
  EXPECT_EQ(same.status, 304u);
  EXPECT_EQ(
      api_.Put("/api/chatbots/" + id, {{"widget", {{"position", "bottom-left"}}}}, root_).status,
      200u);
  auto changed = api_.Call(boost::beast::http::verb::get, "/api/chatbots/" + id + "/config",
                           nullptr, {}, with_etag);
  EXPECT_EQ(changed.status, 200u);
  EXPECT_EQ(changed.at("widget").at("primary_color").as_string(), "#112233");  // merged
  EXPECT_EQ(changed.at("widget").at("position").as_string(), "bottom-left");
  EXPECT_EQ(api_.Put("/api/chatbots/" + id, {{"status", "disabled"}}, root_).status, 200u);
  EXPECT_EQ(api_.Call(boost::beast::http::verb::get, "/api/chatbots/" + id + "/config", nullptr, {},
                      widget)
                .status,
            404u);
}

TEST_F(UsersChatbotsTest, EveryMutationIsAuditedAndTheLogPages) {
  std::string a = CreateChatbot("A");
  ASSERT_EQ(api_.Put("/api/chatbots/" + a, {{"name", "A2"}}, root_).status, 200u);
  auto u = api_.Post(
      "/api/users",
      {{"email", "u@example.com"}, {"password", "user password 1"}, {"role", "bot_admin"}}, root_);
  std::string uid(u.at("id").as_string());
  ASSERT_EQ(
      api_.Put("/api/users/" + uid, {{"name", "U"}, {"password", "user password 2"}}, root_).status,
      200u);
  ASSERT_EQ(api_.Delete("/api/users/" + uid, root_).status, 204u);
  ASSERT_EQ(api_.Delete("/api/chatbots/" + a, root_).status, 204u);

  std::set<std::string> actions;
  std::string cursor;
  int pages = 0;
  do {
    auto r =
        api_.Get("/api/audit-logs?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), root_);
    ASSERT_EQ(r.status, 200u) << r.raw.body();
    EXPECT_LE(r.at("items").as_array().size(), 2u);
    for (const auto& it : r.at("items").as_array()) {
      actions.emplace(it.at("action").as_string());
      // Summaries never carry secrets.
      EXPECT_EQ(boost::json::serialize(it).find("user password"), std::string::npos);
      EXPECT_FALSE(it.at("created_at").as_string().empty());
      // Requests carry the client address; the first admin made at start-up has none.
      if (!it.at("actor").at("user_id").is_null()) {
        EXPECT_EQ(it.at("actor").at("ip").as_string(), "127.0.0.1");
      }
    }
    cursor = r.at("next_cursor").is_null() ? "" : std::string(r.at("next_cursor").as_string());
    ++pages;
  } while (!cursor.empty() && pages < 50);
  EXPECT_GT(pages, 2);
  for (const char* want : {"auth.login", "chatbot.create", "chatbot.update", "chatbot.delete",
                           "user.create", "user.update", "user.delete"}) {
    EXPECT_TRUE(actions.count(want)) << want;
  }
  auto filtered = api_.Get("/api/audit-logs?action=user.update", root_);
  ASSERT_EQ(filtered.at("items").as_array().size(), 1u);
  auto summary = filtered.at("items").as_array()[0].at("summary");
  EXPECT_TRUE(summary.at("sessions_ended").as_bool());
  EXPECT_EQ(api_.Get("/api/audit-logs?from=yesterday", root_).status, 400u);
  EXPECT_EQ(api_.Get("/api/audit-logs?cursor=garbage", root_).status, 400u);
  EXPECT_EQ(api_.Get("/api/audit-logs?from=2000-01-01T00:00:00Z&to=2001-01-01T00:00:00Z", root_)
                .at("items")
                .as_array()
                .size(),
            0u);
}

// Security review finding 8: malformed cursors were ignored (the first page came back).
TEST_F(UsersChatbotsTest, MalformedCursorsAreRefused) {
  CreateChatbot("A");
  CreateChatbot("B");
  for (const char* list :
       {"/api/chatbots", "/api/users", "/api/audit-logs", "/api/chat/sessions"}) {
    for (const char* cursor : {"garbage", "1%27%20OR%201%3D1", "00000000-0000-0000-0000"}) {
      auto r = api_.Get(std::string(list) + "?limit=1&cursor=" + cursor, root_);
      EXPECT_EQ(r.status, 400u) << list << " " << cursor << " " << r.raw.body();
    }
  }
  // A cursor we issued still pages.
  auto first = api_.Get("/api/chatbots?limit=1", root_);
  ASSERT_EQ(first.status, 200u);
  std::string next(first.at("next_cursor").as_string());
  auto second = api_.Get("/api/chatbots?limit=1&cursor=" + next, root_);
  ASSERT_EQ(second.status, 200u);
  EXPECT_NE(second.at("items").as_array()[0].at("id"), first.at("items").as_array()[0].at("id"));
}

}  // namespace
}  // namespace studybot::testing
