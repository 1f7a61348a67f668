// A small JSON API client for integration tests.
#pragma once

#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "test_server.h"

namespace studybot::testing {

struct ApiResponse {
  unsigned status = 0;
  boost::json::value json;  // null when the body is empty or not JSON
  HttpResponse raw;

  const boost::json::value& at(std::string_view key) const { return json.as_object().at(key); }
  std::string ErrorCode() const;
};

class ApiClient {
 public:
  explicit ApiClient(uint16_t port) : port_(port) {}

  ApiResponse Call(boost::beast::http::verb method, const std::string& target,
                   const boost::json::value& body = nullptr, const std::string& token = {},
                   std::vector<std::pair<std::string, std::string>> headers = {});
  ApiResponse Get(const std::string& target, const std::string& token = {}) {
    return Call(boost::beast::http::verb::get, target, nullptr, token);
  }
  ApiResponse Post(const std::string& target, const boost::json::value& body,
                   const std::string& token = {}) {
    return Call(boost::beast::http::verb::post, target, body, token);
  }
  ApiResponse Put(const std::string& target, const boost::json::value& body,
                  const std::string& token = {}) {
    return Call(boost::beast::http::verb::put, target, body, token);
  }
  ApiResponse Delete(const std::string& target, const std::string& token = {}) {
    return Call(boost::beast::http::verb::delete_, target, nullptr, token);
  }
  // Logs in and returns the access token ("" on failure).
  std::string Login(const std::string& email, const std::string& password);
  // As the system admin `root_token`, creates bot@example.com, a bot admin of `chatbot_id`, and
  // returns its access token ("" on failure, with a test failure added).
  std::string SignInBotAdmin(const std::string& root_token, const std::string& chatbot_id);

 private:
  uint16_t port_;
};

}  // namespace studybot::testing
