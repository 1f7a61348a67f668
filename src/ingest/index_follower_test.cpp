#include "ingest/index_follower.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "test_server.h"

namespace studybot::ingest {
namespace {

// A ChunkIndex that records what it holds and refuses one chatbot's upserts.
class RecordingIndex final : public search::ChunkIndex {
 public:
  std::string refuse;          // refuses its upserts and rebuilds
  std::string refuse_upserts;  // refuses its upserts only
  bool down = false;           // everything kUnavailable
  std::map<std::string, std::set<int64_t>> held;
  std::map<std::string, search::Language> languages;
  std::map<std::string, search::ChatbotIndexSettings> settings_of;
  int replaced = 0;

  Status Upsert(const std::string& bot, const std::vector<search::IndexedChunk>& chunks) override {
    if (down) return Error::Unavailable("down");
    if (bot == refuse || bot == refuse_upserts) return Error::InvalidArgument("refused");
    for (const auto& c : chunks)
      held[bot].insert(c.id);
    return OkStatus();
  }
  Status Remove(const std::string& bot, const std::vector<int64_t>& ids) override {
    for (auto id : ids)
      held[bot].erase(id);
    return OkStatus();
  }
  Status DropChatbot(const std::string& bot) override {
    held.erase(bot);
    return OkStatus();
  }
  Status ReplaceChatbot(const std::string& bot, const search::ChatbotIndexSettings& settings,
                        const search::ChunkPager& pager) override {
    if (down) return Error::Unavailable("down");
    if (bot == refuse) return Error::InvalidArgument("refused");
    std::set<int64_t> fresh;
    for (int64_t after = 0;;) {
      auto page = pager(after);
      if (!page.ok()) return page.error();
      if (page->empty()) break;
      for (const auto& c : *page)
        fresh.insert(c.id);
      after = page->back().id;
    }
    held[bot] = std::move(fresh);
    languages[bot] = settings.language;
    settings_of[bot] = settings;
    ++replaced;
    return OkStatus();
  }
  std::optional<search::ChatbotIndexSettings> SettingsOf(const std::string& bot) override {
    auto it = settings_of.find(bot);
    if (it == settings_of.end()) return std::nullopt;
    return it->second;
  }
  Result<std::vector<search::Hit>> Search(const search::IndexQuery&) override {
    return std::vector<search::Hit>();
  }
};

class IndexFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::OpenMigratedSqlite(dir_.path() / "t.db");
    for (const char* bot : {"b1", "b2"}) {
      ASSERT_TRUE(db_->Write("INSERT INTO chatbots (id, name, description, system_prompt, model, "
                             "allowed_domains, widget_settings, created_at, updated_at) VALUES "
                             "(?, ?, '', '', 'm', '[]', '{}', 'now', 'now')",
                             {std::string(bot), std::string(bot)})
                      .ok());
      ASSERT_TRUE(db_->Write("INSERT INTO documents (id, chatbot_id, source, title, format, body, "
                             "content_hash, created_at, updated_at) VALUES (?, ?, 'upload', 't', "
                             "'text', 'x', 'h', 'now', 'now')",
                             {std::string("d") + bot, std::string(bot)})
                      .ok());
    }
  }

