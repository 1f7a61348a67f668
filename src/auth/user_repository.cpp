#include "auth/user_repository.h"

namespace studybot::auth {
namespace {

using storage::Value;

constexpr const char* kColumns =
    "id, email, password_hash, name, role, is_active, created_at, updated_at, last_login_at";

User FromRow(const storage::Row& r) {
  User u;
  u.id = r.GetString(0);
  u.email = r.GetString(1);
  u.password_hash = r.GetString(2);
  u.name = r.GetString(3);
  u.role = r.GetString(4);
  u.is_active = r.GetInt(5) != 0;
  u.created_at = r.GetString(6);
  u.updated_at = r.GetString(7);
  u.last_login_at = r.GetOptionalString(8);
  return u;
}

Result<std::optional<User>> FindOne(storage::Database& db, const std::string& sql,
                                    const std::string& arg) {
  auto conn = db.Acquire();
  if (!conn.ok()) return conn.error();
  auto rows = (*conn)->Query(sql, {Value(arg)});
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<User>();
  return std::optional<User>(FromRow(rows->rows[0]));
}

Status ExpectOneRow(const Result<storage::ExecResult>& r, const char* what) {
  if (!r.ok()) return r.error();
  if (r->affected_rows == 0) return Error::NotFound(std::string(what) + " not found");
  return OkStatus();
}

Status Exec(storage::Database& db, std::string_view sql, const std::vector<Value>& params,
            const char* what) {
  auto conn = db.Acquire();
  if (!conn.ok()) return conn.error();
  return ExpectOneRow((*conn)->Execute(sql, params), what);
}

}  // namespace

Status UserRepository::Insert(const User& u) {
  auto conn = db_.Acquire();
  if (!conn.ok()) return conn.error();
  return InsertIn(**conn, u);
}

Status UserRepository::InsertIn(storage::Connection& conn, const User& u) {
  auto r = conn.Execute(
      "INSERT INTO users (id, email, password_hash, name, role, is_active, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {Value(u.id), Value(u.email), Value(u.password_hash), Value(u.name), Value(u.role),
       Value(int64_t{u.is_active ? 1 : 0}), Value(u.created_at), Value(u.updated_at)});
  if (!r.ok()) {
    if (r.error().code == ErrorCode::kConflict) {
      return Error::Conflict("a user with this email already exists").WithSlug("email_taken");
    }
    return r.error();
  }
  return OkStatus();
}

Result<std::optional<User>> UserRepository::FindById(const std::string& id) {
  return FindOne(db_, std::string("SELECT ") + kColumns + " FROM users WHERE id = ?", id);
}

Result<std::optional<User>> UserRepository::FindByEmail(const std::string& email) {
  return FindOne(db_, std::string("SELECT ") + kColumns + " FROM users WHERE email = ?", email);
}

Result<std::vector<User>> UserRepository::List(int limit, const std::string& after) {
  auto rows =
      db_.Query(std::string("SELECT ") + kColumns + " FROM users WHERE id > ? ORDER BY id LIMIT ?",
                {Value(after), Value(int64_t{limit})});
  if (!rows.ok()) return rows.error();
  std::vector<User> out;
  for (const auto& r : rows->rows)
    out.push_back(FromRow(r));
  return out;
}

Result<int64_t> UserRepository::Count() {
  auto rows = db_.Query("SELECT COUNT(*) FROM users");
  if (!rows.ok()) return rows.error();
  return rows->rows[0].GetInt(0);
}

Status UserRepository::UpdateProfileIn(storage::Connection& conn, const User& u) {
  auto r = conn.Execute(
      "UPDATE users SET email = ?, name = ?, role = ?, is_active = ?, updated_at = ? WHERE id = ?",
      {Value(u.email), Value(u.name), Value(u.role), Value(int64_t{u.is_active ? 1 : 0}),
       Value(u.updated_at), Value(u.id)});
  if (!r.ok() && r.error().code == ErrorCode::kConflict) {
    return Error::Conflict("a user with this email already exists").WithSlug("email_taken");
  }
  return ExpectOneRow(r, "user");
}

