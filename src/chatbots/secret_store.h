// SecretStore: per-chatbot secrets (model provider API keys and the like), sealed with the
// SecretBox before they reach the database. The API shows only a masked hint; the plaintext is
// opened only for the feature that uses it. Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chatbots/repository.h"
#include "core/result.h"
#include "core/secret_box.h"
#include "core/time.h"
#include "storage/database.h"

namespace studybot::chatbots {

class SecretStore {
 public:
  SecretStore(storage::Database& db, const SecretBox& box, const Clock& clock)
      : db_(db), box_(box), clock_(clock) {}

  Status Set(const std::string& chatbot_id, const std::string& name, const std::string& value);
  Status Remove(const std::string& chatbot_id, const std::string& name);
  Result<std::vector<SecretInfo>> List(const std::string& chatbot_id);
  // The plaintext, or nullopt when not set.
  Result<std::optional<std::string>> Get(const std::string& chatbot_id, const std::string& name);
  // Re-seals every secret not sealed under the current key; returns how many.
  Result<int> RotateAll();

 private:
  storage::Database& db_;
  const SecretBox& box_;
  const Clock& clock_;
};

}  // namespace studybot::chatbots
