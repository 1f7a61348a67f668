// AuthService: admin sign-in and sessions. Access tokens are short-lived JWTs carrying the session
// id; refresh tokens are opaque random strings, stored hashed, rotated on every use. Presenting a
// refresh token that was already used revokes its whole session (the token was stolen, or the
// legitimate client lost a race: either way the session is no longer trustworthy).
//
// Failed logins (and wrong current passwords on a password change) are counted per email and
// per client IP in a sliding window; past the threshold the next attempt is refused with
// kRateLimited before the password is looked at. Attempts are recorded before they are checked,
// so concurrent attempts cannot exceed the threshold. A successful password reset lifts the
// account's lockout. Unknown emails
// cost the same bcrypt work as known ones.
//
// Blocking (bcrypt, SQL): call from the worker pool. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "auth/audit_log.h"
#include "auth/jwt.h"
#include "auth/password_hasher.h"
#include "auth/principal.h"
#include "auth/session_repository.h"
#include "auth/user_repository.h"
#include "core/config.h"
#include "core/time.h"

namespace studybot::auth {

struct ClientInfo {
  std::string ip;
  std::string user_agent;
  std::string request_id;
};

struct TokenPair {
  std::string access_token;
  std::int64_t expires_in = 0;  // seconds
  std::string refresh_token;
  std::int64_t refresh_expires_in = 0;
  std::string session_id;
  User user;
};

class AuthService {
 public:
  AuthService(const AuthConfig& config, UserRepository& users, SessionRepository& sessions,
              AuditLog& audit, PasswordHasher& hasher, const PasswordPolicy& policy,
              JwtSigner& signer, JwtVerifier& verifier, const Clock& clock);

  Result<TokenPair> Login(const std::string& email, const std::string& password,
                          const ClientInfo& client);
  Result<TokenPair> Refresh(const std::string& refresh_token, const ClientInfo& client);
  Status Logout(const Principal& who, const ClientInfo& client);

  // Checks an access token: signature, claims, and that its session is still live (cached for
  // session_cache_ttl; revocations through this process take effect at once).
  Result<Principal> Authenticate(const std::string& access_token);

  Result<std::vector<AuthSession>> ListSessions(const Principal& who);
  Status RevokeSession(const Principal& who, const std::string& session_id,
                       const ClientInfo& client);

  Status ChangePassword(const Principal& who, const std::string& current,
                        const std::string& replacement, const ClientInfo& client);

  // Always succeeds from the caller's point of view (no way to learn whether the email exists).
  // When it does, returns the one-time token so the caller can deliver it; nullopt otherwise.
  Result<std::optional<std::pair<User, std::string>>> StartPasswordReset(const std::string& email,
                                                                         const ClientInfo& client);
  Status ResetPassword(const std::string& token, const std::string& replacement,
                       const ClientInfo& client);

  // Revokes every session of the user (password reset, disable, role change, deletion) and
  // forgets them in the cache.
  Status RevokeAllSessions(const std::string& user_id, const std::string& reason);

  // Creates the first system admin when there is no user at all; returns false when users
  // already exist.
  Result<bool> BootstrapAdmin(const std::string& email, const std::string& password);
  // Creates a system admin (CLI `admin create`).
  Result<User> CreateAdmin(const std::string& email, const std::string& password,
                           const std::string& name);

  const PasswordPolicy& policy() const { return policy_; }
  PasswordHasher& hasher() { return hasher_; }

 private:
  Result<TokenPair> IssueSession(const User& user, const ClientInfo& client);
  Result<std::string> SignAccess(const User& user, const std::string& session_id);
  // Records a password attempt for the account and the IP, then refuses it (kRateLimited, and
  // forgets it) when either has more than lockout_threshold within lockout_window. Returns the
  // attempt's id, to clear on success.
  Result<int64_t> BeginAttempt(const std::string& email, const std::string& ip);
  void Forget(const std::string& session_id);
  void ForgetUser(const std::string& user_id);
  void Audit(const ClientInfo& client, const std::string& user_id, const std::string& email,
             const std::string& action, const std::string& target_type,
             const std::string& target_id, boost::json::object summary = {});
  std::string Now() const;
  std::string In(std::chrono::seconds d) const;

  const AuthConfig& config_;
  UserRepository& users_;
  SessionRepository& sessions_;
  AuditLog& audit_;
  PasswordHasher& hasher_;
  const PasswordPolicy& policy_;
  JwtSigner& signer_;
  JwtVerifier& verifier_;
  const Clock& clock_;

  std::mutex cache_mu_;
  struct LiveSession {
    std::string user_id;
    std::string role;  // from the database, not from the token
    std::chrono::steady_clock::time_point trusted_until;
  };
  // session id -> whose it is and until when its "live" answer is trusted. REQUIRES: cache_mu_.
  std::unordered_map<std::string, LiveSession> live_sessions_;
};

// "user@Example.COM " -> "user@example.com"
std::string NormalizeEmail(const std::string& email);

}  // namespace studybot::auth
