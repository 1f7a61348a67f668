#include "search/hnsw_graph.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>

// The only include of hnswlib in the binary (see hnsw_graph.h). Its headers are not warning-free
// under -Wall -Wextra -Wpedantic when they are not found as system headers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <hnswlib/hnswlib.h>
#pragma GCC diagnostic pop

namespace studybot::search {

// hnswlib calls the distance function with an opaque parameter; ours carries the dimension first
// (hnswlib's getDataByLabel reads a size_t dimension there) and the dot kernel.
struct DistanceParam {
  std::size_t dimensions;
  DotFunction dot;
};

class DotProductSpace final : public hnswlib::SpaceInterface<float> {
 public:
  DotProductSpace(std::size_t dimensions, DotFunction dot) : param_{dimensions, dot} {}

  std::size_t get_data_size() override { return param_.dimensions * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &Distance; }
  void* get_dist_func_param() override { return &param_; }

 private:
  static float Distance(const void* a, const void* b, const void* param) {
    const auto* p = static_cast<const DistanceParam*>(param);
    return 1.0f - p->dot(static_cast<const float*>(a), static_cast<const float*>(b), p->dimensions);
  }

  DistanceParam param_;
};

namespace {

using Hnsw = hnswlib::HierarchicalNSW<float>;
using hnswlib::linklistsizeint;
using hnswlib::tableint;

constexpr uint32_t kNoEntryPoint = UINT32_MAX;  // hnswlib's enterpoint_node_ of an empty graph

Error CorruptGraph(std::string_view why) {
  return Error::InvalidArgument("dense index snapshot has a corrupt graph: " + std::string(why));
}

}  // namespace

HnswGraph::HnswGraph(const HnswGraphParams& params)
    : params_(params),
      dot_(BestDotFunction()),
      space_(std::make_unique<DotProductSpace>(params.dimensions, dot_)) {
  assert(params.dimensions > 0 && params.m >= 2 && params.m <= kMaxM);
  assert(params.ef_construction > 0 && params.capacity > 0);
  params_.capacity = std::min(params_.capacity, kMaxSlots);
  hnsw_ =
      std::make_unique<Hnsw>(space_.get(), params_.capacity, params_.m, params_.ef_construction);
  // searchKnn uses a beam of max(ef_, count); a floor of 1 lets each call choose its own beam
  // without ever writing ef_ while other threads search.
  hnsw_->setEf(1);
  // hnswlib's prefetches read the link after the last one of a list (searchBaseLayer reads
  // datal[j + 1] for j = count - 1): 4 bytes past a full upper-layer list, outside its malloc
  // block (ASan reports it; bottom-layer lists over-read into their own row's vector instead).
  // One spare link per upper-layer list keeps that read inside the block. Every allocation and
  // address of those lists derives from size_links_per_element_, so this is self-consistent.
  hnsw_->size_links_per_element_ += sizeof(tableint);
}

HnswGraph::~HnswGraph() = default;

std::size_t HnswGraph::slot_count() const {
  return hnsw_->cur_element_count;
}

std::size_t HnswGraph::capacity() const {
  return hnsw_->max_elements_;
}

uint32_t HnswGraph::Add(const float* vec) {
  const std::size_t slot = slot_count();
  assert(slot < kMaxSlots);
  if (slot == capacity()) {
    // resizeIndex also replaces the visited-list pool and the lock vector: exclusive access only.
    hnsw_->resizeIndex(std::min(capacity() * 2, kMaxSlots));
  }
  const tableint id = hnsw_->addPoint(vec, slot, -1);
  assert(id == slot);  // a fresh label always gets the next internal id
  return id;
}

void HnswGraph::MarkDeleted(uint32_t slot) {
  assert(slot < slot_count() && !IsDeleted(slot));
  hnsw_->markDeletedInternal(slot);
}

bool HnswGraph::IsDeleted(uint32_t slot) const {
  return hnsw_->isMarkedDeleted(slot);
}

const float* HnswGraph::Vector(uint32_t slot) const {
  // Rows are 4-byte multiples (links, floats, an 8-byte label), so the floats are aligned.
  return reinterpret_cast<const float*>(hnsw_->getDataByInternalId(slot));
}

std::vector<std::pair<uint32_t, float>> HnswGraph::Search(const float* query,
                                                          std::size_t count) const {
  auto top = hnsw_->searchKnn(query, count);  // a max-heap on distance: worst first
  std::vector<std::pair<uint32_t, float>> best(top.size());
  for (std::size_t i = best.size(); i > 0; --i) {
    best[i - 1] = {static_cast<uint32_t>(top.top().second), 1.0f - top.top().first};
    top.pop();
  }
  return best;
}

std::size_t HnswGraph::ApproximateMemoryUsage() const {
  const std::size_t cap = capacity();
  std::size_t bytes = cap * hnsw_->size_data_per_element_;            // bottom links, vector, label
  bytes += cap * (sizeof(std::mutex) + sizeof(int) + sizeof(char*));  // per-slot lock, level, list
  bytes += Hnsw::max_update_element_locks * sizeof(std::mutex);       // fixed, about 2.6 MB
  bytes += cap * sizeof(hnswlib::vl_type);                            // one visited list at least
  // label_lookup_: an unordered_map node (next pointer, key, value, cached hash) per slot.
  bytes += hnsw_->label_lookup_.size() * 4 * sizeof(void*) +
           hnsw_->label_lookup_.bucket_count() * sizeof(void*);
  for (std::size_t slot = 0; slot < slot_count(); ++slot) {
    const int level = hnsw_->element_levels_[slot];
    if (level > 0) bytes += hnsw_->size_links_per_element_ * static_cast<std::size_t>(level) + 1;
  }
  return bytes + sizeof(*this) + sizeof(Hnsw) + sizeof(DotProductSpace);
}

// Graph section, all little-endian:
//   u32 max level (UINT32_MAX when empty) | u32 entry point (UINT32_MAX when empty)
//   slot_count x u8 level
//   per slot, per level 0..its level: u16 count | count x u32 neighbour slot
void HnswGraph::AppendLinks(std::string& out) const {
  const std::size_t n = slot_count();
  PutU32(out, static_cast<uint32_t>(hnsw_->maxlevel_));
  PutU32(out, n == 0 ? kNoEntryPoint : hnsw_->enterpoint_node_);
  for (std::size_t slot = 0; slot < n; ++slot) {
    // Levels are -ln(U) / ln(m) with U a double in (0, 1): at most ~53, for m = 2.
    assert(hnsw_->element_levels_[slot] >= 0 && hnsw_->element_levels_[slot] <= 255);
    PutU8(out, static_cast<uint8_t>(hnsw_->element_levels_[slot]));
  }
  for (std::size_t slot = 0; slot < n; ++slot) {
    for (int level = 0; level <= hnsw_->element_levels_[slot]; ++level) {
      linklistsizeint* list = hnsw_->get_linklist_at_level(static_cast<tableint>(slot), level);
      const uint16_t count = hnsw_->getListCount(list);
      PutU16(out, count);
      PutArray(out, reinterpret_cast<const tableint*>(list + 1), count);
    }
  }
}

Result<std::unique_ptr<HnswGraph>> HnswGraph::Restore(const HnswGraphParams& params,
                                                      std::string_view vectors,
                                                      const std::vector<uint8_t>& live,
                                                      SnapshotReader& in) {
  const std::size_t n = live.size();
  const std::size_t row_bytes = params.dimensions * sizeof(float);
  assert(vectors.size() == n * row_bytes);
  if (n > kMaxSlots) return CorruptGraph("too many slots");

  uint32_t max_level = 0;
  uint32_t entry_point = 0;
  if (!in.U32(max_level) || !in.U32(entry_point)) return CorruptGraph("truncated header");
  std::vector<uint8_t> levels(n);
  if (!in.Array(n, levels.data())) return CorruptGraph("truncated levels");
  if (n == 0) {
    if (max_level != kNoEntryPoint || entry_point != kNoEntryPoint) {
      return CorruptGraph("entry point in an empty graph");
    }
  } else {
    // Searches descend from the entry point at max_level and only follow links at level l to
    // slots that have level l (checked below): no read outside a slot's link lists.
    if (entry_point >= n || levels[entry_point] != max_level) return CorruptGraph("entry point");
    if (std::any_of(levels.begin(), levels.end(), [&](uint8_t l) { return l > max_level; })) {
      return CorruptGraph("level above the entry point's");
    }
  }

  HnswGraphParams sized = params;
  sized.capacity = std::max(params.capacity, n);
  auto graph = std::make_unique<HnswGraph>(sized);
  Hnsw& h = *graph->hnsw_;
  std::vector<tableint> neighbours(h.maxM0_);
  // Reads one neighbour list of `slot` at `level` into `list` (which has room for `max` links).
  auto read_list = [&](std::size_t slot, int level, std::size_t max,
                       linklistsizeint* list) -> Status {
    uint16_t count = 0;
    if (!in.U16(count)) return CorruptGraph("truncated links");
    if (count > max) return CorruptGraph("too many links");
    if (!in.Array(count, neighbours.data())) return CorruptGraph("truncated links");
    for (std::size_t i = 0; i < count; ++i) {
      const tableint other = neighbours[i];
      if (other >= n || other == slot || levels[other] < level) return CorruptGraph("bad link");
    }
    h.setListCount(list, count);
    std::memcpy(list + 1, neighbours.data(), count * sizeof(tableint));
    return OkStatus();
  };

  for (std::size_t slot = 0; slot < n; ++slot) {
    const auto id = static_cast<tableint>(slot);
    // As addPoint does: a zeroed row (count 0, no delete mark), then vector and label.
    std::memset(h.data_level0_memory_ + slot * h.size_data_per_element_ + h.offsetLevel0_, 0,
                h.size_data_per_element_);
    std::memcpy(h.getDataByInternalId(id), vectors.data() + slot * row_bytes, row_bytes);
    h.setExternalLabel(id, slot);
    h.label_lookup_[slot] = id;
    const int level = levels[slot];
    if (level > 0) {
      const std::size_t bytes = h.size_links_per_element_ * static_cast<std::size_t>(level) + 1;
      h.linkLists_[slot] = static_cast<char*>(std::malloc(bytes));
      if (h.linkLists_[slot] == nullptr) throw std::bad_alloc();
      std::memset(h.linkLists_[slot], 0, bytes);
    }
    h.element_levels_[slot] = level;
    // Counted before its lists are read, so that on failure ~HierarchicalNSW frees them.
    h.cur_element_count = slot + 1;
    if (Status s = read_list(slot, 0, h.maxM0_, h.get_linklist0(id)); !s.ok()) return s.error();
    for (int l = 1; l <= level; ++l) {
      if (Status s = read_list(slot, l, h.maxM_, h.get_linklist(id, l)); !s.ok()) {
        return s.error();
      }
    }
  }
  h.maxlevel_ = static_cast<int>(max_level);  // UINT32_MAX becomes -1, hnswlib's "empty"
  h.enterpoint_node_ = entry_point;
  for (std::size_t slot = 0; slot < n; ++slot) {
    if (!live[slot]) h.markDeletedInternal(static_cast<tableint>(slot));
  }
  return graph;
}

}  // namespace studybot::search
