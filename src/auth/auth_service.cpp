#include "auth/auth_service.h"

#include "core/crypto.h"
#include "core/ids.h"
#include "core/strings.h"

namespace studybot::auth {
namespace {

constexpr std::size_t kRefreshTokenBytes = 32;
constexpr std::size_t kResetTokenBytes = 32;

Error BadCredentials() {
  return Error::Unauthenticated("invalid email or password").WithSlug("invalid_credentials");
}

Error BadRefresh() {
  return Error::Unauthenticated("the refresh token is invalid or expired")
      .WithSlug("invalid_refresh_token");
}

// Seconds from `now` until `oldest + window`, at least 1.
long RetryAfter(const std::string& oldest, std::chrono::seconds window, SystemTime now) {
  auto t = ParseRfc3339(oldest);
  if (!t) return static_cast<long>(window.count());
  auto left = std::chrono::duration_cast<std::chrono::seconds>(*t + window - now).count() + 1;
  return left < 1 ? 1 : static_cast<long>(left);
}

}  // namespace

std::string NormalizeEmail(const std::string& email) {
  return ToLower(std::string(Trim(email)));
}

AuthService::AuthService(const AuthConfig& config, UserRepository& users,
                         SessionRepository& sessions, AuditLog& audit, PasswordHasher& hasher,
                         const PasswordPolicy& policy, JwtSigner& signer, JwtVerifier& verifier,
                         const Clock& clock)
    : config_(config),
      users_(users),
      sessions_(sessions),
      audit_(audit),
      hasher_(hasher),
      policy_(policy),
      signer_(signer),
      verifier_(verifier),
      clock_(clock) {}

std::string AuthService::Now() const {
  return FormatRfc3339Millis(clock_.Now());
}

std::string AuthService::In(std::chrono::seconds d) const {
  return FormatRfc3339Millis(clock_.Now() + d);
}

void AuthService::Audit(const ClientInfo& client, const std::string& user_id,
                        const std::string& email, const std::string& action,
                        const std::string& target_type, const std::string& target_id,
                        boost::json::object summary) {
  // An audit write failing must not turn a finished mutation into an error for the client; the
  // database being down shows up in /ready and in the next request anyway.
  (void)audit_.Record({user_id, email, client.ip, client.user_agent, client.request_id},
                      {action, target_type, target_id, std::move(summary)});
}

Result<int64_t> AuthService::BeginAttempt(const std::string& email, const std::string& ip) {
  // Recorded first, counted second: each attempt sees every attempt recorded before its own,
  // pending or failed, however many run at once.
  auto attempt = sessions_.RecordAttempt(email, ip, Now());
  if (!attempt.ok()) return attempt.error();
  auto now = clock_.Now();
  auto since = FormatRfc3339Millis(now - config_.lockout_window);
  auto pending_since = FormatRfc3339Millis(now - std::chrono::minutes(1));
  auto by_email = sessions_.AttemptsForEmail(email, since, pending_since);
  if (!by_email.ok()) return by_email.error();
  auto by_ip = sessions_.AttemptsForIp(ip, since, pending_since);
  if (!by_ip.ok()) return by_ip.error();
  long retry = 0;
  for (const AttemptCounts* c : {&*by_email, &*by_ip}) {
    if (c->failures >= config_.lockout_threshold) {
      retry = std::max(retry, RetryAfter(c->oldest_failure, config_.lockout_window, now));
    } else if (c->failures + c->pending > config_.lockout_threshold) {
      retry = std::max(retry, 1L);  // others are being checked right now: try again in a moment
    }
  }
  if (retry > 0) {
    // A refused attempt is not a failure: it must not keep the lock closed for ever.
    (void)sessions_.DropAttempt(*attempt);
    return Error::RateLimited("too many failed attempts; try again later", retry)
        .WithSlug("login_locked");
  }
  return attempt;
}

Result<std::string> AuthService::SignAccess(const User& user, const std::string& session_id) {
  auto now = clock_.Now();
  JwtClaims c;
  c.sub = user.id;
  c.sid = session_id;
  c.role = user.role;
  c.iat = std::chrono::system_clock::to_time_t(now);
  c.exp = c.iat + signer_.access_ttl().count();
  c.jti = RandomHex(16);
  return signer_.Sign(c);
}

Result<TokenPair> AuthService::IssueSession(const User& user, const ClientInfo& client) {
  AuthSession s;
  s.id = NewUuid();
  s.user_id = user.id;
  s.created_at = Now();
  s.last_used_at = s.created_at;
  s.expires_at = In(config_.refresh_ttl);
  s.ip = client.ip;
  s.user_agent = client.user_agent.substr(0, 512);
  std::string refresh = RandomToken(kRefreshTokenBytes);
  auto created = sessions_.CreateSession(s, Sha256Hex(refresh));
  if (!created.ok()) return created.error();
  auto access = SignAccess(user, s.id);
  if (!access.ok()) return access.error();
  return TokenPair{std::move(access).value(),
                   signer_.access_ttl().count(),
                   refresh,
                   config_.refresh_ttl.count(),
                   s.id,
                   user};
}

Result<TokenPair> AuthService::Login(const std::string& raw_email, const std::string& password,
                                     const ClientInfo& client) {
  std::string email = NormalizeEmail(raw_email);
  auto attempt = BeginAttempt(email, client.ip);
  if (!attempt.ok()) {
    if (attempt.error().code == ErrorCode::kRateLimited) {
      Audit(client, "", email, "auth.login_locked", "user", "", {{"email", email}});
    }
    return attempt.error();
  }
  auto found = users_.FindByEmail(email);
  if (!found.ok()) return found.error();
  bool ok = false;
  if (found->has_value() && (*found)->is_active) {
    ok = hasher_.Verify(password, (*found)->password_hash);
  } else {
    hasher_.VerifyDummy(password);  // same cost whether or not the account exists
  }
  if (!ok) {
    (void)sessions_.MarkFailed(*attempt);
    Audit(client, found->has_value() ? (*found)->id : "", email, "auth.login_failed", "user",
          found->has_value() ? (*found)->id : "", {{"email", email}});
    return BadCredentials();
  }
  User user = **found;
  (void)sessions_.ClearFailuresUpTo(email, *attempt);
  if (hasher_.NeedsRehash(user.password_hash)) {
    auto rehashed = hasher_.Hash(password);
    if (rehashed.ok()) {
      (void)users_.UpdatePassword(user.id, *rehashed, Now());
      user.password_hash = *rehashed;
    }
  }
  user.last_login_at = Now();
  (void)users_.UpdateLastLogin(user.id, *user.last_login_at);
  auto pair = IssueSession(user, client);
  if (!pair.ok()) return pair.error();
  Audit(client, user.id, user.email, "auth.login", "session", pair->session_id);
  return pair;
}

Result<TokenPair> AuthService::Refresh(const std::string& refresh_token, const ClientInfo& client) {
  if (refresh_token.empty() || refresh_token.size() > 256) return BadRefresh();
  std::string hash = Sha256Hex(refresh_token);
  auto row = sessions_.FindRefresh(hash);
  if (!row.ok()) return row.error();
  if (!row->has_value()) return BadRefresh();
  const auto& token = **row;
  auto session = sessions_.FindSession(token.session_id);
  if (!session.ok()) return session.error();
  if (!session->has_value()) return BadRefresh();
  auto revoke_family = [&]() {
    (void)sessions_.Revoke(token.session_id, "refresh_reuse", Now());
    Forget(token.session_id);
    Audit(client, (*session)->user_id, "", "auth.refresh_reuse", "session", token.session_id);
    return Error::Unauthenticated("this refresh token was already used; the session is revoked")
        .WithSlug("refresh_token_reused");
  };
  if (token.used_at) return revoke_family();
  std::string now = Now();
  if ((*session)->revoked_at || token.expires_at <= now || (*session)->expires_at <= now) {
    return BadRefresh();
  }
  auto user = users_.FindById((*session)->user_id);
  if (!user.ok()) return user.error();
  if (!user->has_value() || !(*user)->is_active) return BadRefresh();

  std::string fresh = RandomToken(kRefreshTokenBytes);
  std::string expires = In(config_.refresh_ttl);
  auto rotated = sessions_.RotateRefresh(hash, Sha256Hex(fresh), token.session_id, now, expires,
                                         client.ip, client.user_agent.substr(0, 512));
  if (!rotated.ok()) {
    if (rotated.error().code == ErrorCode::kConflict) return revoke_family();
    return rotated.error();
  }
  auto access = SignAccess(**user, token.session_id);
  if (!access.ok()) return access.error();
  Audit(client, (*user)->id, (*user)->email, "auth.refresh", "session", token.session_id);
  return TokenPair{std::move(access).value(),
                   signer_.access_ttl().count(),
                   fresh,
                   config_.refresh_ttl.count(),
                   token.session_id,
                   **user};
}

Status AuthService::Logout(const Principal& who, const ClientInfo& client) {
  auto r = sessions_.Revoke(who.session_id, "logout", Now());
  Forget(who.session_id);
  if (!r.ok()) return r.error();
  Audit(client, who.user_id, "", "auth.logout", "session", who.session_id);
  return OkStatus();
}

void AuthService::Forget(const std::string& session_id) {
  std::lock_guard lock(cache_mu_);
  live_sessions_.erase(session_id);
}

Result<Principal> AuthService::Authenticate(const std::string& access_token) {
  auto claims = verifier_.Verify(access_token);
  if (!claims.ok()) return claims.error();
  // Only the token's subject and session are taken from it; the role (and that the user is
  // still active) come from the database, or from its cached answer for this very session and
  // user. A token whose session belongs to someone else never passes.
  Principal p{claims->sub, claims->sid, ""};
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(cache_mu_);
    auto it = live_sessions_.find(p.session_id);
    if (it != live_sessions_.end() && it->second.trusted_until > now &&
        it->second.user_id == p.user_id) {
      p.role = it->second.role;
      return p;
    }
  }
  auto ended = [] {
    return Error::Unauthenticated("the session has ended; sign in again")
        .WithSlug("session_revoked");
  };
  auto s = sessions_.FindSession(p.session_id);
  if (!s.ok()) return s.error();
  if (!s->has_value() || (*s)->revoked_at || (*s)->user_id != p.user_id ||
      (*s)->expires_at <= Now()) {
    return ended();
  }
  auto user = users_.FindById(p.user_id);
  if (!user.ok()) return user.error();
  if (!user->has_value() || !(*user)->is_active) return ended();
  p.role = (*user)->role;
  // "Last used" for the sessions list, written at most once a minute per session (and only when
  // the cache is refreshed), so that requests do not each cost a write.
  auto last = ParseRfc3339((*s)->last_used_at);
  if (!last || clock_.Now() - *last > std::chrono::minutes(1)) {
    (void)sessions_.Touch(p.session_id, Now());
  }
  std::lock_guard lock(cache_mu_);
  if (live_sessions_.size() > 100'000) live_sessions_.clear();  // bound memory; entries are cheap
  live_sessions_[p.session_id] = {p.user_id, p.role, now + config_.session_cache_ttl};
  return p;
}

void AuthService::ForgetUser(const std::string& user_id) {
  std::lock_guard lock(cache_mu_);
  for (auto it = live_sessions_.begin(); it != live_sessions_.end();) {
    it = it->second.user_id == user_id ? live_sessions_.erase(it) : std::next(it);
  }
}

Result<std::vector<AuthSession>> AuthService::ListSessions(const Principal& who) {
  return sessions_.ListLive(who.user_id, Now());
}

Status AuthService::RevokeSession(const Principal& who, const std::string& session_id,
                                  const ClientInfo& client) {
  auto s = sessions_.FindSession(session_id);
  if (!s.ok()) return s.error();
  // Someone else's session is "not found", not "forbidden": ids do not leak.
  if (!s->has_value() || (*s)->user_id != who.user_id || (*s)->revoked_at) {
    return Error::NotFound("no such session");
  }
  auto r = sessions_.Revoke(session_id, "user", Now());
  Forget(session_id);
  if (!r.ok()) return r.error();
  Audit(client, who.user_id, "", "auth.session_revoke", "session", session_id);
  return OkStatus();
}

Status AuthService::RevokeAllSessions(const std::string& user_id, const std::string& reason) {
  auto ids = sessions_.RevokeAllForUser(user_id, reason, Now());
  ForgetUser(user_id);
  if (!ids.ok()) return ids.error();
  return OkStatus();
}

Status AuthService::ChangePassword(const Principal& who, const std::string& current,
                                   const std::string& replacement, const ClientInfo& client) {
  auto user = users_.FindById(who.user_id);
  if (!user.ok()) return user.error();
  if (!user->has_value()) return Error::Unauthenticated("no such user");
  const std::string& email = (*user)->email;
  // Wrong current passwords count like failed logins of the same account (one lockout policy).
  auto attempt = BeginAttempt(email, client.ip);
  if (!attempt.ok()) {
    if (attempt.error().code == ErrorCode::kRateLimited) {
      Audit(client, who.user_id, email, "auth.password_change_locked", "user", who.user_id);
    }
    return attempt.error();
  }
  if (!hasher_.Verify(current, (*user)->password_hash)) {
    (void)sessions_.MarkFailed(*attempt);
    Audit(client, who.user_id, email, "auth.password_change_failed", "user", who.user_id);
    return Error::InvalidArgument("the current password is wrong",
                                  {{"/current_password", "does not match"}})
        .WithSlug("wrong_password");
  }
  (void)sessions_.ClearFailuresUpTo(email, *attempt);
  auto ok = policy_.Check(replacement);
  if (!ok.ok()) return ok;
  auto hash = hasher_.Hash(replacement);
  if (!hash.ok()) return hash.error();
  auto updated = users_.UpdatePassword(who.user_id, *hash, Now());
  if (!updated.ok()) return updated;
  // Outstanding reset links die with the old password.
  auto resets = sessions_.InvalidateResets(who.user_id, Now());
  if (!resets.ok()) return resets;
  // Other sessions end; the one that changed the password lives on.
  auto sessions = sessions_.ListLive(who.user_id, Now());
  if (sessions.ok()) {
    for (const auto& s : *sessions) {
      if (s.id == who.session_id) continue;
      (void)sessions_.Revoke(s.id, "password_change", Now());
      Forget(s.id);
    }
  }
  Audit(client, who.user_id, email, "auth.password_change", "user", who.user_id);
  return OkStatus();
}

Result<std::optional<std::pair<User, std::string>>> AuthService::StartPasswordReset(
    const std::string& raw_email, const ClientInfo& client) {
  std::string email = NormalizeEmail(raw_email);
  auto user = users_.FindByEmail(email);
  if (!user.ok()) return user.error();
  Audit(client, user->has_value() ? (*user)->id : "", email, "auth.password_reset_request", "user",
        user->has_value() ? (*user)->id : "");
  if (!user->has_value() || !(*user)->is_active) {
    return std::optional<std::pair<User, std::string>>();
  }
  // Only the newest link works: asking again retires the earlier ones.
  auto retired = sessions_.InvalidateResets((*user)->id, Now());
  if (!retired.ok()) return retired.error();
  std::string token = RandomToken(kResetTokenBytes);
  auto created = sessions_.CreateReset(Sha256Hex(token), (*user)->id, Now(), In(config_.reset_ttl));
  if (!created.ok()) return created.error();
  return std::optional<std::pair<User, std::string>>(std::pair{**user, token});
}

Status AuthService::ResetPassword(const std::string& token, const std::string& replacement,
                                  const ClientInfo& client) {
  auto ok = policy_.Check(replacement);
  if (!ok.ok()) return ok;
  if (token.empty() || token.size() > 256) {
    return Error::InvalidArgument("the reset token is invalid or expired",
                                  {{"/token", "invalid or expired"}})
        .WithSlug("invalid_reset_token");
  }
  auto user_id = sessions_.ConsumeReset(Sha256Hex(token), Now());
  if (!user_id.ok()) return user_id.error();
  if (!user_id->has_value()) {
    return Error::InvalidArgument("the reset token is invalid or expired",
                                  {{"/token", "invalid or expired"}})
        .WithSlug("invalid_reset_token");
  }
  auto hash = hasher_.Hash(replacement);
  if (!hash.ok()) return hash.error();
  auto updated = users_.UpdatePassword(**user_id, *hash, Now());
  if (!updated.ok()) return updated;
  auto resets = sessions_.InvalidateResets(**user_id, Now());
  if (!resets.ok()) return resets;
  auto revoked = RevokeAllSessions(**user_id, "password_reset");
  if (!revoked.ok()) return revoked;
  // Whoever can read the account's mail is its owner: a reset lifts a login lockout (that an
  // attacker guessing passwords may have caused).
  auto owner = users_.FindById(**user_id);
  if (owner.ok() && owner->has_value()) (void)sessions_.ClearLoginFailures((*owner)->email);
  Audit(client, **user_id, "", "auth.password_reset", "user", **user_id);
  return OkStatus();
}

Result<User> AuthService::CreateAdmin(const std::string& raw_email, const std::string& password,
                                      const std::string& name) {
  auto ok = policy_.Check(password);
  if (!ok.ok()) return ok.error();
  std::string email = NormalizeEmail(raw_email);
  if (email.find('@') == std::string::npos || email.size() > 254) {
    return Error::InvalidArgument("not an email address", {{"/email", "not an email address"}});
  }
  auto hash = hasher_.Hash(password);
  if (!hash.ok()) return hash.error();
  User u;
  u.id = NewUuid();
  u.email = email;
  u.password_hash = *hash;
  u.name = name.empty() ? email : name;
  u.role = std::string(kRoleSystemAdmin);
  u.created_at = Now();
  u.updated_at = u.created_at;
  auto inserted = users_.Insert(u);
  if (!inserted.ok()) return inserted.error();
  Audit({}, "", "", "user.create", "user", u.id,
        {{"email", email}, {"role", u.role}, {"via", "cli"}});
  return u;
}

Result<bool> AuthService::BootstrapAdmin(const std::string& email, const std::string& password) {
  auto n = users_.Count();
  if (!n.ok()) return n.error();
  if (*n > 0) return false;
  auto u = CreateAdmin(email, password, "");
  if (!u.ok()) return u.error();
  return true;
}

}  // namespace studybot::auth
