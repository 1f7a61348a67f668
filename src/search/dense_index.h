// DenseIndex: the in-memory vector index of one chatbot, answering "the k chunks whose embeddings
// are most similar to this query embedding", optionally among the chunks a filter accepts.
//
// Vectors are L2-normalised by the embedder, so similarity is the dot product (the cosine), in
// [-1, 1]. Ids are the caller's int64 chunk numbers.
//
// Two regimes, switched by the number of live points (options.exact_search_threshold):
//  - Small (the common case: most chatbots have a few hundred chunks): vectors in one flat array,
//    every search an exact scan. No graph is kept, so a small index costs its vectors plus ~50
//    bytes per point; hnswlib alone would add ~2.6 MB of locks per index. Remove is a swap with
//    the last point, so there are no tombstones.
//  - Large: an HNSW graph (hnsw_graph.h), built from the flat array when the index grows to the
//    threshold (one-off, 0.2 s at 2000 x 384) and kept from then on. Replace and Remove leave
//    tombstones in the graph; see NeedsCompaction.
// Below the threshold searches are exact even while a graph exists. At 384 dimensions exact and
// HNSW (ef 64) searches both take ~55 us at 2000 points; at 10k exact takes 420 us, HNSW 115 us.
// (bench/dense_bench.cpp; 100k points: exact 6.5 ms, HNSW 150 us with recall@10 0.997.)
//
// Filtered search (an `accept` predicate) on the graph: hnswlib 0.6.2 has no filter in searchKnn,
// so the graph is asked for more candidates than k, about 2k / f where f, the accepted fraction,
// is estimated from 256 sampled live points, and rejected candidates are dropped; if fewer than
// k survive, the count is raised to what the acceptance rate among them needs. When f is below
// options.exact_filter_fraction (3%), or the graph would need more than size() / 16 candidates,
// an exact scan answers instead: it asks `accept` about every live point and scores only the
// accepted ones, so it gets cheaper as the filter gets more selective (at 100k points: 0.3-0.9 ms
// for 1% against 1.8 ms for the graph; at 5% the graph wins, 0.6 ms against 0.9-1.8 ms). Either
// way a search returns min(k, accepted live points) results: a 1% filter still gets k.
// The 3% crossover was measured at 100k points; exact cost grows with size() and graph cost does
// not, so for indexes of millions of points a lower exact_filter_fraction pays.
//
// Thread-safety: not synchronised. Const methods (Search, ExactSearch, Save, Compacted, size...)
// may run concurrently with each other: the graph search is const all the way down (see
// hnsw_graph.h). Everything else needs exclusive access. The owner is expected to hold a
// std::shared_mutex: shared for Search, exclusive for Upsert/Remove/Compact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"
#include "search/vector_math.h"

namespace studybot::search {

class HnswGraph;

struct DenseIndexOptions {
  // Length of every vector; must match the embedder. Part of the snapshot: Load checks it.
  int dimensions = 0;
  // HNSW links per node and layer (twice that on the bottom layer): more links, better recall,
  // more memory (8 * m bytes per point) and slower inserts.
  int m = 16;
  // HNSW beam width while inserting: build quality against build time.
  int ef_construction = 200;
  // HNSW beam width while searching; raised to at least k per query.
  int ef_search = 64;
  // Graph slots allocated when the graph is built; doubled whenever they run out.
  std::size_t initial_capacity = 1024;
  // Below this many live points searches are exact scans and no graph is built (0: always a graph).
  std::size_t exact_search_threshold = 2000;
  // Filtered searches on the graph whose filter accepts less than this fraction of the points
  // scan exactly instead (the graph would need about 2k / fraction candidates). See above.
  double exact_filter_fraction = 0.03;
  // NeedsCompaction() once tombstones are more than this fraction of the graph's slots.
  double max_tombstone_fraction = 0.3;
  // Upsert and Remove compact by themselves when NeedsCompaction() and at most this many points
  // are live. Compaction rebuilds the graph, under the caller's exclusive lock: 0.7 s for 5000
  // points of 384 dimensions, 2 s for 10k, 23 s for 66k. Larger indexes are left to the owner,
  // who can build Compacted() off the write path (see there). 0: never by themselves.
  std::size_t auto_compact_limit = 5000;

  // kInvalidArgument naming the field when a value is out of range.
  Status Validate() const;
};

class DenseIndex {
 public:
  using Hit = std::pair<int64_t, float>;  // (id, similarity)
  using Filter = std::function<bool(int64_t)>;

  // REQUIRES: options.Validate().ok()
  explicit DenseIndex(const DenseIndexOptions& options);
  ~DenseIndex();
  DenseIndex(DenseIndex&&) noexcept;
  DenseIndex& operator=(DenseIndex&&) noexcept;
  DenseIndex(const DenseIndex&) = delete;
  DenseIndex& operator=(const DenseIndex&) = delete;

  const DenseIndexOptions& options() const { return options_; }

