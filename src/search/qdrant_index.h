// QdrantIndex: the ChunkIndex kept in a Qdrant server, through its REST API (Qdrant's OpenAPI
// document: /work/shared/specs/qdrant-openapi.json), for deployments that scale the search out.
//
// Layout. One collection per dense vector length, "<collection_prefix>_d<dimensions>", shared by
// every chatbot: Qdrant's advice for many small tenants (one collection each costs memory and
// file handles per tenant). Chatbots are told apart by the `chatbot_id` payload field, which
// has a keyword index marked `is_tenant` (Qdrant then stores each tenant's points together), and
// HNSW graphs are built per tenant (`hnsw_config: {m: 0, payload_m: 16}`) since every search
// filters on one chatbot. Changing the embedder to one of another length therefore starts a new
// collection, which the index follower fills from the database; the old one is left for the
// operator to delete. The length is fixed by the options (it is the embedder's), so chunks
// without a vector still have a collection to live in.
//
// Each point (ids and payload: see qdrant_points.h) has up to two named vectors: "dense"
// (cosine; absent when the chunk has no embedding or a zero one) and "bm25", a sparse vector with
// `modifier: idf` (absent when the text has no terms). The collection, its payload indexes
// (chatbot_id as tenant; document_id, source, url_prefixes and tags as keywords) are created on
// the first Upsert of the process, if missing; several nodes may race to do it (a 409 is fine).
//
// Writes wait for Qdrant to apply them (`wait=true`): an acknowledged Upsert is searchable.
// Upserts go in batches of upsert_batch points, one after another; a failure part-way leaves
// the earlier batches in (the caller retries the whole call, which is idempotent).
//
// Searches take one HTTP request: keyword or dense mode a single Query API call. Hybrid mode with
// Fusion::kConvex (the chatbots' default) asks for both sides' candidates in one
// /points/query/batch call and fuses them here with FuseConvex (search/fusion.h), exactly as the
// built-in index does, plus one request for the cosines of keyword candidates the dense side
// lacks. Hybrid mode with Fusion::kRrf sends a /points/query/batch call holding the fused query
// (prefetch of both sides, `fusion: rrf`, Qdrant's own RRF) and the two single-side queries, whose
// order gives each hit's keyword_rank and dense_rank. Qdrant's RRF scores a hit 1 / (k + rank - 1)
// per list with k = 2 unless rrf_k is set, where the built-in index uses 1 / (60 + rank): orders
// may differ slightly between the two. A url_prefix that does not end with '/' (see
// qdrant_points.h) is narrowed on the server, over-fetched (url_overfetch times the depth) and
// finished on the client, fusion included (same formula as Qdrant's); a prefix matching more than
// that many non-matching chunks ahead of the matching ones can then miss hits.
//
// IDF comes from the whole collection, all chatbots together; avgdl is a constant. Keyword
// scores thus differ from the built-in index's, and are not comparable across chatbots.
// Hit::dense_score of a hybrid hit that is not among the dense candidates takes one more
// request (a dense query restricted to those points with has_id).
//
// Per-chatbot settings (the BM25 language) live in this process, as in the built-in index: the
// index follower of every node calls ReplaceChatbot. ReplaceChatbot writes the new pages over
// the live points (same ids), each tagged with the build token of the settings (a hash of the
// language and embedder) in the `build` payload field, then deletes the chatbot's points without
// that token in one filtered delete: searches never miss a chunk during the rebuild, but see old
// and new analyses mixed until it ends (not an atomic swap). Two nodes rebuilding the same
// chatbot at once write the same points and tokens, so neither deletes the other's. A rebuild
// with unchanged settings therefore deletes nothing: a point whose chunk was deleted while no
// follower could apply the change (and with no checkpoint left) would stay; searches drop hits
// whose chunk is gone from the database. Every chatbot shares the collection's vector length: a
// page with vectors of another length is refused (kInvalidArgument).
//
// Errors: connection failure, timeout, 5xx and 429 are kUnavailable ("Qdrant ... unavailable");
// other 4xx are kInternal with Qdrant's error text (a bug or a misconfiguration: a wrong API key
// is a 401). A missing collection is no error: searches find nothing, removals have nothing to
// remove. The API key is sent as the `api-key` header and never appears in logs or errors.
//
// Thread-safe: any method from any thread; requests run concurrently (HttpClient is thread-safe).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.h"
#include "outbound/http_client.h"
#include "search/analyzer.h"
#include "search/bm25.h"
#include "search/chunk_index.h"

namespace studybot::search {

struct QdrantIndexOptions {
  // Scheme, host and port of Qdrant's REST API, optionally with a path prefix (behind a proxy);
  // no trailing slash needed.
  std::string base_url = "http://127.0.0.1:6333";
  // Sent as `api-key` when set. Secret: never logged or put in an error.
  std::string api_key;
  // Collections are "<collection_prefix>_d<dimensions>". Letters, digits, '_' and '-'.
  std::string collection_prefix = "studybot";
  // Length of the dense vectors (the embedder's dimensions()). In [1, 65536].
  int dimensions = 0;
  // Per HTTP request. Positive.
  std::chrono::milliseconds timeout{5000};

  // BM25 term-frequency saturation and length normalisation (see qdrant_points.h).
  Bm25Params bm25;
  // The fixed average chunk length, in terms, for BM25's length normalisation. Chunks of 400
  // tokens hold about 250 terms once stop words are gone. Positive.
  double bm25_average_length = 256;

