// FakeChatServer: a fake OpenAI chat completions API on 127.0.0.1 for tests and benchmarks. It
// checks requests the way the real API does (/work/shared/specs, openai-openapi 2.3.0) and answers
// what it answers, errors included:
//
//   POST /v1/chat/completions                                   "Authorization: Bearer <key>"
//   POST /openai/deployments/{d}/chat/completions?api-version   "api-key: <key>" (Azure; the
//                                                               deployment names the model)
//
// Bodies: `messages` (1 or more, each with a `role` of system, developer, user, assistant or
// tool and a `content` string or array of text parts), `model` (OpenAI: one of `models`, else
// 404 model_not_found), `temperature` in [0, 2], `max_tokens` / `max_completion_tokens` >= 1 and
// at most 16,384, `stream` a boolean, `stream_options` ({include_usage}) only with `stream`, the
// other documented fields; anything else is "Unrecognized request argument supplied". A prompt
// over `context_window` tokens (PromptTokens) gets the real 400 context_length_exceeded. Errors
// have the real shape {"error": {"message", "type", "param", "code"}} (Azure: {"error": {"code",
// "message"}}); a wrong key gets 401 as the real one (fake_openai_wire.h).
//
// Answers: the text of `answer` (default DefaultAnswer), split into deltas of `delta_chars`
// code points. One delta is one completion token: at most max_tokens of them are sent (then
// finish_reason "length", else "stop"), and usage counts them; prompt_tokens is PromptTokens.
// Streamed (`stream: true`): SSE chunks as OpenAI sends them (a role chunk, the content deltas, a
// finish_reason chunk, a usage chunk with empty `choices` when include_usage, `data: [DONE]`),
// each event after `delta_delay` (a slow stream). Otherwise one chat.completion JSON.
//
// Fault injection: each request that gets past routing and the key check takes the next queued
// FakeChatFault (if any): a status to answer instead (429 with Retry-After / retry-after-ms and
// x-ratelimit-* headers, 5xx with the real bodies), the context-length 400, no head at all until
// the client gives up (head timeouts), a stream cut (connection closed after k deltas, no
// [DONE]), or an error event after k deltas.
//
// Built on SlowStreamServer: any number of concurrent connections on one asio thread, and it
// notices a client that closes its connection mid-stream (closed_by_client, for cancellation
// tests). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slow_stream_server.h"

namespace studybot::testing {

struct FakeChatMessage {
  std::string role;
  std::string content;  // a string content, or its text parts joined
  bool operator==(const FakeChatMessage&) const = default;
};

// A request as received, and what the fake read from it.
struct FakeChatRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool azure = false;
  std::string model;  // the body's, or the Azure deployment's model
  std::vector<FakeChatMessage> messages;
  bool stream = false;
  bool include_usage = false;
  std::optional<double> temperature;
  std::optional<int64_t> max_tokens;  // max_tokens or max_completion_tokens
  std::string max_tokens_field;       // which of the two was sent ("" = none)
  unsigned status = 0;                // what the fake answered
  std::chrono::steady_clock::time_point received;

  std::string Header(const std::string& lower_name) const;
};

struct FakeChatOptions {
  std::string api_key = "sk-fake-chat-0123456789abcdefghij";
  // Models served on /v1.
  std::vector<std::string> models = {"gpt-4o-mini", "gpt-4o", "llama3.1:8b"};
  // Azure deployments and the model behind each.
  std::map<std::string, std::string> azure_deployments = {{"chat", "gpt-4o-mini"}};
  // The answer's text for a request that passed validation. Null: DefaultAnswer.
  std::function<std::string(const FakeChatRequest&)> answer;
  // Code points per content delta (>= 1), and the wait before each SSE event.
  std::size_t delta_chars = 4;
  std::chrono::milliseconds delta_delay{0};
  // Most prompt tokens (PromptTokens) + max_tokens a request may take.
  int64_t context_window = 128'000;
};

struct FakeChatFault {
  unsigned status = 0;          // answer this status instead (429, 500, 503...); 0 = no
  std::string retry_after;      // with `status`: Retry-After value; "" = none
  std::string retry_after_ms;   // with `status`: retry-after-ms value; "" = none
  bool context_length = false;  // answer the real 400 context_length_exceeded
  bool no_head = false;         // send nothing until the client closes the connection
  int cut_after = -1;           // stream: close the connection after this many deltas
  int error_after = -1;         // stream: an error event after this many deltas, then the end
};

class FakeChatServer {
 public:
  explicit FakeChatServer(FakeChatOptions options = {});

  // "http://127.0.0.1:<port>/v1": the OpenAI base URL.
  std::string base_url() const { return server_.url("/v1"); }
  // "http://127.0.0.1:<port>": the Azure endpoint.
  std::string endpoint() const { return server_.url(""); }
  const std::string& api_key() const { return options_.api_key; }

  void Push(FakeChatFault fault, int times = 1);
  void RateLimitNext(int n, std::string retry_after = "1", std::string retry_after_ms = "");
  void FailNext(int n, unsigned status = 500);
  void HangNext(int n);
  void CutNext(int n, int after_deltas);
  void ErrorEventNext(int n, int after_deltas);
  void ContextLengthNext(int n);

  std::vector<FakeChatRequest> Requests();
  // Connections the client closed before the fake had sent its whole answer.
  std::size_t closed_by_client() const { return server_.closed_by_client(); }
  // Polls until closed_by_client() >= n or `limit` passed; whether it got there.
  bool WaitForClosedByClient(std::size_t n,
                             std::chrono::milliseconds limit = std::chrono::seconds(10));
  // Polls until `n` requests were recorded or `limit` passed; what was recorded.
  std::vector<FakeChatRequest> WaitForRequests(
      std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(10));

  // "Answer to \"<last user message>\" from <model>." (deterministic).
  static std::string DefaultAnswer(const FakeChatRequest& request);
  // `text` in pieces of `chars` code points: the content deltas.
  static std::vector<std::string> Deltas(std::string_view text, std::size_t chars);
  // The fake's prompt token count: ceil(bytes / 4) of each content, plus 4 per message and 3.
  static int64_t PromptTokens(const std::vector<FakeChatMessage>& messages);

 private:
  StreamPlan Handle(const StreamExchange& exchange);
  StreamPlan Answer(FakeChatRequest& request);
  StreamPlan Stream(const FakeChatRequest& request, const std::vector<std::string>& deltas,
                    const std::string& finish, const FakeChatFault& fault);

  const FakeChatOptions options_;
  std::mutex mu_;
  std::deque<FakeChatFault> faults_;       // REQUIRES: mu_ held
  std::vector<FakeChatRequest> requests_;  // REQUIRES: mu_ held
  uint64_t next_id_ = 1;                   // REQUIRES: mu_ held
  SlowStreamServer server_;                // last: serves until destroyed first
};

}  // namespace studybot::testing
