#include "fake_openai_wire.h"

#include <boost/json/serialize.hpp>

namespace studybot::testing {
namespace {

namespace json = boost::json;

json::value OrNull(std::string_view s) {
  return s.empty() ? json::value(nullptr) : json::value(json::string(s));
}

// As the real API quotes a wrong key: its start and end around stars.
std::string MaskKey(std::string_view key) {
  if (key.size() <= 8) return "****";
  return std::string(key.substr(0, 3)) + std::string(key.size() - 7, '*') +
         std::string(key.substr(key.size() - 4));
}

}  // namespace

Reply JsonReply(unsigned status, const json::value& v, HeaderList headers) {
  headers.emplace_back("Content-Type", "application/json");
  return Reply{status, json::serialize(v), std::move(headers)};
}

Reply OpenAiError(unsigned status, std::string_view message, std::string_view type,
                  std::string_view param, std::string_view code, HeaderList headers) {
  json::object e{
      {"message", message}, {"type", type}, {"param", OrNull(param)}, {"code", OrNull(code)}};
  return JsonReply(status, json::object{{"error", std::move(e)}}, std::move(headers));
}

Reply AzureError(unsigned status, std::string_view code, std::string_view message,
                 HeaderList headers) {
  return JsonReply(status, json::object{{"error", {{"code", code}, {"message", message}}}},
                   std::move(headers));
}

std::string QueryParam(const std::string& query, std::string_view name) {
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string_view pair(query.data() + start, end - start);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    start = end + 1;
  }
  return "";
}

std::optional<Reply> CheckKey(const ReceivedRequest& request, bool azure,
                              const std::string& api_key) {
  if (azure) {
    if (request.Header("api-key") == api_key) return std::nullopt;
    return AzureError(401, "401",
                      "Access denied due to invalid subscription key or wrong API endpoint. "
                      "Make sure to provide a valid key for an active subscription and use a "
                      "correct regional API endpoint for your resource.");
  }
  const std::string auth = request.Header("authorization");
  if (auth.empty()) {
    return OpenAiError(401,
                       "You didn't provide an API key. You need to provide your API key in an "
                       "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                       "YOUR_KEY), or as the password field (with blank username) if you're "
                       "accessing the API from your browser and are prompted for a username and "
                       "password. You can obtain an API key from "
                       "https://platform.openai.com/account/api-keys.");
  }
  if (auth != "Bearer " + api_key) {
    const std::string given = auth.starts_with("Bearer ") ? auth.substr(7) : auth;
    return OpenAiError(401,
                       "Incorrect API key provided: " + MaskKey(given) +
                           ". You can find your API key at "
                           "https://platform.openai.com/account/api-keys.",
                       "invalid_request_error", "", "invalid_api_key");
  }
  return std::nullopt;
}

Reply InvalidJsonReply() {
  return OpenAiError(400,
                     "We could not parse the JSON body of your request. (HINT: This likely "
                     "means you aren't using your HTTP library correctly. The OpenAI API "
                     "expects a JSON payload, but what was sent was not valid JSON. If you "
                     "have trouble figuring out how to fix this, please contact us through "
                     "our help center at help.openai.com.)");
}

Reply FaultReply(unsigned status, const std::string& retry_after, const std::string& retry_after_ms,
                 bool azure, std::string_view model, std::string_view operation) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!retry_after.empty()) headers.emplace_back("Retry-After", retry_after);
  if (!retry_after_ms.empty()) headers.emplace_back("retry-after-ms", retry_after_ms);
  if (status == 429) {
    headers.insert(headers.end(), {{"x-ratelimit-limit-requests", "3000"},
                                   {"x-ratelimit-remaining-requests", "0"},
                                   {"x-ratelimit-reset-requests", "20ms"},
                                   {"x-ratelimit-limit-tokens", "1000000"},
                                   {"x-ratelimit-remaining-tokens", "0"},
                                   {"x-ratelimit-reset-tokens", "1s"}});
    if (azure) {
      return AzureError(429, "429",
                        "Requests to the " + std::string(operation) +
                            " Operation under Azure OpenAI API "
                            "have exceeded call rate limit of your current pricing tier. Please "
                            "retry after 1 second.",
                        std::move(headers));
    }
    return OpenAiError(429,
                       "Rate limit reached for " + std::string(model) +
                           " in organization org-fake on requests per min (RPM): Limit 3000, "
                           "Used 3000, Requested 1. Please try again in 20ms.",
                       "requests", "", "rate_limit_exceeded", std::move(headers));
  }
  if (status >= 500) {
    return OpenAiError(status,
                       status == 503
                           ? "The server is overloaded or not ready yet."
                           : "The server had an error while processing your request. Sorry "
                             "about that!",
                       "server_error", "", "", std::move(headers));
  }
  return OpenAiError(status, "Injected failure.", "invalid_request_error", "", "",
                     std::move(headers));
}

}  // namespace studybot::testing