  // 0 sends `{"fusion": "rrf"}` (every Qdrant with the Query API, k = 2); a positive value sends
  // `{"rrf": {"k": rrf_k}}`, which needs a Qdrant whose API has the parameterised RRF query
  // (61 reproduces the built-in index's 1 / (60 + rank)).
  int rrf_k = 0;
  // Points per upsert request, in [1, 10000].
  std::size_t upsert_batch = 128;
  // Over-fetch factor for a url_prefix the server cannot filter on alone, in [1, 100].
  std::size_t url_overfetch = 5;

  // kInvalidArgument naming the first bad field.
  Status Validate() const;
};

class QdrantIndex final : public ChunkIndex {
 public:
  Status Upsert(const std::string& chatbot_id, const std::vector<IndexedChunk>& chunks) override;
  Status Remove(const std::string& chatbot_id, const std::vector<int64_t>& ids) override;
  Status DropChatbot(const std::string& chatbot_id) override;
  Status ReplaceChatbot(const std::string& chatbot_id, const ChatbotIndexSettings& settings,
                        const ChunkPager& pager) override;
  Result<std::vector<Hit>> Search(const IndexQuery& query) override;
  // What this process last built the chatbot with (the settings are kept in the process, like
  // the built-in index's); nullopt before its first ReplaceChatbot here.
  std::optional<ChatbotIndexSettings> SettingsOf(const std::string& chatbot_id) override;

  // Takes the chatbot as indexed with `settings` (restored from a checkpoint of this process:
  // its points are in Qdrant already).
  void Adopt(const std::string& chatbot_id, const ChatbotIndexSettings& settings);
  // Whether the collection exists (false after an operator deleted it, or on a new Qdrant).
  Result<bool> CollectionExists();

  // For /ready: OK when Qdrant's readiness probe (GET /readyz) answers 200, kUnavailable
  // otherwise.
  Status Ping();

  // The collection this index writes to.
  const std::string& collection() const { return collection_; }

 private:
  friend Result<std::unique_ptr<QdrantIndex>> MakeQdrantIndex(QdrantIndexOptions,
                                                              outbound::HttpClient&);
  QdrantIndex(QdrantIndexOptions options, outbound::HttpClient& http);

  struct Side;  // one side (keyword or dense) of a search

  // One exchange; only transport errors are Errors here (kUnavailable, naming `what`).
  Result<outbound::HttpResponse> Send(const std::string& what, const std::string& method,
                                      const std::string& path, const std::string& body);
  struct Answer {
    long status = 0;
    boost::json::value result;  // null for a tolerated status
  };
  // The `result` of a 2xx answer; a status in `tolerated` comes back as it is; anything else is
  // mapped as the top comment says. A null `body` sends none.
  Result<Answer> Call(const std::string& what, const std::string& method, const std::string& path,
                      const boost::json::value& body, std::initializer_list<long> tolerated = {});
  Status EnsureCollection();
  Status CreateCollection();
  struct Settings {
    Language language = Language::kAuto;
    std::string build;     // the `build` payload of the chatbot's points
    std::string embedder;  // whose vectors they carry
  };
  Settings HeldOf(const std::string& chatbot_id);
  // Writes chunks analyzed with `settings`, in batches, creating the collection if needed.
  Status Write(const std::string& chatbot_id, const std::vector<IndexedChunk>& chunks,
               const Settings& settings);
  // Answers false when the collection is missing (deleted behind our back).
  Result<bool> UpsertBatch(const std::string& chatbot_id, const std::vector<IndexedChunk>& chunks,
                           std::size_t begin, std::size_t end,
                           const std::vector<std::vector<std::string>>& terms,
                           const std::string& build);
  // The cosine of each of `chunk_ids` that has a dense vector, to q.vector (one request).
  Result<std::unordered_map<int64_t, float>> DenseScores(const IndexQuery& q,
                                                         const std::vector<int64_t>& chunk_ids);
  // Fills dense_score of `hits` that lack it (one request).
  Status FillDenseScores(const IndexQuery& q, std::vector<Hit>& hits);
  Status Delete(const std::string& what, const boost::json::value& selector);
  Result<std::vector<Hit>> SearchExact(const IndexQuery& q, const std::vector<Side>& sides,
                                       const boost::json::object& filter, std::size_t depth);
  // Both sides' lists (each of `overfetch` times the depth, URLs checked on the client when
  // above 1), fused here.
  Result<std::vector<Hit>> SearchChecked(const IndexQuery& q, const std::vector<Side>& sides,
                                         const boost::json::object& filter, std::size_t depth,
                                         std::size_t overfetch);

  const QdrantIndexOptions options_;
  const std::string base_;        // base_url without a trailing slash
  const std::string collection_;  // "<prefix>_d<dims>"
  outbound::HttpClient& http_;
  std::mutex settings_mu_;
  std::map<std::string, Settings> settings_;  // REQUIRES: settings_mu_ held
  std::mutex create_mu_;                      // held while creating the collection
  std::atomic<bool> ready_{false};            // the collection and its indexes exist
};

// Validates `options` and builds the index; nothing is sent yet. Errors: kInvalidArgument
// naming the bad option (a start-up error).
Result<std::unique_ptr<QdrantIndex>> MakeQdrantIndex(QdrantIndexOptions options,
                                                     outbound::HttpClient& http);

}  // namespace studybot::search
