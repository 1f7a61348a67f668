#include "search/bm25.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <queue>
#include <tuple>

namespace studybot::search {
namespace {

// Snapshot format, version 1. All integers little-endian; varints are LEB128, doc numbers zigzag
// varints. Documents are renumbered 0..doc_count-1 in slot order; postings refer to those numbers.
//
//   "SBKW" | u8 version
//   varint doc_count   | doc_count x (zigzag-varint doc number, varint length)
//   varint term_count  | term_count x (varint byte length, bytes, varint posting_count,
//                                      posting_count x (varint gap, u8 tf))
//   u64 FNV-1a of everything before it
//
// A posting's doc is previous + 1 + gap (previous starts at -1), so postings are strictly
// ascending by construction and gaps stay small.
constexpr std::string_view kMagic = "SBKW";
constexpr uint8_t kVersion = 1;
constexpr std::size_t kChecksumBytes = 8;

// Slots are 24 bits; this many exist, numbered 0..kSlotCount-1.
constexpr std::size_t kSlotCount = std::size_t{1} << 24;

// Remove compacts once dead slots are this fraction of all slots, and at least kMinDeadSlots
// (below that the extra df pass in Search costs less than rewriting every posting list).
constexpr std::size_t kCompactDivisor = 4;
constexpr std::size_t kMinDeadSlots = 64;

// Search scans the score accumulator in blocks of this many slots (see there).
constexpr std::size_t kScanBlock = 16;

// Posting lists grow by doubling; Compact gives back what is more than an eighth over.
void ShrinkPostings(std::vector<uint32_t>& list) {
  if (list.capacity() - list.size() > list.size() / 8 + 4) list.shrink_to_fit();
}

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ULL;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutFixed64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Bounds-checked reading of untrusted snapshot bytes; every method fails rather than over-read.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  std::size_t remaining() const { return data_.size() - pos_; }

  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      auto byte = static_cast<unsigned char>(data_[pos_++]);
      if (shift == 63 && byte > 1) return false;  // more than 64 bits
      v |= uint64_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }

  bool Byte(uint8_t& v) {
    if (pos_ >= data_.size()) return false;
    v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }

  bool Bytes(std::size_t n, std::string_view& v) {
    if (n > remaining()) return false;
    v = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

Error Corrupt(std::string_view why) {
  return Error::InvalidArgument("keyword index snapshot is corrupt: " + std::string(why));
}

}  // namespace

Status Bm25Params::Validate() const {
  if (!std::isfinite(k1) || k1 < 0)
    return Error::InvalidArgument("bm25 k1 must be finite and >= 0");
  if (!(b >= 0 && b <= 1)) return Error::InvalidArgument("bm25 b must be within [0, 1]");
  return OkStatus();
}

Bm25Index::Bm25Index(Bm25Params params) : params_(params) {
  assert(params_.Validate().ok());
}

Status Bm25Index::Add(int64_t doc, const std::vector<std::string>& terms) {
  if (terms.size() >= kDeadLength) return Error::Unprocessable("chunk has too many terms to index");
  auto existing = doc_slot_.find(doc);
  if (existing == doc_slot_.end() && doc_slot_.size() >= kMaxDocs) {
    return Error::Unprocessable("keyword index is full");
  }

  if (existing != doc_slot_.end()) {
    RemoveSlot(existing->second);
    doc_slot_.erase(existing);
  }
  if (slot_doc_.size() >= kSlotCount) Compact();  // leaves at most kMaxDocs - 1 slots

  auto slot = static_cast<uint32_t>(slot_doc_.size());
  slot_doc_.push_back(doc);
  doc_length_.push_back(static_cast<uint32_t>(terms.size()));
  doc_slot_[doc] = slot;
  total_length_ += terms.size();

  // New terms get ids in first-appearance order, so that ids (and snapshots) do not depend on
  // hash-table iteration order. Sorting the ids then counts repeats without another hash table.
  std::vector<uint32_t> ids;
  ids.reserve(terms.size());
  for (const std::string& term : terms) {
    auto [it, inserted] = term_ids_.try_emplace(term, static_cast<uint32_t>(terms_.size()));
    if (inserted) {
      terms_.push_back(&*it);
      postings_.emplace_back();
    }
    ids.push_back(it->second);
  }
  std::ranges::sort(ids);
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i + 1;
    while (j < ids.size() && ids[j] == ids[i])
      ++j;
    const auto tf = static_cast<uint32_t>(std::min<std::size_t>(j - i, kMaxTf));
    // New slots are always the largest, so appending keeps every posting list sorted.
    postings_[ids[i]].push_back(slot << 8 | tf);
    i = j;
  }
  MaybeCompact();
  return OkStatus();
}

