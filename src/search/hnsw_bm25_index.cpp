#include "search/hnsw_bm25_index.h"

#include <algorithm>
#include <cstring>

#include "core/strings.h"
#include "search/binary_io.h"
#include "search/fusion.h"

namespace studybot::search {
namespace {

constexpr uint32_t kSnapshotMagic = 0x58494253;  // "SBIX"
constexpr uint32_t kSnapshotVersion = 2;         // 2: per-chatbot language and embedder

void PutString(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

bool GetString(SnapshotReader& r, std::string& s) {
  uint32_t n = 0;
  std::string_view v;
  if (!r.U32(n) || !r.Bytes(n, v)) return false;
  s.assign(v);
  return true;
}

}  // namespace

std::shared_ptr<HnswBm25Index::Shard> HnswBm25Index::Get(const std::string& chatbot_id,
                                                         bool create) {
  std::lock_guard lock(mu_);
  auto it = shards_.find(chatbot_id);
  if (it != shards_.end()) return it->second;
  if (!create) return nullptr;
  auto shard = std::make_shared<Shard>(options_.bm25, ChatbotIndexSettings{});
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
  auto shard = Get(chatbot_id, true);
  // Analysis (the costly part) happens before the lock: searches are not held up by it.
  std::vector<std::vector<std::string>> terms;
  terms.reserve(chunks.size());
  for (const auto& c : chunks)
    terms.push_back(shard->analyzer.Terms(c.keyword_text));
  std::unique_lock lock(shard->mu);
  return Apply(*shard, chunks, terms);
}

Status HnswBm25Index::Apply(Shard& shard, const std::vector<IndexedChunk>& chunks,
                            const std::vector<std::vector<std::string>>& terms) const {
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const auto& c = chunks[i];
    auto added = shard.bm25.Add(c.id, terms[i]);
    if (!added.ok()) return added;
    // A zero vector (a text of stop words only) has no direction: keyword search only.
    bool usable = !c.vector.empty() &&
                  std::any_of(c.vector.begin(), c.vector.end(), [](float x) { return x != 0.f; });
    Meta m{c.document_id, c.source, c.url, c.tags, usable};
    if (usable) {
      if (!shard.dense) {
        DenseIndexOptions o;
        o.dimensions = static_cast<int>(c.vector.size());
        o.m = options_.hnsw_m;
        o.ef_construction = options_.hnsw_ef_construction;
        o.ef_search = options_.hnsw_ef_search;
        shard.dense = std::make_unique<DenseIndex>(o);
      }
      if (static_cast<int>(c.vector.size()) != shard.dense->options().dimensions) {
        return Error::InvalidArgument("a vector of " + std::to_string(c.vector.size()) +
                                      " dimensions in an index of " +
                                      std::to_string(shard.dense->options().dimensions));
      }
      auto up = shard.dense->Upsert(c.id, c.vector);
      if (!up.ok()) return up;
    } else if (shard.dense) {
      shard.dense->Remove(c.id);
    }
    shard.meta[c.id] = std::move(m);
  }
  return OkStatus();
}

Status HnswBm25Index::ReplaceChatbot(const std::string& chatbot_id,
                                     const ChatbotIndexSettings& settings,
                                     const ChunkPager& pager) {
  // Built aside without any lock (nobody else sees it), swapped in at once.
  auto fresh = std::make_shared<Shard>(options_.bm25, settings);
  for (int64_t after = 0;;) {
    auto page = pager(after);
    if (!page.ok()) return page.error();
    if (page->empty()) break;
    std::vector<std::vector<std::string>> terms;
    terms.reserve(page->size());
    for (const auto& c : *page)
      terms.push_back(fresh->analyzer.Terms(c.keyword_text));
    auto applied = Apply(*fresh, *page, terms);
    if (!applied.ok()) return applied;
    after = page->back().id;
  }
  std::lock_guard lock(mu_);
  shards_[chatbot_id] = std::move(fresh);
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
  if (keyword) terms = shard->analyzer.QueryTerms(q.text);
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
  std::vector<Hit> hits;
  if (q.mode == SearchMode::kHybrid && q.fusion == Fusion::kConvex) {
    std::function<std::optional<float>(int64_t)> cosine;
    if (dense && shard->dense) {
      cosine = [&](int64_t id) { return shard->dense->Similarity(id, q.vector); };
    }
    return FuseConvex(by_keyword, by_dense, cosine, q.top_k);
  }
  if (q.mode == SearchMode::kHybrid) {
    hits = FuseRrf(by_keyword, by_dense, q.top_k);
  } else {
    const auto& only = q.mode == SearchMode::kKeyword ? by_keyword : by_dense;
    for (std::size_t i = 0; i < only.size() && hits.size() < q.top_k; ++i) {
      Hit h;
      h.chunk_id = only[i].first;
      h.score = only[i].second;
      (q.mode == SearchMode::kKeyword ? h.keyword_rank : h.dense_rank) = static_cast<int>(i + 1);
      hits.push_back(h);
    }
  }
  // Both relevance scores of every hit, for thresholds and for showing why it ranked.
  for (auto& h : hits) {
    if (h.keyword_rank > 0) h.keyword_score = by_keyword[h.keyword_rank - 1].second;
    if (h.dense_rank > 0) {
      h.dense_score = by_dense[h.dense_rank - 1].second;
    } else if (dense && shard->dense) {
      h.dense_score = shard->dense->Similarity(h.chunk_id, q.vector).value_or(0.f);
    }
  }
  return hits;
}

std::optional<ChatbotIndexSettings> HnswBm25Index::SettingsOf(const std::string& chatbot_id) {
  auto shard = Get(chatbot_id, false);
  if (!shard) return std::nullopt;
  return shard->settings;
}

std::map<std::string, ChatbotIndexSettings> HnswBm25Index::AllSettings() {
  std::lock_guard lock(mu_);
  std::map<std::string, ChatbotIndexSettings> out;
  for (const auto& [bot, shard] : shards_)
    out.emplace(bot, shard->settings);
  return out;
}

void HnswBm25Index::Save(std::string& out, int64_t position) {
  std::size_t start = out.size();
  PutU32(out, kSnapshotMagic);
  PutU32(out, kSnapshotVersion);
  PutU64(out, static_cast<uint64_t>(position));
  std::vector<std::pair<std::string, std::shared_ptr<Shard>>> shards;
  {
    std::lock_guard lock(mu_);
    shards.assign(shards_.begin(), shards_.end());
  }
  PutU32(out, static_cast<uint32_t>(shards.size()));
  for (const auto& [bot, shard] : shards) {
    std::shared_lock lock(shard->mu);
    PutString(out, bot);
    PutU8(out, static_cast<uint8_t>(shard->settings.language));
    PutString(out, shard->settings.embedder);
    PutU32(out, static_cast<uint32_t>(shard->meta.size()));
    for (const auto& [id, m] : shard->meta) {
      PutU64(out, static_cast<uint64_t>(id));
      PutString(out, m.document_id);
      PutString(out, m.source);
      PutString(out, m.url);
      PutU32(out, static_cast<uint32_t>(m.tags.size()));
      for (const auto& t : m.tags)
        PutString(out, t);
      PutU8(out, m.has_vector ? 1 : 0);
    }
    std::string blob;
    shard->bm25.Save(blob);
    PutU64(out, blob.size());
    out += blob;
    blob.clear();
    PutU8(out, shard->dense ? 1 : 0);
    if (shard->dense) {
      PutU32(out, static_cast<uint32_t>(shard->dense->options().dimensions));
      shard->dense->Save(blob);
      PutU64(out, blob.size());
      out += blob;
    }
  }
  PutU32(out, Crc32(std::string_view(out).substr(start)));
}

Result<int64_t> HnswBm25Index::Load(std::string_view data) {
  auto bad = [](const std::string& why) {
    return Error::InvalidArgument("index snapshot: " + why);
  };
  if (data.size() < 4) return bad("truncated");
  uint32_t stored_crc = 0;
  std::memcpy(&stored_crc, data.data() + data.size() - 4, 4);
  std::string_view body = data.substr(0, data.size() - 4);
  if (Crc32(body) != stored_crc) return bad("checksum mismatch");
  SnapshotReader r(body);
  uint32_t magic = 0, version = 0, count = 0;
  uint64_t position = 0;
  if (!r.U32(magic) || magic != kSnapshotMagic) return bad("not a snapshot");
  if (!r.U32(version) || version != kSnapshotVersion) return bad("unknown version");
  if (!r.U64(position) || !r.U32(count)) return bad("truncated");
  std::map<std::string, std::shared_ptr<Shard>> loaded;
  for (uint32_t i = 0; i < count; ++i) {
    std::string bot;
    uint32_t metas = 0;
    uint8_t language = 0;
    ChatbotIndexSettings settings;
    if (!GetString(r, bot) || !r.U8(language) || !GetString(r, settings.embedder) ||
        !r.U32(metas)) {
      return bad("truncated");
    }
    if (language > static_cast<uint8_t>(Language::kAuto)) return bad("bad language");
    settings.language = static_cast<Language>(language);
    auto shard = std::make_shared<Shard>(options_.bm25, std::move(settings));
    for (uint32_t j = 0; j < metas; ++j) {
      uint64_t id = 0;
      uint32_t ntags = 0;
      uint8_t has_vector = 0;
      Meta m;
      if (!r.U64(id) || !GetString(r, m.document_id) || !GetString(r, m.source) ||
          !GetString(r, m.url) || !r.U32(ntags) || ntags > 1000) {
        return bad("truncated");
      }
      m.tags.resize(ntags);
      for (auto& t : m.tags) {
        if (!GetString(r, t)) return bad("truncated");
      }
      if (!r.U8(has_vector)) return bad("truncated");
      m.has_vector = has_vector != 0;
      shard->meta.emplace(static_cast<int64_t>(id), std::move(m));
    }
    uint64_t n = 0;
    std::string_view blob;
    if (!r.U64(n) || !r.Bytes(n, blob)) return bad("truncated");
    auto bm25 = Bm25Index::Load(blob, options_.bm25);
    if (!bm25.ok()) return bad(bm25.error().message);
    shard->bm25 = std::move(bm25).value();
    uint8_t has_dense = 0;
    if (!r.U8(has_dense)) return bad("truncated");
    if (has_dense) {
      uint32_t dims = 0;
      if (!r.U32(dims) || dims == 0 || dims > 65536) return bad("bad dimensions");
      if (!r.U64(n) || !r.Bytes(n, blob)) return bad("truncated");
      DenseIndexOptions o;
      o.dimensions = static_cast<int>(dims);
      o.m = options_.hnsw_m;
      o.ef_construction = options_.hnsw_ef_construction;
      o.ef_search = options_.hnsw_ef_search;
      auto dense = DenseIndex::Load(blob, o);
      if (!dense.ok()) return bad(dense.error().message);
      shard->dense = std::make_unique<DenseIndex>(std::move(dense).value());
    }
    loaded.emplace(std::move(bot), std::move(shard));
  }
  if (r.remaining() != 0) return bad("trailing bytes");
  std::lock_guard lock(mu_);
  shards_ = std::move(loaded);
  return static_cast<int64_t>(position);
}

}  // namespace studybot::search
