// SystemSecrets: server-wide secrets kept in the database, sealed under the encryption key (the
// SMTP password). Set with `studybot secrets set --name smtp.password`, re-sealed by `studybot
// keys rotate`, opened at start. Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"
#include "core/secret_box.h"
#include "core/time.h"
#include "storage/database.h"

namespace studybot::app {

class SystemSecrets {
 public:
  SystemSecrets(storage::Database& db, const SecretBox& box, const Clock& clock)
      : db_(db), box_(box), clock_(clock) {}

  // Only known names (smtp.password): kInvalidArgument otherwise.
  Status Set(const std::string& name, const std::string& value);
  // The plaintext, or nullopt when not set.
  Result<std::optional<std::string>> Get(const std::string& name);
  // Re-seals every system secret not sealed under the current key; returns how many.
  Result<int> RotateAll();

 private:
  storage::Database& db_;
  const SecretBox& box_;
  const Clock& clock_;
};

}  // namespace studybot::app
