// Every route that takes a JSON body, fed the same set of hostile bodies by a signed-in system
// admin (or, for the widget route, with a valid key and origin): each answer is a 4xx with the
// error envelope, never a 5xx, nothing is half-written, and the server keeps serving.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "api_client.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

namespace bhttp = boost::beast::http;
using bhttp::verb;
using Headers = std::vector<std::pair<std::string, std::string>>;

// {"field": [item, item, ...]} with n items.
std::string Many(const std::string& field, const std::string& item, int n) {
  std::string out = "{\"" + field + "\":[";
  for (int i = 0; i < n; ++i)
    out += (i ? "," : "") + item;
  return out + "]}";
}

std::string UnknownFields(int n) {
  std::string out = "{";
  for (int i = 0; i < n; ++i)
    out += (i ? ",\"f" : "\"f") + std::to_string(i) + "\":0";
  return out + "}";
}

std::vector<std::string> HostileBodies() {
  std::string deep(5000, '[');
  deep += std::string(5000, ']');
  std::string huge_string = "{\"name\":\"" + std::string(600 * 1024, 'x') + "\"}";
  return {"", "not json", "{\"a\":", "[]", "null", "42", "\"text\"", "{}", deep, huge_string,
          "{\"name\":123,\"url\":true,\"email\":[1],\"chatbot_id\":{}}",
          "{\"name\":null,\"url\":null,\"email\":null,\"password\":null,\"chatbot_id\":null}",
          "{\"chatbot_id\":\"" + std::string(5000, 'c') + "\",\"url\":\"https://a.example/\"}",
          "{\"url\":\"https://example.com/\\u0000\",\"events\":[\"*\",\"*\"]}",
          "{\"visitor_id\":\"\xff\xfe\"}",
          "{\"max_pages\":1e400,\"max_depth\":-1,\"rate\":9223372036854775808}",
          "{\"__proto__\":{},\"constructor\":1}",
          // Security review finding 1: arrays of duplicates and of invalid items made answers
          // of hundreds of megabytes; a non-string under "format" aborted the process.
          Many("events", "\"*\"", 16000), Many("allowed_domains", "\"a\"", 200000),
          Many("chatbot_ids", "\"x\"", 100000), Many("events", "7", 100000),
          Many("allowed_domains", "{}", 100000),
          "{\"name\":\"k\",\"kind\":\"publishable\",\"expires_at\":[1]}",
          "{\"name\":\"k\",\"kind\":\"publishable\",\"expires_at\":{}}",
          "{\"role\":\"bot_admin\",\"role\":\"system_admin\"}", UnknownFields(50000)};
}

