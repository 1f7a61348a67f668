#include "fake_qdrant_engine.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fake_qdrant_json.h"

namespace studybot::testing {
namespace {

namespace json = boost::json;
using namespace fake_qdrant;  // NOLINT: the checking vocabulary
using Point = FakeQdrantState::Point;
using Collection = FakeQdrantState::Collection;

constexpr int kDefaultRrfK = 2;

json::value ParseBody(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) FormatError(ec.message());
  return v;
}

std::vector<float> Normalized(std::vector<float> v) {
  double sum = 0;
  for (float x : v)
    sum += static_cast<double>(x) * x;
  if (sum > 0) {
    const double inv = 1.0 / std::sqrt(sum);
    for (float& x : v)
      x = static_cast<float>(x * inv);
  }
  return v;
}

void CheckVectorParams(const json::value& v) {
  const json::object& p = AsObject(v, "struct VectorParams");
  KnownFields(p, {"size", "distance", "hnsw_config", "quantization_config", "on_disk", "memory",
                  "datatype", "multivector_config"});
  AsUint(Required(p, "size"), 1);
  const std::string d = AsString(Required(p, "distance"));
  if (d != "Cosine" && d != "Euclid" && d != "Dot" && d != "Manhattan") {
    FormatError("unknown variant `" + d +
                "`, expected one of `Cosine`, `Euclid`, `Dot`, `Manhattan`");
  }
  NotImplemented(
      p, {"hnsw_config", "quantization_config", "memory", "datatype", "multivector_config"});
  if (const json::value* on_disk = Field(p, "on_disk")) AsBool(*on_disk);
}

void CheckHnswConfig(const json::value& v) {
  const json::object& h = AsObject(v, "struct HnswConfigDiff");
  KnownFields(h, {"m", "ef_construct", "full_scan_threshold", "max_indexing_threads", "on_disk",
                  "memory", "payload_m", "inline_storage"});
  for (std::string_view k : {"m", "max_indexing_threads", "payload_m"}) {
    if (const json::value* x = Field(h, k)) AsUint(*x);
  }
  if (const json::value* x = Field(h, "ef_construct")) AsUint(*x, 4);
  if (const json::value* x = Field(h, "full_scan_threshold")) AsUint(*x, 10);
  for (std::string_view k : {"on_disk", "inline_storage"}) {
    if (const json::value* x = Field(h, k)) AsBool(*x);
  }
  NotImplemented(h, {"memory"});
}

// One side of a query: what to compare the points with.
struct Query {
  enum Kind { kNone, kDense, kSparse, kRrf } kind = kNone;
  std::vector<float> dense;
  std::map<uint32_t, float> sparse;
  int k = kDefaultRrfK;
};

bool IsSparseShaped(const json::object& o) {
  return o.contains("indices") || o.contains("values");
}

Query ParseVectorInput(const json::value& v) {
  Query q;
  if (v.is_array()) {
    const json::array& a = v.get_array();
    if (!a.empty() && a[0].is_array()) Unimplemented("multivector queries");
    q.kind = Query::kDense;
    q.dense = AsFloats(v);
    return q;
  }
  if (v.is_object() && IsSparseShaped(v.get_object())) {
    q.kind = Query::kSparse;
    q.sparse = ParseSparse(v);
    return q;
  }
  if (v.is_string() || v.is_number()) Unimplemented("queries by point id");
  if (v.is_object() && v.get_object().contains("model")) Unimplemented("inference objects");
  FormatError("data did not match any variant of untagged enum QueryInterface");
}

Query ParseQuery(const json::value& v) {
  if (!v.is_object() || IsSparseShaped(v.get_object())) return ParseVectorInput(v);
  const json::object& o = v.get_object();
  if (o.contains("nearest")) {
    KnownFields(o, {"nearest", "mmr"});
    NotImplemented(o, {"mmr"});
    return ParseVectorInput(o.at("nearest"));
  }
  Query q;
  if (o.contains("fusion")) {
    KnownFields(o, {"fusion"});
    const std::string f = AsString(o.at("fusion"));
    if (f != "rrf" && f != "dbsf") {
      FormatError("unknown variant `" + f + "`, expected `rrf` or `dbsf`");
    }
    if (f == "dbsf") Unimplemented("dbsf fusion");
    q.kind = Query::kRrf;
    return q;
  }
  if (o.contains("rrf")) {
    KnownFields(o, {"rrf"});
    const json::object& r = AsObject(o.at("rrf"), "struct Rrf");
    KnownFields(r, {"k", "weights"});
    NotImplemented(r, {"weights"});
    if (const json::value* k = Field(r, "k")) q.k = static_cast<int>(AsUint(*k, 1));
    q.kind = Query::kRrf;
    return q;
  }
  for (std::string_view k : {"recommend", "discover", "context", "order_by", "formula", "sample",
                             "relevance_feedback"}) {
    if (o.contains(k)) Unimplemented("`" + std::string(k) + "` queries");
  }
  return ParseVectorInput(v);  // an inference object, or nothing Qdrant knows
}

struct Scored {
  const Point* point;
  double score;
};

void SortScored(std::vector<Scored>& v, const std::map<const Point*, std::string>& keys) {
  std::sort(v.begin(), v.end(), [&](const Scored& a, const Scored& b) {
    if (a.score != b.score) return a.score > b.score;
    return keys.at(a.point) < keys.at(b.point);
  });
}

// Runs a QueryRequest (top = true) or a Prefetch on `c`; `outer` are the filters of the
// enclosing requests, which Qdrant applies to prefetches too.
std::vector<Scored> Run(const Collection& c, const json::object& r, bool top,
                        std::vector<const json::value*> outer) {
  if (top) {
    KnownFields(r,
                {"shard_key", "prefetch", "query", "using", "filter", "params", "score_threshold",
                 "limit", "offset", "with_vector", "with_payload", "lookup_from"});
    NotImplemented(r, {"shard_key", "lookup_from"});
    if (const json::value* wv = Field(r, "with_vector");
        wv != nullptr && !(wv->is_bool() && !wv->get_bool())) {
      Unimplemented("with_vector");
    }
  } else {
    KnownFields(r, {"prefetch", "query", "using", "filter", "params", "score_threshold", "limit",
                    "lookup_from"});
    NotImplemented(r, {"lookup_from"});
  }
  if (const json::value* p = Field(r, "params")) {
    const json::object& params = AsObject(*p, "struct SearchParams");
    KnownFields(params, {"hnsw_ef", "exact", "quantization", "indexed_only", "acorn"});
  }
  if (const json::value* f = Field(r, "filter")) {
    CheckFilter(*f);
    outer.push_back(f);
  }
  const uint64_t limit = Field(r, "limit") ? AsUint(r.at("limit"), 1) : 10;
  const uint64_t offset = top && Field(r, "offset") ? AsUint(r.at("offset")) : 0;
  std::optional<double> threshold;
  if (const json::value* t = Field(r, "score_threshold")) threshold = AsNumber(*t);
  const std::string name = Field(r, "using") ? AsString(r.at("using")) : "";
  Query q;
  if (const json::value* qv = Field(r, "query")) q = ParseQuery(*qv);

  std::map<const Point*, std::string> keys;
  for (const auto& [key, p] : c.points)
    keys[&p] = key;
  auto passes = [&](const std::string& key, const Point& p) {
    return std::all_of(outer.begin(), outer.end(),
                       [&](const json::value* f) { return Matches(*f, key, p.payload); });
  };

  // Candidates: the prefetches' results, or every point.
  std::vector<std::vector<Scored>> prefetched;
  if (const json::value* pf = Field(r, "prefetch")) {
    std::vector<const json::value*> list;
    if (pf->is_array()) {
      for (const json::value& x : pf->get_array())
        list.push_back(&x);
    } else {
      list.push_back(pf);
    }
    for (const json::value* x : list)
      prefetched.push_back(Run(c, AsObject(*x, "struct Prefetch"), false, outer));
  }
  std::vector<const Point*> candidates;
  if (prefetched.empty()) {
    for (const auto& [key, p] : c.points) {
      if (passes(key, p)) candidates.push_back(&p);
    }
  } else {
    std::set<const Point*> seen;
    for (const auto& list : prefetched) {
      for (const Scored& s : list) {
        if (seen.insert(s.point).second) candidates.push_back(s.point);
      }
    }
  }

  std::vector<Scored> out;
  if (q.kind == Query::kRrf) {
    if (prefetched.empty()) WrongInput("Fusion queries need prefetches");
    std::map<const Point*, double> score;
    for (const auto& list : prefetched) {
      for (std::size_t pos = 0; pos < list.size(); ++pos)
        score[list[pos].point] += 1.0 / (static_cast<double>(pos) + q.k);
    }
    for (const auto& [p, s] : score)
      out.push_back({p, s});
  } else if (q.kind == Query::kDense) {
    auto it = c.dense.find(name);
    if (it == c.dense.end()) WrongInput("Not existing vector name error: " + name);
    const auto& [size, distance] = it->second;
    if (q.dense.size() != size) {
      WrongInput("Vector dimension error: expected dim: " + std::to_string(size) + ", got " +
                 std::to_string(q.dense.size()));
    }
    if (distance != "Cosine" && distance != "Dot") Unimplemented(distance + " distance");
    const std::vector<float> v = distance == "Cosine" ? Normalized(q.dense) : q.dense;
    for (const Point* p : candidates) {
      auto d = p->dense.find(name);
      if (d == p->dense.end()) continue;
      double dot = 0;
      for (std::size_t i = 0; i < v.size(); ++i)
        dot += static_cast<double>(v[i]) * d->second[i];
      out.push_back({p, dot});
    }
  } else if (q.kind == Query::kSparse) {
    auto it = c.sparse.find(name);
    if (it == c.sparse.end()) WrongInput("Not existing vector name error: " + name);
    std::map<uint32_t, double> weight;  // query value, times idf with the modifier
    for (const auto& [index, value] : q.sparse)
      weight[index] = value;
    if (it->second) {
      // IDF over the whole collection, as Qdrant's modifier: ln(1 + (N - df + 0.5) / (df + 0.5)).
      double n = 0;
      std::map<uint32_t, double> df;
      for (const auto& [key, p] : c.points) {
        auto s = p.sparse.find(name);
        if (s == p.sparse.end()) continue;
        ++n;
        for (const auto& [index, value] : s->second) {
          if (weight.contains(index)) ++df[index];
        }
      }
      for (auto& [index, w] : weight)
        w *= std::log(1.0 + (n - df[index] + 0.5) / (df[index] + 0.5));
    }
    for (const Point* p : candidates) {
      auto s = p->sparse.find(name);
      if (s == p->sparse.end()) continue;
      double score = 0;
      bool overlap = false;
      for (const auto& [index, w] : weight) {
        auto v = s->second.find(index);
        if (v == s->second.end()) continue;
        overlap = true;
        score += w * v->second;
      }
      if (overlap) out.push_back({p, score});
    }
  } else {
    for (const Point* p : candidates)
      out.push_back({p, 0.0});
  }
  if (threshold) {
    std::erase_if(out, [&](const Scored& s) { return s.score < *threshold; });
  }
  SortScored(out, keys);
  if (offset >= out.size()) return {};
  out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(offset));
  if (out.size() > limit) out.resize(limit);
  return out;
}

