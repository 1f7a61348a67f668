#include "search/fusion.h"

#include <algorithm>
#include <unordered_map>

namespace studybot::search {

std::vector<Hit> FuseRrf(const std::vector<std::pair<int64_t, float>>& keyword,
                         const std::vector<std::pair<int64_t, float>>& dense, std::size_t top_k,
                         double k) {
  std::unordered_map<int64_t, Hit> by_id;
  for (std::size_t i = 0; i < keyword.size(); ++i) {
    Hit& h = by_id[keyword[i].first];
    h.chunk_id = keyword[i].first;
    if (h.keyword_rank == 0) {
      h.keyword_rank = static_cast<int>(i + 1);
      h.score += 1.0 / (k + static_cast<double>(i + 1));
    }
  }
  for (std::size_t i = 0; i < dense.size(); ++i) {
    Hit& h = by_id[dense[i].first];
    h.chunk_id = dense[i].first;
    if (h.dense_rank == 0) {
      h.dense_rank = static_cast<int>(i + 1);
      h.score += 1.0 / (k + static_cast<double>(i + 1));
    }
  }
  std::vector<Hit> hits;
  hits.reserve(by_id.size());
  for (auto& [id, h] : by_id)
    hits.push_back(h);
  auto best_rank = [](const Hit& h) {
    int a = h.keyword_rank == 0 ? 1 << 30 : h.keyword_rank;
    int b = h.dense_rank == 0 ? 1 << 30 : h.dense_rank;
    return std::min(a, b);
  };
  std::sort(hits.begin(), hits.end(), [&](const Hit& a, const Hit& b) {
    if (a.score != b.score) return a.score > b.score;
    if (best_rank(a) != best_rank(b)) return best_rank(a) < best_rank(b);
    return a.chunk_id < b.chunk_id;
  });
  if (hits.size() > top_k) hits.resize(top_k);
  return hits;
}

std::vector<Hit> FuseConvex(const std::vector<std::pair<int64_t, float>>& keyword,
                            const std::vector<std::pair<int64_t, float>>& dense,
                            const std::function<std::optional<float>(int64_t)>& cosine,
                            std::size_t top_k, double keyword_weight) {
  std::unordered_map<int64_t, Hit> by_id;
  double max_bm25 = 0;
  for (const auto& [id, score] : keyword)
    max_bm25 = std::max(max_bm25, static_cast<double>(score));
  for (std::size_t i = 0; i < keyword.size(); ++i) {
    Hit& h = by_id[keyword[i].first];
    if (h.keyword_rank != 0) continue;
    h.chunk_id = keyword[i].first;
    h.keyword_rank = static_cast<int>(i + 1);
    h.keyword_score = keyword[i].second;
  }
  for (std::size_t i = 0; i < dense.size(); ++i) {
    Hit& h = by_id[dense[i].first];
    if (h.dense_rank != 0) continue;
    h.chunk_id = dense[i].first;
    h.dense_rank = static_cast<int>(i + 1);
    h.dense_score = dense[i].second;
  }
  std::vector<Hit> hits;
  hits.reserve(by_id.size());
  for (auto& [id, h] : by_id) {
    if (h.dense_rank == 0 && cosine) h.dense_score = cosine(id).value_or(0.f);
    double kw = max_bm25 > 0 ? h.keyword_score / max_bm25 : 0;
    h.score = keyword_weight * kw + (1 - keyword_weight) * std::max(0.0, h.dense_score);
    hits.push_back(h);
  }
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.chunk_id < b.chunk_id;
  });
  if (hits.size() > top_k) hits.resize(top_k);
  return hits;
}

}  // namespace studybot::search
