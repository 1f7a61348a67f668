// Bm25Index: the in-memory keyword index of one chatbot, ranking chunks by Okapi BM25.
//
// Documents are chunks, named by the caller's int64 doc numbers, each a bag of terms (from
// Analyzer::Terms). For a query Q of distinct terms q, over the N live documents:
//
//   score(D, Q) = sum over q in Q of  idf(q) * tf(q, D) * (k1 + 1)
//                                      / (tf(q, D) + k1 * (1 - b + b * |D| / avgdl))
//   idf(q)      = ln(1 + (N - df(q) + 0.5) / (df(q) + 0.5))
//
// tf(q, D) is how often q occurs in D, |D| the number of terms of D, avgdl the mean |D| and df(q)
// the number of documents holding q. This idf is Lucene's: it stays positive even for a term in
// every document, so adding a query term never lowers a score. Duplicate query terms count once.
// N, avgdl and df only ever count live documents: a removed or replaced document leaves scores
// exactly as if it had never been added.
//
// tf is stored capped at 255 (kMaxTf). Chunks hold a few hundred terms, so the cap is only
// reached by keyword stuffing, and it lets a posting fit in 4 bytes.
//
// Storage: a term dictionary (string -> id), per term a vector of postings (doc slot, tf) sorted
// by slot, per slot the doc number and length: about 4 bytes per distinct (term, chunk) pair plus
// ~70 bytes per term and per chunk. Removal marks the slot dead; once dead slots are a quarter of
// all slots (and at least 64) they are compacted away: amortised O(postings of one document) per
// removal, but that one call rewrites every posting list (~100 ms at 100k chunks).
// While dead slots remain, Search spends one extra pass over each query term's postings to count
// live df.
//
// Thread-safety: not synchronised. Const methods (Search, Save, size...) may run concurrently
// with each other; anything else needs exclusive access. The owner is expected to hold a
// std::shared_mutex: shared for Search, exclusive for Add/Remove/Compact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"

namespace studybot::search {

struct Bm25Params {
  // Term-frequency saturation: how much a repeated term keeps adding. 0 makes tf irrelevant.
  float k1 = 1.2f;
  // Length normalisation, in [0, 1]: 0 ignores document length, 1 fully divides by it.
  float b = 0.75f;

  // kInvalidArgument naming the field when k1 is negative or not finite, or b is outside [0, 1].
  Status Validate() const;
};

class Bm25Index {
 public:
  // Posting tf values are capped here; see the top comment.
  static constexpr uint32_t kMaxTf = 255;
  // Slots are 24-bit; this many live documents at most (far beyond what fits in memory anyway).
  static constexpr uint32_t kMaxDocs = (uint32_t{1} << 24) - 1;

  // REQUIRES: params.Validate().ok()
  explicit Bm25Index(Bm25Params params = {});

  Bm25Index(Bm25Index&&) noexcept = default;
  Bm25Index& operator=(Bm25Index&&) noexcept = default;
  Bm25Index(const Bm25Index&) = delete;
  Bm25Index& operator=(const Bm25Index&) = delete;

  // Indexes `doc` with `terms` (order does not matter, repeats count), replacing any previous
  // version of `doc`. An empty `terms` is a document of length 0 that matches nothing but still
  // counts in N. Errors: kUnprocessable when the index already holds kMaxDocs other documents or
  // `terms` has 2^32 - 1 entries or more; the index is then unchanged.
  Status Add(int64_t doc, const std::vector<std::string>& terms);

  // Removes `doc`; false if it was not indexed.
  bool Remove(int64_t doc);

  bool Contains(int64_t doc) const { return doc_slot_.contains(doc); }

  // Live documents.
  std::size_t size() const { return doc_slot_.size(); }

  // Distinct terms, including terms only removed documents held until the next compaction.
  std::size_t term_count() const { return terms_.size(); }

  // An estimate of the heap memory held, in bytes.
  std::size_t ApproximateMemoryUsage() const;

  // The at most `k` best documents for `query_terms`, by descending score, ties by ascending doc
  // number. Only documents holding at least one query term are returned (all scores are > 0).
  // `accept`, when set, filters documents (by chatbot source, say); it is only asked about
  // documents that could still enter the top k, so it must be a pure function of the doc number.
  std::vector<std::pair<int64_t, float>> Search(
      const std::vector<std::string>& query_terms, std::size_t k,
      const std::function<bool(int64_t)>& accept = {}) const;

  // Drops removed documents and the terms no live document holds, now rather than when Remove
  // decides to, and gives back the spare capacity of posting lists (up to half of their memory
  // after a bulk of Adds: worth calling when an ingest job ends). Scores are unchanged.
  // O(total postings).
  void Compact();

  // Appends a snapshot of the live documents to `out`: a compact little-endian binary format
  // with a version byte and a checksum (see bm25.cpp). Parameters are not part of it: k1 and b
  // only matter at query time, so they come from the configuration given to Load.
  void Save(std::string& out) const;

  // The index saved in `data`. Errors: kInvalidArgument when `data` is truncated, corrupt, of an
  // unknown version, or has trailing bytes; never undefined behaviour, whatever the bytes.
  // REQUIRES: params.Validate().ok()
  static Result<Bm25Index> Load(std::string_view data, Bm25Params params = {});

 private:
  // A posting packs the slot (high 24 bits) and the capped tf (low 8 bits).
  using Posting = uint32_t;
  static constexpr uint32_t kDeadLength = UINT32_MAX;  // doc_length_ of a removed slot

  bool IsLive(uint32_t slot) const { return doc_length_[slot] != kDeadLength; }
  void RemoveSlot(uint32_t slot);
  void MaybeCompact();

  // A dictionary entry; its address is stable (node-based map), so terms_ can point at it.
  using TermEntry = std::pair<const std::string, uint32_t>;

  Bm25Params params_;
  std::unordered_map<std::string, uint32_t> term_ids_;  // term -> id
  std::vector<TermEntry*> terms_;                       // id -> its entry in term_ids_
  std::vector<std::vector<Posting>> postings_;          // term id -> postings, ascending slot
  std::unordered_map<int64_t, uint32_t> doc_slot_;
  std::vector<int64_t> slot_doc_;     // slot -> doc number
  std::vector<uint32_t> doc_length_;  // slot -> |D|, or kDeadLength
  uint64_t total_length_ = 0;         // sum of |D| over live documents
  std::size_t dead_slots_ = 0;
};

}  // namespace studybot::search