json::object QueryResponse(const std::vector<Scored>& hits, const json::object& request) {
  const json::value* wp = Field(request, "with_payload");
  json::array points;
  for (const Scored& s : hits) {
    json::object o{{"id", s.point->id}, {"version", s.point->version}, {"score", s.score}};
    if (wp != nullptr && wp->is_bool()) {
      if (wp->get_bool()) o["payload"] = s.point->payload;
    } else if (wp != nullptr && wp->is_array()) {
      json::object some;
      for (const json::value& k : wp->get_array()) {
        const std::string key = AsString(k);
        if (const json::value* v = s.point->payload.if_contains(key)) some[key] = *v;
      }
      o["payload"] = std::move(some);
    } else if (wp != nullptr) {
      Unimplemented("payload selectors");
    }
    points.push_back(std::move(o));
  }
  return json::object{{"points", std::move(points)}};
}

}  // namespace

template <typename F>
FakeAnswer FakeQdrantState::Guarded(const std::string& body, F&& f) {
  try {
    std::lock_guard lock(mu_);
    json::value doc = body.empty() ? json::value() : ParseBody(body);
    return FakeAnswer{200, f(doc), {}};
  } catch (const Refusal& r) {
    return FakeAnswer{r.status, nullptr, r.message};
  }
}

