// QdrantCollections beyond the shared ChunkIndex contract (tests/chunk_index_suite_test.cpp):
// routing chatbots to the collection of their vector length, moving them on a rebuild, and
// checkpoints.
#include "search/qdrant_collections.h"

#include <gtest/gtest.h>

#include "fake_qdrant_server.h"

namespace studybot::search {
namespace {

using testing::FakeQdrantServer;

outbound::HttpClientOptions AllowLoopback() {
  outbound::HttpClientOptions o;
  o.addresses.allow_private = true;  // the fake listens on 127.0.0.1
  return o;
}

IndexedChunk Chunk(int64_t id, std::string text, std::vector<float> vector) {
  IndexedChunk c;
  c.id = id;
  c.document_id = "doc";
  c.source = "upload";
  c.url = "https://ex.com/" + std::to_string(id);
  c.keyword_text = std::move(text);
  c.vector = std::move(vector);
  return c;
}

std::vector<float> Axis(int dims, int i) {
  std::vector<float> v(dims, 0.f);
  v[i] = 1.f;
  return v;
}

ChunkPager Pages(std::vector<IndexedChunk> chunks) {
  return [chunks = std::move(chunks)](int64_t after) -> Result<std::vector<IndexedChunk>> {
    std::vector<IndexedChunk> page;
    for (const IndexedChunk& c : chunks) {
      if (c.id > after && page.size() < 2) page.push_back(c);
    }
    return page;
  };
}

class QdrantCollectionsTest : public ::testing::Test {
 protected:
  std::unique_ptr<QdrantCollections> Make(std::string prefix = "studybot") {
    QdrantIndexOptions o;
    o.base_url = fake_.base_url();
    o.collection_prefix = std::move(prefix);
    o.dimensions = 6;  // the default: chatbots without vectors
    o.timeout = std::chrono::seconds(10);
    auto made = QdrantCollections::Make(o, http_);
    EXPECT_TRUE(made.ok()) << made.error().message;
    return std::move(made).value();
  }

  std::vector<int64_t> Ids(QdrantCollections& index, IndexQuery q) {
    auto hits = index.Search(q);
    EXPECT_TRUE(hits.ok()) << hits.error().message;
    std::vector<int64_t> out;
    if (hits.ok()) {
      for (const Hit& h : *hits)
        out.push_back(h.chunk_id);
    }
    return out;
  }

  static IndexQuery Query(std::string bot, std::string text, std::vector<float> v = {}) {
    IndexQuery q;
    q.chatbot_id = std::move(bot);
    q.text = std::move(text);
    q.vector = std::move(v);
    q.mode = q.vector.empty() ? SearchMode::kKeyword : SearchMode::kHybrid;
    q.fusion = Fusion::kConvex;
    return q;
  }

