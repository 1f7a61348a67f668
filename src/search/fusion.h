// Reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009): each candidate list
// contributes 1 / (k + rank) for every chunk it ranks (ranks from 1), and chunks are ordered by
// the sum. k = 60 damps the weight of the very first ranks, so that one list's top hit does not
// drown the other list's agreement. Scores of the lists themselves are ignored: BM25 and cosine
// are not on comparable scales.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "search/chunk_index.h"

namespace studybot::search {

inline constexpr double kRrfK = 60.0;

// `keyword` and `dense` are (chunk id, score) lists, best first. Returns at most `top_k` hits with
// both ranks filled in (0 when a list does not have the chunk); ties broken by the better single
// rank, then by id.
std::vector<Hit> FuseRrf(const std::vector<std::pair<int64_t, float>>& keyword,
                         const std::vector<std::pair<int64_t, float>>& dense, std::size_t top_k,
                         double k = kRrfK);

// Convex combination (the built-in default; chosen on bench/retrieval, see bench/RESULTS.md):
// every candidate of either list scores
//   keyword_weight * bm25 / max_bm25 + (1 - keyword_weight) * cosine
// where max_bm25 is the best BM25 among the keyword candidates, a chunk absent from the keyword
// list counts 0 on that side, and `cosine(id)` gives the similarity of a keyword candidate the
// dense list lacks (nullopt: 0). Unlike RRF it lets a strong match on one side outweigh a weak
// agreement of both. Hits carry both ranks and both scores; ties broken by id.
inline constexpr double kConvexKeywordWeight = 0.4;
std::vector<Hit> FuseConvex(const std::vector<std::pair<int64_t, float>>& keyword,
                            const std::vector<std::pair<int64_t, float>>& dense,
                            const std::function<std::optional<float>(int64_t)>& cosine,
                            std::size_t top_k, double keyword_weight = kConvexKeywordWeight);

}  // namespace studybot::search
