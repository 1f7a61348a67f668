#include "ingest/index_follower.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "test_server.h"

namespace studybot::ingest {
namespace {

// A ChunkIndex that records what it holds and refuses one chatbot's upserts.
class RecordingIndex final : public search::ChunkIndex {
 public:
  std::string refuse;
  std::map<std::string, std::set<int64_t>> held;

  Status Upsert(const std::string& bot, const std::vector<search::IndexedChunk>& chunks) override {
    if (bot == refuse) return Error::InvalidArgument("refused");
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
  IndexFollower follower(docs, index, "hashing-v1/384", logger_);
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

}  // namespace
}  // namespace studybot::ingest
