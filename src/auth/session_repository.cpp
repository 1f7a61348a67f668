#include "auth/session_repository.h"

namespace studybot::auth {
namespace {

using storage::Value;

constexpr const char* kSessionColumns =
    "id, user_id, created_at, last_used_at, expires_at, revoked_at, revoke_reason, ip, user_agent";

AuthSession SessionFromRow(const storage::Row& r) {
  AuthSession s;
  s.id = r.GetString(0);
  s.user_id = r.GetString(1);
  s.created_at = r.GetString(2);
  s.last_used_at = r.GetString(3);
  s.expires_at = r.GetString(4);
  s.revoked_at = r.GetOptionalString(5);
  s.revoke_reason = r.GetString(6);
  s.ip = r.GetString(7);
  s.user_agent = r.GetString(8);
  return s;
}

Result<AttemptCounts> CountSince(storage::Database& db, const char* column,
                                 const std::string& value, const std::string& since,
                                 const std::string& pending_since) {
  auto conn = db.Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      std::string("SELECT COALESCE(SUM(CASE WHEN pending = 0 THEN 1 ELSE 0 END), 0), "
                  "COALESCE(SUM(CASE WHEN pending = 1 AND created_at > ? THEN 1 ELSE 0 END), 0), "
                  "MIN(CASE WHEN pending = 0 THEN created_at END) FROM login_failures WHERE ") +
          column + " = ? AND created_at > ?",
      {Value(pending_since), Value(value), Value(since)});
  if (!rows.ok()) return rows.error();
  const auto& row = rows->rows[0];
  return AttemptCounts{row.GetInt(0), row.GetInt(1), row.GetString(2)};
}

}  // namespace

Status SessionRepository::CreateSession(const AuthSession& s, const std::string& refresh_hash) {
  auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto r = c.Execute(
        "INSERT INTO auth_sessions (id, user_id, created_at, last_used_at, expires_at, ip, "
        "user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {Value(s.id), Value(s.user_id), Value(s.created_at), Value(s.last_used_at),
         Value(s.expires_at), Value(s.ip), Value(s.user_agent)});
    if (!r.ok()) return r.error();
    r = c.Execute(
        "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) VALUES (?, "
        "?, ?, ?)",
        {Value(refresh_hash), Value(s.id), Value(s.created_at), Value(s.expires_at)});
    if (!r.ok()) return r.error();
    return true;
  });
  if (!done.ok()) return done.error();
  return OkStatus();
}