FakeQdrantState::Collection& FakeQdrantState::Find(const std::string& name) {
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    throw Refusal{404, "Not found: Collection `" + name + "` doesn't exist!"};
  }
  return it->second;
}

json::object FakeQdrantState::UpdateResult(bool wait) {
  return json::object{{"operation_id", ++operation_id_},
                      {"status", wait ? "completed" : "acknowledged"}};
}

FakeAnswer FakeQdrantState::Exists(const std::string& name) {
  return Guarded("", [&](const json::value&) -> json::value {
    return json::object{{"exists", collections_.contains(name)}};
  });
}

FakeAnswer FakeQdrantState::CreateCollection(const std::string& name, const std::string& body) {
  return Guarded(body, [&](const json::value& doc) -> json::value {
    const json::object& o = AsObject(doc, "struct CreateCollection");
    KnownFields(o, {"vectors", "shard_number", "sharding_method", "replication_factor",
                    "write_consistency_factor", "on_disk_payload", "payload", "hnsw_config",
                    "wal_config", "optimizers_config", "quantization_config", "sparse_vectors",
                    "strict_mode_config", "metadata"});
    NotImplemented(o, {"sharding_method", "payload", "wal_config", "optimizers_config",
                       "quantization_config", "strict_mode_config", "metadata"});
    for (std::string_view k : {"shard_number", "replication_factor", "write_consistency_factor"}) {
      if (const json::value* x = Field(o, k)) AsUint(*x, 1);
    }
    if (const json::value* x = Field(o, "on_disk_payload")) AsBool(*x);
    if (const json::value* x = Field(o, "hnsw_config")) CheckHnswConfig(*x);
    Collection c;
    if (const json::value* vectors = Field(o, "vectors")) {
      const json::object& v = AsObject(*vectors, "enum VectorsConfig");
      const bool single = v.contains("size") || v.contains("distance");
      std::vector<std::pair<std::string, const json::value*>> named;
      if (single) {
        named.emplace_back("", vectors);
      } else {
        for (const auto& [k, params] : v)
          named.emplace_back(std::string(k), &params);
      }
      for (const auto& [k, params] : named) {
        if (!params->is_object()) {
          FormatError("data did not match any variant of untagged enum VectorsConfig");
        }
        CheckVectorParams(*params);
        c.dense[k] = {AsUint(params->at("size")), AsString(params->at("distance"))};
      }
    }
    if (const json::value* sparse = Field(o, "sparse_vectors")) {
      for (const auto& [k, params] : AsObject(*sparse, "a map")) {
        const json::object& p = AsObject(params, "struct SparseVectorParams");
        KnownFields(p, {"index", "modifier"});
        NotImplemented(p, {"index"});
        bool idf = false;
        if (const json::value* m = Field(p, "modifier")) {
          const std::string mod = AsString(*m);
          if (mod != "none" && mod != "idf") {
            FormatError("unknown variant `" + mod + "`, expected `none` or `idf`");
          }
          idf = mod == "idf";
        }
        if (c.dense.contains(std::string(k))) {
          WrongInput("Vector name `" + std::string(k) + "` is used by a dense and a sparse vector");
        }
        c.sparse[std::string(k)] = idf;
      }
    }
    if (collections_.contains(name)) {
      throw Refusal{409, "Wrong input: Collection `" + name + "` already exists!"};
    }
    collections_[name] = std::move(c);
    return true;
  });
}

