// One contract, every ChunkIndex: the same tests run against the built-in HnswBm25Index and
// against QdrantIndex (alone, and routed by QdrantCollections) talking to FakeQdrantServer, with
// both fusions. Tests check what the interface promises
// (which chunks, in a sane order, with 1-based ranks), not scores: BM25 statistics and RRF's k
// differ between the two by design (see qdrant_index.h).
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_qdrant_server.h"
#include "outbound/http_client.h"
#include "search/hnsw_bm25_index.h"
#include "search/qdrant_collections.h"
#include "search/qdrant_index.h"

namespace studybot::search {
namespace {

constexpr int kDims = 8;

std::vector<float> Axis(int i) {
  std::vector<float> v(kDims, 0.f);
  v[i] = 1.f;
  return v;
}

// Close to axis `i`, leaning towards axis `j`: ranks i first, j second.
std::vector<float> Near(int i, int j) {
  std::vector<float> v(kDims, 0.f);
  v[i] = 0.9f;
  v[j] = 0.435889894f;  // sqrt(1 - 0.81)
  return v;
}

// Equally close to axes 0..4: every chunk with a vector is a candidate.
std::vector<float> Everything() {
  std::vector<float> v(kDims, 0.f);
  for (int i = 0; i < 5; ++i)
    v[i] = 1.f / std::sqrt(5.f);
  return v;
}

// A ChunkIndex and whatever it needs alive.
class Harness {
 public:
  virtual ~Harness() = default;
  virtual ChunkIndex& index() = 0;
};

class BuiltInHarness final : public Harness {
 public:
  ChunkIndex& index() override { return index_; }

 private:
  HnswBm25Index index_;
};

class QdrantHarness final : public Harness {
 public:
  QdrantHarness() : http_(AllowLoopback()) {
    QdrantIndexOptions o;
    o.base_url = fake_.base_url();
    o.dimensions = kDims;
    o.timeout = std::chrono::seconds(10);
    auto made = MakeQdrantIndex(o, http_);
    EXPECT_TRUE(made.ok());
    index_ = std::move(made).value();
  }
  ChunkIndex& index() override { return *index_; }

 private:
  static outbound::HttpClientOptions AllowLoopback() {
    outbound::HttpClientOptions o;
    o.addresses.allow_private = true;  // the fake listens on 127.0.0.1
    return o;
  }
  testing::FakeQdrantServer fake_;
  outbound::CurlHttpClient http_;
  std::unique_ptr<QdrantIndex> index_;
};

// Qdrant through QdrantCollections, the index the server uses: vectors of 8 go to a collection
// of their own, apart from the default one (keyword-only chatbots).
class QdrantCollectionsHarness final : public Harness {
 public:
  QdrantCollectionsHarness() : http_(AllowLoopback()) {
    QdrantIndexOptions o;
    o.base_url = fake_.base_url();
    o.dimensions = 384;
    o.timeout = std::chrono::seconds(10);
    auto made = QdrantCollections::Make(o, http_);
    EXPECT_TRUE(made.ok());
    index_ = std::move(made).value();
  }
  ChunkIndex& index() override { return *index_; }

