// ChatbotRepository: the SQL of chatbots. Blocking; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "chatbots/answer_settings.h"
#include "chatbots/knowledge_settings.h"
#include "core/result.h"
#include "storage/database.h"

namespace studybot::chatbots {

// A per-chatbot override of one rate limit scope ("key", "ip" or "session").
struct RateOverride {
  int64_t rate = 0;
  int64_t period_ms = 0;
  int64_t burst = 0;
};

// A secret of a chatbot as the API shows it: name and masked hint, never the value.
struct SecretInfo {
  std::string name;
  std::string hint;
  std::string updated_at;
};

struct Chatbot {
  std::string id;
  std::string name;
  std::string description;
  std::string status = "active";
  std::string system_prompt;
  std::string model;
  std::vector<std::string> allowed_domains;  // normalised OriginPattern texts
  boost::json::object widget;
  KnowledgeSettings knowledge;
  AnswerSettings answers;
  // The embedder whose vectors search uses ("" before the first one), and the one a re-index is
  // building ("" when none). Written by the re-index job only.
  std::string embedder_id;
  std::string embedder_target;
  std::string created_by;
  std::string created_at;
  std::string updated_at;
  std::map<std::string, RateOverride> rate_limits;      // by scope
  std::optional<std::vector<SecretInfo>> secrets;       // filled when shown one by one
  std::optional<boost::json::object> knowledge_status;  // likewise (KnowledgeObserver)
};

class ChatbotRepository {
 public:
  explicit ChatbotRepository(storage::Database& db) : db_(db) {}

  Status Insert(const Chatbot& bot);
  Result<std::optional<Chatbot>> FindById(const std::string& id);
  // Keyset pagination by id. With `member` set, only chatbots that user is a member of.
  Result<std::vector<Chatbot>> List(int limit, const std::string& after,
                                    const std::optional<std::string>& member);
  // Writes every mutable field (not the embedder ids); kNotFound when gone.
  Status Update(const Chatbot& bot);
  // Replaces the chatbot's rate limit overrides.
  Status SetRateLimits(const std::string& id, const std::map<std::string, RateOverride>& limits);

  // kNotFound when absent. Keys, memberships and content go with it (ON DELETE CASCADE).
  Status Delete(const std::string& id);

 private:
  storage::Database& db_;
};

}  // namespace studybot::chatbots