FakeAnswer FakeQdrantState::DeleteCollection(const std::string& name) {
  return Guarded("",
                 [&](const json::value&) -> json::value { return collections_.erase(name) > 0; });
}

FakeAnswer FakeQdrantState::CreateIndex(const std::string& name, const std::string& body,
                                        bool wait) {
  return Guarded(body, [&](const json::value& doc) -> json::value {
    Collection& c = Find(name);
    const json::object& o = AsObject(doc, "struct CreateFieldIndex");
    KnownFields(o, {"field_name", "field_schema"});
    const std::string field = AsString(Required(o, "field_name"));
    static constexpr std::string_view kTypes[] = {"keyword", "integer", "float",    "geo",
                                                  "text",    "bool",    "datetime", "uuid"};
    json::value schema = nullptr;
    if (const json::value* s = Field(o, "field_schema")) {
      if (s->is_string()) {
        if (std::find(std::begin(kTypes), std::end(kTypes), s->get_string()) == std::end(kTypes)) {
          FormatError("data did not match any variant of untagged enum PayloadFieldSchema");
        }
      } else {
        const json::object& p = AsObject(*s, "enum PayloadFieldSchema");
        if (AsString(Required(p, "type")) != "keyword")
          Unimplemented("index parameters but keyword's");
        KnownFields(p, {"type", "is_tenant", "on_disk", "memory", "enable_hnsw", "prefix"});
        NotImplemented(p, {"memory"});
        for (std::string_view k : {"is_tenant", "on_disk", "enable_hnsw", "prefix"}) {
          if (const json::value* x = Field(p, k)) AsBool(*x);
        }
      }
      schema = *s;
    }
    c.indexes[field] = schema;
    return UpdateResult(wait);
  });
}