 private:
  static outbound::HttpClientOptions AllowLoopback() {
    outbound::HttpClientOptions o;
    o.addresses.allow_private = true;
    return o;
  }
  testing::FakeQdrantServer fake_;
  outbound::CurlHttpClient http_;
  std::unique_ptr<QdrantCollections> index_;
};

struct Implementation {
  std::string name;
  std::function<std::unique_ptr<Harness>()> make;
  Fusion fusion = Fusion::kRrf;  // of every hybrid query
};

IndexedChunk Chunk(int64_t id, std::string document, std::string source, std::string url,
                   std::vector<std::string> tags, std::string text, std::vector<float> vector) {
  IndexedChunk c;
  c.id = id;
  c.document_id = std::move(document);
  c.source = std::move(source);
  c.url = std::move(url);
  c.tags = std::move(tags);
  c.keyword_text = std::move(text);
  c.vector = std::move(vector);
  return c;
}

// Five chunks; chunk 5 has no embedding yet.
std::vector<IndexedChunk> Corpus() {
  return {
      Chunk(1, "d1", "crawl", "https://ex.com/docs/install", {"guide", "setup"},
            "Installing the widget on your website takes two minutes", Axis(0)),
      Chunk(2, "d1", "crawl", "https://ex.com/docs/pricing", {"billing"},
            "Pricing plans and invoices for every team size", Axis(1)),
      Chunk(3, "d2", "upload", "https://ex.com/blog/launch", {"guide"},
            "We launched the chatbot builder with hybrid search", Axis(2)),
      Chunk(4, "d3", "crawl", "https://ex.com/docsearch/tips", {"guide"},
            "Search tips for the documentation portal", Axis(3)),
      Chunk(5, "d2", "upload", "https://ex.com/faq", {},
            "Refund policy: refunds are paid back within thirty days", {}),
  };
}

class ChunkIndexSuite : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override {
    harness_ = GetParam().make();
    ASSERT_TRUE(index().Upsert("bot", Corpus()).ok());
  }
  ChunkIndex& index() { return harness_->index(); }

  std::vector<Hit> Find(IndexQuery q) {
    if (q.chatbot_id.empty()) q.chatbot_id = "bot";
    q.fusion = GetParam().fusion;
    auto r = index().Search(q);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok()) return {};
    // The interface's promises, whatever the query.
    const std::vector<Hit>& hits = *r;
    EXPECT_LE(hits.size(), q.top_k);
    for (std::size_t i = 0; i < hits.size(); ++i) {
      EXPECT_TRUE(hits[i].keyword_rank > 0 || hits[i].dense_rank > 0) << "hit " << i;
      EXPECT_GE(hits[i].keyword_rank, 0);
      EXPECT_GE(hits[i].dense_rank, 0);
      if (i > 0) {
        EXPECT_GE(hits[i - 1].score, hits[i].score) << "hit " << i;
      }
      if (q.mode == SearchMode::kKeyword) {
        EXPECT_EQ(hits[i].dense_rank, 0);
      }
      if (q.mode == SearchMode::kDense) {
        EXPECT_EQ(hits[i].keyword_rank, 0);
      }
      if (hits[i].keyword_rank > 0) {
        EXPECT_GT(hits[i].keyword_score, 0);
      }
      if (q.mode != SearchMode::kHybrid) {
        EXPECT_EQ(hits[i].keyword_rank + hits[i].dense_rank, static_cast<int>(i + 1));
      }
    }
    return hits;
  }

  static IndexQuery Keyword(std::string text, std::size_t top_k = 10) {
    IndexQuery q;
    q.text = std::move(text);
    q.mode = SearchMode::kKeyword;
    q.top_k = top_k;
    return q;
  }
  static IndexQuery Dense(std::vector<float> v, std::size_t top_k = 10) {
    IndexQuery q;
    q.vector = std::move(v);
    q.mode = SearchMode::kDense;
    q.top_k = top_k;
    return q;
  }
  static IndexQuery Hybrid(std::string text, std::vector<float> v, std::size_t top_k = 10) {
    IndexQuery q;
    q.text = std::move(text);
    q.vector = std::move(v);
    q.mode = SearchMode::kHybrid;
    q.top_k = top_k;
    return q;
  }
  static std::set<int64_t> Ids(const std::vector<Hit>& hits) {
    std::set<int64_t> ids;
    for (const Hit& h : hits)
      ids.insert(h.chunk_id);
    return ids;
  }

  std::unique_ptr<Harness> harness_;
};

TEST_P(ChunkIndexSuite, KeywordSearchFindsTheChunk) {
  auto hits = Find(Keyword("installing the widget"));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk_id, 1);
  EXPECT_EQ(hits[0].keyword_rank, 1);
  EXPECT_GT(hits[0].score, 0);

  hits = Find(Keyword("search"));
  EXPECT_EQ(Ids(hits), (std::set<int64_t>{3, 4}));
}

