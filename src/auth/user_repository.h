// UserRepository: the SQL of admin users and of their chatbot memberships. Blocking: call it from
// the worker pool. Thread-safe (each call borrows its own pooled connection).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "storage/database.h"

namespace studybot::auth {

inline constexpr std::string_view kRoleSystemAdmin = "system_admin";
inline constexpr std::string_view kRoleBotAdmin = "bot_admin";

struct User {
  std::string id;
  std::string email;
  std::string password_hash;
  std::string name;
  std::string role;
  bool is_active = true;
  std::string created_at;
  std::string updated_at;
  std::optional<std::string> last_login_at;
};

class UserRepository {
 public:
  explicit UserRepository(storage::Database& db) : db_(db) {}

  // kConflict when the email is taken (case-insensitively).
  Status Insert(const User& user);
  Result<std::optional<User>> FindById(const std::string& id);
  Result<std::optional<User>> FindByEmail(const std::string& email);
  // Keyset pagination by id: users with id > after, at most `limit`.
  Result<std::vector<User>> List(int limit, const std::string& after);
  Result<int64_t> Count();

  // Writes name, email, role and is_active. kNotFound when the user is gone.
  Status UpdateProfile(const User& user);
  Status UpdatePassword(const std::string& id, const std::string& hash, const std::string& at);
  Status UpdateLastLogin(const std::string& id, const std::string& at);
  // kNotFound when absent.
  Status Delete(const std::string& id);

  // Active system admins other than `except_id`, counted inside `conn`'s transaction (rows are
  // locked on MySQL so that two concurrent demotions cannot both see one admin left).
  Result<int64_t> CountOtherActiveSystemAdmins(storage::Connection& conn,
                                               const std::string& except_id);
  // The same writes, inside a caller's transaction.
  Status UpdateProfileIn(storage::Connection& conn, const User& user);
  Status DeleteIn(storage::Connection& conn, const std::string& id);

  // Replaces the user's memberships with `chatbot_ids`, inside a caller's transaction.
  // kUnprocessable when a chatbot does not exist.
  Status SetMembershipsIn(storage::Connection& conn, const std::string& user_id,
                          const std::vector<std::string>& chatbot_ids, const std::string& at);
  Status InsertIn(storage::Connection& conn, const User& user);

  // Memberships of bot admins.
  Status AddMembership(const std::string& chatbot_id, const std::string& user_id,
                       const std::string& at);
  Status RemoveMembership(const std::string& chatbot_id, const std::string& user_id);
  Result<std::vector<std::string>> ChatbotsOf(const std::string& user_id);
  Result<bool> IsMember(const std::string& chatbot_id, const std::string& user_id);

  storage::Database& database() { return db_; }

 private:
  storage::Database& db_;
};

}  // namespace studybot::auth