  // Indexes `vec` under `id`, replacing any previous vector of `id` (removed or not). A vector
  // bit-identical to the current one is a no-op. Errors, leaving the index unchanged:
  // kInvalidArgument when vec.size() != dimensions, a value is not finite, or the norm is not
  // within 1e-3 of 1; kUnprocessable when the index is full (2^31 slots). May take a while when it
  // builds the graph or compacts (see the top comment and auto_compact_limit).
  Status Upsert(int64_t id, std::span<const float> vec);

  // Removes `id`; false if it was not indexed.
  bool Remove(int64_t id);

  bool Contains(int64_t id) const { return slot_of_.contains(id); }
  // The similarity of a stored vector to `query` (as Search scores it); nullopt when `id` is
  // absent or the query unusable.
  std::optional<float> Similarity(int64_t id, std::span<const float> query) const;

  // Live points.
  std::size_t size() const { return slot_of_.size(); }

  // Removed or replaced points still in the graph (always 0 without a graph).
  std::size_t tombstones() const { return tombstones_; }

  // Whether searches of at least exact_search_threshold points go through an HNSW graph.
  bool has_graph() const { return graph_ != nullptr; }

  // Heap bytes held, estimated.
  std::size_t ApproximateMemoryUsage() const;

  // Up to k live points most similar to `query`, by descending similarity, ties by ascending id:
  // min(k, number of accepted live points) of them. `accept`, when set, must be a cheap, pure
  // function of the id; it may be asked about any live id (256 sampled to estimate its
  // selectivity, candidates of the graph, or every one in an exact scan). The query should be
  // L2-normalised like the points (scores are then cosines); an empty result when query.size() !=
  // dimensions or its norm is not finite.
  std::vector<Hit> Search(std::span<const float> query, std::size_t k,
                          const Filter& accept = {}) const;

  // As Search, by an exact scan of every live point: the reference for recall and what Search
  // does below exact_search_threshold. O(size() * dimensions), or with `accept`, one call per
  // live point and O(accepted * dimensions).
  std::vector<Hit> ExactSearch(std::span<const float> query, std::size_t k,
                               const Filter& accept = {}) const;

  // Changes options().ef_search (clamped to >= 1) for later searches.
  void SetEfSearch(int ef_search);

  // True when tombstones exceed max_tombstone_fraction of the graph's slots (and number at least
  // 64): searches then walk many dead nodes and memory holds dead vectors.
  bool NeedsCompaction() const;

  // The live points, with a graph rebuilt without tombstones when size() is at least
  // exact_search_threshold, else flat. Search results are unchanged up to HNSW's approximation.
  // Const, so the owner may build it under a shared lock while searches continue, holding off
  // writers, then swap it in under the exclusive lock. Takes about as long as inserting size()
  // points.
  DenseIndex Compacted() const;

  // *this = Compacted().
  void Compact();

  // Appends a snapshot to `out`: versioned little-endian binary with a CRC-32 (format in
  // dense_index.cpp). It holds the vectors, ids and the graph, so that Load need not rebuild
  // the graph: at 100k x 384, Load takes 0.2 s with the graph and 43 s rebuilding it. About
  // 4 * dimensions + 9 bytes per slot, plus ~90 bytes per slot for the graph (1634 bytes per
  // point at 384 dimensions). Tombstones are saved too: the graph routes through them.
  void Save(std::string& out) const;

  // The index saved in `data`. The graph is reused when its m and ef_construction match
  // `options`, else rebuilt from the vectors. Errors: kInvalidArgument when `options` are invalid,
  // when the snapshot's dimensions differ from options.dimensions, or when `data` is truncated,
  // corrupt (checksum, any inconsistent count, id or link), of an unknown version, or has
  // trailing bytes; never undefined behaviour, whatever the bytes.
  static Result<DenseIndex> Load(std::string_view data, const DenseIndexOptions& options);

 private:
  const float* VectorAt(uint32_t slot) const;
  bool IsValidQuery(std::span<const float> query) const;
  float Score(const float* query, uint32_t slot) const;
  bool IsLive(uint32_t slot) const { return slot_live_[slot] != 0; }
  std::size_t slot_count() const { return slot_ids_.size(); }

  std::vector<Hit> GraphSearch(std::span<const float> query, std::size_t k,
                               const Filter& accept) const;
  double EstimateAcceptedFraction(const Filter& accept) const;
  void AppendSlot(int64_t id, const float* vec);
  void MaybeCompact();

  // A DenseIndex over the points ids[i] -> vector_of(i) (distinct ids): flat, or with a fresh
  // graph when there are at least exact_search_threshold of them.
  static DenseIndex Build(const DenseIndexOptions& options, std::span<const int64_t> ids,
                          const std::function<const float*(std::size_t)>& vector_of);

  DenseIndexOptions options_;
  DotFunction dot_;
  std::unique_ptr<HnswGraph> graph_;               // null in the small regime
  std::vector<float> flat_;                        // slot-major vectors, only while graph_ is null
  std::vector<int64_t> slot_ids_;                  // slot -> id (stale for tombstones)
  std::vector<uint8_t> slot_live_;                 // slot -> 1 live, 0 tombstone
  std::unordered_map<int64_t, uint32_t> slot_of_;  // live id -> slot
  std::size_t tombstones_ = 0;
};

}  // namespace studybot::search