bool Bm25Index::Remove(int64_t doc) {
  auto it = doc_slot_.find(doc);
  if (it == doc_slot_.end()) return false;
  RemoveSlot(it->second);
  doc_slot_.erase(it);
  MaybeCompact();
  return true;
}

void Bm25Index::RemoveSlot(uint32_t slot) {
  total_length_ -= doc_length_[slot];
  doc_length_[slot] = kDeadLength;
  ++dead_slots_;
}

void Bm25Index::MaybeCompact() {
  if (dead_slots_ >= kMinDeadSlots && dead_slots_ * kCompactDivisor >= slot_doc_.size()) {
    Compact();
  }
}

void Bm25Index::Compact() {
  if (dead_slots_ == 0) {
    for (std::vector<Posting>& list : postings_)
      ShrinkPostings(list);
    return;
  }
  // Live slots keep their order, so posting lists stay sorted after renumbering.
  constexpr uint32_t kGone = UINT32_MAX;
  std::vector<uint32_t> new_slot(slot_doc_.size(), kGone);
  uint32_t live = 0;
  for (std::size_t slot = 0; slot < slot_doc_.size(); ++slot) {
    if (!IsLive(static_cast<uint32_t>(slot))) continue;
    new_slot[slot] = live;
    slot_doc_[live] = slot_doc_[slot];
    doc_length_[live] = doc_length_[slot];
    ++live;
  }
  slot_doc_.resize(live);
  slot_doc_.shrink_to_fit();
  doc_length_.resize(live);
  doc_length_.shrink_to_fit();
  for (auto& [doc, slot] : doc_slot_)
    slot = new_slot[slot];

  // Rewrite the posting lists, and drop the terms left without any, renumbering term ids densely
  // in their old order.
  uint32_t kept = 0;
  for (std::size_t id = 0; id < postings_.size(); ++id) {
    std::vector<Posting>& list = postings_[id];
    std::size_t out = 0;
    for (Posting posting : list) {
      uint32_t slot = new_slot[posting >> 8];
      if (slot != kGone) list[out++] = slot << 8 | (posting & 0xFF);
    }
    list.resize(out);
    if (out == 0) {
      std::string term = terms_[id]->first;  // a copy: erase must not read the key it frees
      term_ids_.erase(term);
      continue;
    }
    ShrinkPostings(list);
    terms_[id]->second = kept;
    terms_[kept] = terms_[id];
    if (kept != id) postings_[kept] = std::move(list);
    ++kept;
  }
  terms_.resize(kept);
  terms_.shrink_to_fit();
  postings_.resize(kept);
  postings_.shrink_to_fit();
  dead_slots_ = 0;
}

std::size_t Bm25Index::ApproximateMemoryUsage() const {
  // Node-based maps: the value, a next pointer and a cached hash per node, one pointer per bucket.
  constexpr std::size_t kNodeOverhead = 2 * sizeof(void*) + 16;  // + malloc bookkeeping
  std::size_t bytes = 0;
  for (const std::vector<Posting>& list : postings_)
    bytes += sizeof(list) + list.capacity() * sizeof(Posting);
  for (const TermEntry* entry : terms_) {
    bytes += sizeof(TermEntry) + kNodeOverhead + sizeof(entry);
    if (entry->first.capacity() > 15) bytes += entry->first.capacity() + 1;
  }
  bytes += term_ids_.bucket_count() * sizeof(void*);
  bytes += doc_slot_.size() * (sizeof(std::pair<const int64_t, uint32_t>) + kNodeOverhead);
  bytes += doc_slot_.bucket_count() * sizeof(void*);
  bytes += slot_doc_.capacity() * sizeof(int64_t) + doc_length_.capacity() * sizeof(uint32_t);
  return bytes;
}