TEST(BodySweepTest, HostileBodiesGetClientErrorsOnEveryRoute) {
  TestServer server([](Config& c) {
    c.admin.email = "root@example.com";
    c.admin.password = "correct horse battery";
    c.ratelimit.per_ip = "1000000/1m";
    c.ratelimit.per_user = "1000000/1m";
    c.ratelimit.per_key = "1000000/1m";
  });
  ApiClient api(server.port());
  std::string root = api.Login("root@example.com", "correct horse battery");
  std::string bot(api.Post("/api/chatbots",
                           {{"name", "Bot"}, {"allowed_domains", {"https://site.example.com"}}},
                           root)
                      .at("id")
                      .as_string());
  std::string user(
      api.Post(
             "/api/users",
             {{"email", "u@example.com"}, {"password", "a long password 1"}, {"role", "bot_admin"}},
             root)
          .at("id")
          .as_string());
  std::string hook(
      api.Post("/api/chatbots/" + bot + "/webhooks", {{"url", "https://hooks.example.com/x"}}, root)
          .at("id")
          .as_string());
  std::string key(
      api.Post("/api/chatbots/" + bot + "/api-keys", {{"name", "w"}, {"kind", "publishable"}}, root)
          .at("key")
          .as_string());
  auto count = [&](const char* table) {
    auto rows = server.app().database().Query(std::string("SELECT COUNT(*) FROM ") + table);
    return rows.ok() ? rows->rows[0].GetInt(0) : -1;
  };
  const char* tables[] = {"users",       "chatbots",      "api_keys",
                          "webhooks",    "chat_sessions", "scraping_sources",
                          "scrape_jobs", "chat_messages", "feedbacks"};
  std::map<std::string, int64_t> before;
  for (const char* t : tables)
    before[t] = count(t);

  Headers admin = {{"Authorization", "Bearer " + root}};
  Headers widget = {{"X-Api-Key", key}, {"Origin", "https://site.example.com"}};
  struct Route {
    verb method;
    std::string target;
    Headers headers;
  };
  std::vector<Route> routes = {
      {verb::post, "/api/auth/login", {}},
      {verb::post, "/api/auth/refresh", {}},
      {verb::post, "/api/auth/password/forgot", {}},
      {verb::post, "/api/auth/password/reset", {}},
      {verb::post, "/api/auth/password/change", admin},
      {verb::post, "/api/users", admin},
      {verb::put, "/api/users/" + user, admin},
      {verb::post, "/api/chatbots", admin},
      {verb::put, "/api/chatbots/" + bot, admin},
      {verb::post, "/api/chatbots/" + bot + "/api-keys", admin},
      {verb::post, "/api/chatbots/" + bot + "/webhooks", admin},
      {verb::put, "/api/chatbots/" + bot + "/webhooks/" + hook, admin},
      {verb::post, "/api/chat/sessions", widget},
      {verb::post, "/api/chat/message", widget},
      {verb::post, "/api/chat/message", admin},
      {verb::post, "/api/chat/feedback", widget},
      {verb::post, "/api/chat/feedback", admin},
      {verb::post, "/api/scraping/urls", admin},
      {verb::post, "/api/scraping/trigger", admin},
  };
  for (const auto& route : routes) {
    for (const auto& body : HostileBodies()) {
      if (body == "{}" && route.target == "/api/chat/sessions") continue;  // valid there
      auto r = Request(server.port(), route.method, route.target, body, route.headers);
      std::string what = route.target + " <- " + body.substr(0, 60);
      EXPECT_GE(r.result_int(), 400u) << what;
      EXPECT_LT(r.result_int(), 500u) << what << " -> " << r.body().substr(0, 200);
      EXPECT_LT(r.body().size(), 64u * 1024) << what;
      boost::system::error_code ec;
      auto j = boost::json::parse(r.body(), ec);
      ASSERT_FALSE(ec) << what;
      EXPECT_TRUE(j.as_object().contains("error")) << what;
    }
  }
  for (const char* t : tables)
    EXPECT_EQ(count(t), before[t]) << t;
  EXPECT_EQ(Request(server.port(), verb::get, "/health").result_int(), 200u);
  // The admin is still signed in and the password unchanged.
  EXPECT_EQ(api.Get("/api/auth/me", root).status, 200u);
}

// Finding 1, second half: where a route names a resource, the permission check comes before the
// body is looked at. A bot admin of another chatbot (or of none) gets 403 whatever the body.
TEST(BodySweepTest, PermissionIsCheckedBeforeTheBodyOnRoutesThatNameAChatbot) {
  TestServer server([](Config& c) {
    c.admin.email = "root@example.com";
    c.admin.password = "correct horse battery";
    c.ratelimit.per_user = "1000000/1m";
  });
  ApiClient api(server.port());
  std::string root = api.Login("root@example.com", "correct horse battery");
  std::string bot(api.Post("/api/chatbots", {{"name", "Theirs"}}, root).at("id").as_string());
  std::string hook(
      api.Post("/api/chatbots/" + bot + "/webhooks", {{"url", "https://hooks.example.com/x"}}, root)
          .at("id")
          .as_string());
  std::string mine(api.Post("/api/chatbots", {{"name", "Mine"}}, root).at("id").as_string());
  std::string other = api.SignInBotAdmin(root, mine);
  Headers as_other = {{"Authorization", "Bearer " + other}};
  for (const auto& body : {Many("events", "\"*\"", 16000), Many("allowed_domains", "\"a\"", 200000),
                           std::string("not json")}) {
    for (const auto& [method, target] : std::vector<std::pair<verb, std::string>>{
             {verb::put, "/api/chatbots/" + bot},
             {verb::post, "/api/chatbots/" + bot + "/webhooks"},
             {verb::put, "/api/chatbots/" + bot + "/webhooks/" + hook},
             {verb::post, "/api/chatbots/" + bot + "/api-keys"},
             {verb::put, "/api/chatbots/00000000-0000-4000-8000-000000000000"}}) {
      auto r = Request(server.port(), method, target, body, as_other);
      EXPECT_EQ(r.result_int(), 403u) << target << " " << r.body().substr(0, 200);
    }
  }
}

}  // namespace
}  // namespace studybot::testing
