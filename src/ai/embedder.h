// Embedder: turns chunk texts (and queries) into dense vectors for the semantic half of hybrid
// search. Implementations: HashingEmbedder (built in, no weights), OpenAiEmbedder (OpenAI, Azure
// OpenAI and OpenAI-compatible servers such as Ollama, llama.cpp, vLLM or TEI).
//
// Vectors are L2-normalised, so cosine similarity is their inner product. Thread-safe: Embed may
// be called from several threads at once. Blocking (it may call a remote API): call it from a
// worker thread.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace studybot::ai {

class Embedder {
 public:
  virtual ~Embedder() = default;

  // The identity of the vector space: provider, model and dimensions ("hashing-v1/384",
  // "openai/text-embedding-3-small/1536"). Two embedders with the same id produce comparable
  // vectors; embeddings are cached under (id, content hash), so the id changes whenever the
  // vectors would.
  virtual std::string id() const = 0;
  virtual int dimensions() const = 0;

  // One vector of dimensions() floats per input, in order. An empty input gives a zero vector.
  // Errors:
  //   kUnauthenticated   the provider refused the credentials (a bad key: retrying will not help)
  //   kRateLimited       the provider is still refusing after retries; retry_after_seconds set
  //   kUnavailable       the provider is down, timed out, or answered 5xx after retries
  //   kInvalidArgument   the provider refused the input (too long, malformed)
  // Messages are for admins: they name the provider and the status, never the key.
  virtual Result<std::vector<std::vector<float>>> Embed(const std::vector<std::string>& texts) = 0;
};

}  // namespace studybot::ai
