// Reciprocal rank fusion (Cormack, Clarke and Buettcher, SIGIR 2009): each candidate list
// contributes 1 / (k + rank) for every chunk it ranks (ranks from 1), and chunks are ordered by
// the sum. k = 60 damps the weight of the very first ranks, so that one list's top hit does not
// drown the other list's agreement. Scores of the lists themselves are ignored: BM25 and cosine
// are not on comparable scales.
#pragma once

#include <cstdint>
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

}  // namespace studybot::search