TEST_P(ChunkIndexSuite, DenseSearchFindsTheChunk) {
  auto hits = Find(Dense(Near(1, 3)));
  ASSERT_GE(hits.size(), 2u);
  EXPECT_EQ(hits[0].chunk_id, 2);
  EXPECT_EQ(hits[0].dense_rank, 1);
  EXPECT_NEAR(hits[0].score, 0.9, 1e-3);  // cosine
  EXPECT_EQ(hits[1].chunk_id, 4);
  EXPECT_EQ(hits[1].dense_rank, 2);
  EXPECT_FALSE(Ids(hits).contains(5));  // no vector, never a dense hit
}

TEST_P(ChunkIndexSuite, HybridFusesBothSides) {
  // Both sides agree on chunk 2.
  auto hits = Find(Hybrid("pricing invoices", Near(1, 0)));
  ASSERT_GE(hits.size(), 2u);
  EXPECT_EQ(hits[0].chunk_id, 2);
  EXPECT_EQ(hits[0].keyword_rank, 1);
  EXPECT_EQ(hits[0].dense_rank, 1);
  EXPECT_GT(hits[0].score, 0);
  // Chunk 1 comes from the dense side only.
  auto one = std::find_if(hits.begin(), hits.end(), [](const Hit& h) { return h.chunk_id == 1; });
  ASSERT_NE(one, hits.end());
  EXPECT_EQ(one->keyword_rank, 0);
  EXPECT_EQ(one->dense_rank, 2);

  // Each side brings its own best chunk.
  hits = Find(Hybrid("refunds", Axis(3), 2));
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(Ids(hits), (std::set<int64_t>{4, 5}));
  for (const Hit& h : hits) {
    if (h.chunk_id == 5) {
      EXPECT_EQ(h.keyword_rank, 1);
      EXPECT_EQ(h.dense_rank, 0);
      EXPECT_EQ(h.dense_score, 0);  // no vector
    }
    if (h.chunk_id == 4) {
      EXPECT_EQ(h.dense_rank, 1);
      EXPECT_NEAR(h.dense_score, 1.0, 1e-4);
    }
  }
}

TEST_P(ChunkIndexSuite, HitsCarryBothScores) {
  // Dense order 1 (0.8), 3 (0.59), 2 (0.1); two candidates per side, so 2 is not a dense one.
  std::vector<float> v(kDims, 0.f);
  v[0] = 0.8f;
  v[1] = 0.1f;
  v[2] = 0.591608f;
  IndexQuery q = Hybrid("pricing", v, 2);
  q.candidate_depth = 2;
  auto hits = Find(q);
  ASSERT_EQ(Ids(hits), (std::set<int64_t>{1, 2}));
  for (const Hit& h : hits) {
    if (h.chunk_id == 1) {
      EXPECT_EQ(h.dense_rank, 1);
      EXPECT_NEAR(h.dense_score, 0.8, 1e-4);
      EXPECT_EQ(h.keyword_score, 0);
    } else {
      EXPECT_EQ(h.keyword_rank, 1);
      EXPECT_GT(h.keyword_score, 0);
      EXPECT_EQ(h.dense_rank, 0);
      EXPECT_NEAR(h.dense_score, 0.1, 1e-4);  // computed although not a dense candidate
    }
  }
  auto dense = Find(Dense(v, 1));
  ASSERT_EQ(dense.size(), 1u);
  EXPECT_NEAR(dense[0].dense_score, 0.8, 1e-4);
  EXPECT_NEAR(dense[0].score, 0.8, 1e-4);
}

