// KnowledgeSearch: POST /api/chatbots/:id/search for admins testing retrieval, and the retrieval
// step of the answer pipeline. Embeds the query with the chatbot's embedder, asks the ChunkIndex
// (hybrid: BM25 and dense candidates fused by RRF), and dresses each hit with its document,
// heading path, URL (with the heading's anchor) and a snippet with the matched words marked.
//
// Blocking; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ai/embedder.h"
#include "auth/principal.h"
#include "chatbots/service.h"
#include "ingest/document_repository.h"
#include "search/analyzer.h"
#include "search/chunk_index.h"

namespace studybot::ingest {

struct SearchInput {
  std::string query;
  std::size_t top_k = 5;
  search::SearchMode mode = search::SearchMode::kHybrid;
  search::ChunkFilter filter;
  double score_threshold = 0;  // hits scoring below are dropped
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
};

// Candidates taken from each side before fusion (documented in the README).
inline constexpr std::size_t kCandidateDepth = 50;

class KnowledgeSearch {
 public:
  KnowledgeSearch(DocumentRepository& docs, search::ChunkIndex& index, ai::Embedder& embedder,
                  chatbots::ChatbotService& chatbots)
      : docs_(docs), index_(index), embedder_(embedder), chatbots_(chatbots) {}

  // For admins: checks access to the chatbot first.
  Result<std::vector<SearchResult>> Search(const auth::Principal& who,
                                           const std::string& chatbot_id, const SearchInput& in);
  // The same without an admin (the chat pipeline, with a widget key already checked).
  Result<std::vector<SearchResult>> SearchChatbot(const std::string& chatbot_id,
                                                  const SearchInput& in);

 private:
  DocumentRepository& docs_;
  search::ChunkIndex& index_;
  ai::Embedder& embedder_;
  chatbots::ChatbotService& chatbots_;
  const search::Analyzer analyzer_{search::Language::kAuto};
};

// The ~`width`-byte window of `text` with the most matches, HTML-escaped, matches marked.
std::string MakeSnippet(std::string_view text,
                        const std::vector<std::pair<std::size_t, std::size_t>>& spans,
                        std::size_t width = 240);

}  // namespace studybot::ingest
