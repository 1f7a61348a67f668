// KnowledgeSettings: how a chatbot's content is chunked, embedded and searched (issue 9). Part of
// the chatbot resource (`knowledge` in its JSON), stored as JSON on the chatbot row. Requests send
// any subset of the fields; the rest keep their current (or default) values.
//
// The provider credentials of an external embedder are not settings: they are the chatbot secret
// `embedder_api_key` (sealed by the SecretStore, shown masked, re-sealed by `keys rotate`); without
// it the server's OPENAI_API_KEY is used.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "core/result.h"

namespace studybot::chatbots {

inline constexpr const char* kEmbedderSecret = "embedder_api_key";

struct RetrievalSettings {
  int top_k = 5;                  // hits returned by default, 1..50
  double score_threshold = 0.0;   // hits scoring below are dropped (0: none); see KnowledgeSearch
  std::string mode = "hybrid";    // hybrid | keyword | dense
  std::string fusion = "convex";  // convex | rrf (search/fusion.h)
};

struct ChunkingSettings {
  int size_tokens = 400;    // 50..2000
  int overlap_tokens = 60;  // 0..size_tokens/2
};

struct EmbedderSettings {
  // builtin: computed here. model "learned" (the default: LSA trained on the chatbot's own
  // chunks, refreshed as they change) or "hashing" (feature hashing, no training).
  // openai: an OpenAI-compatible /embeddings API (OpenAI, Ollama, llama.cpp, vLLM, TEI).
  // azure: an Azure OpenAI deployment.
  std::string provider = "builtin";
  std::string model = "learned";
  // 0: the model's own: OpenAI's native length; built in, 160 learned (best on bench/retrieval)
  // and 384 hashing. Built-in embedders take 16..1024.
  int dimensions = 0;
  std::string base_url;     // openai: default OPENAI_BASE_URL or https://api.openai.com/v1
  std::string endpoint;     // azure: https://<resource>.openai.azure.com
  std::string deployment;   // azure
  std::string api_version;  // azure (default 2024-10-21)

  bool operator==(const EmbedderSettings&) const = default;
};

struct KnowledgeSettings {
  RetrievalSettings retrieval;
  ChunkingSettings chunking;
  std::string language = "auto";  // en | fr | auto: stemming and stop words
  EmbedderSettings embedder;
};

// `patch` (a request's `knowledge` object, already checked against the JSON Schema) applied over
// `base`. kInvalidArgument with field details for values that are fine alone but not together
// (overlap of half the size or more, an Azure embedder without its endpoint...).
Result<KnowledgeSettings> ApplyKnowledgePatch(const KnowledgeSettings& base,
                                              const boost::json::object& patch);
// The stored (or shown) form, every field present.
boost::json::object KnowledgeJson(const KnowledgeSettings& s);
// Reads the stored form; missing or malformed fields take their defaults.
KnowledgeSettings KnowledgeFromJson(const boost::json::object& o);

}  // namespace studybot::chatbots