TEST_P(ChunkIndexSuite, ReplaceChatbotRebuildsWithNewSettings) {
  // French now, and only two chunks left, one of them changed.
  std::vector<IndexedChunk> fresh = {
      Chunk(2, "d1", "crawl", "https://ex.com/docs/pricing", {"billing"},
            "Pricing plans and invoices for every team size", Axis(1)),
      Chunk(3, "d2", "upload", "https://ex.com/blog/chevaux", {"guide"},
            "Les chevaux mangent du foin dans les prairies", Axis(2)),
  };
  int pages = 0;
  ChunkPager pager = [&](int64_t after) -> Result<std::vector<IndexedChunk>> {
    ++pages;
    std::vector<IndexedChunk> page;
    for (const IndexedChunk& c : fresh) {
      if (c.id > after && page.empty()) page.push_back(c);  // one chunk a page
    }
    return page;
  };
  ChatbotIndexSettings french;
  french.language = Language::kFrench;
  ASSERT_TRUE(index().ReplaceChatbot("bot", french, pager).ok());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(Ids(Find(Dense(Everything()))), (std::set<int64_t>{2, 3}));
  EXPECT_TRUE(Find(Keyword("refunds")).empty());
  EXPECT_TRUE(Find(Keyword("chatbot builder")).empty());
  // French stemming: "chevaux" and "cheval" meet.
  EXPECT_EQ(Ids(Find(Keyword("cheval"))), (std::set<int64_t>{3}));
  // Later upserts and queries of the chatbot use its new language too.
  ASSERT_TRUE(index()
                  .Upsert("bot", {Chunk(9, "d9", "upload", "https://ex.com/j", {},
                                        "Les journaux du matin", Axis(4))})
                  .ok());
  EXPECT_EQ(Ids(Find(Keyword("journal"))), (std::set<int64_t>{9}));

  // A failing pager leaves the chatbot as it was.
  ChunkPager broken = [](int64_t) -> Result<std::vector<IndexedChunk>> {
    return Error::Unavailable("database down");
  };
  EXPECT_FALSE(index().ReplaceChatbot("bot", {}, broken).ok());
  EXPECT_EQ(Ids(Find(Keyword("cheval"))), (std::set<int64_t>{3}));
}

TEST_P(ChunkIndexSuite, UpsertOfTheSameIdReplacesTheChunk) {
  ASSERT_TRUE(index()
                  .Upsert("bot", {Chunk(1, "d9", "upload", "https://ex.com/k8s", {"ops"},
                                        "Kubernetes deployment with Helm charts", Axis(4))})
                  .ok());
  EXPECT_TRUE(Find(Keyword("installing widget")).empty());
  auto hits = Find(Keyword("kubernetes"));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk_id, 1);
  hits = Find(Dense(Axis(4)));
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].chunk_id, 1);
  hits = Find(Dense(Axis(0)));
  ASSERT_FALSE(hits.empty());
  EXPECT_LT(hits[0].score, 0.5);  // nothing points along axis 0 any more
  // The filter fields were replaced too.
  IndexQuery q = Keyword("kubernetes");
  q.filter.document_ids = {"d1"};
  EXPECT_TRUE(Find(q).empty());
}

TEST_P(ChunkIndexSuite, RemoveForgetsChunks) {
  ASSERT_TRUE(index().Remove("bot", {1, 5, 999}).ok());
  EXPECT_TRUE(Find(Keyword("installing widget")).empty());
  EXPECT_TRUE(Find(Keyword("refunds")).empty());
  EXPECT_EQ(Ids(Find(Dense(Everything()))), (std::set<int64_t>{2, 3, 4}));
  EXPECT_TRUE(index().Remove("bot", {}).ok());
  EXPECT_TRUE(index().Remove("nobody", {1}).ok());
}

TEST_P(ChunkIndexSuite, DropChatbotForgetsEverythingOfIt) {
  ASSERT_TRUE(index()
                  .Upsert("other", {Chunk(1, "x", "crawl", "https://o.com/", {},
                                          "installing the widget", Axis(0))})
                  .ok());
  ASSERT_TRUE(index().DropChatbot("bot").ok());
  EXPECT_TRUE(Find(Keyword("installing widget")).empty());
  EXPECT_TRUE(Find(Dense(Everything())).empty());
  IndexQuery q = Keyword("installing widget");
  q.chatbot_id = "other";
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{1}));
  EXPECT_TRUE(index().DropChatbot("never-seen").ok());
}