  FakeQdrantServer fake_;
  outbound::CurlHttpClient http_{AllowLoopback()};
};

TEST_F(QdrantCollectionsTest, ChatbotsGoToTheCollectionOfTheirVectors) {
  auto index = Make();
  ASSERT_TRUE(index->Upsert("a", {Chunk(1, "apples and pears", Axis(4, 0))}).ok());
  ASSERT_TRUE(index->Upsert("b", {Chunk(1, "bananas", {})}).ok());  // keyword only
  EXPECT_EQ(index->CollectionOf("a"), "studybot_d4");
  EXPECT_EQ(index->CollectionOf("b"), "studybot_d6");
  EXPECT_EQ(fake_.PointCount("studybot_d4"), 1u);
  EXPECT_EQ(fake_.PointCount("studybot_d6"), 1u);
  EXPECT_EQ(Ids(*index, Query("a", "apples", Axis(4, 0))), (std::vector<int64_t>{1}));
  EXPECT_EQ(Ids(*index, Query("b", "bananas")), (std::vector<int64_t>{1}));
  EXPECT_TRUE(Ids(*index, Query("nobody", "apples")).empty());
  // The collection refuses other lengths (the follower then rebuilds the chatbot whole).
  auto mixed = index->Upsert("b", {Chunk(2, "cherries", Axis(4, 1))});
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(QdrantCollectionsTest, ARebuildWithAnotherLengthMovesTheChatbot) {
  auto index = Make();
  ASSERT_TRUE(index->Upsert("a", {Chunk(1, "apples", {}), Chunk(2, "pears", {})}).ok());
  ASSERT_EQ(index->CollectionOf("a"), "studybot_d6");
  // The embedder changed: vectors of 3 now.
  ChatbotIndexSettings settings;
  settings.language = Language::kEnglish;
  settings.embedder = "lsa-x";
  ASSERT_TRUE(
      index
          ->ReplaceChatbot("a", settings,
                           Pages({Chunk(1, "apples", Axis(3, 0)), Chunk(2, "pears", Axis(3, 1)),
                                  Chunk(3, "plums", Axis(3, 2))}))
          .ok());
  EXPECT_EQ(index->CollectionOf("a"), "studybot_d3");
  EXPECT_EQ(fake_.PointCount("studybot_d3"), 3u);
  EXPECT_EQ(fake_.PointCount("studybot_d6"), 0u) << "the old collection keeps nothing of it";
  ASSERT_TRUE(index->SettingsOf("a").has_value());
  EXPECT_EQ(*index->SettingsOf("a"), settings);
  auto hits = Ids(*index, Query("a", "plums", Axis(3, 2)));
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0], 3);
  // A failing rebuild leaves it where it was.
  ChunkPager broken = [](int64_t) -> Result<std::vector<IndexedChunk>> {
    return Error::Unavailable("database down");
  };
  EXPECT_FALSE(index->ReplaceChatbot("a", {}, broken).ok());
  EXPECT_EQ(index->CollectionOf("a"), "studybot_d3");
  // Dropping it empties every collection it was in.
  ASSERT_TRUE(index->Upsert("b", {Chunk(7, "kiwis", {})}).ok());
  ASSERT_TRUE(index->DropChatbot("a").ok());
  EXPECT_EQ(fake_.PointCount("studybot_d3"), 0u);
  EXPECT_EQ(fake_.PointCount("studybot_d6"), 1u) << "b's point stays";
  EXPECT_EQ(index->CollectionOf("a"), "");
}

TEST_F(QdrantCollectionsTest, ACheckpointRestoresRoutesAndSettingsWithoutRewriting) {
  std::string saved;
  {
    auto index = Make();
    ChatbotIndexSettings french{Language::kFrench, "hashing-3"};
    ASSERT_TRUE(
        index->ReplaceChatbot("a", french, Pages({Chunk(1, "les chevaux mangent", Axis(3, 0))}))
            .ok());
    ASSERT_TRUE(index->Upsert("b", {Chunk(1, "bananas", {})}).ok());
    index->Save(saved, 42);
  }
  std::size_t writes = fake_.CountCalls("PUT", "/collections/studybot_d3/points");
  auto restored = Make();
  auto position = restored->Load(saved);
  ASSERT_TRUE(position.ok()) << position.error().message;
  EXPECT_EQ(*position, 42);
  EXPECT_EQ(restored->CollectionOf("a"), "studybot_d3");
  EXPECT_EQ(restored->CollectionOf("b"), "studybot_d6");
  auto all = restored->AllSettings();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all["a"], (ChatbotIndexSettings{Language::kFrench, "hashing-3"}));
  // Queries are analysed in the chatbot's language again: "cheval" meets "chevaux".
  EXPECT_EQ(Ids(*restored, Query("a", "cheval")), (std::vector<int64_t>{1}));
  EXPECT_EQ(fake_.CountCalls("PUT", "/collections/studybot_d3/points"), writes);
  auto missing = restored->MissingCollections();
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());

  // Another Qdrant (here: another prefix), garbage, a bad length: refused, nothing changed.
  auto other = Make("other");
  auto refused = other->Load(saved);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(other->AllSettings().empty());
  EXPECT_FALSE(restored->Load("{not json").ok());
  std::string bad = saved;
  bad.replace(bad.find("\"dimensions\":3"), 14, "\"dimensions\":0");
  EXPECT_FALSE(restored->Load(bad).ok());
  EXPECT_EQ(restored->CollectionOf("a"), "studybot_d3");
}

TEST_F(QdrantCollectionsTest, ALostCollectionIsFoundAtStart) {
  std::string saved;
  {
    auto index = Make();
    ASSERT_TRUE(index->Upsert("a", {Chunk(1, "apples", Axis(3, 0))}).ok());
    index->Save(saved, 7);
  }
  outbound::HttpRequest drop;
  drop.method = "DELETE";
  drop.url = fake_.base_url() + "/collections/studybot_d3";
  auto dropped = http_.Send(drop);
  ASSERT_TRUE(dropped.ok());
  ASSERT_EQ(dropped->status, 200);
  auto restored = Make();
  ASSERT_TRUE(restored->Load(saved).ok());
  auto missing = restored->MissingCollections();
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, (std::vector<std::string>{"studybot_d3"}));
  fake_.FailNext(1);
  auto down = restored->MissingCollections();
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(restored->Ping().ok());
}

}  // namespace
}  // namespace studybot::search
