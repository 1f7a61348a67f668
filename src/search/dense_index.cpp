#include "search/dense_index.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "search/binary_io.h"
#include "search/hnsw_graph.h"

namespace studybot::search {
namespace {

// Snapshot format, version 1. Integers little-endian; arrays in host order (binary_io.h).
//
//   "SBDV" | u8 version | u8 regime (0 flat, 1 graph) | u16 0
//   u32 dimensions | u32 m | u32 ef_construction | u64 slot_count
//   slot_count x i64 id          (a tombstone's id is stale and ignored)
//   slot_count x u8 live         (1 live, 0 tombstone; a flat snapshot has no tombstones)
//   slot_count x dimensions x f32 vector
//   graph regime only: u64 byte length | the HnswGraph links section (hnsw_graph.cpp)
//   u32 CRC-32 of everything before it
//
// The length lets Load skip a graph it will not reuse (other m or ef_construction) and still
// reject trailing bytes.
constexpr std::string_view kMagic = "SBDV";
constexpr uint8_t kVersion = 1;
constexpr uint8_t kRegimeFlat = 0;
constexpr uint8_t kRegimeGraph = 1;
constexpr std::size_t kChecksumBytes = 4;

// Upsert accepts |norm - 1| up to this: float rounding of a normalised 4096-d vector stays far
// below it, while an embedder that forgot to normalise is caught.
constexpr float kNormTolerance = 1e-3f;

// NeedsCompaction waits for this many tombstones: rebuilding a graph for fewer is not worth it.
constexpr std::size_t kMinTombstones = 64;

// Filtered graph search: live points sampled to estimate the filter's selectivity, candidates
// asked per expected accepted result, and the cap on candidates as a divisor of the live count.
// A graph candidate costs about ten exact-scan points (a beam step computes ~2m distances over
// scattered rows), so past size() / 16 candidates an exact scan is cheaper (measured in
// bench/dense_bench.cpp).
constexpr std::size_t kFilterSample = 256;
constexpr double kOversample = 2.0;
constexpr std::size_t kMaxCandidateDivisor = 16;

using Hit = DenseIndex::Hit;

Error Corrupt(std::string_view why) {
  return Error::InvalidArgument("dense index snapshot is corrupt: " + std::string(why));
}

// Result order: higher similarity first, then lower id, so that results are deterministic.
bool Better(const Hit& a, const Hit& b) {
  return a.second > b.second || (a.second == b.second && a.first < b.first);
}

bool AllFinite(std::span<const float> v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

bool IsUnitNorm(float squared_norm) {
  return std::fabs(std::sqrt(squared_norm) - 1.0f) <= kNormTolerance;  // false for NaN
}

HnswGraphParams GraphParams(const DenseIndexOptions& options, std::size_t points) {
  std::size_t capacity = options.initial_capacity;
  while (capacity < points)
    capacity *= 2;
  return {static_cast<std::size_t>(options.dimensions), static_cast<std::size_t>(options.m),
          static_cast<std::size_t>(options.ef_construction), capacity};
}

}  // namespace

Status DenseIndexOptions::Validate() const {
  if (dimensions < 1 || dimensions > 65536) {
    return Error::InvalidArgument("dense index dimensions must be within [1, 65536]");
  }
  if (m < 2 || m > static_cast<int>(HnswGraph::kMaxM)) {
    return Error::InvalidArgument("dense index m must be within [2, 1024]");
  }
  if (ef_construction < 1)
    return Error::InvalidArgument("dense index ef_construction must be >= 1");
  if (ef_search < 1) return Error::InvalidArgument("dense index ef_search must be >= 1");
  if (initial_capacity < 1 || initial_capacity > HnswGraph::kMaxSlots) {
    return Error::InvalidArgument("dense index initial_capacity must be within [1, 2^31]");
  }
  if (!(exact_filter_fraction >= 0 && exact_filter_fraction <= 1)) {
    return Error::InvalidArgument("dense index exact_filter_fraction must be within [0, 1]");
  }
  if (!(max_tombstone_fraction > 0 && max_tombstone_fraction <= 1)) {
    return Error::InvalidArgument("dense index max_tombstone_fraction must be within (0, 1]");
  }
  return OkStatus();
}

DenseIndex::DenseIndex(const DenseIndexOptions& options)
    : options_(options), dot_(BestDotFunction()) {
  assert(options_.Validate().ok());
  if (options_.exact_search_threshold == 0) {
    graph_ = std::make_unique<HnswGraph>(GraphParams(options_, 0));
  }
}

DenseIndex::~DenseIndex() = default;
DenseIndex::DenseIndex(DenseIndex&&) noexcept = default;
DenseIndex& DenseIndex::operator=(DenseIndex&&) noexcept = default;

const float* DenseIndex::VectorAt(uint32_t slot) const {
  if (graph_) return graph_->Vector(slot);
  return flat_.data() + std::size_t{slot} * static_cast<std::size_t>(options_.dimensions);
}

bool DenseIndex::IsValidQuery(std::span<const float> query) const {
  // Stored vectors have unit norm, so a query of finite norm gives finite scores: no NaN ever
  // reaches a comparison (and a sort) in the graph or here.
  const auto dims = static_cast<std::size_t>(options_.dimensions);
  return query.size() == dims && std::isfinite(dot_(query.data(), query.data(), dims));
}

std::optional<float> DenseIndex::Similarity(int64_t id, std::span<const float> query) const {
  auto it = slot_of_.find(id);
  if (it == slot_of_.end() || !IsValidQuery(query)) return std::nullopt;
  return Score(query.data(), it->second);
}

float DenseIndex::Score(const float* query, uint32_t slot) const {
  // The graph ranks by hnswlib's distance 1 - dot and reports 1 - distance; rounding the same way
  // here gives a point the same score whichever path found it.
  const float dot = dot_(query, VectorAt(slot), static_cast<std::size_t>(options_.dimensions));
  return 1.0f - (1.0f - dot);
}

void DenseIndex::AppendSlot(int64_t id, const float* vec) {
  // Bookkeeping first: if storing the vector runs out of memory, it is undone and slots still
  // agree with the graph's.
  slot_ids_.push_back(id);
  slot_live_.push_back(1);
  try {
    if (graph_) {
      graph_->Add(vec);
    } else {
      flat_.insert(flat_.end(), vec, vec + options_.dimensions);
    }
  } catch (...) {
    slot_ids_.pop_back();
    slot_live_.pop_back();
    throw;
  }
}

Status DenseIndex::Upsert(int64_t id, std::span<const float> vec) {
  const auto dims = static_cast<std::size_t>(options_.dimensions);
  if (vec.size() != dims) {
    return Error::InvalidArgument("vector has " + std::to_string(vec.size()) +
                                  " dimensions, the index " + std::to_string(dims));
  }
  if (!AllFinite(vec)) return Error::InvalidArgument("vector has a value that is not finite");
  const float squared_norm = dot_(vec.data(), vec.data(), dims);
  if (!IsUnitNorm(squared_norm)) {
    return Error::InvalidArgument("vector is not L2-normalised (norm " +
                                  std::to_string(std::sqrt(squared_norm)) + ")");
  }

  auto existing = slot_of_.find(id);
  if (existing != slot_of_.end()) {
    const uint32_t slot = existing->second;
    if (std::memcmp(VectorAt(slot), vec.data(), dims * sizeof(float)) == 0) return OkStatus();
    if (!graph_) {  // the flat regime replaces in place
      std::memcpy(flat_.data() + std::size_t{slot} * dims, vec.data(), dims * sizeof(float));
      return OkStatus();
    }
  }
  if (graph_ && slot_count() >= HnswGraph::kMaxSlots && tombstones_ > 0) {
    Compact();
    existing = slot_of_.find(id);
  }
  if (slot_count() >= HnswGraph::kMaxSlots) return Error::Unprocessable("dense index is full");

  // Never hnswlib's replace-in-place: a replaced point gets a new slot and its old slot becomes a
  // tombstone (see hnsw_graph.h).
  const auto slot = static_cast<uint32_t>(slot_count());
  AppendSlot(id, vec.data());
  if (existing != slot_of_.end()) {
    const uint32_t old = existing->second;
    graph_->MarkDeleted(old);
    slot_live_[old] = 0;
    ++tombstones_;
    existing->second = slot;
    MaybeCompact();
  } else {
    slot_of_.emplace(id, slot);
    if (!graph_ && size() >= options_.exact_search_threshold) {
      *this = Build(options_, slot_ids_,
                    [this](std::size_t i) { return VectorAt(static_cast<uint32_t>(i)); });
    }
  }
  return OkStatus();
}

bool DenseIndex::Remove(int64_t id) {
  auto it = slot_of_.find(id);
  if (it == slot_of_.end()) return false;
  const uint32_t slot = it->second;
  slot_of_.erase(it);
  if (graph_) {
    graph_->MarkDeleted(slot);
    slot_live_[slot] = 0;
    ++tombstones_;
    MaybeCompact();
    return true;
  }
  // Flat: the last point moves into the hole.
  const auto dims = static_cast<std::size_t>(options_.dimensions);
  const std::size_t last = slot_count() - 1;
  if (slot != last) {
    std::memcpy(flat_.data() + std::size_t{slot} * dims, flat_.data() + last * dims,
                dims * sizeof(float));
    slot_ids_[slot] = slot_ids_[last];
    slot_of_[slot_ids_[slot]] = slot;
  }
  flat_.resize(last * dims);
  slot_ids_.pop_back();
  slot_live_.pop_back();
  return true;
}

std::vector<Hit> DenseIndex::Search(std::span<const float> query, std::size_t k,
                                    const Filter& accept) const {
  if (!graph_ || size() < options_.exact_search_threshold) return ExactSearch(query, k, accept);
  if (!IsValidQuery(query)) return {};
  k = std::min(k, size());
  if (k == 0) return {};
  return GraphSearch(query, k, accept);
}

std::vector<Hit> DenseIndex::GraphSearch(std::span<const float> query, std::size_t k,
                                         const Filter& accept) const {
  const std::size_t ef = std::max(k, static_cast<std::size_t>(options_.ef_search));
  std::vector<Hit> out;
  // Ties are broken by id over the whole beam, not where hnswlib's order happens to cut.
  auto keep_best = [&](std::vector<Hit>& hits) {
    std::sort(hits.begin(), hits.end(), Better);
    hits.resize(std::min(hits.size(), k));
  };
  if (!accept) {
    for (const auto& [slot, score] : graph_->Search(query.data(), ef)) {
      out.emplace_back(slot_ids_[slot], score);
    }
    // Fewer than k only when tombstones cut the graph; exact is then the way to get k.
    if (out.size() < k) return ExactSearch(query, k, accept);
    keep_best(out);
    return out;
  }

  const double fraction = EstimateAcceptedFraction(accept);
  if (fraction < options_.exact_filter_fraction || fraction == 0) {
    return ExactSearch(query, k, accept);
  }
  const std::size_t max_candidates = size() / kMaxCandidateDivisor;
  // Enough candidates to hold kOversample * k accepted ones at acceptance rate `rate`.
  auto enough = [&](double rate) {
    return std::max(
        ef, static_cast<std::size_t>(std::ceil(kOversample * static_cast<double>(k) / rate)));
  };
  std::size_t candidates = enough(fraction);
  while (candidates <= max_candidates) {
    const auto hits = graph_->Search(query.data(), candidates);
    out.clear();
    for (const auto& [slot, score] : hits) {
      if (accept(slot_ids_[slot])) out.emplace_back(slot_ids_[slot], score);
    }
    if (out.size() >= k) {
      keep_best(out);
      return out;
    }
    if (hits.size() < candidates) break;  // the graph gave all it could reach
    // Fewer accepted near the query than the sample promised: go by the rate seen here.
    const double seen = static_cast<double>(std::max<std::size_t>(out.size(), 1)) /
                        static_cast<double>(hits.size());
    candidates = std::max(2 * candidates, enough(seen));
  }
  return ExactSearch(query, k, accept);
}

double DenseIndex::EstimateAcceptedFraction(const Filter& accept) const {
  // Jittered systematic sampling: one slot at a pseudo-random place in each of `samples` equal
  // strides. The strides make a filter on one source (whose chunks are consecutive slots) be
  // sampled in proportion to its size; the jitter keeps a filter with a period (id % 100 == 0)
  // from aliasing with the stride.
  const std::size_t n = slot_count();
  const std::size_t samples = std::min(kFilterSample, n);
  std::size_t evaluated = 0;
  std::size_t accepted = 0;
  uint64_t jitter = 0x9E3779B97F4A7C15ULL;
  for (std::size_t i = 0; i < samples; ++i) {
    const std::size_t begin = i * n / samples;
    const std::size_t end = (i + 1) * n / samples;
    jitter = jitter * 6364136223846793005ULL + 1442695040888963407ULL;  // an LCG step
    std::size_t slot = begin + static_cast<std::size_t>((jitter >> 33) % (end - begin));
    while (slot < end && !IsLive(static_cast<uint32_t>(slot)))
      ++slot;
    if (slot == end) continue;  // no live point from there to the end of the stride
    ++evaluated;
    if (accept(slot_ids_[slot])) ++accepted;
  }
  return evaluated == 0 ? 0.0 : static_cast<double>(accepted) / static_cast<double>(evaluated);
}

std::vector<Hit> DenseIndex::ExactSearch(std::span<const float> query, std::size_t k,
                                         const Filter& accept) const {
  if (!IsValidQuery(query)) return {};
  k = std::min(k, size());
  if (k == 0) return {};
  // A heap of the best k so far, the worst on top. The filter goes first: a call costs a few
  // nanoseconds, a score ~60 ns at 384 dimensions (1.5 KB read from memory), so a selective
  // filter makes the scan several times cheaper.
  std::vector<Hit> heap;
  heap.reserve(k + 1);
  for (std::size_t slot = 0; slot < slot_count(); ++slot) {
    const auto s = static_cast<uint32_t>(slot);
    if (!IsLive(s) || (accept && !accept(slot_ids_[slot]))) continue;
    const Hit hit{slot_ids_[slot], Score(query.data(), s)};
    if (heap.size() == k && !Better(hit, heap.front())) continue;
    heap.push_back(hit);
    std::push_heap(heap.begin(), heap.end(), Better);
    if (heap.size() > k) {
      std::pop_heap(heap.begin(), heap.end(), Better);
      heap.pop_back();
    }
  }
  std::sort_heap(heap.begin(), heap.end(), Better);
  return heap;
}

void DenseIndex::SetEfSearch(int ef_search) {
  options_.ef_search = std::max(1, ef_search);
}

bool DenseIndex::NeedsCompaction() const {
  return graph_ && tombstones_ >= kMinTombstones &&
         static_cast<double>(tombstones_) >
             options_.max_tombstone_fraction * static_cast<double>(slot_count());
}

void DenseIndex::MaybeCompact() {
  if (NeedsCompaction() && size() <= options_.auto_compact_limit) Compact();
}

DenseIndex DenseIndex::Compacted() const {
  std::vector<int64_t> ids;
  std::vector<uint32_t> slots;
  ids.reserve(size());
  slots.reserve(size());
  for (std::size_t slot = 0; slot < slot_count(); ++slot) {
    if (!IsLive(static_cast<uint32_t>(slot))) continue;
    ids.push_back(slot_ids_[slot]);
    slots.push_back(static_cast<uint32_t>(slot));
  }
  return Build(options_, ids, [&](std::size_t i) { return VectorAt(slots[i]); });
}

void DenseIndex::Compact() {
  *this = Compacted();
}

DenseIndex DenseIndex::Build(const DenseIndexOptions& options, std::span<const int64_t> ids,
                             const std::function<const float*(std::size_t)>& vector_of) {
  DenseIndex index(options);
  const std::size_t n = ids.size();
  const auto dims = static_cast<std::size_t>(options.dimensions);
  if (n >= options.exact_search_threshold) {
    index.graph_ = std::make_unique<HnswGraph>(GraphParams(options, n));
    for (std::size_t i = 0; i < n; ++i)
      index.graph_->Add(vector_of(i));
  } else {
    index.graph_.reset();
    index.flat_.resize(n * dims);
    for (std::size_t i = 0; i < n; ++i) {
      std::memcpy(index.flat_.data() + i * dims, vector_of(i), dims * sizeof(float));
    }
  }
  index.slot_ids_.assign(ids.begin(), ids.end());
  index.slot_live_.assign(n, 1);
  index.slot_of_.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    index.slot_of_.emplace(ids[i], static_cast<uint32_t>(i));
  return index;
}

std::size_t DenseIndex::ApproximateMemoryUsage() const {
  // An unordered_map node holds a next pointer and the (id, slot) pair: 24 bytes, 32 allocated.
  std::size_t bytes = sizeof(*this) + flat_.capacity() * sizeof(float) +
                      slot_ids_.capacity() * sizeof(int64_t) + slot_live_.capacity() +
                      slot_of_.size() * 32 + slot_of_.bucket_count() * sizeof(void*);
  if (graph_) bytes += graph_->ApproximateMemoryUsage();
  return bytes;
}

void DenseIndex::Save(std::string& out) const {
  const std::size_t n = slot_count();
  const auto dims = static_cast<std::size_t>(options_.dimensions);
  const std::size_t start = out.size();
  out.reserve(start + 64 + n * (9 + dims * sizeof(float)) + (graph_ ? n * 100 : 0));
  out.append(kMagic);
  PutU8(out, kVersion);
  PutU8(out, graph_ ? kRegimeGraph : kRegimeFlat);
  PutU16(out, 0);
  PutU32(out, static_cast<uint32_t>(options_.dimensions));
  PutU32(out, static_cast<uint32_t>(options_.m));
  PutU32(out, static_cast<uint32_t>(options_.ef_construction));
  PutU64(out, n);
  PutArray(out, slot_ids_.data(), n);
  PutArray(out, slot_live_.data(), n);
  if (graph_) {
    for (std::size_t slot = 0; slot < n; ++slot) {
      PutArray(out, graph_->Vector(static_cast<uint32_t>(slot)), dims);
    }
    const std::size_t length_at = out.size();
    PutU64(out, 0);  // patched below
    graph_->AppendLinks(out);
    const uint64_t length = out.size() - length_at - 8;
    std::memcpy(out.data() + length_at, &length, 8);  // little-endian host (binary_io.h)
  } else {
    PutArray(out, flat_.data(), flat_.size());
  }
  PutU32(out, Crc32(std::string_view(out).substr(start)));
}

Result<DenseIndex> DenseIndex::Load(std::string_view data, const DenseIndexOptions& options) {
  if (Status s = options.Validate(); !s.ok()) return s.error();
  if (data.size() < kMagic.size() + kChecksumBytes) return Corrupt("too short");
  const std::string_view body = data.substr(0, data.size() - kChecksumBytes);
  if (body.substr(0, kMagic.size()) != kMagic) return Corrupt("not a dense index snapshot");
  uint32_t checksum = 0;
  SnapshotReader(data.substr(body.size())).U32(checksum);
  if (Crc32(body) != checksum) return Corrupt("checksum mismatch");

  // From here on the bytes are what Save wrote, unless someone forged the checksum: every
  // count and link is still checked, so forged bytes give an error, not undefined behaviour.
  SnapshotReader in(body.substr(kMagic.size()));
  uint8_t version = 0;
  uint8_t regime = 0;
  uint16_t reserved = 0;
  uint32_t dims = 0;
  uint32_t m = 0;
  uint32_t ef_construction = 0;
  uint64_t n = 0;
  if (!in.U8(version)) return Corrupt("truncated header");
  if (version != kVersion) return Corrupt("unsupported version " + std::to_string(version));
  if (!in.U8(regime) || !in.U16(reserved) || !in.U32(dims) || !in.U32(m) ||
      !in.U32(ef_construction) || !in.U64(n)) {
    return Corrupt("truncated header");
  }
  if ((regime != kRegimeFlat && regime != kRegimeGraph) || reserved != 0) {
    return Corrupt("bad header");
  }
  if (dims != static_cast<uint32_t>(options.dimensions)) {
    return Error::InvalidArgument("dense index snapshot has " + std::to_string(dims) +
                                  " dimensions, the configuration " +
                                  std::to_string(options.dimensions));
  }
  const std::size_t row_bytes = std::size_t{dims} * sizeof(float);
  // No count can make us allocate beyond what the input holds.
  if (n > HnswGraph::kMaxSlots || n > in.remaining() / (9 + row_bytes)) {
    return Corrupt("bad slot count");
  }
  std::vector<int64_t> ids(n);
  std::vector<uint8_t> live(n);
  std::string_view vectors;
  if (!in.Array(n, ids.data()) || !in.Array(n, live.data()) || !in.Bytes(n * row_bytes, vectors)) {
    return Corrupt("truncated points");
  }
  // Unit norms, as Upsert guarantees, also bound every score (see IsValidQuery).
  std::vector<float> row(dims);  // an aligned copy: snapshot bytes need not be
  const DotFunction dot = BestDotFunction();
  for (std::size_t slot = 0; slot < n; ++slot) {
    std::memcpy(row.data(), vectors.data() + slot * row_bytes, row_bytes);
    if (!AllFinite(row) || !IsUnitNorm(dot(row.data(), row.data(), dims))) {
      return Corrupt("vector not finite or not normalised");
    }
  }

  std::vector<int64_t> live_ids;
  std::vector<uint32_t> live_slots;
  live_ids.reserve(n);
  live_slots.reserve(n);
  for (std::size_t slot = 0; slot < n; ++slot) {
    if (live[slot] > 1 || (live[slot] == 0 && regime == kRegimeFlat)) return Corrupt("bad state");
    if (live[slot] == 0) continue;
    live_ids.push_back(ids[slot]);
    live_slots.push_back(static_cast<uint32_t>(slot));
  }

  std::string_view links;
  if (regime == kRegimeGraph) {
    uint64_t length = 0;
    if (!in.U64(length) || !in.Bytes(length, links)) return Corrupt("truncated graph");
  }
  if (in.remaining() != 0) return Corrupt("trailing bytes");

  if (regime == kRegimeGraph && m == static_cast<uint32_t>(options.m) &&
      ef_construction == static_cast<uint32_t>(options.ef_construction)) {
    SnapshotReader links_in(links);
    auto graph = HnswGraph::Restore(GraphParams(options, n), vectors, live, links_in);
    if (!graph.ok()) return std::move(graph).error();
    if (links_in.remaining() != 0) return Corrupt("trailing bytes in the graph");
    DenseIndex index(options);
    index.graph_ = std::move(graph).value();
    index.slot_of_.reserve(live_ids.size());
    for (std::size_t i = 0; i < live_ids.size(); ++i) {
      if (!index.slot_of_.emplace(live_ids[i], live_slots[i]).second) {
        return Corrupt("duplicate id");
      }
    }
    index.slot_ids_ = std::move(ids);
    index.slot_live_ = std::move(live);
    index.tombstones_ = n - live_ids.size();
    return index;
  }

  // A flat snapshot, or a graph built with other parameters: build what `options` ask for.
  std::vector<int64_t> sorted = live_ids;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return Corrupt("duplicate id");
  }
  return Build(options, live_ids, [&](std::size_t i) {
    std::memcpy(row.data(), vectors.data() + std::size_t{live_slots[i]} * row_bytes, row_bytes);
    return static_cast<const float*>(row.data());
  });
}

}  // namespace studybot::search
