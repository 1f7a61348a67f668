// Widget chat sessions: started with a publishable key from an allowed origin, read back by the
// widget (rate limited per session) and by admins (only for their chatbots).
#include <gtest/gtest.h>

#include "api_client.h"
#include "loopback_http_server.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

using boost::beast::http::verb;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string kRoot = "root@example.com";
const std::string kRootPassword = "correct horse battery staple";
const std::string kOrigin = "https://shop.example.com";

class ChatSessionsTest : public ::testing::Test {
 protected:
  ChatSessionsTest()
      : receiver_([](const ReceivedRequest&) {
          return Reply{200, "", {}};
        }),
        server_([](Config& c) {
          c.admin.email = kRoot;
          c.admin.password = kRootPassword;
          c.outbound.allow_private_addresses = true;
        }),
        api_(server_.port()) {
    root_ = api_.Login(kRoot, kRootPassword);
    bot_ = NewBot("Shop");
    key_ = NewKey(bot_);
  }

  std::string NewBot(const std::string& name) {
    auto r = api_.Post("/api/chatbots", {{"name", name}, {"allowed_domains", {kOrigin}}}, root_);
    EXPECT_EQ(r.status, 201u) << r.raw.body();
    return std::string(r.at("id").as_string());
  }

  std::string NewKey(const std::string& bot) {
    auto r = api_.Post("/api/chatbots/" + bot + "/api-keys",
                       {{"name", "site"}, {"kind", "publishable"}}, root_);
    EXPECT_EQ(r.status, 201u) << r.raw.body();
    return std::string(r.at("key").as_string());
  }

  ApiResponse Start(const std::string& key, const boost::json::value& body,
                    const std::string& origin = kOrigin) {
    return api_.Call(verb::post, "/api/chat/sessions", body, {},
                     Headers{{"X-Api-Key", key}, {"Origin", origin}});
  }

  ApiResponse WidgetHistory(const std::string& key, const std::string& session) {
    return api_.Call(verb::get, "/api/chat/history/" + session, nullptr, {},
                     Headers{{"X-Api-Key", key}, {"Origin", kOrigin}});
  }

  LoopbackHttpServer receiver_;
  TestServer server_;
  ApiClient api_;
  std::string root_;
  std::string bot_;
  std::string key_;
};

TEST_F(ChatSessionsTest, WidgetStartsASessionFromAnAllowedOrigin) {
  auto hook =
      api_.Post("/api/chatbots/" + bot_ + "/webhooks",
                {{"url", receiver_.url("/in")}, {"events", {"chat.session_started"}}}, root_);
  ASSERT_EQ(hook.status, 201u) << hook.raw.body();

  auto r = Start(key_, {{"visitor_id", "visitor-42"}});
  ASSERT_EQ(r.status, 201u) << r.raw.body();
  std::string id(r.at("id").as_string());
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(r.at("chatbot_id").as_string(), bot_);
  EXPECT_EQ(r.at("visitor_id").as_string(), "visitor-42");
  EXPECT_FALSE(r.json.as_object().contains("ip"));  // the widget does not see what admins see
  EXPECT_EQ(r.raw["Access-Control-Allow-Origin"], kOrigin);
  EXPECT_FALSE(r.raw["RateLimit-Limit"].empty());

  // The analytics event of the seed (session_started) is written with the session.
  auto events = server_.app().database().Query(
      "SELECT type, chatbot_id FROM analytics_events WHERE session_id = ?", {id});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->rows[0].GetString(0), "session_started");
  // And webhooks hear of it.
  auto got = receiver_.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("studybot-event"), "chat.session_started");
  EXPECT_NE(got[0].body.find(id), std::string::npos);
}

TEST_F(ChatSessionsTest, RefusesForeignOriginsBadKeysAndBadBodies) {
  auto foreign = Start(key_, boost::json::object{}, "https://evil.example.net");
  EXPECT_EQ(foreign.status, 403u);
  EXPECT_TRUE(foreign.raw["Access-Control-Allow-Origin"].empty());
  EXPECT_EQ(Start("pk_not_a_real_key_at_all_000000", boost::json::object{}).status, 401u);
  EXPECT_EQ(api_.Post("/api/chat/sessions", boost::json::object{}).status, 401u);
  EXPECT_EQ(Start(key_, {{"visitor_id", "has spaces"}}).status, 400u);
  EXPECT_EQ(Start(key_, {{"visitor_id", std::string(65, 'a')}}).status, 400u);
  EXPECT_EQ(Start(key_, {{"chatbot_id", bot_}}).status, 400u);
  EXPECT_EQ(Start(key_, boost::json::array{}).status, 400u);
  auto count = server_.app().database().Query("SELECT COUNT(*) FROM chat_sessions");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->rows[0].GetInt(0), 0);  // nothing half-written
}