Status UserRepository::UpdateProfile(const User& u) {
  auto conn = db_.Acquire();
  if (!conn.ok()) return conn.error();
  return UpdateProfileIn(**conn, u);
}

Status UserRepository::UpdatePassword(const std::string& id, const std::string& hash,
                                      const std::string& at) {
  return Exec(db_, "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
              {Value(hash), Value(at), Value(id)}, "user");
}

Status UserRepository::UpdateLastLogin(const std::string& id, const std::string& at) {
  return Exec(db_, "UPDATE users SET last_login_at = ? WHERE id = ?", {Value(at), Value(id)},
              "user");
}

Status UserRepository::DeleteIn(storage::Connection& conn, const std::string& id) {
  return ExpectOneRow(conn.Execute("DELETE FROM users WHERE id = ?", {Value(id)}), "user");
}

Status UserRepository::Delete(const std::string& id) {
  auto conn = db_.Acquire();
  if (!conn.ok()) return conn.error();
  return DeleteIn(**conn, id);
}

Result<int64_t> UserRepository::CountOtherActiveSystemAdmins(storage::Connection& conn,
                                                             const std::string& except_id) {
  // MySQL runs READ COMMITTED: lock the admin rows so concurrent demotions serialise. SQLite
  // transactions here are BEGIN IMMEDIATE, which already serialises writers.
  std::string sql =
      "SELECT id FROM users WHERE role = 'system_admin' AND is_active = 1 AND id <> ?";
  if (conn.dialect() == storage::Dialect::kMysql) sql += " FOR UPDATE";
  auto rows = conn.Query(sql, {Value(except_id)});
  if (!rows.ok()) return rows.error();
  return static_cast<int64_t>(rows->size());
}

Status UserRepository::SetMembershipsIn(storage::Connection& conn, const std::string& user_id,
                                        const std::vector<std::string>& chatbot_ids,
                                        const std::string& at) {
  auto del = conn.Execute("DELETE FROM chatbot_members WHERE user_id = ?", {Value(user_id)});
  if (!del.ok()) return del.error();
  for (const auto& id : chatbot_ids) {
    auto exists = conn.Query("SELECT 1 FROM chatbots WHERE id = ?", {Value(id)});
    if (!exists.ok()) return exists.error();
    if (exists->empty()) {
      return Error::Unprocessable("no chatbot with id " + id).WithSlug("unknown_chatbot");
    }
    auto ins = conn.Execute(
        "INSERT INTO chatbot_members (chatbot_id, user_id, created_at) VALUES (?, ?, ?)",
        {Value(id), Value(user_id), Value(at)});
    if (!ins.ok()) return ins.error();
  }
  return OkStatus();
}

Status UserRepository::AddMembership(const std::string& chatbot_id, const std::string& user_id,
                                     const std::string& at) {
  auto r =
      db_.Execute("INSERT INTO chatbot_members (chatbot_id, user_id, created_at) VALUES (?, ?, ?)",
                  {Value(chatbot_id), Value(user_id), Value(at)});
  if (!r.ok()) return r.error();
  return OkStatus();
}

Status UserRepository::RemoveMembership(const std::string& chatbot_id, const std::string& user_id) {
  return Exec(db_, "DELETE FROM chatbot_members WHERE chatbot_id = ? AND user_id = ?",
              {Value(chatbot_id), Value(user_id)}, "membership");
}

Result<std::vector<std::string>> UserRepository::ChatbotsOf(const std::string& user_id) {
  auto rows =
      db_.Query("SELECT chatbot_id FROM chatbot_members WHERE user_id = ? ORDER BY chatbot_id",
                {Value(user_id)});
  if (!rows.ok()) return rows.error();
  std::vector<std::string> out;
  for (const auto& r : rows->rows)
    out.push_back(r.GetString(0));
  return out;
}

Result<bool> UserRepository::IsMember(const std::string& chatbot_id, const std::string& user_id) {
  auto rows = db_.Query("SELECT 1 FROM chatbot_members WHERE chatbot_id = ? AND user_id = ?",
                        {Value(chatbot_id), Value(user_id)});
  if (!rows.ok()) return rows.error();
  return !rows->empty();
}

}  // namespace studybot::auth