FakeAnswer FakeQdrantState::Upsert(const std::string& name, const std::string& body, bool wait) {
  return Guarded(body, [&](const json::value& doc) -> json::value {
    Collection& c = Find(name);
    const json::object& o = AsObject(doc, "enum PointInsertOperations");
    if (o.contains("batch")) Unimplemented("PointsBatch");
    KnownFields(o, {"points", "shard_key", "update_filter", "update_mode"});
    NotImplemented(o, {"shard_key", "update_filter", "update_mode"});
    const json::value& points = Required(o, "points");
    if (!points.is_array())
      FormatError("invalid type: " + Describe(points) + ", expected a sequence");
    std::vector<std::pair<std::string, Point>> parsed;  // all checked before any is stored
    for (const json::value& pv : points.get_array()) {
      const json::object& po = AsObject(pv, "struct PointStruct");
      KnownFields(po, {"id", "vector", "payload"});
      PointId id = ParsePointId(Required(po, "id"));
      Point p;
      p.id = id.answer;
      const json::value& vector = Required(po, "vector");
      std::vector<std::pair<std::string, const json::value*>> named;
      if (vector.is_array()) {
        named.emplace_back("", &vector);
      } else if (vector.is_object()) {
        for (const auto& [k, v] : vector.get_object())
          named.emplace_back(std::string(k), &v);
      } else {
        FormatError("data did not match any variant of untagged enum VectorStruct");
      }
      for (const auto& [k, v] : named) {
        if (v->is_object()) {
          if (!IsSparseShaped(v->get_object())) Unimplemented("inference objects");
          if (!c.sparse.contains(k)) WrongInput("Not existing vector name error: " + k);
          p.sparse[k] = ParseSparse(*v);
          continue;
        }
        auto it = c.dense.find(k);
        if (it == c.dense.end()) WrongInput("Not existing vector name error: " + k);
        if (v->is_array() && !v->get_array().empty() && v->get_array()[0].is_array()) {
          Unimplemented("multivectors");
        }
        std::vector<float> floats = AsFloats(*v);
        if (floats.size() != it->second.first) {
          WrongInput("Vector dimension error: expected dim: " + std::to_string(it->second.first) +
                     ", got " + std::to_string(floats.size()));
        }
        p.dense[k] = it->second.second == "Cosine" ? Normalized(std::move(floats)) : floats;
      }
      if (const json::value* payload = Field(po, "payload")) {
        p.payload = AsObject(*payload, "a map");
      }
      parsed.emplace_back(std::move(id.key), std::move(p));
    }
    json::object result = UpdateResult(wait);
    for (auto& [key, p] : parsed) {
      p.version = operation_id_;
      c.points[key] = std::move(p);
    }
    return result;
  });
}

