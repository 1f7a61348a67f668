#include "api_client.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace studybot::testing {

std::string ApiResponse::ErrorCode() const {
  if (!json.is_object() || !json.as_object().contains("error")) return {};
  return std::string(json.at("error").at("code").as_string());
}

ApiResponse ApiClient::Call(boost::beast::http::verb method, const std::string& target,
                            const boost::json::value& body, const std::string& token,
                            std::vector<std::pair<std::string, std::string>> headers) {
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  std::string text = body.is_null() ? std::string() : boost::json::serialize(body);
  ApiResponse r;
  r.raw = Request(port_, method, target, text, headers);
  r.status = r.raw.result_int();
  boost::system::error_code ec;
  if (!r.raw.body().empty()) {
    auto v = boost::json::parse(r.raw.body(), ec);
    if (!ec) r.json = std::move(v);
  }
  return r;
}

std::string ApiClient::Login(const std::string& email, const std::string& password) {
  auto r = Post("/api/auth/login", {{"email", email}, {"password", password}});
  if (r.status != 200) return {};
  return std::string(r.at("access_token").as_string());
}

std::string ApiClient::SignInBotAdmin(const std::string& root_token,
                                      const std::string& chatbot_id) {
  auto user = Post("/api/users",
                   {{"email", "bot@example.com"},
                    {"password", "bot admin password"},
                    {"role", "bot_admin"},
                    {"chatbot_ids", {chatbot_id}}},
                   root_token);
  EXPECT_EQ(user.status, 201u) << user.raw.body();
  return Login("bot@example.com", "bot admin password");
}

}  // namespace studybot::testing
