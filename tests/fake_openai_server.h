// FakeOpenAiServer: a fake OpenAI embeddings API on 127.0.0.1 for tests, on LoopbackHttpServer.
// It checks requests the way the real API does (/work/shared/specs, openai-openapi 2.3.0) and
// answers what it answers, errors included, so that a client passing against the fake has a good
// chance against the real thing:
//
//   POST /v1/embeddings                                  "Authorization: Bearer <key>", `model`
//   POST /openai/deployments/{d}/embeddings?api-version  "api-key: <key>" (Azure; the deployment
//                                                        names the model)
//
// Bodies: `input` a non-empty string or an array of 1..2048 of them, or token arrays (integers, or
// arrays of integers); `model`; `encoding_format` float (default) or base64; `dimensions` a
// positive integer, only for text-embedding-3 models and at most their native length; `user`;
// nothing else. Tokens are counted as ceil(bytes / 4) (one per integer for token arrays), with the
// real limits of 8,192 per input and 300,000 per request. Errors have the real shape {"error":
// {"message", "type", "param", "code"}} (Azure: {"error": {"code", "message"}}); a wrong key gets
// 401 with code "invalid_api_key" and a message quoting part of the key, as the real one does.
//
// Embeddings are deterministic: ExpectedVector(text, dims) is a unit vector seeded by a hash of
// the text (a token array hashes as its numbers joined by spaces), so tests can check which
// vector went where.
//
// Fault injection: each request that gets past routing and the key check takes the next queued
// FakeFault (if any): a delay before answering, a status to answer instead (429 with Retry-After,
// retry-after-ms and x-ratelimit-* headers, 5xx with the real bodies), or a broken success answer.
//
// The underlying server reads bodies up to Beast's default 1 MiB and serves one connection at a
// time. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "loopback_http_server.h"

namespace studybot::testing {

struct FakeOpenAiOptions {
  std::string api_key = "sk-fake-0123456789abcdefghij";
  // Models served on /v1 and their native lengths (beyond the three OpenAI ones, which are always
  // there and accept `dimensions`); e.g. {"nomic-embed-text", 768} for an Ollama lookalike.
  std::map<std::string, int> extra_models;
  // Azure deployments and the model behind each.
  std::map<std::string, std::string> azure_deployments = {{"embed", "text-embedding-3-small"}};
  // Answer `data` in a scrambled order (the client must go by `index`).
  bool shuffle_data = false;
  // Answer vectors scaled away from unit length, as some compatible servers do.
  bool unnormalized = false;
};

enum class FakeBreakage {
  kNone,
  kDropOne,         // one vector fewer than inputs
  kWrongDimension,  // every vector one float short
  kNonFinite,       // a 1e999 (infinity once parsed) in the first vector
  kDuplicateIndex,  // two items with index 0
};

struct FakeFault {
  std::chrono::milliseconds delay{0};  // before answering (cut short when the server stops)
  unsigned status = 0;                 // answer this instead; 0 = answer normally
  std::string retry_after;             // for 429/503: Retry-After value; "" = none
  std::string retry_after_ms;          // for 429/503: retry-after-ms value; "" = none
  FakeBreakage breakage = FakeBreakage::kNone;  // applied to a normal answer
};

struct FakeEmbeddingCall {
  ReceivedRequest request;
  unsigned status = 0;     // what the fake answered
  std::size_t inputs = 0;  // inputs in a well-formed request (0 when it was refused)
};

class FakeOpenAiServer {
 public:
  explicit FakeOpenAiServer(FakeOpenAiOptions options = {});
  ~FakeOpenAiServer();

  // "http://127.0.0.1:<port>/v1": the OpenAI base URL.
  std::string base_url() const { return server_.url("/v1"); }
  // "http://127.0.0.1:<port>": the Azure endpoint.
  std::string endpoint() const { return server_.url(""); }

  void Push(FakeFault fault, int times = 1);
  // The next `n` answers are 429 (rate limit reached), with these headers when non-empty.
  void RateLimitNext(int n, std::string retry_after = "1", std::string retry_after_ms = "");
  // The next `n` answers are `status` (500, 502, 503...) with the real error body.
  void FailNext(int n, unsigned status = 500);
  // The next `n` answers come after `delay`.
  void DelayNext(int n, std::chrono::milliseconds delay);
  void BreakNext(int n, FakeBreakage breakage);

  std::vector<FakeEmbeddingCall> Calls();

  // The unit vector the fake answers for `text`.
  static std::vector<float> ExpectedVector(std::string_view text, int dimensions);

 private:
  Reply Handle(const ReceivedRequest& request);
  Reply Answer(const ReceivedRequest& request, std::size_t& inputs);

  const FakeOpenAiOptions options_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;                 // REQUIRES: mu_ held
  std::deque<FakeFault> faults_;          // REQUIRES: mu_ held
  std::vector<FakeEmbeddingCall> calls_;  // REQUIRES: mu_ held
  LoopbackHttpServer server_;             // last: serves until destroyed first
};

}  // namespace studybot::testing
