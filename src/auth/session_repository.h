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

struct AttemptCounts {
  int64_t failures = 0;
  int64_t pending = 0;
  std::string oldest_failure;  // "" when none
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

  // Password attempts (logins, password changes). An attempt is recorded as pending before the
  // password is checked, becomes a failure (MarkFailed) when it was wrong, and is deleted when it
  // succeeded or was refused unchecked: concurrent attempts each see the ones recorded before
  // them, so no more than the lockout threshold are ever checked at once. Returns its id.
  Result<int64_t> RecordAttempt(const std::string& email, const std::string& ip,
                                const std::string& at);
  Status MarkFailed(int64_t id);
  Status DropAttempt(int64_t id);
  // Deletes the email's attempt `id` (it succeeded) and its failures before it; other pending
  // attempts, still being checked, stay.
  Status ClearFailuresUpTo(const std::string& email, int64_t id);
  // Failures since `since`, and attempts still pending since `pending_since` (older pending
  // rows are from a process that died mid-check).
  Result<AttemptCounts> AttemptsForEmail(const std::string& email, const std::string& since,
                                         const std::string& pending_since);
  Result<AttemptCounts> AttemptsForIp(const std::string& ip, const std::string& since,
                                      const std::string& pending_since);
  Status ClearLoginFailures(const std::string& email);

  // Password reset tokens.
  Status CreateReset(const std::string& hash, const std::string& user_id, const std::string& at,
                     const std::string& expires_at);
  // Marks the token used if it is unused and unexpired at `now`; returns its user id, or nullopt.
  Result<std::optional<std::string>> ConsumeReset(const std::string& hash, const std::string& now);
  // Marks every unused reset token of the user used (a reset, a password change, a newer token).
  Status InvalidateResets(const std::string& user_id, const std::string& at);

 private:
  storage::Database& db_;
};

}  // namespace studybot::auth
