// QdrantCollections: the search index of a deployment on Qdrant (STUDYBOT_QDRANT_URL). A Qdrant
// collection has one dense vector length, and chatbots' embedders have different ones (the
// learned embedder 160, the hashing one 384, OpenAI's 1536...): this keeps one QdrantIndex
// (collection "<prefix>_d<length>", see qdrant_index.h) per length in use and routes each chatbot
// to the collection of its vectors. A chatbot without vectors (keyword only, e.g. too little
// content for the learned embedder yet) lives in the collection of `default_dimensions`, its
// points without a dense vector.
//
// A chatbot's route is chosen when it is rebuilt (ReplaceChatbot: from the first vector of its
// first page of chunks) or first written (Upsert). When a rebuild moves it to another length,
// the new collection is filled first, searches answer from the old one until the switch, and
// the chatbot's points in the old one are deleted after it (if that delete fails, they stay
// there unseen: no search is routed to them, and a later rebuild into that collection deletes
// them).
//
// Checkpoints (CheckpointedIndex) hold what this process knows, not points (those are in
// Qdrant): for each chatbot its language, embedder and vector length, with the change-log
// position, as JSON. A checkpoint written for another Qdrant URL or collection prefix is refused.
// Since Qdrant keeps the points, a restart resumes from the checkpoint and replays only the log
// after it, instead of writing every chunk again. A Qdrant that lost its data (a collection
// deleted, a new server) is found by MissingCollections() at start.
//
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "outbound/http_client.h"
#include "search/chunk_index.h"
#include "search/qdrant_index.h"

namespace studybot::search {

class QdrantCollections final : public CheckpointedIndex {
 public:
  // `options.dimensions` is the default length (chatbots without vectors); each collection gets
  // a copy of the options with its own length. kInvalidArgument naming the bad option.
  static Result<std::unique_ptr<QdrantCollections>> Make(QdrantIndexOptions options,
                                                         outbound::HttpClient& http);

  Status Upsert(const std::string& chatbot_id, const std::vector<IndexedChunk>& chunks) override;
  Status Remove(const std::string& chatbot_id, const std::vector<int64_t>& ids) override;
  Status DropChatbot(const std::string& chatbot_id) override;
  Status ReplaceChatbot(const std::string& chatbot_id, const ChatbotIndexSettings& settings,
                        const ChunkPager& pager) override;
  std::optional<ChatbotIndexSettings> SettingsOf(const std::string& chatbot_id) override;
  Result<std::vector<Hit>> Search(const IndexQuery& query) override;

  void Save(std::string& out, int64_t position) override;
  Result<int64_t> Load(std::string_view data) override;
  std::map<std::string, ChatbotIndexSettings> AllSettings() override;

  // Qdrant's readiness (QdrantIndex::Ping).
  Status Ping();
  // The routed collections that Qdrant does not have (kUnavailable when it cannot say).
  Result<std::vector<std::string>> MissingCollections();
  // The collection the chatbot is routed to, "" when none (for tests and logs).
  std::string CollectionOf(const std::string& chatbot_id);

 private:
  QdrantCollections(QdrantIndexOptions options, outbound::HttpClient& http)
      : options_(std::move(options)), http_(http) {}

  // The index of `dimensions` (created on first use: nothing is sent until it is written to);
  // kInvalidArgument for a length Qdrant cannot hold.
  Result<QdrantIndex*> Collection(int dimensions);
  // The chatbot's routed index, or nullptr.
  QdrantIndex* Routed(const std::string& chatbot_id);

  const QdrantIndexOptions options_;
  outbound::HttpClient& http_;
  std::mutex mu_;
  std::map<int, std::unique_ptr<QdrantIndex>> collections_;  // by length; REQUIRES: mu_
  std::map<std::string, int> routes_;                        // chatbot -> length; REQUIRES: mu_
};

}  // namespace studybot::search
