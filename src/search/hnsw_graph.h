// HnswGraph: the approximate nearest-neighbour graph behind DenseIndex; a thin adapter over
// hnswlib 0.6.2 (Debian's libhnswlib-dev) HierarchicalNSW<float>, in inner-product space.
//
// hnsw_graph.cpp must stay the only file of the binary that includes hnswlib: hnswlib.h defines
// non-inline functions and variables (cpuid, AVXCapable, InnerProductSIMD16Ext...), so a second
// translation unit including it fails to link with "multiple definition".
//
// Points are slots 0, 1, 2... in insertion order. A slot's hnswlib label is the slot number and is
// never added twice, which keeps clear of hnswlib's duplicate-label paths: in 0.6.2 addPoint on a
// known label silently unmarks a deleted point and rewires its neighbourhood in place (far dearer
// than an insert). Replacing or deleting a point is the caller's business: it adds a new slot and
// marks the old one deleted (a tombstone that still routes searches) until it rebuilds the graph.
//
// Distances are 1 - dot product, from our kernel (vector_math.h), not hnswlib's
// InnerProductSpace: that one picks SIMD at compile time (AVX only with -mavx for the whole file)
// and its constructor writes process-wide function pointers, a data race when two chatbots' indexes
// are created on two threads.
//
// 0.6.2 has no filter functor in searchKnn, no allow_replace_deleted, and saveIndex/loadIndex only
// take file names (and loadIndex trusts its input); hence Search without a filter here, and
// AppendLinks/Restore, which write the graph into a snapshot and validate it when reading it back.
//
// Thread-safety: const methods may run concurrently with each other. hnswlib's searchKnn is const
// and takes its visited-list scratch from a mutex-guarded pool (one list per concurrent search,
// 2 bytes per slot of capacity, kept for reuse); the search beam is passed per call, so no shared
// ef is written. Add and MarkDeleted need exclusive access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "search/binary_io.h"
#include "search/vector_math.h"

namespace hnswlib {
template <typename dist_t>
class HierarchicalNSW;
}  // namespace hnswlib

namespace studybot::search {

class DotProductSpace;

struct HnswGraphParams {
  std::size_t dimensions = 0;
  std::size_t m = 16;                 // links per node and layer (2 * m on the bottom layer)
  std::size_t ef_construction = 200;  // beam width while inserting
  std::size_t capacity = 1024;        // slots allocated up front; Add doubles it when full
};

class HnswGraph {
 public:
  // hnswlib keeps the link count of a list in 16 bits and the delete mark in the next byte.
  static constexpr std::size_t kMaxM = 1024;
  // Slots are hnswlib's 32-bit internal ids, one value of which means "no entry point".
  static constexpr std::size_t kMaxSlots = (std::size_t{1} << 31);

  // REQUIRES: dimensions > 0, 2 <= m <= kMaxM, ef_construction > 0, capacity > 0.
  explicit HnswGraph(const HnswGraphParams& params);
  ~HnswGraph();
  HnswGraph(const HnswGraph&) = delete;
  HnswGraph& operator=(const HnswGraph&) = delete;

  const HnswGraphParams& params() const { return params_; }
  // Slots ever added, deleted ones included.
  std::size_t slot_count() const;
  std::size_t capacity() const;

  // Inserts `vec` (params().dimensions floats) as slot slot_count() and returns that slot,
  // doubling the capacity first when it is full. REQUIRES: slot_count() < kMaxSlots.
  // Throws std::bad_alloc or std::runtime_error (from hnswlib) only when memory runs out.
  uint32_t Add(const float* vec);

  // Excludes `slot` from search results; it keeps routing searches. REQUIRES: a live slot.
  void MarkDeleted(uint32_t slot);
  bool IsDeleted(uint32_t slot) const;

  // The stored vector of `slot`, params().dimensions floats. REQUIRES: slot < slot_count().
  const float* Vector(uint32_t slot) const;

  // The dot product used by the graph, for callers that must score exactly like it.
  DotFunction dot() const { return dot_; }

  // Up to `count` live slots closest to `query` (best first, as (slot, similarity)), found with a
  // beam of `count` candidates: pass max(k, ef) and keep the first k. Similarity is
  // 1 - hnswlib distance = the dot product, rounded as 1 - (1 - dot).
  std::vector<std::pair<uint32_t, float>> Search(const float* query, std::size_t count) const;

  // Heap bytes held by hnswlib and this adapter, estimated from hnswlib's allocation pattern.
  std::size_t ApproximateMemoryUsage() const;

  // Appends the graph's structure (entry point, per slot its level and its neighbour lists) to
  // `out`. Vectors and delete marks are the caller's to save.
  void AppendLinks(std::string& out) const;

  // The graph AppendLinks wrote, read from `in`, over `vectors` (live.size() * dimensions floats,
  // host order) with live[slot] == 0 marking tombstones. Every link, level and count is checked
  // before hnswlib sees it, so any bytes give a graph that is safe to search and extend, or
  // kInvalidArgument. REQUIRES: params valid as for the constructor.
  static Result<std::unique_ptr<HnswGraph>> Restore(const HnswGraphParams& params,
                                                    std::string_view vectors,
                                                    const std::vector<uint8_t>& live,
                                                    SnapshotReader& in);

 private:
  HnswGraphParams params_;
  DotFunction dot_;
  std::unique_ptr<DotProductSpace> space_;  // hnsw_ points into it: declared first, freed last
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw_;
};

}  // namespace studybot::search
