#include "auth/user_json.h"

namespace studybot::auth {

boost::json::object UserJson(const User& u) {
  boost::json::object o{{"id", u.id},
                        {"email", u.email},
                        {"name", u.name},
                        {"role", u.role},
                        {"is_active", u.is_active},
                        {"created_at", u.created_at},
                        {"updated_at", u.updated_at}};
  if (u.last_login_at) {
    o["last_login_at"] = *u.last_login_at;
  } else {
    o["last_login_at"] = nullptr;
  }
  return o;
}

boost::json::object SessionJson(const AuthSession& s, bool current) {
  return {{"id", s.id},
          {"created_at", s.created_at},
          {"last_used_at", s.last_used_at},
          {"expires_at", s.expires_at},
          {"ip", s.ip},
          {"user_agent", s.user_agent},
          {"current", current}};
}

}  // namespace studybot::auth
