// EmbedderStore: the SQL of per-chatbot embedders: learned models (embedder_models and their
// parts), the chatbot's active and target embedders, the chunks a target still lacks vectors
// for, and the switch from one embedder to the next. Blocking; thread-safe.
//
// The switch is what keeps search answering from the old vectors during a re-index: the target
// embedder's vectors are computed beside the active one's (the embeddings table holds both), then
// one transaction makes the target active, if no chunk of the chatbot lacks its vector, and logs
// a reload of the chatbot (index_changes chunk_id -1) for every index to follow.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chatbots/knowledge_settings.h"
#include "core/result.h"
#include "storage/database.h"

namespace studybot::ingest {

// index_changes.chunk_id of a reload: the chatbot's embedder or language changed, every chunk
// of it is read again (0 means the chatbot is gone).
inline constexpr int64_t kReloadChatbot = -1;

struct ModelInfo {
  std::string id;
  std::string chatbot_id;
  int64_t trained_chunks = 0;
  int64_t trained_seq = 0;
  std::string created_at;
};

// A chunk as it is embedded.
struct ChunkToEmbed {
  int64_t id = 0;
  std::string content_hash;
  std::string text;  // heading path then text (ingest::EmbeddedText)
};

struct EmbedderState {
  std::string active;  // "" when none
  std::string target;  // "" when none
  chatbots::EmbedderSettings active_settings;
};

class EmbedderStore {
 public:
  explicit EmbedderStore(storage::Database& db) : db_(db) {}

  // Models: saved in parts; loaded whole; the newest of a chatbot; deleted with the cached
  // vectors made by them.
  Status SaveModel(const ModelInfo& info, const std::string& bytes);
  Result<std::optional<std::string>> LoadModel(const std::string& id);
  Result<std::optional<ModelInfo>> FindModel(const std::string& id);
  // Deletes the chatbot's models other than `keep` (and their cached vectors).
  Status DeleteModelsExcept(const std::string& chatbot_id, const std::vector<std::string>& keep);

  Result<std::optional<EmbedderState>> State(const std::string& chatbot_id);
  Status SetTarget(const std::string& chatbot_id, const std::string& target);
  // Clears the target if it is still `target`.
  Status ClearTarget(const std::string& chatbot_id, const std::string& target);
  // Up to `limit` chunks of the chatbot (ids above `after_id`) whose text has no vector of
  // `embedder` yet, in id order.
  Result<std::vector<ChunkToEmbed>> ChunksLacking(const std::string& chatbot_id,
                                                  const std::string& embedder, int64_t after_id,
                                                  int limit);
  // Every chunk text of the chatbot (for training), `limit` at a time after `after_id`.
  Result<std::vector<ChunkToEmbed>> ChunkTexts(const std::string& chatbot_id, int64_t after_id,
                                               int limit);
  Result<int64_t> ChunkCount(const std::string& chatbot_id);
  // Changes logged for the chatbot after `seq`.
  Result<int64_t> ChangesSince(const std::string& chatbot_id, int64_t seq);

  // Makes `target` (built with `settings`) the active embedder, if it is still the target and
  // no chunk lacks its vector, and logs the reload. False (nothing changed) otherwise.
  Result<bool> Switch(const std::string& chatbot_id, const std::string& target,
                      const chatbots::EmbedderSettings& settings);
  // Leaves the chatbot without an embedder (keyword search only) and logs the reload; true.
  Result<bool> ClearActive(const std::string& chatbot_id);
  // Logs a reload of the chatbot without changing its embedder (its language changed).
  Status LogReload(const std::string& chatbot_id);

 private:
  storage::Database& db_;
};

// EmbedderSettings <-> the JSON kept in chatbots.active_embedder_settings.
std::string EmbedderSettingsText(const chatbots::EmbedderSettings& s);
chatbots::EmbedderSettings EmbedderSettingsFromText(const std::string& text);

}  // namespace studybot::ingest