  // Adds a chunk and its change, as the pipeline does.
  void AddChunk(const std::string& bot, const std::string& hash) {
    auto ins = db_->Execute(
        "INSERT INTO chunks (chatbot_id, document_id, position, text, content_hash, created_at) "
        "VALUES (?, ?, 0, 'text', ?, 'now')",
        {bot, "d" + bot, hash});
    ASSERT_TRUE(ins.ok()) << ins.error().message;
    ASSERT_TRUE(db_->Write("INSERT INTO index_changes (chatbot_id, chunk_id, created_at) VALUES "
                           "(?, ?, 'now')",
                           {bot, ins->last_insert_id})
                    .ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Database> db_;
  Logger logger_{Logger::Options{LogLevel::kError, "stderr", std::chrono::milliseconds(200)}};
};

TEST_F(IndexFollowerTest, FollowsTheLogAndOneRefusedChangeDoesNotStallTheOthers) {
  DocumentRepository docs(*db_);
  RecordingIndex index;
  IndexFollower follower(docs, index, logger_);
  ASSERT_TRUE(follower.LoadAll().ok());
  AddChunk("b1", "h1");
  AddChunk("b2", "h2");
  index.refuse = "b1";
  ASSERT_TRUE(follower.CatchUp().ok());
  EXPECT_EQ(index.held["b2"].size(), 1u) << "b1's refused change stalled b2's";
  EXPECT_EQ(follower.position(), 2);
  // Removal: the chunk row goes, its change names it, the index forgets it.
  index.refuse.clear();
  ASSERT_TRUE(db_->Write("DELETE FROM chunks WHERE chatbot_id = 'b2'").ok());
  ASSERT_TRUE(db_->Write("INSERT INTO index_changes (chatbot_id, chunk_id, created_at) VALUES "
                         "('b2', 2, 'now')")
                  .ok());
  ASSERT_TRUE(follower.CatchUp().ok());
  EXPECT_TRUE(index.held["b2"].empty());
  // A chatbot drop (chunk 0) forgets it whole.
  AddChunk("b1", "h3");
  ASSERT_TRUE(follower.CatchUp().ok());
  EXPECT_FALSE(index.held["b1"].empty());
  ASSERT_TRUE(db_->Write("INSERT INTO index_changes (chatbot_id, chunk_id, created_at) VALUES "
                         "('b1', 0, 'now')")
                  .ok());
  ASSERT_TRUE(follower.CatchUp().ok());
  EXPECT_FALSE(index.held.count("b1"));
}

TEST_F(IndexFollowerTest, AChangeTheIndexRefusesIsRepairedByRebuildingTheChatbot) {
  DocumentRepository docs(*db_);
  RecordingIndex index;
  IndexFollower follower(docs, index, logger_);
  AddChunk("b1", "h1");
  ASSERT_TRUE(follower.LoadAll().ok());
  int rebuilt = index.replaced;
  AddChunk("b1", "h2");
  index.refuse_upserts = "b1";
  ASSERT_TRUE(follower.CatchUp().ok());
  EXPECT_EQ(index.replaced, rebuilt + 1);
  EXPECT_EQ(index.held["b1"].size(), 2u) << "the refused chunk is in after the rebuild";
  EXPECT_EQ(follower.position(), 2);
}

TEST_F(IndexFollowerTest, ALoadLeftForLaterWaitsForTheIndexAndLosesNothing) {
  DocumentRepository docs(*db_);
  RecordingIndex index;
  IndexFollower follower(docs, index, logger_);
  AddChunk("b1", "h1");
  index.down = true;  // Qdrant down at start
  follower.LoadAllLater();
  {
    // The loop retries meanwhile, and writes no checkpoint of a load not done (position 0,
    // no chatbots): a restart would trust it.
    IndexFollower looping(docs, index, logger_, std::chrono::milliseconds(5));
    looping.LoadAllLater();
    int checkpoints = 0;
    looping.SetCheckpoint([&](int64_t) { ++checkpoints; }, std::chrono::milliseconds(0));
    looping.Start();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    looping.Stop();
    EXPECT_EQ(checkpoints, 0);
  }
  auto first = follower.CatchUp();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(follower.position(), 0);
  AddChunk("b2", "h2");
  index.down = false;
  ASSERT_TRUE(follower.CatchUp().ok());
  EXPECT_EQ(index.held["b1"].size(), 1u);
  EXPECT_EQ(index.held["b2"].size(), 1u);
  EXPECT_EQ(follower.position(), 2);
}

TEST_F(IndexFollowerTest, AReloadRebuildsTheChatbotInItsLanguage) {
  DocumentRepository docs(*db_);
  RecordingIndex index;
  ASSERT_TRUE(db_->Write("UPDATE chatbots SET language = 'fr' WHERE id = 'b1'").ok());
  AddChunk("b1", "h1");
  AddChunk("b1", "h2");
  IndexFollower follower(docs, index, logger_);
  ASSERT_TRUE(follower.LoadAll().ok());
  EXPECT_EQ(index.languages["b1"], search::Language::kFrench);
  EXPECT_EQ(index.languages["b2"], search::Language::kAuto);
  EXPECT_EQ(index.held["b1"].size(), 2u);
  int before = index.replaced;
  // The language changes and a reload (chunk -1) is logged: b1 is rebuilt, b2 left alone.
  ASSERT_TRUE(db_->Write("UPDATE chatbots SET language = 'en' WHERE id = 'b1'").ok());
  ASSERT_TRUE(db_->Write("INSERT INTO index_changes (chatbot_id, chunk_id, created_at) VALUES "
                         "('b1', -1, 'now')")
                  .ok());
  AddChunk("b1", "h3");  // after the reload in the same batch: covered by it
  ASSERT_TRUE(follower.CatchUp().ok());
  EXPECT_EQ(index.replaced, before + 1);
  EXPECT_EQ(index.languages["b1"], search::Language::kEnglish);
  EXPECT_EQ(index.held["b1"].size(), 3u);
  // A language changed without a reload is noticed with the next change of the chatbot.
  ASSERT_TRUE(db_->Write("UPDATE chatbots SET language = 'fr' WHERE id = 'b1'").ok());
  AddChunk("b1", "h4");
  ASSERT_TRUE(follower.CatchUp().ok());
  EXPECT_EQ(index.languages["b1"], search::Language::kFrench);
  EXPECT_EQ(index.held["b1"].size(), 4u);
  // A reload of a chatbot that is gone drops it.
  ASSERT_TRUE(db_->Write("INSERT INTO index_changes (chatbot_id, chunk_id, created_at) VALUES "
                         "('gone', -1, 'now')")
                  .ok());
  ASSERT_TRUE(follower.CatchUp().ok());
  EXPECT_FALSE(index.held.count("gone"));
}

}  // namespace
}  // namespace studybot::ingest
