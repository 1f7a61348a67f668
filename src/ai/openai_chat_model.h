// OpenAiChatModel: the ChatModel behind an OpenAI-style chat completions API: OpenAI itself, the
// servers that copy its API under their own base URL (Ollama, llama.cpp server, vLLM: set
// base_url to e.g. "http://127.0.0.1:11434/v1"), and Azure OpenAI (its own URL and key header).
//
//   kOpenAi  POST {base_url}/chat/completions                 Authorization: Bearer <key>
//   kAzure   POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...
//                                                             api-key: <key>
//
// The request carries `model` (not for Azure, whose deployment is the model), `messages`,
// `temperature`, the answer's token limit and, when streaming, `stream: true` and
// `stream_options: {include_usage: true}`. The token limit goes out as `max_completion_tokens`
// to OpenAI's own API and to Azure: OpenAI deprecated `max_tokens` and refuses it for its
// reasoning models (o1, o3, gpt-5: "Unsupported parameter: 'max_tokens'"). Compatible servers
// (any other base_url) get `max_tokens`, the one field every one of them reads: llama.cpp server
// and older Ollama and vLLM ignore `max_completion_tokens`, so the answer would run unbounded.
// `token_limit_field` overrides the choice.
//
// Streamed answers are read with OpenAiChatStreamParser and handed to the sink delta by delta;
// with `stream` off the whole JSON answer is handed over as one delta. The completion carries
// the provider's usage (estimated = false) or, when it sent none, an estimate with
// ingest::CountTokens (estimated = true), the finish_reason and the model that answered.
//
// Failures:
//   * 429, 408, 5xx, timeouts and transport errors are retried, up to max_attempts requests in
//     all, after a full-jitter exponential backoff or the server's Retry-After / retry-after-ms,
//     whichever is longer (a 429's hint also holds back every call of the account, see
//     RateBudget::Hold). Only while nothing has been handed to the sink: once a delta went out,
//     a failure completes the call with the error and the text already streamed stays with the
//     caller. A server hint longer than max_retry_wait ends the retries at once.
//   * 401/403: kUnauthenticated ("the API key was refused"); other 4xx: kInvalidArgument, with
//     slug "context_length_exceeded" when the prompt does not fit the model (the pipeline can
//     shrink it and ask again).
//   * Each account has a CircuitBreaker: when it is open every call fails at once with
//     kUnavailable "... circuit open ...".
//   * A stream that ends without [DONE] after its finish_reason is accepted (some proxies drop
//     the last event); before it, it is an error (kUnavailable "the stream was cut").
//   * An error event mid-stream completes the call with kUnavailable (kInvalidArgument for a
//     context-length error).
// Error messages name the provider and the status and never contain the key (see
// openai_protocol.h).
//
// Waiting never blocks a thread: the limiter's wait (RateBudget::Reserve) and the backoff are
// steady_timers on a strand of the executor given at construction, on which every step of a
// call also runs (the StreamHandler's callbacks are posted there from the client's thread), so
// the sink is called on that executor's threads, one call at a time. Cancellation aborts the
// HTTP exchange at once (the StreamClient gets the same Cancellation) and any pending wait; the
// sink then gets kCancelled.
//
// Thread-safety: Start may be called from any thread. The StreamClient and the executor's
// execution context must outlive every call (stop the io_context after the last OnComplete);
// the model itself may be destroyed while calls are in flight (they hold what they need).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "ai/chat_model.h"
#include "ai/circuit_breaker.h"
#include "ai/openai_protocol.h"
#include "ai/rate_budget.h"
#include "core/result.h"
#include "core/time.h"
#include "outbound/stream_client.h"

namespace studybot::ai {

struct OpenAiChatModelOptions {
  OpenAiProvider provider = OpenAiProvider::kOpenAi;

  // kOpenAi: the API base up to and including the version, without "/chat/completions"
  // (OpenAI's, OPENAI_BASE_URL or a chatbot's own server).
  std::string base_url = "https://api.openai.com/v1";
  // kAzure: the resource endpoint ("https://my-resource.openai.azure.com"), the deployment (it
  // names the model) and the API version.
  std::string azure_endpoint;
  std::string azure_deployment;
  std::string azure_api_version = "2024-10-21";

