#include "ai/openai_protocol.h"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>

#include "core/strings.h"

namespace studybot::ai {
namespace {

namespace json = boost::json;

std::string Text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return "";
}

// "401; invalid_api_key; invalid_request_error": what an admin can look up, without the text.
std::string Identifiers(long status, const OpenAiApiError& e, std::string_view api_key) {
  std::string out = std::to_string(status);
  for (const std::string* part : {&e.code, &e.type}) {
    // An identifier is short and never the key; anything else is dropped, not quoted.
    if (part->empty() || part->size() > 64 || *part == std::to_string(status)) continue;
    if (!api_key.empty() && part->find(api_key) != std::string::npos) continue;
    out += "; " + QuoteProviderText(*part, api_key, 64);
  }
  return out;
}

bool IsUrlSafeName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

}  // namespace

Result<std::string> OperationUrl(const OpenAiTarget& target, std::string_view operation) {
  if (target.provider == OpenAiProvider::kOpenAi) {
    auto base = CheckBaseUrl(target.base_url, "base_url");
    if (!base.ok()) return std::move(base).error();
    return *base + "/" + std::string(operation);
  }
  if (!IsUrlSafeName(target.azure_deployment)) {
    return Error::InvalidArgument(
        "azure_deployment must be set, using letters, digits, '-', '_' and '.'");
  }
  if (!IsUrlSafeName(target.azure_api_version)) {
    return Error::InvalidArgument("azure_api_version must be set (\"2024-10-21\")");
  }
  auto endpoint = CheckBaseUrl(target.azure_endpoint, "azure_endpoint");
  if (!endpoint.ok()) return std::move(endpoint).error();
  return *endpoint + "/openai/deployments/" + std::string(target.azure_deployment) + "/" +
         std::string(operation) + "?api-version=" + std::string(target.azure_api_version);
}

void AddKeyHeader(OpenAiProvider provider, const std::string& api_key,
                  std::vector<std::pair<std::string, std::string>>& headers) {
  if (api_key.empty()) return;
  if (provider == OpenAiProvider::kAzure) {
    headers.emplace_back("api-key", api_key);
  } else {
    headers.emplace_back("Authorization", "Bearer " + api_key);
  }
}

OpenAiApiError ParseOpenAiApiError(std::string_view body) {
  OpenAiApiError out;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return out;
  const json::object& top = v.get_object();
  const json::value* err = top.if_contains("error");
  const json::object* fields = nullptr;
  if (err != nullptr && err->is_object()) {
    fields = &err->get_object();  // OpenAI, Azure, Ollama
  } else if (err != nullptr && err->is_string()) {
    out.message = std::string(err->get_string());  // TEI
    out.type = Text(top, "error_type");
    return out;
  } else {
    fields = &top;  // vLLM
  }
  out.message = Text(*fields, "message");
  out.type = Text(*fields, "type");
  out.code = Text(*fields, "code");
  out.param = Text(*fields, "param");
  return out;
}

Result<std::string> CheckBaseUrl(std::string_view url, std::string_view setting) {
  const std::string name(setting);
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return Error::InvalidArgument(name + " is not an absolute URL");
  const std::string scheme = ToLower(std::string(parsed->scheme()));
  if (scheme != "http" && scheme != "https") {
    return Error::InvalidArgument(name + " must be an http:// or https:// URL");
  }
  if (!parsed->has_authority() || parsed->host().empty()) {
    return Error::InvalidArgument(name + " has no host");
  }
  // A key in the URL would end up in logs; keys are configured on their own.
  if (parsed->has_userinfo()) return Error::InvalidArgument(name + " must not contain user info");
  if (parsed->has_query() || parsed->has_fragment()) {
    return Error::InvalidArgument(name + " must not have a query or fragment");
  }
  std::string out(url);
  while (!out.empty() && out.back() == '/')
    out.pop_back();
  return out;
}

std::string QuoteProviderText(std::string_view text, std::string_view secret,
                              std::size_t max_bytes) {
  std::string s(Trim(text));
  if (!secret.empty()) {
    for (auto pos = s.find(secret); pos != std::string::npos; pos = s.find(secret, pos)) {
      s.replace(pos, secret.size(), "[redacted]");
      pos += 10;
    }
  }
  if (s.size() <= max_bytes) return CleanUtf8(s);
  return CleanUtf8(s, max_bytes > 3 ? max_bytes - 3 : 0) + "...";
}

bool IsRetryableStatus(long status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

Error OpenAiStatusError(std::string_view what, long status, std::string_view body,
                        std::string_view api_key, int attempts, long retry_after_seconds) {
  const OpenAiApiError e = ParseOpenAiApiError(body);
  const std::string prefix = std::string(what) + ": ";
  const std::string tries =
      attempts > 1 ? " after " + std::to_string(attempts) + " attempts" : std::string();
  if (status == 401 || status == 403) {
    return Error::Unauthenticated(prefix + "the API key was refused (" +
                                  Identifiers(status, e, api_key) + ")");
  }
  const std::string detail =
      e.message.empty() ? std::string() : ": " + QuoteProviderText(e.message, api_key);
  if (status == 429) {
    return Error::RateLimited(
        prefix + "the provider is still rate limiting" + tries + " (429)" + detail,
        std::max(1L, retry_after_seconds));
  }
  if (status >= 400 && status <= 499 && !IsRetryableStatus(status)) {
    return Error::InvalidArgument(prefix + "the provider refused the request (" +
                                  Identifiers(status, e, api_key) + ")" + detail);
  }
  return Error::Unavailable(prefix + "the provider answered " + std::to_string(status) + tries +
                            detail);
}

}  // namespace studybot::ai
