// OpenAiEmbedder: the Embedder backed by an OpenAI-style /embeddings API: OpenAI itself, Azure
// OpenAI, and the servers that copy OpenAI's API under their own base URL (Ollama, llama.cpp
// server, vLLM, TEI: set base_url to e.g. "http://127.0.0.1:11434/v1").
//
// Embed() sends the texts in as few requests as the API's limits allow (max_inputs_per_request
// inputs, max_tokens_per_request estimated tokens), one after the other, each asking for
// `encoding_format: "float"`. Tokens are estimated as ceil(bytes / 4), OpenAI's rule of thumb for
// English; text in scripts that take more tokens per byte (CJK) can exceed the real limits, and the
// provider's 400 then comes back as kInvalidArgument. A single text longer than max_input_tokens
// is refused before anything is sent: truncating it would embed something other than the chunk.
// Empty texts are not sent (the API refuses them) and embed to the zero vector. Answers are put
// back in order by their `index` fields (providers do not promise the order), checked (one vector
// per input, dimensions() floats each, all finite) and L2-normalised.
//
// Failures: 429, 408, 5xx and transport errors (including timeouts) are retried up to
// max_retries times, each after a full-jitter exponential backoff or the server's Retry-After /
// retry-after-ms, whichever is longer; a 429's hint also holds back every other call through this
// embedder (see RateBudget::Hold). A server hint longer than max_retry_wait ends the retries at
// once instead of parking a worker. 401/403 fail at once with kUnauthenticated, other 4xx with
// kInvalidArgument. Error messages name the provider and the status; they never contain the key,
// and quote the provider's text only for statuses other than 401/403 (with the key redacted).
//
// Every request first waits on the embedder's RateBudget (requests and tokens per minute), so
// many workers sharing one embedder stay under the account's limits.
//
// Thread-safe: Embed may be called from several threads at once (each call is blocking).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ai/embedder.h"
#include "ai/openai_protocol.h"
#include "ai/rate_budget.h"
#include "core/result.h"
#include "core/time.h"
#include "outbound/http_client.h"

namespace studybot::ai {

class OpenAiEmbedder final : public Embedder {
 public:
  struct Options {
    OpenAiProvider provider = OpenAiProvider::kOpenAi;

    // kOpenAi: the API base up to and including the version, without "/embeddings".
    std::string base_url = "https://api.openai.com/v1";
    // kAzure: the resource endpoint ("https://my-resource.openai.azure.com"), the deployment
    // (it picks the model, so no model field is sent) and the API version.
    std::string azure_endpoint;
    std::string azure_deployment;
    std::string azure_api_version = "2024-10-21";

    // The model: sent with kOpenAi; with kAzure only used for its default dimensions (set it to the
    // deployment's model, or set `dimensions`).
    std::string model = "text-embedding-3-small";
    // Output length. When set it is sent as `dimensions` (text-embedding-3 models shorten their
    // vectors); when not, the known model's native length is expected (text-embedding-3-small
    // 1536, -3-large 3072, ada-002 1536) and other models must set it. Either way, answers of
    // another length are an error. In [1, 65536].
    std::optional<int> dimensions;
    // Whether a set `dimensions` goes into the request. Turn off for servers and models that
    // refuse the field (vLLM with a model that cannot shorten its output, some Ollama versions):
    // `dimensions` then only says what length to expect. Never sent for text-embedding-ada-002,
    // which refuses it.
    bool send_dimensions = true;
    // Sent as "Authorization: Bearer" (kOpenAi) or "api-key" (kAzure); may be empty for local
    // servers without authentication (no header is sent). Never logged or put in errors.
    std::string api_key;

    // Per request (each attempt). Positive.
    std::chrono::milliseconds timeout{60'000};

    // Batching, within the API's limits (2,048 inputs, 300,000 tokens per request, 8,192 per
    // input); the defaults leave headroom for the token estimate. All positive.
    int max_inputs_per_request = 256;
    int64_t max_tokens_per_request = 250'000;
    int64_t max_input_tokens = 8'191;

    // Retries after the first attempt (>= 0), and their backoff: attempt n (from 0) waits a random
    // time in [0, min(retry_cap, retry_base * 2^n)] (positive, base <= cap).
    int max_retries = 5;
    std::chrono::milliseconds retry_base{500};
    std::chrono::milliseconds retry_cap{20'000};
    // The longest server-requested wait honoured before giving up (positive).
    std::chrono::milliseconds max_retry_wait{60'000};

    // The account's limits, kept on our side (0 = unlimited).
    RateBudgetOptions budget;

    // Waiting (backoff and budget). Empty: std::this_thread::sleep_for.
    SleepFunction sleep;
    // For the budget and HTTP-date Retry-After. Null: the real clock. Must outlive the embedder.
    const Clock* clock = nullptr;
    // Seeds the jitter; 0 picks a random seed.
    uint64_t jitter_seed = 0;

    // kInvalidArgument naming the first bad field.
    Status Validate() const;
  };

  std::string id() const override { return id_; }
  int dimensions() const override { return dimensions_; }

  // See the top comment and Embedder::Embed.
  Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) override;

  // ceil(bytes / 4): the token estimate used for batching and the input limit.
  static int64_t EstimateTokens(std::string_view text);

 private:
  friend Result<std::unique_ptr<OpenAiEmbedder>> MakeOpenAiEmbedder(OpenAiEmbedder::Options,
                                                                    outbound::HttpClient&);
  OpenAiEmbedder(Options options, std::string url, int dimensions, outbound::HttpClient& http);

  // One request for `texts` (non-empty strings), with retries; vectors in the order of `texts`.
  Result<std::vector<std::vector<float>>> EmbedBatch(const std::vector<const std::string*>& texts,
                                                     int64_t tokens);
  std::chrono::milliseconds Backoff(int attempt);
  std::string What() const;

  const Options options_;
  const std::string url_;  // the full /embeddings URL
  const int dimensions_;
  const std::string id_;
  outbound::HttpClient& http_;
  std::unique_ptr<RealClock> own_clock_;  // when options_.clock is null
  const Clock& clock_;
  const SleepFunction sleep_;
  const bool send_dimensions_;  // the request carries `dimensions`
  RateBudget budget_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;  // REQUIRES: rng_mu_ held
};

// Validates `options` and builds the embedder. Errors: kInvalidArgument naming the bad option
// (a start-up error: the caller should stop and say so).
Result<std::unique_ptr<OpenAiEmbedder>> MakeOpenAiEmbedder(OpenAiEmbedder::Options options,
                                                           outbound::HttpClient& http);

// The native output length of a known OpenAI embedding model; nullopt for others.
std::optional<int> KnownEmbeddingDimensions(std::string_view model);

}  // namespace studybot::ai
