// How users and sessions look in API responses (never the password hash).
#pragma once

#include <boost/json/object.hpp>

#include "auth/session_repository.h"
#include "auth/user_repository.h"

namespace studybot::auth {

boost::json::object UserJson(const User& user);
boost::json::object SessionJson(const AuthSession& session, bool current);

}  // namespace studybot::auth