std::vector<std::pair<int64_t, float>> Bm25Index::Search(
    const std::vector<std::string>& query_terms, std::size_t k,
    const std::function<bool(int64_t)>& accept) const {
  std::vector<std::pair<int64_t, float>> results;
  const std::size_t n = size();
  if (k == 0 || n == 0) return results;

  std::vector<uint32_t> ids;
  for (const std::string& term : query_terms) {
    auto it = term_ids_.find(term);
    if (it != term_ids_.end() && std::ranges::find(ids, it->second) == ids.end()) {
      ids.push_back(it->second);
    }
  }
  if (ids.empty()) return results;

  // Term at a time into one accumulator per slot. The per-document part of the denominator,
  // k1 * (1 - b + b * |D| / avgdl), is split so that each posting costs one multiply-add.
  const double avgdl = total_length_ > 0 ? static_cast<double>(total_length_) / n : 1.0;
  const float k1 = params_.k1;
  const float norm_base = k1 * (1 - params_.b);
  const auto norm_per_term = static_cast<float>(k1 * params_.b / avgdl);
  // Rounded up to whole scan blocks; the padding scores 0 and is never read as a slot.
  std::vector<float> scores((slot_doc_.size() + kScanBlock - 1) / kScanBlock * kScanBlock, 0.0f);
  for (uint32_t id : ids) {
    const std::vector<Posting>& list = postings_[id];
    std::size_t df = list.size();
    if (dead_slots_ > 0) {
      df = static_cast<std::size_t>(
          std::ranges::count_if(list, [&](Posting p) { return IsLive(p >> 8); }));
    }
    if (df == 0) continue;
    const auto idf = static_cast<float>(std::log(1.0 + (n - df + 0.5) / (df + 0.5)));
    const float weight = idf * (k1 + 1);
    for (Posting posting : list) {
      const uint32_t slot = posting >> 8;
      const uint32_t length = doc_length_[slot];
      if (length == kDeadLength) continue;
      const auto tf = static_cast<float>(posting & 0xFF);
      scores[slot] += weight * tf / (tf + norm_base + norm_per_term * static_cast<float>(length));
    }
  }

  // Top k with a heap whose top is the worst kept result. `accept` is only consulted for a
  // document that would enter the heap, which is what keeps a selective filter cheap.
  using Hit = std::pair<int64_t, float>;
  auto better = [](const Hit& a, const Hit& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  };
  std::priority_queue<Hit, std::vector<Hit>, decltype(better)> heap(better);
  // `floor` is the least score that may still enter: the smallest positive float until the heap
  // is full (untouched slots score 0), then the worst kept score, which a tie only beats with a
  // smaller doc number than `floor_doc`. Chunks of similar length often tie, so that case must
  // not cost a heap operation.
  float floor = std::numeric_limits<float>::denorm_min();
  int64_t floor_doc = 0;
  const float* score = scores.data();
  // Blocks of slots are first tested as a whole, in a fixed-length loop the compiler vectorises:
  // once the heap is full almost every block is below the floor.
  for (std::size_t block = 0; block < scores.size(); block += kScanBlock) {
    int any = 0;
    for (std::size_t i = 0; i < kScanBlock; ++i)
      any |= score[block + i] >= floor ? 1 : 0;
    if (any == 0) continue;
    for (std::size_t slot = block; slot < block + kScanBlock; ++slot) {
      if (score[slot] < floor) continue;
      const int64_t doc = slot_doc_[slot];
      if (heap.size() == k && score[slot] == floor && doc > floor_doc) continue;
      if (accept && !accept(doc)) continue;
      if (heap.size() == k) heap.pop();
      heap.emplace(doc, score[slot]);
      if (heap.size() == k) std::tie(floor_doc, floor) = heap.top();
    }
  }
  results.reserve(heap.size());
  while (!heap.empty()) {
    results.push_back(heap.top());
    heap.pop();
  }
  std::ranges::reverse(results);
  return results;
}

void Bm25Index::Save(std::string& out) const {
  const std::size_t start = out.size();
  out.append(kMagic);
  out.push_back(static_cast<char>(kVersion));

  std::vector<uint32_t> dense(slot_doc_.size(), 0);
  PutVarint(out, size());
  uint32_t next = 0;
  for (std::size_t slot = 0; slot < slot_doc_.size(); ++slot) {
    if (!IsLive(static_cast<uint32_t>(slot))) continue;
    dense[slot] = next++;
    PutVarint(out, ZigZag(slot_doc_[slot]));
    PutVarint(out, doc_length_[slot]);
  }

  auto live_postings = [&](const std::vector<Posting>& list) {
    if (dead_slots_ == 0) return list.size();
    return static_cast<std::size_t>(
        std::ranges::count_if(list, [&](Posting p) { return IsLive(p >> 8); }));
  };
  std::size_t term_count = 0;
  for (const std::vector<Posting>& list : postings_)
    term_count += live_postings(list) > 0 ? 1 : 0;
  PutVarint(out, term_count);
  for (std::size_t id = 0; id < postings_.size(); ++id) {
    const std::size_t count = live_postings(postings_[id]);
    if (count == 0) continue;
    const std::string& term = terms_[id]->first;
    PutVarint(out, term.size());
    out.append(term);
    PutVarint(out, count);
    int64_t previous = -1;
    for (Posting posting : postings_[id]) {
      const uint32_t slot = posting >> 8;
      if (!IsLive(slot)) continue;
      PutVarint(out, static_cast<uint64_t>(dense[slot] - previous - 1));
      out.push_back(static_cast<char>(posting & 0xFF));
      previous = dense[slot];
    }
  }
  PutFixed64(out, Fnv1a64(std::string_view(out).substr(start)));
}

