// HnswBm25Index: the built-in ChunkIndex. Per chatbot, in memory: a BM25 inverted index
// (Bm25Index, Snowball stems) and a dense index (DenseIndex: hnswlib HNSW over cosine, exact
// below a few thousand vectors), plus each chunk's filter fields. Hybrid search takes
// candidate_depth candidates from each side and fuses them with RRF (k = 60).
//
// It holds nothing the database does not: IndexFollower fills it from the chunks and embeddings
// tables and keeps it up to date from the index_changes log, in every server process.
//
// Thread-safe: one shared_mutex per chatbot (searches share it; changes take it exclusively).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "search/analyzer.h"
#include "search/bm25.h"
#include "search/chunk_index.h"
#include "search/dense_index.h"

namespace studybot::search {

struct HnswBm25Options {
  Bm25Params bm25;
  int hnsw_m = 16;
  int hnsw_ef_construction = 200;
  int hnsw_ef_search = 64;
};

class HnswBm25Index final : public CheckpointedIndex {
 public:
  explicit HnswBm25Index(HnswBm25Options options = {}) : options_(options) {}

  Status Upsert(const std::string& chatbot_id, const std::vector<IndexedChunk>& chunks) override;
  Status Remove(const std::string& chatbot_id, const std::vector<int64_t>& ids) override;
  Status DropChatbot(const std::string& chatbot_id) override;
  Status ReplaceChatbot(const std::string& chatbot_id, const ChatbotIndexSettings& settings,
                        const ChunkPager& pager) override;
  Result<std::vector<Hit>> Search(const IndexQuery& query) override;

  // Chunks held for the chatbot (for tests and /metrics).
  std::size_t Size(const std::string& chatbot_id);
  std::optional<ChatbotIndexSettings> SettingsOf(const std::string& chatbot_id) override;
  // Every chatbot held and its settings.
  std::map<std::string, ChatbotIndexSettings> AllSettings() override;

  // Snapshots: every chatbot's index (its language, BM25, vectors and filter fields) in one
  // checksummed blob, with the change-log `position` it reflects. Save appends; searches go on
  // meanwhile, changes wait. Load replaces the whole contents and returns the position;
  // kInvalidArgument (leaving the index as it was) for a truncated, corrupt, foreign or older
  // snapshot.
  void Save(std::string& out, int64_t position) override;
  Result<int64_t> Load(std::string_view data) override;

 private:
  struct Meta {
    std::string document_id;
    std::string source;
    std::string url;
    std::vector<std::string> tags;
    bool has_vector = false;
  };
  struct Shard {
    std::shared_mutex mu;
    const ChatbotIndexSettings settings;  // immutable: used without the lock
    const Analyzer analyzer;
    Bm25Index bm25;
    std::unique_ptr<DenseIndex> dense;  // created with the first vector (its dimensions)
    std::unordered_map<int64_t, Meta> meta;
    Shard(Bm25Params p, ChatbotIndexSettings s)
        : settings(std::move(s)), analyzer(settings.language), bm25(p) {}
  };

  std::shared_ptr<Shard> Get(const std::string& chatbot_id, bool create);
  // Adds chunks to a shard (REQUIRES: its lock held, or the shard not shared yet); `terms` are
  // their analyzed keyword texts.
  Status Apply(Shard& shard, const std::vector<IndexedChunk>& chunks,
               const std::vector<std::vector<std::string>>& terms) const;
  static bool Accepts(const Meta& m, const ChunkFilter& f);

  const HnswBm25Options options_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Shard>> shards_;  // REQUIRES: mu_
};

}  // namespace studybot::search
