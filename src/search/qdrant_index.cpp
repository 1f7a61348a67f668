#include "search/qdrant_index.h"

#include <algorithm>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/crypto.h"
#include "core/strings.h"
#include "search/fusion.h"
#include "search/qdrant_points.h"

namespace studybot::search {
namespace {

namespace json = boost::json;
using qdrant::kDenseVector;
using qdrant::kSparseVector;

constexpr int kMaxDimensions = 65'536;
constexpr std::size_t kMaxErrorText = 300;
// Qdrant's RRF constant when the query does not set one.
constexpr int kQdrantDefaultRrfK = 2;

bool IsCollectionNameSafe(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

bool IsZero(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return x == 0.f; });
}

// Qdrant's error text: `status.error` of a JSON error body, else the body itself (the auth layer
// answers plain text), shortened.
std::string ErrorText(const outbound::HttpResponse& r) {
  boost::system::error_code ec;
  json::value doc = json::parse(r.body, ec);
  std::string text;
  if (!ec && doc.is_object()) {
    const json::value* status = doc.get_object().if_contains("status");
    if (status != nullptr && status->is_object()) {
      const json::value* error = status->get_object().if_contains("error");
      if (error != nullptr && error->is_string()) text = std::string(error->get_string());
    }
  }
  if (text.empty()) text = std::string(Trim(r.body));
  if (text.empty()) text = "no error text";
  return CleanUtf8(text, kMaxErrorText);
}

json::array FloatArray(const std::vector<float>& v) {
  json::array a;
  a.reserve(v.size());
  for (float x : v)
    a.emplace_back(static_cast<double>(x));
  return a;
}

// A scored point: chunk id, score, and the URL when it was asked for.
struct Scored {
  int64_t id = 0;
  float score = 0;
  std::string url;
};

Result<std::vector<Scored>> ParsePoints(const json::value& response,
                                        const std::string& chatbot_id) {
  const json::object* o = response.if_object();
  const json::value* points = o != nullptr ? o->if_contains("points") : nullptr;
  if (points == nullptr || !points->is_array()) {
    return Error::Internal("Qdrant answered a query without a \"points\" array");
  }
  std::vector<Scored> out;
  for (const json::value& p : points->get_array()) {
    const json::object* po = p.if_object();
    const json::value* id = po != nullptr ? po->if_contains("id") : nullptr;
    const json::value* score = po != nullptr ? po->if_contains("score") : nullptr;
    if (id == nullptr || !id->is_string() || score == nullptr || !score->is_number()) {
      return Error::Internal("Qdrant answered a point without a UUID id or a score");
    }
    auto chunk = qdrant::ChunkIdOf(id->get_string(), chatbot_id);
    if (!chunk) return Error::Internal("Qdrant answered a point that is not the chatbot's");
    Scored s{*chunk, static_cast<float>(score->to_number<double>()), {}};
    if (const json::value* payload = po->if_contains("payload");
        payload != nullptr && payload->is_object()) {
      if (const json::value* url = payload->get_object().if_contains(qdrant::kUrlField);
          url != nullptr && url->is_string()) {
        s.url = std::string(url->get_string());
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

static json::object SideQuery(const json::value& query, bool keyword, const json::object& filter,
                              std::size_t limit, bool with_url) {
  json::object o{{"query", query},
                 {"using", keyword ? kSparseVector : kDenseVector},
                 {"filter", filter},
                 {"limit", limit}};
  if (with_url) {
    o["with_payload"] = json::array{qdrant::kUrlField};
  } else {
    o["with_payload"] = false;
  }
  return o;
}

struct QdrantIndex::Side {
  bool keyword = false;
  json::value query;  // a sparse or dense VectorInput
};

Status QdrantIndexOptions::Validate() const {
  std::string_view base(base_url);
  if (!(base.starts_with("http://") || base.starts_with("https://")) ||
      base.find_first_of("?# \r\n") != std::string_view::npos) {
    return Error::InvalidArgument("base_url must be an http:// or https:// URL");
  }
  if (api_key.find_first_of("\r\n") != std::string::npos ||
      api_key.find('\0') != std::string::npos) {
    return Error::InvalidArgument("api_key must not contain CR, LF or NUL");
  }
  if (!IsCollectionNameSafe(collection_prefix)) {
    return Error::InvalidArgument(
        "collection_prefix must be set, using letters, digits, '_' and '-'");
  }
  if (dimensions < 1 || dimensions > kMaxDimensions) {
    return Error::InvalidArgument("dimensions must be in [1, 65536]");
  }
  if (timeout.count() <= 0) return Error::InvalidArgument("timeout must be positive");
  if (auto b = bm25.Validate(); !b.ok()) return b;
  if (!(bm25_average_length > 0)) {
    return Error::InvalidArgument("bm25_average_length must be positive");
  }
  if (rrf_k < 0) return Error::InvalidArgument("rrf_k must not be negative");
  if (upsert_batch < 1 || upsert_batch > 10'000) {
    return Error::InvalidArgument("upsert_batch must be in [1, 10000]");
  }
  if (url_overfetch < 1 || url_overfetch > 100) {
    return Error::InvalidArgument("url_overfetch must be in [1, 100]");
  }
  return OkStatus();
}

Result<std::unique_ptr<QdrantIndex>> MakeQdrantIndex(QdrantIndexOptions options,
                                                     outbound::HttpClient& http) {
  if (auto valid = options.Validate(); !valid.ok()) return std::move(valid).error();
  return std::unique_ptr<QdrantIndex>(new QdrantIndex(std::move(options), http));
}

QdrantIndex::QdrantIndex(QdrantIndexOptions options, outbound::HttpClient& http)
    : options_(std::move(options)),
      base_(options_.base_url.ends_with('/')
                ? options_.base_url.substr(0, options_.base_url.size() - 1)
                : options_.base_url),
      collection_(options_.collection_prefix + "_d" + std::to_string(options_.dimensions)),
      http_(http) {}

Result<outbound::HttpResponse> QdrantIndex::Send(const std::string& what, const std::string& method,
                                                 const std::string& path, const std::string& body) {
  outbound::HttpRequest req;
  req.method = method;
  req.url = base_ + path;
  req.timeout = options_.timeout;
  req.max_redirects = 0;  // an API does not redirect; following one could carry the key away
  if (!options_.api_key.empty()) req.headers.emplace_back("api-key", options_.api_key);
  if (!body.empty()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body;
  }
  auto r = http_.Send(req);
  if (r.ok()) return r;
  // The client's messages name scheme://host only, never the key.
  const Error& e = r.error();
  if (e.code == ErrorCode::kUnavailable) {
    return Error::Unavailable("Qdrant is unavailable (" + what + "): " + e.message);
  }
  return Error::Internal("Qdrant could not be reached (" + what + "): " + e.message);
}

Result<QdrantIndex::Answer> QdrantIndex::Call(const std::string& what, const std::string& method,
                                              const std::string& path, const json::value& body,
                                              std::initializer_list<long> tolerated) {
  auto sent = Send(what, method, path, body.is_null() ? std::string() : json::serialize(body));
  if (!sent.ok()) return std::move(sent).error();
  const outbound::HttpResponse& r = *sent;
  if (std::find(tolerated.begin(), tolerated.end(), r.status) != tolerated.end()) {
    return Answer{r.status, nullptr};
  }
  if (r.status >= 500 || r.status == 429) {
    return Error::Unavailable("Qdrant is unavailable (" + what + "): status " +
                              std::to_string(r.status) + ": " + ErrorText(r));
  }
  if (r.status < 200 || r.status >= 300) {
    return Error::Internal("Qdrant refused to " + what + " (status " + std::to_string(r.status) +
                           "): " + ErrorText(r));
  }
  boost::system::error_code ec;
  json::value doc = json::parse(r.body, ec);
  const json::object* o = !ec ? doc.if_object() : nullptr;
  const json::value* result = o != nullptr ? o->if_contains("result") : nullptr;
  if (result == nullptr) {
    return Error::Internal("Qdrant answered " + what + " without a JSON \"result\"");
  }
  return Answer{r.status, *result};
}

Status QdrantIndex::EnsureCollection() {
  if (ready_.load()) return OkStatus();
  std::lock_guard lock(create_mu_);
  if (ready_.load()) return OkStatus();
  const std::string path = "/collections/" + collection_;
  auto exists = CollectionExists();
  if (!exists.ok()) return std::move(exists).error();
  if (!*exists) {
    if (auto created = CreateCollection(); !created.ok()) return created;
  }
  // Index creation is idempotent: done every time, in case a node stopped half-way.
  const std::pair<std::string_view, json::value> indexes[] = {
      {qdrant::kChatbotField, json::object{{"type", "keyword"}, {"is_tenant", true}}},
      {qdrant::kDocumentField, "keyword"},
      {qdrant::kSourceField, "keyword"},
      {qdrant::kUrlPrefixesField, "keyword"},
      {qdrant::kTagsField, "keyword"},
  };
  for (const auto& [field, schema] : indexes) {
    auto made =
        Call("create the payload index on " + std::string(field), "PUT", path + "/index?wait=true",
             json::object{{"field_name", field}, {"field_schema", schema}});
    if (!made.ok()) return std::move(made).error();
  }
  ready_ = true;
  return OkStatus();
}

Status QdrantIndex::CreateCollection() {
  json::object body{
      {"vectors", {{kDenseVector, {{"size", options_.dimensions}, {"distance", "Cosine"}}}}},
      {"sparse_vectors", {{kSparseVector, {{"modifier", "idf"}}}}},
      // Every search filters on one tenant: per-tenant graphs instead of a global one.
      {"hnsw_config", {{"m", 0}, {"payload_m", 16}}},
  };
  // 409: another node created it in the meantime.
  auto made = Call("create the collection", "PUT", "/collections/" + collection_, body, {409});
  if (!made.ok()) return std::move(made).error();
  return OkStatus();
}

Result<bool> QdrantIndex::UpsertBatch(const std::string& chatbot_id,
                                      const std::vector<IndexedChunk>& chunks, std::size_t begin,
                                      std::size_t end,
                                      const std::vector<std::vector<std::string>>& terms,
                                      const std::string& build) {
  json::array points;
  points.reserve(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    const IndexedChunk& c = chunks[i];
    json::object vectors;
    // A zero vector has no direction (cosine is undefined): keyword search only, as built in.
    if (!c.vector.empty() && !IsZero(c.vector)) vectors[kDenseVector] = FloatArray(c.vector);
    if (!terms[i].empty()) {
      vectors[kSparseVector] = qdrant::SparseToJson(
          qdrant::DocumentSparseVector(terms[i], options_.bm25, options_.bm25_average_length));
    }
    points.emplace_back(json::object{{"id", qdrant::PointId(chatbot_id, c.id)},
                                     {"vector", std::move(vectors)},
                                     {"payload", qdrant::Payload(chatbot_id, c, build)}});
  }
  auto put = Call("upsert points", "PUT", "/collections/" + collection_ + "/points?wait=true",
                  json::object{{"points", std::move(points)}}, {404});
  if (!put.ok()) return std::move(put).error();
  return put->status != 404;
}

std::optional<ChatbotIndexSettings> QdrantIndex::SettingsOf(const std::string& chatbot_id) {
  std::lock_guard lock(settings_mu_);
  auto it = settings_.find(chatbot_id);
  if (it == settings_.end()) return std::nullopt;
  return ChatbotIndexSettings{it->second.language, it->second.embedder};
}

QdrantIndex::Settings QdrantIndex::HeldOf(const std::string& chatbot_id) {
  std::lock_guard lock(settings_mu_);
  auto it = settings_.find(chatbot_id);
  return it == settings_.end() ? Settings{} : it->second;
}

Status QdrantIndex::Write(const std::string& chatbot_id, const std::vector<IndexedChunk>& chunks,
                          const Settings& settings) {
  if (chunks.empty()) return OkStatus();
  for (const IndexedChunk& c : chunks) {
    if (!c.vector.empty() && static_cast<int>(c.vector.size()) != options_.dimensions) {
      return Error::InvalidArgument("a vector of " + std::to_string(c.vector.size()) +
                                    " dimensions in an index of " +
                                    std::to_string(options_.dimensions));
    }
  }
  const Analyzer analyzer(settings.language);
  std::vector<std::vector<std::string>> terms;
  terms.reserve(chunks.size());
  for (const IndexedChunk& c : chunks)
    terms.push_back(analyzer.Terms(c.keyword_text));
  if (auto ready = EnsureCollection(); !ready.ok()) return ready;
  for (std::size_t begin = 0; begin < chunks.size(); begin += options_.upsert_batch) {
    const std::size_t end = std::min(chunks.size(), begin + options_.upsert_batch);
    auto done = UpsertBatch(chatbot_id, chunks, begin, end, terms, settings.build);
    if (!done.ok()) return std::move(done).error();
    if (!*done) {
      // The collection went away (an operator deleted it): make it again, once.
      ready_ = false;
      if (auto ready = EnsureCollection(); !ready.ok()) return ready;
      done = UpsertBatch(chatbot_id, chunks, begin, end, terms, settings.build);
      if (!done.ok()) return std::move(done).error();
      if (!*done) return Error::Unavailable("Qdrant lost the collection " + collection_);
    }
  }
  return OkStatus();
}

Status QdrantIndex::Upsert(const std::string& chatbot_id, const std::vector<IndexedChunk>& chunks) {
  return Write(chatbot_id, chunks, HeldOf(chatbot_id));
}

Status QdrantIndex::ReplaceChatbot(const std::string& chatbot_id,
                                   const ChatbotIndexSettings& settings, const ChunkPager& pager) {
  // The build token comes from the settings, not from chance: nodes that rebuild the chatbot at
  // the same time (each follows the log) write the same points with the same token, so neither
  // one's final delete removes the other's points. Points of earlier settings carry another
  // token and go.
  const std::string token =
      Sha256Hex(std::string(LanguageName(settings.language)) + '\n' + settings.embedder)
          .substr(0, 16);
  Settings fresh{settings.language, token, settings.embedder};
  for (int64_t after = 0;;) {
    auto page = pager(after);
    if (!page.ok()) return page.error();
    if (page->empty()) break;
    if (auto written = Write(chatbot_id, *page, fresh); !written.ok()) return written;
    after = page->back().id;
  }
  {
    std::lock_guard lock(settings_mu_);
    settings_[chatbot_id] = fresh;
  }
  // Everything of the chatbot that this build did not write: one filtered delete.
  json::object filter = qdrant::ChatbotFilter(chatbot_id);
  filter["must_not"] =
      json::array{json::object{{"key", qdrant::kBuildField}, {"match", {{"value", fresh.build}}}}};
  return Delete("delete the chatbot's replaced points",
                json::object{{"filter", std::move(filter)}});
}

Status QdrantIndex::Delete(const std::string& what, const json::value& selector) {
  // 404: no collection, so nothing to delete.
  auto r = Call(what, "POST", "/collections/" + collection_ + "/points/delete?wait=true", selector,
                {404});
  if (!r.ok()) return std::move(r).error();
  return OkStatus();
}

Status QdrantIndex::Remove(const std::string& chatbot_id, const std::vector<int64_t>& ids) {
  if (ids.empty()) return OkStatus();
  json::array points;
  points.reserve(ids.size());
  for (int64_t id : ids)
    points.emplace_back(qdrant::PointId(chatbot_id, id));
  return Delete("delete points", json::object{{"points", std::move(points)}});
}

Status QdrantIndex::DropChatbot(const std::string& chatbot_id) {
  {
    std::lock_guard lock(settings_mu_);
    settings_.erase(chatbot_id);
  }
  return Delete("delete the chatbot's points",
                json::object{{"filter", qdrant::ChatbotFilter(chatbot_id)}});
}

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

void QdrantIndex::Adopt(const std::string& chatbot_id, const ChatbotIndexSettings& settings) {
  std::lock_guard lock(settings_mu_);
  settings_[chatbot_id] = Settings{settings.language, "", settings.embedder};
}

Result<bool> QdrantIndex::CollectionExists() {
  auto exists =
      Call("check the collection", "GET", "/collections/" + collection_ + "/exists", nullptr);
  if (!exists.ok()) return std::move(exists).error();
  const json::object* o = exists->result.if_object();
  const json::value* flag = o != nullptr ? o->if_contains("exists") : nullptr;
  if (flag == nullptr || !flag->is_bool()) {
    return Error::Internal("Qdrant answered the collection check without \"exists\"");
  }
  return flag->get_bool();
}

Status QdrantIndex::Ping() {
  auto r = Send("check readiness", "GET", "/readyz", "");
  if (!r.ok()) return std::move(r).error();
  if (r->status == 200) return OkStatus();
  return Error::Unavailable("Qdrant is not ready (status " + std::to_string(r->status) +
                            "): " + ErrorText(*r));
}

}  // namespace studybot::search