Result<std::optional<AuthSession>> SessionRepository::FindSession(const std::string& id) {
  auto rows = db_.Query(
      std::string("SELECT ") + kSessionColumns + " FROM auth_sessions WHERE id = ?", {Value(id)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<AuthSession>();
  return std::optional<AuthSession>(SessionFromRow(rows->rows[0]));
}

Result<std::vector<AuthSession>> SessionRepository::ListLive(const std::string& user_id,
                                                             const std::string& now) {
  auto rows = db_.Query(std::string("SELECT ") + kSessionColumns +
                            " FROM auth_sessions WHERE user_id = ? AND revoked_at IS NULL "
                            "AND expires_at > ? ORDER BY created_at DESC, id LIMIT 200",
                        {Value(user_id), Value(now)});
  if (!rows.ok()) return rows.error();
  std::vector<AuthSession> out;
  for (const auto& r : rows->rows)
    out.push_back(SessionFromRow(r));
  return out;
}

Result<bool> SessionRepository::Revoke(const std::string& id, const std::string& reason,
                                       const std::string& at) {
  auto r = db_.Execute(
      "UPDATE auth_sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS "
      "NULL",
      {Value(at), Value(reason), Value(id)});
  if (!r.ok()) return r.error();
  return r->affected_rows > 0;
}

Result<std::vector<std::string>> SessionRepository::RevokeAllForUser(const std::string& user_id,
                                                                     const std::string& reason,
                                                                     const std::string& at) {
  auto conn = db_.Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(
      "SELECT id FROM auth_sessions WHERE user_id = ? AND revoked_at IS NULL", {Value(user_id)});
  if (!rows.ok()) return rows.error();
  auto r = (*conn)->Execute(
      "UPDATE auth_sessions SET revoked_at = ?, revoke_reason = ? WHERE user_id = ? AND "
      "revoked_at IS NULL",
      {Value(at), Value(reason), Value(user_id)});
  if (!r.ok()) return r.error();
  std::vector<std::string> ids;
  for (const auto& row : rows->rows)
    ids.push_back(row.GetString(0));
  return ids;
}

Status SessionRepository::Touch(const std::string& id, const std::string& at) {
  auto r =
      db_.Execute("UPDATE auth_sessions SET last_used_at = ? WHERE id = ?", {Value(at), Value(id)});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Result<std::optional<RefreshTokenRow>> SessionRepository::FindRefresh(const std::string& hash) {
  auto rows =
      db_.Query("SELECT session_id, expires_at, used_at FROM refresh_tokens WHERE token_hash = ?",
                {Value(hash)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<RefreshTokenRow>();
  const auto& r = rows->rows[0];
  return std::optional<RefreshTokenRow>(
      RefreshTokenRow{r.GetString(0), r.GetString(1), r.GetOptionalString(2)});
}

Status SessionRepository::RotateRefresh(const std::string& old_hash, const std::string& new_hash,
                                        const std::string& session_id, const std::string& now,
                                        const std::string& expires_at, const std::string& ip,
                                        const std::string& user_agent) {
  auto done = db_.InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto used =
        c.Execute("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
                  {Value(now), Value(old_hash)});
    if (!used.ok()) return used.error();
    if (used->affected_rows != 1) {
      return Error::Conflict("refresh token already used");
    }
    auto ins = c.Execute(
        "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) VALUES (?, ?, "
        "?, ?)",
        {Value(new_hash), Value(session_id), Value(now), Value(expires_at)});
    if (!ins.ok()) return ins.error();
    auto touch = c.Execute(
        "UPDATE auth_sessions SET last_used_at = ?, expires_at = ?, ip = ?, user_agent = ? WHERE "
        "id = ?",
        {Value(now), Value(expires_at), Value(ip), Value(user_agent), Value(session_id)});
    if (!touch.ok()) return touch.error();
    return true;
  });
  if (!done.ok()) return done.error();
  return OkStatus();
}

Result<int64_t> SessionRepository::RecordAttempt(const std::string& email, const std::string& ip,
                                                 const std::string& at) {
  auto r =
      db_.Execute("INSERT INTO login_failures (email, ip, created_at, pending) VALUES (?, ?, ?, 1)",
                  {Value(email), Value(ip), Value(at)});
  if (!r.ok()) return r.error();
  return r->last_insert_id;
}

Status SessionRepository::MarkFailed(int64_t id) {
  return db_.Write("UPDATE login_failures SET pending = 0 WHERE id = ?", {Value(id)});
}

Status SessionRepository::DropAttempt(int64_t id) {
  return db_.Write("DELETE FROM login_failures WHERE id = ?", {Value(id)});
}

Status SessionRepository::ClearFailuresUpTo(const std::string& email, int64_t id) {
  return db_.Write(
      "DELETE FROM login_failures WHERE email = ? AND (id = ? OR (pending = 0 AND id < ?))",
      {Value(email), Value(id), Value(id)});
}

Result<AttemptCounts> SessionRepository::AttemptsForEmail(const std::string& email,
                                                          const std::string& since,
                                                          const std::string& pending_since) {
  return CountSince(db_, "email", email, since, pending_since);
}

Result<AttemptCounts> SessionRepository::AttemptsForIp(const std::string& ip,
                                                       const std::string& since,
                                                       const std::string& pending_since) {
  return CountSince(db_, "ip", ip, since, pending_since);
}

Status SessionRepository::ClearLoginFailures(const std::string& email) {
  auto r = db_.Execute("DELETE FROM login_failures WHERE email = ?", {Value(email)});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Status SessionRepository::CreateReset(const std::string& hash, const std::string& user_id,
                                      const std::string& at, const std::string& expires_at) {
  auto r = db_.Execute(
      "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, "
      "?)",
      {Value(hash), Value(user_id), Value(at), Value(expires_at)});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Result<std::optional<std::string>> SessionRepository::ConsumeReset(const std::string& hash,
                                                                   const std::string& now) {
  auto conn = db_.Acquire();
  if (!conn.ok()) return conn.error();
  auto rows =
      (*conn)->Query("SELECT user_id FROM password_resets WHERE token_hash = ?", {Value(hash)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<std::string>();
  // The conditional update is the single-use check: only one caller can flip used_at.
  auto r = (*conn)->Execute(
      "UPDATE password_resets SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND "
      "expires_at > ?",
      {Value(now), Value(hash), Value(now)});
  if (!r.ok()) return r.error();
  if (r->affected_rows != 1) return std::optional<std::string>();
  return std::optional<std::string>(rows->rows[0].GetString(0));
}

Status SessionRepository::InvalidateResets(const std::string& user_id, const std::string& at) {
  return db_.Write("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
                   {Value(at), Value(user_id)});
}

}  // namespace studybot::auth
