// Principal: the authenticated admin behind a request, as the access token says.
#pragma once

#include <string>

#include "auth/user_repository.h"

namespace studybot::auth {

struct Principal {
  std::string user_id;
  std::string session_id;
  std::string role;

  bool IsSystemAdmin() const { return role == kRoleSystemAdmin; }
};

}  // namespace studybot::auth
