// FakeQdrantServer: an in-memory Qdrant REST API on 127.0.0.1 for tests, on LoopbackHttpServer.
// It checks requests as Qdrant's OpenAPI document describes them (/work/shared/specs,
// qdrant-openapi.json) and answers what Qdrant answers, errors included: `{"result": ...,
// "status": "ok", "time": <s>}`, and `{"status": {"error": "..."}, "time": <s>}` for errors.
//
//   GET    /readyz                                  "all shards are ready" (text/plain)
//   GET    /collections/{c}/exists                  {"exists": bool}
//   PUT    /collections/{c}                         named dense `vectors` (or one unnamed),
//                                                   `sparse_vectors` (modifier none|idf),
//                                                   `hnsw_config`; 409 when it exists
//   DELETE /collections/{c}
//   PUT    /collections/{c}/index                   payload index (keyword params checked)
//   PUT    /collections/{c}/points?wait=            PointsList: uint or UUID ids, named dense
//                                                   and sparse vectors, payload
//   POST   /collections/{c}/points/delete?wait=     ids or filter
//   POST   /collections/{c}/points/query            Query API: nearest (dense cosine / dot /
//   POST   /collections/{c}/points/query/batch      euclid, sparse dot with the idf modifier),
//                                                   prefetch (nested, limits), fusion rrf or
//                                                   {"rrf": {"k"}}, filter, limit, offset,
//                                                   score_threshold, with_payload
//
// Checks, as the real server: a body that is not JSON, a field of the wrong type, a missing
// required field or an enum value out of range is 400 "Format error in JSON body: ..."; an
// unknown collection is 404 "Not found: Collection `c` doesn't exist!"; a dense vector of the
// wrong length or an unknown vector name is 400 "Wrong input: ..."; `limit: 0` is 422. Filters
// support must / should / must_not (one condition or an array), nested filters, has_id, and
// field conditions with match value / any / except / prefix on top-level payload keys (an array
// value matches when an element does). Unknown fields are refused everywhere (Qdrant refuses
// them in filters and ignores some elsewhere: being stricter catches client typos). Fields the
// spec has but the fake does not implement (geo, range, multivectors, dbsf, sharding...) are a
// 400 "Fake Qdrant does not implement ...": a loud failure, never a silently wrong answer.
//
// RRF is Qdrant's: each list adds 1 / (position + k) for positions from 0, k = 2 by default.
// IDF is ln(1 + (N - df + 0.5) / (df + 0.5)) over the points of the collection that have the
// sparse vector. Ties in scores are broken by ascending id.
//
// Authentication (when api_key is set): `api-key: <key>` or `Authorization: Bearer <key>`; none
// is 401 "Must provide an API key or an Authorization bearer token", a wrong one 401 "Invalid
// API key or JWT" (plain text, as Qdrant's auth layer answers), the read-only key on a write 403.
// /readyz needs no key, as in Qdrant.
//
// Fault injection: each request that passes routing and authentication takes the next queued
// fault, if any: a delay before answering (ended early by ReleaseDelays or destruction), and/or
// a status to answer instead (5xx with a JSON error body, readyz: text).
//
// One connection at a time (LoopbackHttpServer): a delayed answer holds up the next requests.
// Bodies up to Beast's default 1 MiB. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "loopback_http_server.h"

namespace studybot::testing {

struct FakeQdrantOptions {
  std::string api_key;            // "" = no authentication
  std::string read_only_api_key;  // may search, not write; "" = none
};

struct FakeQdrantFault {
  std::chrono::milliseconds delay{0};
  unsigned status = 0;  // 0 = answer normally
};

struct FakeQdrantCall {
  std::string method;
  std::string path;   // without the query string
  std::string query;  // after '?', "" when none
  std::string body;
  std::string api_key;  // the `api-key` header as received
  unsigned status = 0;  // what the fake answered
};

class FakeQdrantState;  // the collections (fake_qdrant_engine.h)

class FakeQdrantServer {
 public:
  explicit FakeQdrantServer(FakeQdrantOptions options = {});
  ~FakeQdrantServer();

  // "http://127.0.0.1:<port>".
  std::string base_url() const { return server_.url(""); }

  void Push(FakeQdrantFault fault, int times = 1);
  // The next `n` answers are `status` (503 by default).
  void FailNext(int n, unsigned status = 503);
  // The next `n` answers come after `delay`.
  void DelayNext(int n, std::chrono::milliseconds delay);
  // Ends the delay being waited out, and drops queued delays.
  void ReleaseDelays();
  // Drops every queued fault (Qdrant is back), and ends the delay being waited out.
  void ClearFaults();

  std::vector<FakeQdrantCall> Calls();
  // Calls with this method and path (query string ignored).
  std::size_t CountCalls(const std::string& method, const std::string& path);

  // Inspection, for tests.
  bool HasCollection(const std::string& name);
  std::size_t PointCount(const std::string& name);
  // The field_schema of each payload index of the collection, as JSON text.
  std::map<std::string, std::string> PayloadIndexes(const std::string& name);
  // The stored payload of a point (JSON text), "" when absent.
  std::string PayloadOf(const std::string& collection, const std::string& point_id);

 private:
  Reply Handle(const ReceivedRequest& request);

  const FakeQdrantOptions options_;
  std::unique_ptr<FakeQdrantState> state_;  // has its own lock
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;               // REQUIRES: mu_ held
  uint64_t release_epoch_ = 0;          // REQUIRES: mu_ held; bumped by ReleaseDelays
  std::deque<FakeQdrantFault> faults_;  // REQUIRES: mu_ held
  std::vector<FakeQdrantCall> calls_;   // REQUIRES: mu_ held
  LoopbackHttpServer server_;           // last: serves until destroyed first
};

}  // namespace studybot::testing