TEST_P(ChunkIndexSuite, ChatbotsAreIsolatedEvenWithTheSameChunkIds) {
  ASSERT_TRUE(index()
                  .Upsert("other", {Chunk(2, "o1", "crawl", "https://o.com/a", {},
                                          "Pricing of the other chatbot", Axis(1)),
                                    Chunk(7, "o1", "crawl", "https://o.com/b", {},
                                          "Installing gadgets", Axis(0))})
                  .ok());
  // bot's chunk 2 is untouched by other's chunk 2.
  auto hits = Find(Keyword("invoices"));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk_id, 2);
  EXPECT_EQ(Ids(Find(Keyword("installing"))), (std::set<int64_t>{1}));
  IndexQuery q = Keyword("installing pricing invoices");
  q.chatbot_id = "other";
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{2, 7}));
  // Removing other's chunk 2 leaves bot's.
  ASSERT_TRUE(index().Remove("other", {2}).ok());
  EXPECT_EQ(Ids(Find(Keyword("invoices"))), (std::set<int64_t>{2}));
  EXPECT_TRUE(Find(Keyword("invoices", 10)).size() == 1);
  IndexQuery none = Keyword("anything at all");
  none.chatbot_id = "nobody";
  EXPECT_TRUE(Find(none).empty());
}

TEST_P(ChunkIndexSuite, FilterOnDocumentIds) {
  IndexQuery q = Dense(Everything());
  q.filter.document_ids = {"d2", "d3", "d2"};
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{3, 4}));
  q = Keyword("refunds search");
  q.filter.document_ids = {"d2"};
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{3, 5}));
}

TEST_P(ChunkIndexSuite, FilterOnSource) {
  IndexQuery q = Hybrid("refunds search", Everything());
  q.filter.source = "upload";
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{3, 5}));
  q.filter.source = "crawl";
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{1, 2, 4}));
}

TEST_P(ChunkIndexSuite, FilterOnUrlPrefixAtAPathBoundary) {
  IndexQuery q = Dense(Everything());
  q.filter.url_prefix = "https://ex.com/docs/";
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{1, 2}));
  q.filter.url_prefix = "https://ex.com/";
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{1, 2, 3, 4}));
  q.filter.url_prefix = "https://elsewhere.org/";
  EXPECT_TRUE(Find(q).empty());
  // Hybrid too: both sides filtered.
  IndexQuery h = Hybrid("refunds search pricing", Everything(), 10);
  h.filter.url_prefix = "https://ex.com/docs/";
  EXPECT_EQ(Ids(Find(h)), (std::set<int64_t>{1, 2}));
}

TEST_P(ChunkIndexSuite, FilterOnUrlPrefixInsideASegment) {
  // A plain string prefix: "docs" also covers "docsearch".
  IndexQuery q = Dense(Everything());
  q.filter.url_prefix = "https://ex.com/docs";
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{1, 2, 4}));
  q.filter.url_prefix = "https://ex.com/docs/pri";
  auto hits = Find(q);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk_id, 2);
  EXPECT_EQ(hits[0].dense_rank, 1);  // ranks among the filtered candidates

  q = Hybrid("search tips", Axis(2));
  q.filter.url_prefix = "https://ex.com/d";
  hits = Find(q);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].chunk_id, 4);  // first on the keyword side, in hybrid mode too
  EXPECT_EQ(hits[0].keyword_rank, 1);
  EXPECT_FALSE(Ids(hits).contains(3));  // the best dense chunk, but under /blog
  q = Keyword("refunds");
  q.filter.url_prefix = "https://ex.com/fa";
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{5}));
}

TEST_P(ChunkIndexSuite, FilterOnTagsNeedsAllOfThem) {
  IndexQuery q = Dense(Everything());
  q.filter.tags = {"guide"};
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{1, 3, 4}));
  q.filter.tags = {"guide", "setup"};
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{1}));
  q.filter.tags = {"guide", "billing"};
  EXPECT_TRUE(Find(q).empty());
}