  // Sent as "Authorization: Bearer" (kOpenAi) or "api-key" (kAzure); may be empty for local
  // servers without authentication (no header is sent). Never logged or put in errors.
  std::string api_key;

  // The model when a request names none. Required for kOpenAi; for kAzure it is only reported
  // (the deployment's name is reported when empty).
  std::string model = "gpt-4o-mini";

  enum class TokenLimitField { kAuto, kMaxTokens, kMaxCompletionTokens };
  // kAuto: max_completion_tokens for api.openai.com and Azure, max_tokens for other servers.
  TokenLimitField token_limit_field = TokenLimitField::kAuto;

  // Ask for a streamed answer (SSE). Off: one JSON answer, handed over as one delta.
  bool stream = true;
  // Send stream_options.include_usage (with `stream`). Turn off for a server that refuses it.
  bool stream_usage = true;

  // Per attempt: the longest wait for the response head, the longest silence mid-stream, and
  // the whole exchange. Positive.
  std::chrono::milliseconds head_timeout{30'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds total_timeout{300'000};
  // Most bytes of an answer's body (or of an error body). Positive.
  std::size_t max_body_bytes = 8 << 20;

  // Requests per call, the first included (>= 1), and the backoff before retry n (from 0): a
  // random time in [0, min(retry_cap, retry_base * 2^n)] (positive, base <= cap).
  int max_attempts = 3;
  std::chrono::milliseconds retry_base{500};
  std::chrono::milliseconds retry_cap{8'000};
  // The longest server-requested wait honoured before giving up (positive).
  std::chrono::milliseconds max_retry_wait{30'000};

  // The account's limits, kept on our side (0 = unlimited), and its circuit breaker. Used when
  // the model builds its own (see MakeOpenAiChatModel).
  RateBudgetOptions budget;
  CircuitBreakerOptions breaker;

  // For the breaker, the budget and HTTP-date Retry-After. Null: the real clock. Must outlive
  // the model and its calls.
  const Clock* clock = nullptr;
  // Seeds the jitter; 0 picks a random seed.
  uint64_t jitter_seed = 0;

  // kInvalidArgument naming the first bad field.
  Status Validate() const;
};

// What several models calling the same provider account share: its limits are per account,
// and so is its health. Thread-safe.
struct ChatAccount {
  std::shared_ptr<RateBudget> budget;
  std::shared_ptr<CircuitBreaker> breaker;
};

class OpenAiChatModel final : public ChatModel {
 public:
  struct Shared;  // what calls keep alive (the options, the account, the jitter engine)

  ~OpenAiChatModel() override;
  OpenAiChatModel(const OpenAiChatModel&) = delete;
  OpenAiChatModel& operator=(const OpenAiChatModel&) = delete;

  // "openai" or "azure".
  std::string name() const override;

  // See ChatModel::Start and the top comment. Never calls the sink before returning.
  void Start(ChatRequest request, std::shared_ptr<ChatSink> sink,
             std::shared_ptr<Cancellation> cancel) override;

  // The full chat completions URL.
  const std::string& url() const;

 private:
  friend Result<std::unique_ptr<OpenAiChatModel>> MakeOpenAiChatModel(OpenAiChatModelOptions,
                                                                      outbound::StreamClient&,
                                                                      boost::asio::any_io_executor,
                                                                      ChatAccount);
  explicit OpenAiChatModel(std::shared_ptr<Shared> shared);

  std::shared_ptr<Shared> shared_;
};

// Validates `options` and builds the model; `executor` runs its timers and calls (see the top
// comment). An empty `account` member is built from options.budget / options.breaker. Errors:
// kInvalidArgument naming the bad option (a start-up error).
Result<std::unique_ptr<OpenAiChatModel>> MakeOpenAiChatModel(OpenAiChatModelOptions options,
                                                             outbound::StreamClient& client,
                                                             boost::asio::any_io_executor executor,
                                                             ChatAccount account = {});

// The token estimate of a prompt: CountTokens of each message plus the per-message framing
// (about 4 tokens each, and 3 to prime the answer, as OpenAI counts).
int64_t EstimatePromptTokens(const std::vector<ChatTurn>& messages);

}  // namespace studybot::ai