FakeAnswer FakeQdrantState::Delete(const std::string& name, const std::string& body, bool wait) {
  return Guarded(body, [&](const json::value& doc) -> json::value {
    Collection& c = Find(name);
    const json::object& o = AsObject(doc, "enum PointsSelector");
    if (o.contains("points")) {
      KnownFields(o, {"points", "shard_key"});
      NotImplemented(o, {"shard_key"});
      const json::value& ids = o.at("points");
      if (!ids.is_array()) FormatError("invalid type: " + Describe(ids) + ", expected a sequence");
      std::vector<std::string> keys;
      for (const json::value& id : ids.get_array())
        keys.push_back(ParsePointId(id).key);
      for (const std::string& k : keys)
        c.points.erase(k);
    } else if (o.contains("filter")) {
      KnownFields(o, {"filter", "shard_key"});
      NotImplemented(o, {"shard_key"});
      const json::value& filter = o.at("filter");
      CheckFilter(filter);
      std::erase_if(c.points,
                    [&](const auto& kv) { return Matches(filter, kv.first, kv.second.payload); });
    } else {
      FormatError("data did not match any variant of untagged enum PointsSelector");
    }
    return UpdateResult(wait);
  });
}

FakeAnswer FakeQdrantState::Query(const std::string& name, const std::string& body) {
  return Guarded(body, [&](const json::value& doc) -> json::value {
    const Collection& c = Find(name);
    const json::object& r = AsObject(doc, "struct QueryRequest");
    return QueryResponse(Run(c, r, true, {}), r);
  });
}

FakeAnswer FakeQdrantState::QueryBatch(const std::string& name, const std::string& body) {
  return Guarded(body, [&](const json::value& doc) -> json::value {
    const Collection& c = Find(name);
    const json::object& o = AsObject(doc, "struct QueryRequestBatch");
    KnownFields(o, {"searches"});
    const json::value& searches = Required(o, "searches");
    if (!searches.is_array()) {
      FormatError("invalid type: " + Describe(searches) + ", expected a sequence");
    }
    json::array results;
    for (const json::value& s : searches.get_array()) {
      const json::object& r = AsObject(s, "struct QueryRequest");
      results.push_back(QueryResponse(Run(c, r, true, {}), r));
    }
    return results;
  });
}

bool FakeQdrantState::HasCollection(const std::string& name) {
  std::lock_guard lock(mu_);
  return collections_.contains(name);
}

std::size_t FakeQdrantState::PointCount(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = collections_.find(name);
  return it == collections_.end() ? 0 : it->second.points.size();
}

std::map<std::string, std::string> FakeQdrantState::PayloadIndexes(const std::string& name) {
  std::lock_guard lock(mu_);
  std::map<std::string, std::string> out;
  auto it = collections_.find(name);
  if (it == collections_.end()) return out;
  for (const auto& [field, schema] : it->second.indexes)
    out[field] = json::serialize(schema);
  return out;
}

std::string FakeQdrantState::PayloadOf(const std::string& collection, const std::string& point_id) {
  std::lock_guard lock(mu_);
  auto it = collections_.find(collection);
  if (it == collections_.end()) return "";
  try {
    auto p = it->second.points.find(ParsePointId(json::value(point_id)).key);
    return p == it->second.points.end() ? "" : json::serialize(p->second.payload);
  } catch (const Refusal&) {
    return "";
  }
}

}  // namespace studybot::testing
