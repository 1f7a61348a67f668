// QdrantIndex beyond the shared ChunkIndex contract (tests/chunk_index_suite_test.cpp): the wire
// protocol, failures, authentication, collection set-up, readiness.
#include "search/qdrant_index.h"

#include <atomic>
#include <functional>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <gtest/gtest.h>

#include "fake_qdrant_server.h"
#include "search/qdrant_points.h"

namespace studybot::search {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using testing::FakeQdrantOptions;
using testing::FakeQdrantServer;

constexpr int kDims = 4;
constexpr char kCollection[] = "studybot_d4";

outbound::HttpClientOptions AllowLoopback() {
  outbound::HttpClientOptions o;
  o.addresses.allow_private = true;  // the fake listens on 127.0.0.1
  return o;
}

IndexedChunk Chunk(int64_t id, std::string text, std::vector<float> vector) {
  IndexedChunk c;
  c.id = id;
  c.document_id = "doc";
  c.source = "crawl";
  c.url = "https://ex.com/a/b";
  c.tags = {"t"};
  c.keyword_text = std::move(text);
  c.vector = std::move(vector);
  return c;
}

IndexQuery Hybrid(std::string text, std::vector<float> v) {
  IndexQuery q;
  q.chatbot_id = "bot";
  q.text = std::move(text);
  q.vector = std::move(v);
  return q;
}

class QdrantIndexTest : public ::testing::Test {
 protected:
  std::unique_ptr<QdrantIndex> Make(FakeQdrantServer& fake, std::string key = "",
                                    milliseconds timeout = milliseconds(10'000)) {
    QdrantIndexOptions o;
    o.base_url = fake.base_url();
    o.api_key = std::move(key);
    o.dimensions = kDims;
    o.timeout = timeout;
    auto made = MakeQdrantIndex(o, http_);
    EXPECT_TRUE(made.ok()) << made.error().message;
    return std::move(made).value();
  }
  Status Fill(QdrantIndex& index) {
    return index.Upsert("bot", {Chunk(1, "installing the widget", {1, 0, 0, 0}),
                                Chunk(2, "pricing and invoices", {0, 1, 0, 0})});
  }

  outbound::CurlHttpClient http_{AllowLoopback()};
};

TEST_F(QdrantIndexTest, CreatesTheCollectionAndItsTenantIndexOnce) {
  FakeQdrantServer fake;
  auto index = Make(fake);
  ASSERT_TRUE(Fill(*index).ok());
  ASSERT_TRUE(index->Upsert("bot2", {Chunk(3, "more", {0, 0, 1, 0})}).ok());
  EXPECT_EQ(index->collection(), kCollection);
  EXPECT_EQ(fake.CountCalls("PUT", "/collections/studybot_d4"), 1u);
  EXPECT_EQ(fake.CountCalls("GET", "/collections/studybot_d4/exists"), 1u);
  EXPECT_EQ(fake.CountCalls("PUT", "/collections/studybot_d4/index"), 5u);
  auto indexes = fake.PayloadIndexes(kCollection);
  ASSERT_TRUE(indexes.contains("chatbot_id"));
  EXPECT_EQ(json::parse(indexes["chatbot_id"]),
            json::parse(R"({"type":"keyword","is_tenant":true})"));
  EXPECT_EQ(indexes["url_prefixes"], "\"keyword\"");

  // The collection's shape, as sent.
  for (const auto& call : fake.Calls()) {
    if (call.method != "PUT" || call.path != "/collections/studybot_d4") continue;
    EXPECT_EQ(json::parse(call.body), json::parse(R"({
        "vectors": {"dense": {"size": 4, "distance": "Cosine"}},
        "sparse_vectors": {"bm25": {"modifier": "idf"}},
        "hnsw_config": {"m": 0, "payload_m": 16}})"));
  }
  // A second node finds the collection there and does not create it again.
  auto other = Make(fake);
  ASSERT_TRUE(other->Upsert("bot", {Chunk(4, "x", {})}).ok());
  EXPECT_EQ(fake.CountCalls("PUT", "/collections/studybot_d4"), 1u);
  EXPECT_EQ(fake.PointCount(kCollection), 4u);
}

TEST_F(QdrantIndexTest, WritesWaitAndStoreThePayload) {
  FakeQdrantServer fake;
  auto index = Make(fake);
  ASSERT_TRUE(Fill(*index).ok());
  ASSERT_TRUE(index->Remove("bot", {2}).ok());
  ASSERT_TRUE(index->DropChatbot("gone").ok());
  for (const auto& call : fake.Calls()) {
    if (call.path.ends_with("/points") || call.path.ends_with("/points/delete")) {
      EXPECT_EQ(call.query, "wait=true") << call.path;
    }
  }
  const std::string payload = fake.PayloadOf(kCollection, qdrant::PointId("bot", 1));
  ASSERT_FALSE(payload.empty());
  EXPECT_EQ(json::parse(payload), json::parse(R"({"chatbot_id": "bot", "chunk_id": 1,
      "document_id": "doc", "source": "crawl", "url": "https://ex.com/a/b",
      "url_prefixes": ["https:/", "https://", "https://ex.com/", "https://ex.com/a/"],
      "tags": ["t"], "build": ""})"));
  EXPECT_EQ(fake.PointCount(kCollection), 1u);
}

TEST_F(QdrantIndexTest, HybridSearchIsOneBatchRequest) {
  FakeQdrantServer fake;
  auto index = Make(fake);
  ASSERT_TRUE(Fill(*index).ok());
  const std::size_t before = fake.Calls().size();
  auto hits = index->Search(Hybrid("pricing", {0, 1, 0, 0}));
  ASSERT_TRUE(hits.ok()) << hits.error().message;
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ((*hits)[0].chunk_id, 2);
  // Qdrant's RRF (k = 2): 1 / (0 + 2) from each side.
  EXPECT_NEAR((*hits)[0].score, 1.0, 1e-6);
  auto calls = fake.Calls();
  ASSERT_EQ(calls.size(), before + 1);
  EXPECT_EQ(calls.back().path, "/collections/studybot_d4/points/query/batch");
  json::value body = json::parse(calls.back().body);
  const json::array& searches = body.at("searches").as_array();
  ASSERT_EQ(searches.size(), 3u);
  EXPECT_EQ(searches[0].at("query"), json::parse(R"({"fusion": "rrf"})"));
  EXPECT_EQ(searches[0].at("prefetch").as_array().size(), 2u);
  EXPECT_EQ(searches[1].at("using"), "bm25");
  EXPECT_EQ(searches[2].at("using"), "dense");
  EXPECT_EQ(searches[0].at("filter").at("must").as_array()[0],
            json::parse(R"({"key": "chatbot_id", "match": {"value": "bot"}})"));
}

TEST_F(QdrantIndexTest, A503IsUnavailableAndTheNextCallRecovers) {
  FakeQdrantServer fake;
  auto index = Make(fake);
  ASSERT_TRUE(Fill(*index).ok());
  fake.FailNext(1, 503);
  auto r = index->Search(Hybrid("pricing", {0, 1, 0, 0}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("Qdrant"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("503"), std::string::npos) << r.error().message;
  EXPECT_TRUE(index->Search(Hybrid("pricing", {0, 1, 0, 0})).ok());

  fake.FailNext(1, 500);
  auto up = index->Upsert("bot", {Chunk(9, "x", {})});
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(index->Upsert("bot", {Chunk(9, "x", {})}).ok());
}

TEST_F(QdrantIndexTest, ASlowAnswerPastTheTimeoutIsUnavailable) {
  FakeQdrantServer fake;
  auto index = Make(fake, "", milliseconds(300));
  ASSERT_TRUE(Fill(*index).ok());
  fake.DelayNext(1, std::chrono::seconds(30));
  auto r = index->Search(Hybrid("pricing", {0, 1, 0, 0}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("Qdrant"), std::string::npos) << r.error().message;
  fake.ReleaseDelays();
  auto again = index->Search(Hybrid("pricing", {0, 1, 0, 0}));
  EXPECT_TRUE(again.ok()) << again.error().message;
}

TEST_F(QdrantIndexTest, NoServerIsUnavailable) {
  std::string url;
  {
    FakeQdrantServer gone;
    url = gone.base_url();
  }
  QdrantIndexOptions o;
  o.base_url = url;
  o.dimensions = kDims;
  auto index = MakeQdrantIndex(o, http_);
  ASSERT_TRUE(index.ok());
  auto up = (*index)->Upsert("bot", {Chunk(1, "x", {})});
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(up.error().message.find("Qdrant"), std::string::npos);
  auto ping = (*index)->Ping();
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().code, ErrorCode::kUnavailable);
}

TEST_F(QdrantIndexTest, SendsTheApiKeyAndNeverShowsIt) {
  const std::string key = "qdrant-secret-key-0123456789";
  FakeQdrantOptions fo;
  fo.api_key = key;
  FakeQdrantServer fake(fo);
  auto index = Make(fake, key);
  ASSERT_TRUE(Fill(*index).ok());
  ASSERT_TRUE(index->Search(Hybrid("pricing", {0, 1, 0, 0})).ok());
  for (const auto& call : fake.Calls())
    EXPECT_EQ(call.api_key, key) << call.path;

  const std::string wrong = "wrong-key-abcdefghijklmnop";
  auto bad = Make(fake, wrong);
  auto r = bad->Search(Hybrid("pricing", {0, 1, 0, 0}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInternal);
  EXPECT_NE(r.error().message.find("401"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find(wrong), std::string::npos);
  EXPECT_EQ(r.error().message.find(key), std::string::npos);
  auto none = Make(fake);
  EXPECT_FALSE(none->Upsert("bot", {Chunk(1, "x", {})}).ok());
}

TEST_F(QdrantIndexTest, QdrantRefusalsAreInternalWithQdrantsText) {
  FakeQdrantServer fake;
  // Someone made the collection with another vector length.
  outbound::HttpRequest req;
  req.method = "PUT";
  req.url = fake.base_url() + "/collections/studybot_d4";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = R"({"vectors": {"dense": {"size": 3, "distance": "Cosine"}},
                 "sparse_vectors": {"bm25": {"modifier": "idf"}}})";
  auto made = http_.Send(req);
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(made->status, 200);
  auto index = Make(fake);
  auto up = Fill(*index);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, ErrorCode::kInternal);
  EXPECT_NE(up.error().message.find("Vector dimension error"), std::string::npos)
      << up.error().message;
}

TEST_F(QdrantIndexTest, SearchingBeforeAnyUpsertFindsNothing) {
  FakeQdrantServer fake;
  auto index = Make(fake);
  auto r = index->Search(Hybrid("anything", {1, 0, 0, 0}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->empty());
  EXPECT_TRUE(index->Remove("bot", {1}).ok());
  EXPECT_TRUE(index->DropChatbot("bot").ok());
  EXPECT_FALSE(fake.HasCollection(kCollection));  // reads and deletes create nothing
}

TEST_F(QdrantIndexTest, TwoNodesRebuildingTheSameChatbotAtOnceKeepEveryPoint) {
  FakeQdrantServer fake;
  auto a = Make(fake);
  auto b = Make(fake);
  const std::vector<IndexedChunk> chunks = {Chunk(1, "installing the widget", {1, 0, 0, 0}),
                                            Chunk(2, "pricing and invoices", {0, 1, 0, 0}),
                                            Chunk(3, "refund policy", {0, 0, 1, 0})};
  auto pages = [&](std::function<void()> between) -> ChunkPager {
    return [&chunks, between](int64_t after) -> Result<std::vector<IndexedChunk>> {
      for (const IndexedChunk& c : chunks) {
        if (c.id > after) {
          if (after > 0 && between) between();
          return std::vector<IndexedChunk>{c};
        }
      }
      return std::vector<IndexedChunk>();
    };
  };
  ChatbotIndexSettings french{Language::kFrench, "e2"};
  // Node a is half-way when node b rebuilds the whole chatbot and deletes what it did not write;
  // then a finishes and deletes what it did not write.
  bool once = false;
  auto on_b = [&] {
    if (once) return;
    once = true;
    ASSERT_TRUE(b->ReplaceChatbot("bot", french, pages(nullptr)).ok());
  };
  ASSERT_TRUE(a->ReplaceChatbot("bot", french, pages(on_b)).ok());
  ASSERT_TRUE(once);
  EXPECT_EQ(fake.PointCount(kCollection), 3u);
  // Points of the earlier settings still go.
  ASSERT_TRUE(a->Upsert("other", {Chunk(9, "kept", {0, 0, 0, 1})}).ok());
  ASSERT_TRUE(a->ReplaceChatbot("bot", {Language::kEnglish, "e3"},
                                [&](int64_t after) -> Result<std::vector<IndexedChunk>> {
                                  if (after == 0) return std::vector<IndexedChunk>{chunks[0]};
                                  return std::vector<IndexedChunk>();
                                })
                  .ok());
  EXPECT_EQ(fake.PointCount(kCollection), 2u) << "bot's chunk 1, and other's chunk 9";
}

TEST_F(QdrantIndexTest, PingUsesTheReadinessProbe) {
  FakeQdrantServer fake;
  auto index = Make(fake, "not-needed-for-probes");
  EXPECT_TRUE(index->Ping().ok());
  EXPECT_EQ(fake.CountCalls("GET", "/readyz"), 1u);
  fake.FailNext(1, 503);
  auto p = index->Ping();
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(p.error().message.find("not ready"), std::string::npos) << p.error().message;
  EXPECT_TRUE(index->Ping().ok());
}

TEST_F(QdrantIndexTest, ConcurrentCallsAreSafe) {
  FakeQdrantServer fake;
  auto index = Make(fake);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const int64_t id = t * 100 + i;
        if (!index->Upsert("bot", {Chunk(id, "word" + std::to_string(id), {1, 0, 0, 0})}).ok()) {
          ++failures;
        }
        if (!index->Search(Hybrid("word" + std::to_string(id), {1, 0, 0, 0})).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(fake.PointCount(kCollection), 20u);
  EXPECT_EQ(fake.CountCalls("PUT", "/collections/studybot_d4"), 1u);
}

TEST(QdrantIndexOptionsTest, ValidateNamesTheBadField) {
  QdrantIndexOptions o;
  EXPECT_NE(o.Validate().error().message.find("dimensions"), std::string::npos);
  o.dimensions = 8;
  EXPECT_TRUE(o.Validate().ok());
  o.collection_prefix = "a/b";
  EXPECT_NE(o.Validate().error().message.find("collection_prefix"), std::string::npos);
  o.collection_prefix = "ok";
  o.base_url = "ftp://x";
  EXPECT_NE(o.Validate().error().message.find("base_url"), std::string::npos);
}

TEST(QdrantPointsTest, PointIdsAreReversiblePerChatbot) {
  const std::string id = qdrant::PointId("bot", 1234567890123);
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(qdrant::ChunkIdOf(id, "bot"), 1234567890123);
  EXPECT_EQ(qdrant::ChunkIdOf(id, "other"), std::nullopt);
  EXPECT_NE(qdrant::PointId("other", 1234567890123), id);
  EXPECT_EQ(qdrant::ChunkIdOf(qdrant::PointId("bot", -5), "bot"), -5);
}

TEST(QdrantPointsTest, IndexedPrefixes) {
  EXPECT_EQ(qdrant::IndexedPrefix("https://ex.com/docs/"), "https://ex.com/docs/");
  EXPECT_EQ(qdrant::IndexedPrefix("https://ex.com/docs"), "https://ex.com/");
  EXPECT_EQ(qdrant::IndexedPrefix("https:"), "");
  EXPECT_EQ(qdrant::IndexedPrefix(""), "");
}

TEST(QdrantPointsTest, SparseVectorsAreBm25TermWeights) {
  Bm25Params p;                                                    // k1 1.2, b 0.75
  auto v = qdrant::DocumentSparseVector({"a", "b", "a"}, p, 3.0);  // |D| = avgdl
  ASSERT_EQ(v.indices.size(), 2u);
  const uint32_t a = qdrant::TermIndex("a");
  const std::size_t ia = v.indices[0] == a ? 0 : 1;
  EXPECT_NEAR(v.values[ia], 2 * 2.2 / (2 + 1.2), 1e-6);
  EXPECT_NEAR(v.values[1 - ia], 2.2 / (1 + 1.2), 1e-6);
  EXPECT_TRUE(std::is_sorted(v.indices.begin(), v.indices.end()));
  auto q = qdrant::QuerySparseVector({"a", "a", "b"});
  EXPECT_EQ(q.indices.size(), 2u);
  EXPECT_EQ(q.values, (std::vector<float>{1.f, 1.f}));
}

}  // namespace
}  // namespace studybot::search
