// The built-in embedder learned from a chatbot's own chunks (knowledge setting embedder
// {provider: builtin, model: learned}, the default): which algorithm, how it is trained, and how
// its model is stored. Today: LSA (ai/lsa_model.h), chosen on bench/retrieval (bench/RESULTS.md).
// Models are kept in the database (ingest/model_store.h) as the bytes made here.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ai/embedder.h"
#include "core/result.h"
#include "search/analyzer.h"

namespace studybot::ai {

// Fewer chunks than this teach nothing useful: the chatbot is searched by keywords alone.
inline constexpr std::size_t kMinLearnedChunks = 8;

struct LearnedModel {
  std::shared_ptr<Embedder> embedder;
  std::string bytes;  // what LoadLearnedEmbedder takes back
};

// Trains on `chunks` (the texts that are embedded). kInvalidArgument when there are too few or
// they hold no usable terms. CPU-bound: seconds for tens of thousands of chunks.
// `cancelled` (may be empty) is polled between steps: true stops with kUnavailable.
Result<LearnedModel> TrainLearnedEmbedder(const std::vector<std::string>& chunks, int dimensions,
                                          search::Language language,
                                          std::function<bool()> cancelled = {});
// The embedder saved as `bytes`; kInvalidArgument when they are not a model or not `id`'s.
Result<std::shared_ptr<Embedder>> LoadLearnedEmbedder(std::string_view id, std::string_view bytes);
// Whether `id` names a learned model (as opposed to hashing-v1/... or a provider's).
bool IsLearnedEmbedderId(std::string_view id);

}  // namespace studybot::ai
