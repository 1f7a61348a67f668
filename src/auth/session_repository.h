// SessionRepository: the SQL of admin sessions, refresh tokens, password reset tokens and failed
// logins. Tokens are stored as SHA-256 hex, never as issued. Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/database.h"

namespace studybot::auth {

struct AuthSession {
  std::string id;
  std::string user_id;
  std::string created_at;
  std::string last_used_at;
  std::string expires_at;
  std::optional<std::string> revoked_at;
  std::string revoke_reason;
  std::string ip;
  std::string user_agent;
};

struct RefreshTokenRow {
  std::string session_id;
  std::string expires_at;
  std::optional<std::string> used_at;
};

class SessionRepository {
 public:
  explicit SessionRepository(storage::Database& db) : db_(db) {}

  // Creates the session and its first refresh token together.
  Status CreateSession(const AuthSession& session, const std::string& refresh_hash);
  Result<std::optional<AuthSession>> FindSession(const std::string& id);
  // The user's sessions that are neither revoked nor expired at `now`, newest first.
  Result<std::vector<AuthSession>> ListLive(const std::string& user_id, const std::string& now);
  // Marks the session revoked (if it was not already); false when it did not exist or was revoked.
  Result<bool> Revoke(const std::string& id, const std::string& reason, const std::string& at);
  // Revokes every live session of the user; returns their ids.
  Result<std::vector<std::string>> RevokeAllForUser(const std::string& user_id,
                                                    const std::string& reason,
                                                    const std::string& at);

  // Records that the session was used at `at` (by an access token).
  Status Touch(const std::string& id, const std::string& at);

  Result<std::optional<RefreshTokenRow>> FindRefresh(const std::string& hash);
  // Atomically marks `old_hash` used (only if unused) and stores `new_hash` for the same session.
  // kConflict when `old_hash` was already used (a concurrent refresh or a replay).
  Status RotateRefresh(const std::string& old_hash, const std::string& new_hash,
                       const std::string& session_id, const std::string& now,
                       const std::string& expires_at, const std::string& ip,
                       const std::string& user_agent);

  // Failed logins.
  Status RecordLoginFailure(const std::string& email, const std::string& ip, const std::string& at);
  // Failures for the email since `since`, and the oldest of them ("" when none).
  Result<std::pair<int64_t, std::string>> FailuresForEmail(const std::string& email,
                                                           const std::string& since);
  Result<std::pair<int64_t, std::string>> FailuresForIp(const std::string& ip,
                                                        const std::string& since);
  Status ClearLoginFailures(const std::string& email);

  // Password reset tokens.
  Status CreateReset(const std::string& hash, const std::string& user_id, const std::string& at,
                     const std::string& expires_at);
  // Marks the token used if it is unused and unexpired at `now`; returns its user id, or nullopt.
  Result<std::optional<std::string>> ConsumeReset(const std::string& hash, const std::string& now);

 private:
  storage::Database& db_;
};

}  // namespace studybot::auth
