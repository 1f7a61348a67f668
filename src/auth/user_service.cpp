#include "auth/user_service.h"

#include <algorithm>

#include "core/ids.h"

namespace studybot::auth {
namespace {

std::vector<std::string> Dedup(std::vector<std::string> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

Error LastAdmin() {
  return Error::Conflict("at least one active system admin must remain")
      .WithSlug("last_system_admin");
}

}  // namespace

void UserService::Audit(const Principal& by, const ClientInfo& client, const std::string& action,
                        const std::string& target, boost::json::object summary) {
  (void)audit_.Record({by.user_id, "", client.ip, client.user_agent, client.request_id},
                      {action, "user", target, std::move(summary)});
}

Result<UserView> UserService::View(const User& user) {
  auto bots = users_.ChatbotsOf(user.id);
  if (!bots.ok()) return bots.error();
  return UserView{user, std::move(bots).value()};
}

Result<UserPage> UserService::List(int limit, const std::string& cursor) {
  // Cursors are the last id of a page we served; anything else is the client's mistake, not a
  // reason to start over from the first page.
  if (!cursor.empty() && !IsUuid(cursor)) {
    return Error::InvalidArgument("malformed cursor", {{"/cursor", "not a cursor we issued"}});
  }
  auto users = users_.List(limit + 1, cursor);
  if (!users.ok()) return users.error();
  UserPage page;
  for (auto& u : *users) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_cursor = page.items.back().user.id;
      break;
    }
    auto v = View(u);
    if (!v.ok()) return v.error();
    page.items.push_back(std::move(v).value());
  }
  return page;
}

Result<UserView> UserService::Get(const std::string& id) {
  auto u = users_.FindById(id);
  if (!u.ok()) return u.error();
  if (!u->has_value()) return Error::NotFound("no such user");
  return View(**u);
}

Result<UserView> UserService::Create(const UserInput& in, const Principal& by,
                                     const ClientInfo& client) {
  auto ok = auth_.policy().Check(*in.password);
  if (!ok.ok()) return ok.error();
  auto hash = auth_.hasher().Hash(*in.password);
  if (!hash.ok()) return hash.error();
  User u;
  u.id = NewUuid();
  u.email = NormalizeEmail(*in.email);
  u.password_hash = *hash;
  u.name = in.name.value_or(u.email);
  u.role = *in.role;
  u.is_active = in.is_active.value_or(true);
  u.created_at = FormatRfc3339Millis(clock_.Now());
  u.updated_at = u.created_at;
  auto bots = Dedup(in.chatbot_ids.value_or(std::vector<std::string>{}));
  auto done = users_.database().InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto ins = users_.InsertIn(c, u);
    if (!ins.ok()) return ins.error();
    auto m = users_.SetMembershipsIn(c, u.id, bots, u.created_at);
    if (!m.ok()) return m.error();
    return true;
  });
  if (!done.ok()) return done.error();
  boost::json::array ids;
  for (const auto& b : bots)
    ids.emplace_back(b);
  Audit(by, client, "user.create", u.id,
        {{"email", u.email}, {"role", u.role}, {"chatbot_ids", std::move(ids)}});
  return UserView{u, bots};
}

Result<UserView> UserService::Update(const std::string& id, const UserInput& in,
                                     const Principal& by, const ClientInfo& client) {
  std::optional<std::string> hash;
  if (in.password) {
    auto ok = auth_.policy().Check(*in.password);
    if (!ok.ok()) return ok.error();
    auto h = auth_.hasher().Hash(*in.password);
    if (!h.ok()) return h.error();
    hash = *h;
  }
  std::string now = FormatRfc3339Millis(clock_.Now());
  boost::json::array changed;
  bool end_sessions = false;
  auto done = users_.database().InTransaction<User>([&](storage::Connection& c) -> Result<User> {
    auto found = users_.FindById(id);
    if (!found.ok()) return found.error();
    if (!found->has_value()) return Error::NotFound("no such user");
    User u = **found;
    bool was_admin = u.role == kRoleSystemAdmin && u.is_active;
    if (in.email) u.email = NormalizeEmail(*in.email);
    if (in.name) u.name = *in.name;
    if (in.role && *in.role != u.role) {
      u.role = *in.role;
      end_sessions = true;
    }
    if (in.is_active && *in.is_active != u.is_active) {
      u.is_active = *in.is_active;
      end_sessions = end_sessions || !u.is_active;
    }
    bool still_admin = u.role == kRoleSystemAdmin && u.is_active;
    if (was_admin && !still_admin) {
      auto others = users_.CountOtherActiveSystemAdmins(c, u.id);
      if (!others.ok()) return others.error();
      if (*others == 0) return LastAdmin();
    }
    u.updated_at = now;
    auto st = users_.UpdateProfileIn(c, u);
    if (!st.ok()) return st.error();
    if (hash) {
      auto r = c.Execute("UPDATE users SET password_hash = ? WHERE id = ?",
                         {storage::Value(*hash), storage::Value(u.id)});
      if (!r.ok()) return r.error();
      end_sessions = true;
    }
    if (in.chatbot_ids) {
      auto m = users_.SetMembershipsIn(c, u.id, Dedup(*in.chatbot_ids), now);
      if (!m.ok()) return m.error();
    }
    return u;
  });
  if (!done.ok()) return done.error();
  for (const char* f : {"email", "name", "role", "is_active", "password", "chatbot_ids"}) {
    bool set = (f == std::string_view("email") && in.email) ||
               (f == std::string_view("name") && in.name) ||
               (f == std::string_view("role") && in.role) ||
               (f == std::string_view("is_active") && in.is_active) ||
               (f == std::string_view("password") && in.password) ||
               (f == std::string_view("chatbot_ids") && in.chatbot_ids);
    if (set) changed.emplace_back(f);
  }
  if (end_sessions) (void)auth_.RevokeAllSessions(id, "user_changed");
  Audit(by, client, "user.update", id,
        {{"fields", std::move(changed)}, {"sessions_ended", end_sessions}});
  return View(*done);
}

Status UserService::Delete(const std::string& id, const Principal& by, const ClientInfo& client) {
  auto done = users_.database().InTransaction<bool>([&](storage::Connection& c) -> Result<bool> {
    auto found = users_.FindById(id);
    if (!found.ok()) return found.error();
    if (!found->has_value()) return Error::NotFound("no such user");
    if ((*found)->role == kRoleSystemAdmin && (*found)->is_active) {
      auto others = users_.CountOtherActiveSystemAdmins(c, id);
      if (!others.ok()) return others.error();
      if (*others == 0) return LastAdmin();
    }
    auto st = users_.DeleteIn(c, id);
    if (!st.ok()) return st.error();
    return true;
  });
  if (!done.ok()) return done.error();
  (void)auth_.RevokeAllSessions(id, "user_deleted");
  Audit(by, client, "user.delete", id, {});
  return OkStatus();
}

}  // namespace studybot::auth
