// What every client of an OpenAI-style API shares (embeddings now, chat models later): checking a
// configured base URL, reading the provider's error body, and turning a final HTTP status into a
// domain Error that is safe to show an admin.
//
// Providers: OpenAI itself and the servers that copy its API under their own base URL (Ollama,
// llama.cpp server, vLLM, TEI), and Azure OpenAI, which has its own URL and key header. Their error
// bodies differ a little: OpenAI, Azure and Ollama nest {"error": {"message", "type", "param",
// "code"}}, vLLM puts those fields at the top level, TEI sends {"error": "<text>", "error_type"}.
//
// Secrets: a provider may echo (part of) the key in its message ("Incorrect API key provided:
// sk-ab***yz"), so messages built here never quote the provider's text for 401/403 and redact the
// key from any other text they quote.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace studybot::ai {

enum class OpenAiProvider {
  kOpenAi,  // POST {base_url}/<operation>, "Authorization: Bearer <key>"
  kAzure,  // POST {endpoint}/openai/deployments/{deployment}/<operation>?api-version=..., "api-key"
};

// Where an operation of the API lives: kOpenAi uses `base_url`, kAzure the other three.
struct OpenAiTarget {
  OpenAiProvider provider = OpenAiProvider::kOpenAi;
  std::string_view base_url;
  std::string_view azure_endpoint;
  std::string_view azure_deployment;
  std::string_view azure_api_version;
};

// The full URL of `operation` ("embeddings", "chat/completions"). Errors: kInvalidArgument naming
// the bad setting (base_url, azure_endpoint, azure_deployment, azure_api_version). Azure's
// deployment and version go into the URL, so they are restricted to letters, digits, '-', '_'
// and '.' (what Azure allows), which also means nothing needs escaping.
Result<std::string> OperationUrl(const OpenAiTarget& target, std::string_view operation);

// Appends the key's header: "Authorization: Bearer <key>" (kOpenAi) or "api-key: <key>" (kAzure);
// nothing for an empty key (a local server without authentication).
void AddKeyHeader(OpenAiProvider provider, const std::string& api_key,
                  std::vector<std::pair<std::string, std::string>>& headers);

// The error object of a non-2xx answer; fields are empty when absent (a number or null "code"
// becomes its text or "").
struct OpenAiApiError {
  std::string message;
  std::string type;
  std::string code;
  std::string param;
};

// Reads any of the error shapes above; all fields empty when the body is not one of them.
OpenAiApiError ParseOpenAiApiError(std::string_view body);

// `url` with trailing slashes removed, if it is an absolute http(s) URL with a host and no user
// info, query or fragment (a base that paths are appended to). Errors: kInvalidArgument naming
// `setting`.
Result<std::string> CheckBaseUrl(std::string_view url, std::string_view setting);

// `text` trimmed, valid UTF-8, at most `max_bytes` (cut with "..."), with every occurrence of a
// non-empty `secret` replaced by "[redacted]": for quoting provider text in an Error.
std::string QuoteProviderText(std::string_view text, std::string_view secret,
                              std::size_t max_bytes = 300);

// Whether a retry may get a different answer: 408, 429 and 5xx.
bool IsRetryableStatus(long status);

// The Error for a non-2xx answer that ends the call, `what` naming the call ("openai
// embeddings"), `attempts` how many requests were sent:
//   401, 403          kUnauthenticated; only the provider's code and type are quoted
//   429               kRateLimited, retry_after_seconds = `retry_after_seconds` (>= 1)
//   408, 5xx          kUnavailable
//   other 4xx         kInvalidArgument (the request or the configured model was refused)
//   anything else     kUnavailable (a 1xx or 3xx the client did not expect)
// Other statuses quote the provider's message, redacted of `api_key`.
Error OpenAiStatusError(std::string_view what, long status, std::string_view body,
                        std::string_view api_key, int attempts, long retry_after_seconds);

}  // namespace studybot::ai