TEST_P(ChunkIndexSuite, FiltersCombine) {
  IndexQuery q = Hybrid("search installing pricing", Everything());
  q.filter.source = "crawl";
  q.filter.tags = {"guide"};
  q.filter.url_prefix = "https://ex.com/docs";
  EXPECT_EQ(Ids(Find(q)), (std::set<int64_t>{1, 4}));
}

TEST_P(ChunkIndexSuite, ChunksWithoutVectorsAreKeywordSearchable) {
  auto hits = Find(Keyword("refund policy"));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk_id, 5);
  hits = Find(Hybrid("refund policy", Axis(0)));
  auto five = std::find_if(hits.begin(), hits.end(), [](const Hit& h) { return h.chunk_id == 5; });
  ASSERT_NE(five, hits.end());
  EXPECT_EQ(five->keyword_rank, 1);
  EXPECT_EQ(five->dense_rank, 0);
  // A hybrid query without a vector is keyword search with fused scores.
  hits = Find(Hybrid("refund policy", {}));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].chunk_id, 5);
  // A zero vector has no direction: stored as keyword-only.
  ASSERT_TRUE(index()
                  .Upsert("bot", {Chunk(6, "d4", "upload", "https://ex.com/z", {}, "zebra crossing",
                                        std::vector<float>(kDims, 0.f))})
                  .ok());
  EXPECT_EQ(Ids(Find(Keyword("zebra"))), (std::set<int64_t>{6}));
  EXPECT_FALSE(Ids(Find(Dense(Everything()))).contains(6));
}

TEST_P(ChunkIndexSuite, TopKBoundsTheHits) {
  EXPECT_EQ(Find(Dense(Everything(), 2)).size(), 2u);
  EXPECT_EQ(Find(Hybrid("search installing pricing refunds", Everything(), 3)).size(), 3u);
  EXPECT_EQ(Find(Keyword("search installing pricing refunds", 1)).size(), 1u);
  EXPECT_TRUE(Find(Dense(Everything(), 0)).empty());
  // candidate_depth smaller than top_k still gives top_k hits.
  IndexQuery q = Dense(Everything(), 4);
  q.candidate_depth = 1;
  EXPECT_EQ(Find(q).size(), 4u);
}

TEST_P(ChunkIndexSuite, QueriesWithNothingToMatchFindNothing) {
  EXPECT_TRUE(Find(Keyword("")).empty());
  EXPECT_TRUE(Find(Keyword("the and of")).empty());  // stop words only
  EXPECT_TRUE(Find(Dense({})).empty());
  EXPECT_TRUE(Find(Hybrid("", {})).empty());
}

TEST_P(ChunkIndexSuite, AVectorOfTheWrongLengthIsRefused) {
  auto up = index().Upsert("bot", {Chunk(8, "d", "upload", "u", {}, "text", {1.f, 0.f})});
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code, ErrorCode::kInvalidArgument);
  IndexQuery q = Dense({1.f, 0.f});
  q.chatbot_id = "bot";
  auto r = index().Search(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
}

INSTANTIATE_TEST_SUITE_P(
    AllIndexes, ChunkIndexSuite,
    ::testing::Values(
        Implementation{"HnswBm25", [] { return std::unique_ptr<Harness>(new BuiltInHarness); }},
        Implementation{"HnswBm25Convex",
                       [] { return std::unique_ptr<Harness>(new BuiltInHarness); },
                       Fusion::kConvex},
        Implementation{"Qdrant", [] { return std::unique_ptr<Harness>(new QdrantHarness); }},
        Implementation{"QdrantConvex", [] { return std::unique_ptr<Harness>(new QdrantHarness); },
                       Fusion::kConvex},
        Implementation{"QdrantCollectionsConvex",
                       [] { return std::unique_ptr<Harness>(new QdrantCollectionsHarness); },
                       Fusion::kConvex}),
    [](const ::testing::TestParamInfo<Implementation>& info) { return info.param.name; });

}  // namespace
}  // namespace studybot::search
