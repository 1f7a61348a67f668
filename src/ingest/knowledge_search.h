// KnowledgeSearch: POST /api/chatbots/:id/search for admins testing retrieval, and the retrieval
// step of the answer pipeline. Embeds the query with the chatbot's active embedder, asks the
// ChunkIndex (hybrid: BM25 and dense candidates fused by RRF), drops hits below the score
// threshold, and dresses each hit with its document, heading path, URL (with the heading's
// anchor) and a snippet with the matched words marked. What the request leaves out comes from the
// chatbot's retrieval settings.
//
// The threshold compares a hit's relevance: its cosine similarity to the query when the chatbot
// has an embedder and the mode is hybrid or dense, its BM25 score otherwise (keyword mode, or no
// embedder yet). A chatbot without an embedder (too little content to learn one) answers hybrid
// searches from keywords alone and dense searches with nothing.
//
// Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ai/embedder.h"
#include "auth/principal.h"
#include "chatbots/service.h"
#include "ingest/document_repository.h"
#include "ingest/embedder_registry.h"
#include "search/analyzer.h"
#include "search/chunk_index.h"

namespace studybot::ingest {

struct SearchInput {
  std::string query;
  // Unset: the chatbot's retrieval settings.
  std::optional<std::size_t> top_k;
  std::optional<search::SearchMode> mode;
  std::optional<double> score_threshold;
  std::optional<search::Fusion> fusion;
  search::ChunkFilter filter;
};

struct SearchResult {
  int64_t chunk_id = 0;
  std::string document_id;
  std::string title;
  std::string url;  // with #anchor when the chunk's heading has one
  std::vector<std::string> heading_path;
  int64_t page = 0;
  std::string text;
  std::string snippet;  // HTML-escaped, matched words in <mark>...</mark>
  double score = 0;
  int keyword_rank = 0;
  int dense_rank = 0;
  double keyword_score = 0;
  double dense_score = 0;
};

struct SearchOutcome {
  std::vector<SearchResult> results;
  std::string embedder;  // the embedder of the query vector; "" when keywords alone
  search::SearchMode mode = search::SearchMode::kHybrid;
};

// Candidates taken from each side before fusion (documented in the README).
inline constexpr std::size_t kCandidateDepth = 50;

class KnowledgeSearch {
 public:
  KnowledgeSearch(DocumentRepository& docs, search::ChunkIndex& index, EmbedderStore& store,
                  EmbedderRegistry& registry, chatbots::ChatbotService& chatbots)
      : docs_(docs), index_(index), store_(store), registry_(registry), chatbots_(chatbots) {}

  // For admins: checks access to the chatbot first.
  Result<SearchOutcome> Search(const auth::Principal& who, const std::string& chatbot_id,
                               const SearchInput& in);
  // The same without an admin (the chat pipeline, with a widget key already checked).
  Result<SearchOutcome> SearchChatbot(const chatbots::Chatbot& bot, const SearchInput& in);

 private:
  DocumentRepository& docs_;
  search::ChunkIndex& index_;
  EmbedderStore& store_;
  EmbedderRegistry& registry_;
  chatbots::ChatbotService& chatbots_;
};

// The ~`width`-byte window of `text` with the most matches, HTML-escaped, matches marked.
std::string MakeSnippet(std::string_view text,
                        const std::vector<std::pair<std::size_t, std::size_t>>& spans,
                        std::size_t width = 240);

}  // namespace studybot::ingest
