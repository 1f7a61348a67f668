// ChunkIndex: the search index over a chatbot's chunks, keyword (BM25) and dense (vectors), with
// metadata filters. Implementations: HnswBm25Index (built in, in memory, derived from the
// database) and QdrantIndex (a Qdrant collection).
//
// The SQL database is the source of truth: an index only ever holds what the chunks and
// embeddings tables say, and can be rebuilt from them. Chunk ids are the database's.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "search/analyzer.h"

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
// How hybrid search fuses its two candidate lists (search/fusion.h).
enum class Fusion { kRrf, kConvex };

struct IndexQuery {
  std::string chatbot_id;
  std::string text;           // for BM25
  std::vector<float> vector;  // for dense; L2-normalised
  std::size_t top_k = 5;
  std::size_t candidate_depth = 50;  // candidates taken from each side before fusion
  SearchMode mode = SearchMode::kHybrid;
  Fusion fusion = Fusion::kRrf;
  ChunkFilter filter;
};

struct Hit {
  int64_t chunk_id = 0;
  double score = 0;          // the fused (RRF) score in hybrid mode; BM25 or cosine otherwise
  int keyword_rank = 0;      // 1-based rank in the keyword candidates, 0 when absent
  int dense_rank = 0;        // likewise for the dense candidates
  double keyword_score = 0;  // BM25 when among the keyword candidates, else 0
  // Cosine similarity to the query vector, whenever there is one and the chunk has a vector
  // (computed for every hit, not only the dense candidates), else 0.
  double dense_score = 0;
};

// How a chatbot's chunks are indexed.
struct ChatbotIndexSettings {
  Language language = Language::kAuto;  // of the BM25 analyzer
  std::string embedder;                 // whose vectors the chunks carry; "" for none
  bool operator==(const ChatbotIndexSettings&) const = default;
};

// The chunks of one chatbot, page by page: the page after chunk id `after_id` (ascending ids),
// empty at the end.
using ChunkPager = std::function<Result<std::vector<IndexedChunk>>(int64_t after_id)>;

class ChunkIndex {
 public:
  virtual ~ChunkIndex() = default;

  // Adds or replaces chunks of a chatbot.
  virtual Status Upsert(const std::string& chatbot_id, const std::vector<IndexedChunk>& chunks) = 0;
  // Removes chunks (absent ids are ignored).
  virtual Status Remove(const std::string& chatbot_id, const std::vector<int64_t>& ids) = 0;
  // Forgets everything of the chatbot.
  virtual Status DropChatbot(const std::string& chatbot_id) = 0;
  // Rebuilds the chatbot's index with `settings` from `pager` (its new vectors, its new
  // language), aside, and swaps it in at once: searches answer from the old one until then. A
  // chatbot first seen by Upsert is indexed with default settings.
  virtual Status ReplaceChatbot(const std::string& chatbot_id, const ChatbotIndexSettings& settings,
                                const ChunkPager& pager) = 0;
  // What the chatbot's index was last built with (ReplaceChatbot); nullopt when unknown. A
  // search's query vector must come from settings.embedder.
  virtual std::optional<ChatbotIndexSettings> SettingsOf(const std::string& chatbot_id) = 0;
  // Best hits first, at most top_k. kUnavailable when the index cannot answer (Qdrant down).
  virtual Result<std::vector<Hit>> Search(const IndexQuery& query) = 0;
};

// A ChunkIndex that can be checkpointed: Save writes its state (for the built-in index, every
// chunk it holds; for one kept in another server, what this process knows about it) with the
// change-log position it reflects, and Load puts it back, answering that position
// (kInvalidArgument, leaving the index as it was, for a truncated, corrupt or foreign
// checkpoint). A restart then replays the change log from there instead of reloading
// everything.
class CheckpointedIndex : public ChunkIndex {
 public:
  virtual void Save(std::string& out, int64_t position) = 0;
  virtual Result<int64_t> Load(std::string_view data) = 0;
  // Every chatbot held and its settings.
  virtual std::map<std::string, ChatbotIndexSettings> AllSettings() = 0;
};

}  // namespace studybot::search
