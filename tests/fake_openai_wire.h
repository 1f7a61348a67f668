// What the fake OpenAI-style servers (fake_openai_server.h for embeddings, fake_chat_server.h for
// chat completions) answer alike, copied from the real services (/work/shared/specs): the error
// bodies of OpenAI and Azure, the key check and its 401s, the bodies of injected 429s and 5xx.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "loopback_http_server.h"

namespace studybot::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

Reply JsonReply(unsigned status, const boost::json::value& v, HeaderList headers = {});

// {"error": {"message", "type", "param", "code"}}: OpenAI's shape, every field present (an empty
// param or code is null).
Reply OpenAiError(unsigned status, std::string_view message,
                  std::string_view type = "invalid_request_error", std::string_view param = "",
                  std::string_view code = "", HeaderList headers = {});

// Azure's shape: {"error": {"code", "message"}}.
Reply AzureError(unsigned status, std::string_view code, std::string_view message,
                 HeaderList headers = {});

// The value of `name` in a query string ("a=1&b=2"), "" when absent.
std::string QueryParam(const std::string& query, std::string_view name);

// The 401 the real service answers when `request` does not carry `api_key` ("api-key" for
// Azure, "Authorization: Bearer" for OpenAI; a wrong OpenAI key is quoted masked, as the real one
// does); nullopt when it does.
std::optional<Reply> CheckKey(const ReceivedRequest& request, bool azure,
                              const std::string& api_key);

// The answer to a body that is not JSON.
Reply InvalidJsonReply();

// An injected failure: 429 (with x-ratelimit-* headers; `operation` names the Azure operation,
// "Embeddings_Create"), 5xx with the real server_error bodies, or any other status. Retry-After
// and retry-after-ms are sent when non-empty.
Reply FaultReply(unsigned status, const std::string& retry_after, const std::string& retry_after_ms,
                 bool azure, std::string_view model, std::string_view operation);

}  // namespace studybot::testing
