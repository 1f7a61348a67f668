// ChunkIndex: the search index over a chatbot's chunks, keyword (BM25) and dense (vectors), with
// metadata filters. Implementations: HnswBm25Index (built in, in memory, derived from the
// database) and QdrantIndex (a Qdrant collection).
//
// The SQL database is the source of truth: an index only ever holds what the chunks and
// embeddings tables say, and can be rebuilt from them. Chunk ids are the database's.
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace studybot::search {

// What the index keeps of a chunk.
struct IndexedChunk {
  int64_t id = 0;
  std::string document_id;
  std::string source;  // upload | crawl
  std::string url;
  std::vector<std::string> tags;
  std::string keyword_text;   // what BM25 sees: title, headings and text
  std::vector<float> vector;  // L2-normalised; empty when the chunk has no embedding yet
};

// Hits must match every given field. Empty fields do not filter.
struct ChunkFilter {
  std::vector<std::string> document_ids;  // any of these
  std::string source;                     // upload | crawl
  std::string url_prefix;
  std::vector<std::string> tags;  // all of these

  bool empty() const {
    return document_ids.empty() && source.empty() && url_prefix.empty() && tags.empty();
  }
};

enum class SearchMode { kHybrid, kKeyword, kDense };

struct IndexQuery {
  std::string chatbot_id;
  std::string text;           // for BM25
  std::vector<float> vector;  // for dense; L2-normalised
  std::size_t top_k = 5;
  std::size_t candidate_depth = 50;  // candidates taken from each side before fusion
  SearchMode mode = SearchMode::kHybrid;
  ChunkFilter filter;
};

struct Hit {
  int64_t chunk_id = 0;
  double score = 0;      // the fused (RRF) score in hybrid mode; BM25 or cosine otherwise
  int keyword_rank = 0;  // 1-based rank in the keyword candidates, 0 when absent
  int dense_rank = 0;    // likewise for the dense candidates
};

class ChunkIndex {
 public:
  virtual ~ChunkIndex() = default;

  // Adds or replaces chunks of a chatbot.
  virtual Status Upsert(const std::string& chatbot_id, const std::vector<IndexedChunk>& chunks) = 0;
  // Removes chunks (absent ids are ignored).
  virtual Status Remove(const std::string& chatbot_id, const std::vector<int64_t>& ids) = 0;
  // Forgets everything of the chatbot.
  virtual Status DropChatbot(const std::string& chatbot_id) = 0;
  // Best hits first, at most top_k. kUnavailable when the index cannot answer (Qdrant down).
  virtual Result<std::vector<Hit>> Search(const IndexQuery& query) = 0;
};

}  // namespace studybot::search
