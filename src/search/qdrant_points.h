// How QdrantIndex lays chunks out in Qdrant: point ids, the BM25 sparse vectors, the payload and
// the filters. Pure functions, kept apart from the HTTP code so that they can be tested alone.
//
// Point ids. Qdrant ids are unsigned integers or UUIDs, unique per collection, and a collection
// holds many chatbots. A point's id is the UUID made of the first 8 bytes of SHA-256(chatbot id)
// followed by the chunk id (8 bytes, big-endian): chatbots never overwrite each other's points
// even when their chunk ids meet, Remove needs no lookup, and the chunk id is read back from a
// hit's id without asking for its payload.
//
// Sparse vectors (BM25). Each analyzed term (Analyzer::Terms) becomes the index FNV-1a-32(term)
// with the value of BM25's term-frequency part,
//     tf * (k1 + 1) / (tf + k1 * (1 - b + b * |D| / avgdl)),
// where avgdl is a configured constant (QdrantIndexOptions::bm25_average_length): Qdrant keeps no
// length statistics, so the length normalisation is against a fixed average instead of the live
// one. The collection is created with `modifier: idf`, so Qdrant multiplies each query value by
// ln(1 + (N - df + 0.5) / (df + 0.5)) from the collection's own statistics; query values are 1
// per distinct query term, so a point's score is BM25 with that avgdl. Two terms whose hashes
// collide are one term to Qdrant (their counts add up); with 2^32 indices this is rare and only
// ever adds a weak false match.
//
// URL prefixes. Qdrant matches keywords exactly. The payload's `url_prefixes` holds every prefix
// of the URL that ends with '/' (up to kMaxUrlPrefixes of them), e.g. for
// "https://a.com/docs/x" it holds "https:/", "https://", "https://a.com/", "https://a.com/docs/".
// A url_prefix that ends with '/' within that depth is exactly "url_prefixes contains it";
// any other prefix P is narrowed on the server to the longest such prefix of P (IndexedPrefix)
// and finished on the client (QdrantIndex over-fetches, then checks the URL).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.h"
#include "search/bm25.h"
#include "search/chunk_index.h"

namespace studybot::search::qdrant {

// Names of the two vectors of a point, and of the payload fields.
inline constexpr std::string_view kDenseVector = "dense";
inline constexpr std::string_view kSparseVector = "bm25";
inline constexpr std::string_view kChatbotField = "chatbot_id";
inline constexpr std::string_view kChunkField = "chunk_id";
inline constexpr std::string_view kDocumentField = "document_id";
inline constexpr std::string_view kSourceField = "source";
inline constexpr std::string_view kUrlField = "url";
inline constexpr std::string_view kUrlPrefixesField = "url_prefixes";
inline constexpr std::string_view kTagsField = "tags";
inline constexpr std::string_view kBuildField = "build";

// Prefixes ending in '/' kept per URL (the deepest are dropped: beyond that depth, prefix
// filters fall back to checking on the client).
inline constexpr std::size_t kMaxUrlPrefixes = 32;

struct SparseVector {
  std::vector<uint32_t> indices;  // ascending, distinct
  std::vector<float> values;
};

// The stable 32-bit index of an analyzed term (FNV-1a).
uint32_t TermIndex(std::string_view term);

// A chunk's sparse vector from its terms (repeats counted): see the top comment.
SparseVector DocumentSparseVector(const std::vector<std::string>& terms, const Bm25Params& params,
                                  double average_length);

// A query's sparse vector: value 1 for each distinct term.
SparseVector QuerySparseVector(const std::vector<std::string>& terms);

boost::json::object SparseToJson(const SparseVector& v);

// The point id of a chunk of a chatbot, as Qdrant writes UUIDs (lower-case, hyphenated).
std::string PointId(std::string_view chatbot_id, int64_t chunk_id);

// The chunk id inside `point_id`, or nullopt when it is not one of this chatbot's point ids.
std::optional<int64_t> ChunkIdOf(std::string_view point_id, std::string_view chatbot_id);

// The prefixes of `url` stored in `url_prefixes`.
std::vector<std::string> UrlPrefixes(std::string_view url);

// The longest prefix of `prefix` that UrlPrefixes holds for every URL starting with `prefix`;
// "" when there is none. Equal to `prefix` exactly when the server can filter on it alone.
std::string IndexedPrefix(std::string_view prefix);

// The payload of a chunk of a chatbot, written by the build `build` (see QdrantIndex).
boost::json::object Payload(std::string_view chatbot_id, const IndexedChunk& chunk,
                            std::string_view build);

// The Qdrant filter for a chatbot's hits matching `filter`, with the URL prefix condition on
// `indexed_prefix` (from IndexedPrefix(filter.url_prefix); "" adds none).
boost::json::object FilterFor(std::string_view chatbot_id, const ChunkFilter& filter,
                              std::string_view indexed_prefix);

// {"must": [chatbot_id = chatbot_id]}.
boost::json::object ChatbotFilter(std::string_view chatbot_id);

// Wire helpers of the Query API.
bool IsZero(const std::vector<float>& v);
boost::json::array FloatArray(const std::vector<float>& v);

// A scored point of a query's answer: chunk id, score, and the URL when it was asked for.
struct ScoredPoint {
  int64_t id = 0;
  float score = 0;
  std::string url;
};
// The points of a query's `result`; kInternal for a malformed answer or a point that is not one
// of the chatbot's.
Result<std::vector<ScoredPoint>> ParsePoints(const boost::json::value& response,
                                             const std::string& chatbot_id);

// One side's query (sparse on the BM25 vector, dense on the dense one), with the URL payload
// when `with_url`.
boost::json::object SideQuery(const boost::json::value& query, bool keyword,
                              const boost::json::object& filter, std::size_t limit, bool with_url);

}  // namespace studybot::search::qdrant
