#include "search/qdrant_points.h"

#include <algorithm>
#include <map>

#include <boost/json/array.hpp>

#include "core/crypto.h"

namespace studybot::search::qdrant {
namespace {

namespace json = boost::json;

constexpr char kHex[] = "0123456789abcdef";

// The 16 hex digits naming a chatbot in its point ids.
std::string ChatbotTag(std::string_view chatbot_id) {
  return Sha256Hex(chatbot_id).substr(0, 16);
}

json::object Condition(std::string_view key, json::value match) {
  return json::object{{"key", key}, {"match", std::move(match)}};
}

json::object MatchValue(std::string_view key, std::string_view value) {
  return Condition(key, json::object{{"value", value}});
}

}  // namespace

uint32_t TermIndex(std::string_view term) {
  uint32_t h = 2166136261u;
  for (unsigned char c : term) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

SparseVector DocumentSparseVector(const std::vector<std::string>& terms, const Bm25Params& params,
                                  double average_length) {
  std::map<uint32_t, uint32_t> tf;  // ordered: Qdrant wants no duplicate indices
  for (const std::string& t : terms)
    ++tf[TermIndex(t)];
  const double k1 = params.k1;
  const double norm =
      k1 * (1.0 - params.b + params.b * static_cast<double>(terms.size()) / average_length);
  SparseVector v;
  v.indices.reserve(tf.size());
  v.values.reserve(tf.size());
  for (const auto& [index, count] : tf) {
    const double f = count;
    v.indices.push_back(index);
    // k1 = 0 makes every present term weigh 1 (f / f).
    v.values.push_back(static_cast<float>(f * (k1 + 1.0) / (f + norm)));
  }
  return v;
}

SparseVector QuerySparseVector(const std::vector<std::string>& terms) {
  std::vector<uint32_t> indices;
  for (const std::string& t : terms)
    indices.push_back(TermIndex(t));
  std::sort(indices.begin(), indices.end());
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
  SparseVector v;
  v.values.assign(indices.size(), 1.0f);
  v.indices = std::move(indices);
  return v;
}

json::object SparseToJson(const SparseVector& v) {
  json::array indices, values;
  indices.reserve(v.indices.size());
  values.reserve(v.values.size());
  for (uint32_t i : v.indices)
    indices.emplace_back(i);
  for (float x : v.values)
    values.emplace_back(static_cast<double>(x));
  return json::object{{"indices", std::move(indices)}, {"values", std::move(values)}};
}

std::string PointId(std::string_view chatbot_id, int64_t chunk_id) {
  std::string hex = ChatbotTag(chatbot_id);
  const auto n = static_cast<uint64_t>(chunk_id);
  for (int shift = 60; shift >= 0; shift -= 4)
    hex += kHex[(n >> shift) & 0xf];
  // 8-4-4-4-12
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

std::optional<int64_t> ChunkIdOf(std::string_view point_id, std::string_view chatbot_id) {
  std::string hex;
  for (char c : point_id) {
    if (c == '-') continue;
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    hex += c;
  }
  if (hex.size() != 32 || hex.compare(0, 16, ChatbotTag(chatbot_id)) != 0) return std::nullopt;
  uint64_t n = 0;
  for (std::size_t i = 16; i < 32; ++i) {
    const char c = hex[i];
    n = (n << 4) | static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return static_cast<int64_t>(n);
}

std::vector<std::string> UrlPrefixes(std::string_view url) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < url.size() && out.size() < kMaxUrlPrefixes; ++i) {
    if (url[i] == '/') out.emplace_back(url.substr(0, i + 1));
  }
  return out;
}

std::string IndexedPrefix(std::string_view prefix) {
  // Every URL starting with `prefix` has the slashes of `prefix` at the same places, and they
  // are among its first kMaxUrlPrefixes: so it holds every prefix UrlPrefixes(prefix) holds.
  std::vector<std::string> held = UrlPrefixes(prefix);
  return held.empty() ? std::string() : held.back();
}

json::object Payload(std::string_view chatbot_id, const IndexedChunk& chunk,
                     std::string_view build) {
  json::array prefixes, tags;
  for (std::string& p : UrlPrefixes(chunk.url))
    prefixes.emplace_back(p);
  std::vector<std::string> distinct = chunk.tags;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  for (const std::string& t : distinct)
    tags.emplace_back(t);
  return json::object{{kChatbotField, chatbot_id},
                      {kChunkField, chunk.id},
                      {kDocumentField, chunk.document_id},
                      {kSourceField, chunk.source},
                      {kUrlField, chunk.url},
                      {kUrlPrefixesField, std::move(prefixes)},
                      {kTagsField, std::move(tags)},
                      {kBuildField, build}};
}

json::object ChatbotFilter(std::string_view chatbot_id) {
  json::array must;
  must.emplace_back(MatchValue(kChatbotField, chatbot_id));
  return json::object{{"must", std::move(must)}};
}

json::object FilterFor(std::string_view chatbot_id, const ChunkFilter& filter,
                       std::string_view indexed_prefix) {
  json::array must;
  must.emplace_back(MatchValue(kChatbotField, chatbot_id));
  if (!filter.document_ids.empty()) {
    // `any` is a set in Qdrant's schema (uniqueItems).
    std::vector<std::string> ids = filter.document_ids;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    json::array any;
    for (const std::string& id : ids)
      any.emplace_back(id);
    must.emplace_back(Condition(kDocumentField, json::object{{"any", std::move(any)}}));
  }
  if (!filter.source.empty()) must.emplace_back(MatchValue(kSourceField, filter.source));
  if (!indexed_prefix.empty()) must.emplace_back(MatchValue(kUrlPrefixesField, indexed_prefix));
  // All of the tags: one condition each (an array field matches when any element does).
  for (const std::string& tag : filter.tags)
    must.emplace_back(MatchValue(kTagsField, tag));
  return json::object{{"must", std::move(must)}};
}

bool IsZero(const std::vector<float>& v) {
  return std::all_of(v.begin(), v.end(), [](float x) { return x == 0.f; });
}

boost::json::array FloatArray(const std::vector<float>& v) {
  boost::json::array a;
  a.reserve(v.size());
  for (float x : v)
    a.emplace_back(static_cast<double>(x));
  return a;
}

Result<std::vector<ScoredPoint>> ParsePoints(const boost::json::value& response,
                                             const std::string& chatbot_id) {
  namespace json = boost::json;
  const json::object* o = response.if_object();
  const json::value* points = o != nullptr ? o->if_contains("points") : nullptr;
  if (points == nullptr || !points->is_array()) {
    return Error::Internal("Qdrant answered a query without a \"points\" array");
  }
  std::vector<ScoredPoint> out;
  for (const json::value& p : points->get_array()) {
    const json::object* po = p.if_object();
    const json::value* id = po != nullptr ? po->if_contains("id") : nullptr;
    const json::value* score = po != nullptr ? po->if_contains("score") : nullptr;
    if (id == nullptr || !id->is_string() || score == nullptr || !score->is_number()) {
      return Error::Internal("Qdrant answered a point without a UUID id or a score");
    }
    auto chunk = ChunkIdOf(id->get_string(), chatbot_id);
    if (!chunk) return Error::Internal("Qdrant answered a point that is not the chatbot's");
    ScoredPoint s{*chunk, static_cast<float>(score->to_number<double>()), {}};
    if (const json::value* payload = po->if_contains("payload");
        payload != nullptr && payload->is_object()) {
      if (const json::value* url = payload->get_object().if_contains(kUrlField);
          url != nullptr && url->is_string()) {
        s.url = std::string(url->get_string());
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

boost::json::object SideQuery(const boost::json::value& query, bool keyword,
                              const boost::json::object& filter, std::size_t limit, bool with_url) {
  boost::json::object o{{"query", query},
                        {"using", keyword ? kSparseVector : kDenseVector},
                        {"filter", filter},
                        {"limit", limit}};
  if (with_url) {
    o["with_payload"] = boost::json::array{kUrlField};
  } else {
    o["with_payload"] = false;
  }
  return o;
}

}  // namespace studybot::search::qdrant
