// UserService: managing admin users (system admins only; the routes check the role). Keeps at
// least one active system admin: the last one cannot be demoted, disabled or deleted. Changing a
// user's role, password or active flag ends their sessions. Blocking; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/audit_log.h"
#include "auth/auth_service.h"
#include "auth/user_repository.h"

namespace studybot::auth {

struct UserInput {
  std::optional<std::string> email;
  std::optional<std::string> password;
  std::optional<std::string> name;
  std::optional<std::string> role;
  std::optional<bool> is_active;
  std::optional<std::vector<std::string>> chatbot_ids;
};

struct UserView {
  User user;
  std::vector<std::string> chatbot_ids;
};

struct UserPage {
  std::vector<UserView> items;
  std::string next_cursor;
};

class UserService {
 public:
  UserService(UserRepository& users, AuthService& auth, AuditLog& audit, const Clock& clock)
      : users_(users), auth_(auth), audit_(audit), clock_(clock) {}

  Result<UserPage> List(int limit, const std::string& cursor);
  Result<UserView> Get(const std::string& id);
  Result<UserView> Create(const UserInput& input, const Principal& by, const ClientInfo& client);
  Result<UserView> Update(const std::string& id, const UserInput& input, const Principal& by,
                          const ClientInfo& client);
  Status Delete(const std::string& id, const Principal& by, const ClientInfo& client);

 private:
  Result<UserView> View(const User& user);
  void Audit(const Principal& by, const ClientInfo& client, const std::string& action,
             const std::string& target, boost::json::object summary);

  UserRepository& users_;
  AuthService& auth_;
  AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace studybot::auth
