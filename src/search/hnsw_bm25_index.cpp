#include "search/hnsw_bm25_index.h"

#include <algorithm>

#include "core/strings.h"
#include "search/fusion.h"

namespace studybot::search {

std::shared_ptr<HnswBm25Index::Shard> HnswBm25Index::Get(const std::string& chatbot_id,
                                                         bool create) {
  std::lock_guard lock(mu_);
  auto it = shards_.find(chatbot_id);
  if (it != shards_.end()) return it->second;
  if (!create) return nullptr;
  auto shard = std::make_shared<Shard>(options_.bm25);
  shards_.emplace(chatbot_id, shard);
  return shard;
}

bool HnswBm25Index::Accepts(const Meta& m, const ChunkFilter& f) {
  if (!f.source.empty() && m.source != f.source) return false;
  if (!f.url_prefix.empty() && !StartsWith(m.url, f.url_prefix)) return false;
  if (!f.document_ids.empty() && std::find(f.document_ids.begin(), f.document_ids.end(),
                                           m.document_id) == f.document_ids.end()) {
    return false;
  }
  for (const auto& tag : f.tags) {
    if (std::find(m.tags.begin(), m.tags.end(), tag) == m.tags.end()) return false;
  }
  return true;
}

Status HnswBm25Index::Upsert(const std::string& chatbot_id,
                             const std::vector<IndexedChunk>& chunks) {
  if (chunks.empty()) return OkStatus();
  // Analysis (the costly part) happens before the lock: searches are not held up by it.
  std::vector<std::vector<std::string>> terms;
  terms.reserve(chunks.size());
  for (const auto& c : chunks)
    terms.push_back(analyzer_.Terms(c.keyword_text));
  auto shard = Get(chatbot_id, true);
  std::unique_lock lock(shard->mu);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const auto& c = chunks[i];
    auto added = shard->bm25.Add(c.id, terms[i]);
    if (!added.ok()) return added;
    // A zero vector (a text of stop words only) has no direction: keyword search only.
    bool usable = !c.vector.empty() &&
                  std::any_of(c.vector.begin(), c.vector.end(), [](float x) { return x != 0.f; });
    Meta m{c.document_id, c.source, c.url, c.tags, usable};
    if (usable) {
      if (!shard->dense) {
        DenseIndexOptions o;
        o.dimensions = static_cast<int>(c.vector.size());
        o.m = options_.hnsw_m;
        o.ef_construction = options_.hnsw_ef_construction;
        o.ef_search = options_.hnsw_ef_search;
        shard->dense = std::make_unique<DenseIndex>(o);
      }
      if (static_cast<int>(c.vector.size()) != shard->dense->options().dimensions) {
        return Error::InvalidArgument("a vector of " + std::to_string(c.vector.size()) +
                                      " dimensions in an index of " +
                                      std::to_string(shard->dense->options().dimensions));
      }
      auto up = shard->dense->Upsert(c.id, c.vector);
      if (!up.ok()) return up;
    } else if (shard->dense) {
      shard->dense->Remove(c.id);
    }
    shard->meta[c.id] = std::move(m);
  }
  return OkStatus();
}

Status HnswBm25Index::Remove(const std::string& chatbot_id, const std::vector<int64_t>& ids) {
  auto shard = Get(chatbot_id, false);
  if (!shard) return OkStatus();
  std::unique_lock lock(shard->mu);
  for (int64_t id : ids) {
    shard->bm25.Remove(id);
    if (shard->dense) shard->dense->Remove(id);
    shard->meta.erase(id);
  }
  return OkStatus();
}

Status HnswBm25Index::DropChatbot(const std::string& chatbot_id) {
  std::lock_guard lock(mu_);
  shards_.erase(chatbot_id);
  return OkStatus();
}

std::size_t HnswBm25Index::Size(const std::string& chatbot_id) {
  auto shard = Get(chatbot_id, false);
  if (!shard) return 0;
  std::shared_lock lock(shard->mu);
  return shard->meta.size();
}

Result<std::vector<Hit>> HnswBm25Index::Search(const IndexQuery& q) {
  auto shard = Get(q.chatbot_id, false);
  if (!shard) return std::vector<Hit>();
  bool keyword = q.mode != SearchMode::kDense;
  bool dense = q.mode != SearchMode::kKeyword && !q.vector.empty();
  std::vector<std::string> terms;
  if (keyword) terms = analyzer_.QueryTerms(q.text);
  std::size_t depth = std::max(q.candidate_depth, q.top_k);

  std::shared_lock lock(shard->mu);
  std::function<bool(int64_t)> accept;
  if (!q.filter.empty()) {
    accept = [&](int64_t id) {
      auto it = shard->meta.find(id);
      return it != shard->meta.end() && Accepts(it->second, q.filter);
    };
  }
  std::vector<std::pair<int64_t, float>> by_keyword, by_dense;
  if (keyword && !terms.empty()) by_keyword = shard->bm25.Search(terms, depth, accept);
  if (dense && shard->dense) {
    if (static_cast<int>(q.vector.size()) != shard->dense->options().dimensions) {
      return Error::Unavailable("the query vector does not match the index (being re-indexed?)");
    }
    bool zero = std::all_of(q.vector.begin(), q.vector.end(), [](float x) { return x == 0.f; });
    if (!zero) by_dense = shard->dense->Search(q.vector, depth, accept);
  }
  lock.unlock();

  if (q.mode == SearchMode::kHybrid) return FuseRrf(by_keyword, by_dense, q.top_k);
  const auto& only = q.mode == SearchMode::kKeyword ? by_keyword : by_dense;
  std::vector<Hit> hits;
  for (std::size_t i = 0; i < only.size() && hits.size() < q.top_k; ++i) {
    Hit h;
    h.chunk_id = only[i].first;
    h.score = only[i].second;
    (q.mode == SearchMode::kKeyword ? h.keyword_rank : h.dense_rank) = static_cast<int>(i + 1);
    hits.push_back(h);
  }
  return hits;
}

}  // namespace studybot::search