Result<Bm25Index> Bm25Index::Load(std::string_view data, Bm25Params params) {
  if (data.size() < kMagic.size() + 1 + kChecksumBytes) return Corrupt("too short");
  std::string_view body = data.substr(0, data.size() - kChecksumBytes);
  uint64_t checksum = 0;
  for (std::size_t i = 0; i < kChecksumBytes; ++i)
    checksum |= uint64_t{static_cast<unsigned char>(data[body.size() + i])} << (8 * i);
  if (body.substr(0, kMagic.size()) != kMagic) return Corrupt("not a keyword index snapshot");
  if (Fnv1a64(body) != checksum) return Corrupt("checksum mismatch");

  Reader in(body.substr(kMagic.size()));
  uint8_t version = 0;
  if (!in.Byte(version) || version != kVersion) {
    return Corrupt("unsupported version " + std::to_string(version));
  }

  Bm25Index index(params);
  uint64_t doc_count = 0;
  // Each document takes at least two bytes: no count can make us allocate beyond the input.
  if (!in.Varint(doc_count) || doc_count > kMaxDocs || doc_count > in.remaining() / 2) {
    return Corrupt("bad document count");
  }
  index.slot_doc_.reserve(doc_count);
  index.doc_length_.reserve(doc_count);
  index.doc_slot_.reserve(doc_count);
  for (uint64_t slot = 0; slot < doc_count; ++slot) {
    uint64_t doc = 0;
    uint64_t length = 0;
    if (!in.Varint(doc) || !in.Varint(length)) return Corrupt("truncated document table");
    if (length >= kDeadLength) return Corrupt("bad document length");
    if (!index.doc_slot_.try_emplace(UnZigZag(doc), static_cast<uint32_t>(slot)).second) {
      return Corrupt("duplicate document");
    }
    index.slot_doc_.push_back(UnZigZag(doc));
    index.doc_length_.push_back(static_cast<uint32_t>(length));
    index.total_length_ += length;
  }

  uint64_t term_count = 0;
  // A term takes at least three bytes (length, count, one posting of two bytes).
  if (!in.Varint(term_count) || term_count > in.remaining() / 3) return Corrupt("bad term count");
  std::vector<uint64_t> tf_sum(doc_count, 0);
  index.terms_.reserve(term_count);
  index.postings_.reserve(term_count);
  for (uint64_t id = 0; id < term_count; ++id) {
    uint64_t length = 0;
    std::string_view term;
    uint64_t count = 0;
    if (!in.Varint(length) || !in.Bytes(length, term) || !in.Varint(count)) {
      return Corrupt("truncated term");
    }
    if (count == 0 || count > doc_count || count > in.remaining() / 2) {
      return Corrupt("bad posting count");
    }
    auto [it, inserted] = index.term_ids_.try_emplace(std::string(term), static_cast<uint32_t>(id));
    if (!inserted) return Corrupt("duplicate term");
    index.terms_.push_back(&*it);
    std::vector<Posting>& list = index.postings_.emplace_back();
    list.reserve(count);
    uint64_t next = 0;  // the smallest doc the next posting may name
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t gap = 0;
      uint8_t tf = 0;
      if (!in.Varint(gap) || !in.Byte(tf)) return Corrupt("truncated postings");
      if (gap >= doc_count - next) return Corrupt("posting out of range");
      if (tf == 0) return Corrupt("zero term frequency");
      const uint64_t slot = next + gap;
      tf_sum[slot] += tf;
      list.push_back(static_cast<uint32_t>(slot) << 8 | tf);
      next = slot + 1;
    }
  }
  if (in.remaining() != 0) return Corrupt("trailing bytes");
  for (uint64_t slot = 0; slot < doc_count; ++slot) {
    if (tf_sum[slot] > index.doc_length_[slot]) return Corrupt("document shorter than its terms");
  }
  return index;
}

}  // namespace studybot::search