TEST_F(ChatSessionsTest, WidgetReadsOnlyItsOwnChatbotsSessions) {
  std::string id(Start(key_, boost::json::object{}).at("id").as_string());
  auto h = WidgetHistory(key_, id);
  ASSERT_EQ(h.status, 200u) << h.raw.body();
  EXPECT_EQ(h.at("session").at("id").as_string(), id);
  EXPECT_TRUE(h.at("messages").as_array().empty());
  EXPECT_EQ(h.raw["Access-Control-Allow-Origin"], kOrigin);

  std::string other_key = NewKey(NewBot("Other"));
  EXPECT_EQ(WidgetHistory(other_key, id).status, 404u);
  EXPECT_EQ(WidgetHistory(key_, "00000000-0000-4000-8000-000000000000").status, 404u);
  EXPECT_EQ(WidgetHistory(key_, "not-hex!").status, 404u);
  EXPECT_EQ(WidgetHistory(key_, std::string(80, 'a')).status, 404u);
  EXPECT_EQ(api_.Get("/api/chat/history/" + id).status, 401u);
}

TEST_F(ChatSessionsTest, WidgetRequestsAreLimitedPerSession) {
  auto set =
      api_.Put("/api/chatbots/" + bot_,
               {{"rate_limits", {{"session", {{"rate", 2}, {"period_seconds", 3600}}}}}}, root_);
  ASSERT_EQ(set.status, 200u) << set.raw.body();
  std::string a(Start(key_, boost::json::object{}).at("id").as_string());
  std::string b(Start(key_, boost::json::object{}).at("id").as_string());
  EXPECT_EQ(WidgetHistory(key_, a).status, 200u);
  EXPECT_EQ(WidgetHistory(key_, a).status, 200u);
  auto limited = WidgetHistory(key_, a);
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(limited.ErrorCode(), "rate_limited");
  EXPECT_FALSE(limited.raw["Retry-After"].empty());
  EXPECT_EQ(limited.raw["RateLimit-Remaining"], "0");
  // Another session of the same key and IP is not affected.
  EXPECT_EQ(WidgetHistory(key_, b).status, 200u);
}

TEST_F(ChatSessionsTest, AdminsListAndReadSessionsOfTheirChatbots) {
  std::string other = NewBot("Other");
  std::string other_key = NewKey(other);
  std::string s1(Start(key_, boost::json::object{}).at("id").as_string());
  std::string s2(Start(key_, boost::json::object{}).at("id").as_string());
  std::string s3(Start(other_key, boost::json::object{}).at("id").as_string());

  auto all = api_.Get("/api/chat/sessions", root_);
  ASSERT_EQ(all.status, 200u) << all.raw.body();
  EXPECT_EQ(all.at("items").as_array().size(), 3u);
  auto page = api_.Get("/api/chat/sessions?chatbot_id=" + bot_ + "&limit=1", root_);
  ASSERT_EQ(page.at("items").as_array().size(), 1u);
  std::string cursor(page.at("next_cursor").as_string());
  auto next =
      api_.Get("/api/chat/sessions?chatbot_id=" + bot_ + "&limit=1&cursor=" + cursor, root_);
  ASSERT_EQ(next.at("items").as_array().size(), 1u);
  EXPECT_NE(next.at("items").at(0).at("id"), page.at("items").at(0).at("id"));
  EXPECT_TRUE(next.at("next_cursor").is_null());
  EXPECT_EQ(api_.Get("/api/chat/sessions?cursor=garbage", root_).status, 400u);
  EXPECT_EQ(api_.Get("/api/chat/sessions?limit=0", root_).status, 400u);
  EXPECT_EQ(api_.Get("/api/chat/sessions?chatbot_id=missing", root_).status, 404u);

  auto h = api_.Get("/api/chat/history/" + s1, root_);
  ASSERT_EQ(h.status, 200u) << h.raw.body();
  EXPECT_EQ(h.at("session").at("ip").as_string(), "127.0.0.1");

  std::string token = api_.SignInBotAdmin(root_, other);
  auto mine = api_.Get("/api/chat/sessions", token);
  ASSERT_EQ(mine.status, 200u);
  ASSERT_EQ(mine.at("items").as_array().size(), 1u);
  EXPECT_EQ(mine.at("items").at(0).at("id").as_string(), s3);
  EXPECT_EQ(api_.Get("/api/chat/sessions?chatbot_id=" + bot_, token).status, 403u);
  EXPECT_EQ(api_.Get("/api/chat/history/" + s2, token).status, 403u);
  EXPECT_EQ(api_.Get("/api/chat/history/" + s3, token).status, 200u);
}

}  // namespace
}  // namespace studybot::testing
