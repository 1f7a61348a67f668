// ApiKeyRepository: the SQL of chatbot API keys. Only SHA-256 hashes of keys are stored.
// Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/database.h"

namespace studybot::auth {

struct ApiKey {
  std::string id;
  std::string chatbot_id;
  std::string kind;  // publishable | secret
  std::string name;
  std::string prefix;
  std::string key_hash;
  std::optional<std::string> last_used_at;
  std::optional<std::string> expires_at;
  std::optional<std::string> revoked_at;
  std::string created_by;
  std::string created_at;
};

class ApiKeyRepository {
 public:
  explicit ApiKeyRepository(storage::Database& db) : db_(db) {}

  Status Insert(const ApiKey& key);
  Result<std::optional<ApiKey>> FindByHash(const std::string& hash);
  // Keys of a chatbot, newest first (revoked ones included: the list is a history).
  Result<std::vector<ApiKey>> ListForChatbot(const std::string& chatbot_id);
  // Sets revoked_at; kNotFound when absent, not this chatbot's, or already revoked.
  Status Revoke(const std::string& chatbot_id, const std::string& id, const std::string& at);
  Status TouchLastUsed(const std::string& id, const std::string& at);

 private:
  storage::Database& db_;
};

}  // namespace studybot::auth
