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
  Language language = Language::kAuto;
};

class HnswBm25Index final : public ChunkIndex {
 public:
  explicit HnswBm25Index(HnswBm25Options options = {})
      : options_(options), analyzer_(options.language) {}

  Status Upsert(const std::string& chatbot_id, const std::vector<IndexedChunk>& chunks) override;
  Status Remove(const std::string& chatbot_id, const std::vector<int64_t>& ids) override;
  Status DropChatbot(const std::string& chatbot_id) override;
  Result<std::vector<Hit>> Search(const IndexQuery& query) override;

  // Chunks held for the chatbot (for tests and /metrics).
  std::size_t Size(const std::string& chatbot_id);

  // Snapshots: every chatbot's index in one checksummed blob, with the change-log `position` it
  // reflects and the embedder whose vectors it holds. Save appends; searches go on meanwhile,
  // changes wait. Load replaces the whole contents and returns the position; kInvalidArgument
  // (leaving the index as it was) for a truncated, corrupt or foreign snapshot, or one of
  // another embedder.
  void Save(std::string& out, int64_t position, const std::string& embedder_id);
  Result<int64_t> Load(std::string_view data, const std::string& embedder_id);

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
    Bm25Index bm25;
    std::unique_ptr<DenseIndex> dense;  // created with the first vector (its dimensions)
    std::unordered_map<int64_t, Meta> meta;
    explicit Shard(Bm25Params p) : bm25(p) {}
  };

  std::shared_ptr<Shard> Get(const std::string& chatbot_id, bool create);
  static bool Accepts(const Meta& m, const ChunkFilter& f);

  const HnswBm25Options options_;
  const Analyzer analyzer_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Shard>> shards_;  // REQUIRES: mu_
};

}  // namespace studybot::search
