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
using qdrant::FloatArray;
using qdrant::IsZero;
using qdrant::kDenseVector;
using qdrant::kSparseVector;

constexpr int kMaxDimensions = 65'536;
constexpr std::size_t kMaxErrorText = 300;

bool IsCollectionNameSafe(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
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

}  // namespace

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
