// QdrantIndex's searches (qdrant_index.h): one batch request per search, the fusion, the dense
// scores of keyword-only hits. The writes and the collection set-up are in qdrant_index.cpp.
#include "search/qdrant_index.h"

#include <algorithm>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/strings.h"
#include "search/fusion.h"
#include "search/qdrant_points.h"

namespace studybot::search {
namespace {

namespace json = boost::json;
using qdrant::FloatArray;
using qdrant::IsZero;
using qdrant::ParsePoints;
using qdrant::SideQuery;
using Scored = qdrant::ScoredPoint;

// Qdrant's RRF constant when the query does not set one.
constexpr int kQdrantDefaultRrfK = 2;

}  // namespace

struct QdrantIndex::Side {
  bool keyword = false;
  json::value query;  // a sparse or dense VectorInput
};

Result<std::vector<Hit>> QdrantIndex::Search(const IndexQuery& q) {
  if (q.top_k == 0) return std::vector<Hit>();
  std::vector<Side> sides;
  if (q.mode != SearchMode::kDense) {
    std::vector<std::string> terms = Analyzer(HeldOf(q.chatbot_id).language).QueryTerms(q.text);
    if (!terms.empty()) {
      sides.push_back({true, qdrant::SparseToJson(qdrant::QuerySparseVector(terms))});
    }
  }
  if (q.mode != SearchMode::kKeyword && !q.vector.empty()) {
    if (static_cast<int>(q.vector.size()) != options_.dimensions) {
      return Error::Unavailable("the query vector does not match the index (being re-indexed?)");
    }
    if (!IsZero(q.vector)) sides.push_back({false, FloatArray(q.vector)});
  }
  if (sides.empty()) return std::vector<Hit>();
  const std::size_t depth = std::max(q.candidate_depth, q.top_k);
  const std::string indexed = qdrant::IndexedPrefix(q.filter.url_prefix);
  const json::object filter = qdrant::FilterFor(q.chatbot_id, q.filter, indexed);
  // Convex fusion needs both lists' scores: fused here, from the two single-side queries.
  const bool convex = q.mode == SearchMode::kHybrid && q.fusion == Fusion::kConvex;
  const bool exact = indexed == q.filter.url_prefix;
  if (exact && !convex) return SearchExact(q, sides, filter, depth);
  return SearchChecked(q, sides, filter, depth, exact ? 1 : options_.url_overfetch);
}

Result<std::vector<Hit>> QdrantIndex::SearchExact(const IndexQuery& q,
                                                  const std::vector<Side>& sides,
                                                  const json::object& filter, std::size_t depth) {
  const std::string path = "/collections/" + collection_ + "/points/query";
  if (q.mode != SearchMode::kHybrid) {
    const Side& side = sides.front();
    auto r = Call("search", "POST", path,
                  SideQuery(side.query, side.keyword, filter, q.top_k, false), {404});
    if (!r.ok()) return std::move(r).error();
    if (r->status == 404) return std::vector<Hit>();
    auto points = ParsePoints(r->result, q.chatbot_id);
    if (!points.ok()) return std::move(points).error();
    std::vector<Hit> hits;
    for (std::size_t i = 0; i < points->size() && hits.size() < q.top_k; ++i) {
      Hit h;
      h.chunk_id = (*points)[i].id;
      h.score = (*points)[i].score;
      (side.keyword ? h.keyword_rank : h.dense_rank) = static_cast<int>(i + 1);
      (side.keyword ? h.keyword_score : h.dense_score) = h.score;
      hits.push_back(h);
    }
    return hits;
  }

  // Hybrid: the fused query, then each side alone for the ranks, in one request.
  json::array prefetch;
  for (const Side& s : sides)
    prefetch.emplace_back(SideQuery(s.query, s.keyword, filter, depth, false));
  for (json::value& p : prefetch)
    p.get_object().erase("with_payload");  // not a Prefetch field
  json::value fusion = options_.rrf_k > 0 ? json::value{{"rrf", {{"k", options_.rrf_k}}}}
                                          : json::value{{"fusion", "rrf"}};
  json::array searches;
  searches.emplace_back(json::object{{"prefetch", std::move(prefetch)},
                                     {"query", std::move(fusion)},
                                     {"filter", filter},
                                     {"limit", q.top_k},
                                     {"with_payload", false}});
  for (const Side& s : sides)
    searches.emplace_back(SideQuery(s.query, s.keyword, filter, depth, false));
  auto r = Call("search", "POST", path + "/batch", json::object{{"searches", std::move(searches)}},
                {404});
  if (!r.ok()) return std::move(r).error();
  if (r->status == 404) return std::vector<Hit>();
  const json::array* results = r->result.if_array();
  if (results == nullptr || results->size() != sides.size() + 1) {
    return Error::Internal("Qdrant answered a batch query with the wrong number of results");
  }
  std::unordered_map<int64_t, std::pair<int, float>> keyword_rank, dense_rank;  // rank, score
  bool has_dense = false;
  for (std::size_t s = 0; s < sides.size(); ++s) {
    auto points = ParsePoints((*results)[s + 1], q.chatbot_id);
    if (!points.ok()) return std::move(points).error();
    has_dense = has_dense || !sides[s].keyword;
    auto& ranks = sides[s].keyword ? keyword_rank : dense_rank;
    for (std::size_t i = 0; i < points->size(); ++i)
      ranks.emplace((*points)[i].id, std::pair{static_cast<int>(i + 1), (*points)[i].score});
  }
  auto fused = ParsePoints((*results)[0], q.chatbot_id);
  if (!fused.ok()) return std::move(fused).error();
  std::vector<Hit> hits;
  for (const Scored& p : *fused) {
    if (hits.size() == q.top_k) break;
    Hit h;
    h.chunk_id = p.id;
    h.score = p.score;
    if (auto it = keyword_rank.find(p.id); it != keyword_rank.end()) {
      std::tie(h.keyword_rank, h.keyword_score) = it->second;
    }
    if (auto it = dense_rank.find(p.id); it != dense_rank.end()) {
      std::tie(h.dense_rank, h.dense_score) = it->second;
    }
    hits.push_back(h);
  }
  if (has_dense) {
    if (auto filled = FillDenseScores(q, hits); !filled.ok()) return filled.error();
  }
  return hits;
}

Result<std::unordered_map<int64_t, float>> QdrantIndex::DenseScores(
    const IndexQuery& q, const std::vector<int64_t>& chunk_ids) {
  std::unordered_map<int64_t, float> score;
  if (chunk_ids.empty()) return score;
  json::array ids;
  for (int64_t id : chunk_ids)
    ids.emplace_back(qdrant::PointId(q.chatbot_id, id));
  json::object filter = qdrant::ChatbotFilter(q.chatbot_id);
  filter["must"].as_array().emplace_back(json::object{{"has_id", std::move(ids)}});
  auto r = Call("score hits", "POST", "/collections/" + collection_ + "/points/query",
                SideQuery(FloatArray(q.vector), false, filter, chunk_ids.size(), false), {404});
  if (!r.ok()) return std::move(r).error();
  if (r->status == 404) return score;
  auto points = ParsePoints(r->result, q.chatbot_id);
  if (!points.ok()) return std::move(points).error();
  for (const Scored& p : *points)
    score.emplace(p.id, p.score);
  return score;
}

Status QdrantIndex::FillDenseScores(const IndexQuery& q, std::vector<Hit>& hits) {
  std::vector<int64_t> ids;
  for (const Hit& h : hits) {
    if (h.dense_rank == 0) ids.push_back(h.chunk_id);
  }
  auto score = DenseScores(q, ids);
  if (!score.ok()) return std::move(score).error();
  for (Hit& h : hits) {
    if (auto it = score->find(h.chunk_id); h.dense_rank == 0 && it != score->end()) {
      h.dense_score = it->second;
    }
  }
  return OkStatus();
}

Result<std::vector<Hit>> QdrantIndex::SearchChecked(const IndexQuery& q,
                                                    const std::vector<Side>& sides,
                                                    const json::object& filter, std::size_t depth,
                                                    std::size_t overfetch) {
  const std::size_t keep = q.mode == SearchMode::kHybrid ? depth : q.top_k;
  json::array searches;
  for (const Side& s : sides)
    searches.emplace_back(SideQuery(s.query, s.keyword, filter, keep * overfetch, overfetch > 1));
  auto r = Call("search", "POST", "/collections/" + collection_ + "/points/query/batch",
                json::object{{"searches", std::move(searches)}}, {404});
  if (!r.ok()) return std::move(r).error();
  if (r->status == 404) return std::vector<Hit>();
  const json::array* results = r->result.if_array();
  if (results == nullptr || results->size() != sides.size()) {
    return Error::Internal("Qdrant answered a batch query with the wrong number of results");
  }
  std::vector<std::pair<int64_t, float>> lists[2];  // keyword, dense
  for (std::size_t s = 0; s < sides.size(); ++s) {
    auto points = ParsePoints((*results)[s], q.chatbot_id);
    if (!points.ok()) return std::move(points).error();
    auto& list = lists[sides[s].keyword ? 0 : 1];
    for (const Scored& p : *points) {
      if (list.size() == keep) break;
      // Over-fetched: the server narrowed the prefix only (see the header); finished here.
      if (overfetch == 1 || StartsWith(p.url, q.filter.url_prefix)) {
        list.emplace_back(p.id, p.score);
      }
    }
  }
  const bool has_dense =
      std::any_of(sides.begin(), sides.end(), [](const Side& s) { return !s.keyword; });
  if (q.mode == SearchMode::kHybrid && q.fusion == Fusion::kConvex) {
    // The cosines of the keyword candidates the dense list lacks, in one request.
    std::unordered_map<int64_t, float> cosine;
    if (has_dense) {
      std::unordered_set<int64_t> dense_ids;
      for (const auto& [id, score] : lists[1])
        dense_ids.insert(id);
      std::vector<int64_t> missing;
      for (const auto& [id, score] : lists[0]) {
        if (!dense_ids.count(id)) missing.push_back(id);
      }
      auto scored = DenseScores(q, missing);
      if (!scored.ok()) return std::move(scored).error();
      cosine = std::move(scored).value();
    }
    return FuseConvex(
        lists[0], lists[1],
        [&cosine](int64_t id) -> std::optional<float> {
          auto it = cosine.find(id);
          if (it == cosine.end()) return std::nullopt;
          return it->second;
        },
        q.top_k);
  }
  if (q.mode == SearchMode::kHybrid) {
    // Qdrant's 1 / (k + rank - 1) is FuseRrf's 1 / (k' + rank) with k' = k - 1.
    const int k = options_.rrf_k > 0 ? options_.rrf_k : kQdrantDefaultRrfK;
    std::vector<Hit> hits = FuseRrf(lists[0], lists[1], q.top_k, static_cast<double>(k - 1));
    for (Hit& h : hits) {
      if (h.keyword_rank > 0) h.keyword_score = lists[0][h.keyword_rank - 1].second;
      if (h.dense_rank > 0) h.dense_score = lists[1][h.dense_rank - 1].second;
    }
    if (has_dense) {
      if (auto filled = FillDenseScores(q, hits); !filled.ok()) return filled.error();
    }
    return hits;
  }
  const bool keyword = sides.front().keyword;
  std::vector<Hit> hits;
  for (const auto& [id, score] : lists[keyword ? 0 : 1]) {
    Hit h;
    h.chunk_id = id;
    h.score = score;
    (keyword ? h.keyword_rank : h.dense_rank) = static_cast<int>(hits.size() + 1);
    (keyword ? h.keyword_score : h.dense_score) = score;
    hits.push_back(h);
  }
  return hits;
}

}  // namespace studybot::search
