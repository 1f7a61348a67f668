// The security review's findings on sign-in (issue 8, items 2, 5, 6 and 7, and the lockout a reset
// lifts), each against the real AuthService on SQLite and on MariaDB.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "auth/auth_service.h"
#include "core/fake_clock.h"
#include "core/ids.h"
#include "storage_fixture.h"

namespace studybot::auth {
namespace {

using storage::Backend;

constexpr const char* kAdmin = "a@example.com";
constexpr const char* kPassword = "a long password";
const ClientInfo kClient{"9.9.9.9", "ua", "r"};

class AuthHardeningTest : public storage::StorageTest {
 protected:
  void SetUp() override {
    storage::StorageTest::SetUp();
    db_ = OpenMigrated(8);
    ASSERT_NE(db_, nullptr);
    users_ = std::make_unique<UserRepository>(*db_);
    sessions_ = std::make_unique<SessionRepository>(*db_);
    audit_ = std::make_unique<AuditLog>(*db_, clock_);
    jwt_.current = {"k1", std::string(40, 'k')};
    signer_ = std::make_unique<JwtSigner>(jwt_);
    verifier_ = std::make_unique<JwtVerifier>(jwt_, clock_);
    config_.session_cache_ttl = std::chrono::seconds(2);
    service_ = std::make_unique<AuthService>(config_, *users_, *sessions_, *audit_, hasher_,
                                             policy_, *signer_, *verifier_, clock_);
    auto admin = service_->CreateAdmin(kAdmin, kPassword, "A");
    ASSERT_TRUE(admin.ok());
    admin_id_ = admin->id;
  }

  // Creates a bot admin and returns its id.
  std::string AddBotAdmin(const std::string& email) {
    User u;
    u.id = NewUuid();
    u.email = email;
    u.password_hash = *hasher_.Hash(kPassword);
    u.name = email;
    u.role = std::string(kRoleBotAdmin);
    u.created_at = "2026-01-01T00:00:00.000Z";
    u.updated_at = u.created_at;
    EXPECT_TRUE(users_->Insert(u).ok());
    return u.id;
  }

  int CountActions(const std::string& action) {
    AuditQuery q;
    q.action = action;
    q.limit = 200;
    auto page = audit_->List(q);
    EXPECT_TRUE(page.ok());
    return page.ok() ? static_cast<int>(page->records.size()) : -1;
  }

  std::string StartReset() {
    auto started = service_->StartPasswordReset(kAdmin, kClient);
    EXPECT_TRUE(started.ok() && started->has_value());
    return started.ok() && started->has_value() ? (*started)->second : "";
  }

  FakeClock clock_;
  AuthConfig config_;
  BcryptPasswordHasher hasher_{4};
  PasswordPolicy policy_;
  JwtOptions jwt_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<UserRepository> users_;
  std::unique_ptr<SessionRepository> sessions_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<JwtSigner> signer_;
  std::unique_ptr<JwtVerifier> verifier_;
  std::unique_ptr<AuthService> service_;
  std::string admin_id_;
};

// Item 2: a reset, a password change, or a newer reset token ends every outstanding token.
TEST_P(AuthHardeningTest, ResetTokensDieWithResetsChangesAndNewerTokens) {
  std::string t1 = StartReset();
  std::string t2 = StartReset();
  auto old = service_->ResetPassword(t1, "attacker password 1", kClient);
  ASSERT_FALSE(old.ok()) << "an older reset token still worked";
  EXPECT_EQ(old.error().slug, "invalid_reset_token");
  ASSERT_TRUE(service_->ResetPassword(t2, "owner password 22", kClient).ok());
  EXPECT_FALSE(service_->ResetPassword(t2, "attacker password 2", kClient).ok());

  std::string t3 = StartReset();
  std::string t4 = StartReset();
  auto pair = service_->Login(kAdmin, "owner password 22", kClient);
  ASSERT_TRUE(pair.ok());
  Principal me{admin_id_, pair->session_id, std::string(kRoleSystemAdmin)};
  ASSERT_TRUE(
      service_->ChangePassword(me, "owner password 22", "owner password 333", kClient).ok());
  EXPECT_FALSE(service_->ResetPassword(t3, "attacker password 3", kClient).ok());
  EXPECT_FALSE(service_->ResetPassword(t4, "attacker password 4", kClient).ok());
  EXPECT_TRUE(service_->Login(kAdmin, "owner password 333", kClient).ok());
}

// Item 5: wrong current passwords on a password change count like failed logins, and are audited.
TEST_P(AuthHardeningTest, PasswordChangeLocksOutAfterRepeatedWrongPasswords) {
  auto pair = service_->Login(kAdmin, kPassword, kClient);
  ASSERT_TRUE(pair.ok());
  Principal me{admin_id_, pair->session_id, std::string(kRoleSystemAdmin)};
  for (int i = 0; i < config_.lockout_threshold; ++i) {
    auto r = service_->ChangePassword(me, "wrong guess " + std::to_string(i), "new long password",
                                      kClient);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().slug, "wrong_password");
  }
  auto locked = service_->ChangePassword(me, kPassword, "new long password", kClient);
  ASSERT_FALSE(locked.ok()) << "the right password got through after the threshold";
  EXPECT_EQ(locked.error().code, ErrorCode::kRateLimited);
  EXPECT_TRUE(locked.error().retry_after_seconds.has_value());
  EXPECT_EQ(CountActions("auth.password_change_failed"), config_.lockout_threshold);
  EXPECT_EQ(CountActions("auth.password_change_locked"), 1);
  // The same policy as login: the account is locked there too, and the lock ends with the window.
  EXPECT_EQ(service_->Login(kAdmin, kPassword, kClient).error().code, ErrorCode::kRateLimited);
  clock_.Advance(config_.lockout_window + std::chrono::seconds(1));
  EXPECT_TRUE(service_->ChangePassword(me, kPassword, "new long password", kClient).ok());
}

// Item 6: the session cache must not vouch for a token whose subject is another user, and the
// role never comes from the token.
TEST_P(AuthHardeningTest, SessionCacheChecksTheSubjectAndTheRoleComesFromTheDatabase) {
  std::string bob = AddBotAdmin("bob@example.com");
  auto admin = service_->Login(kAdmin, kPassword, kClient);
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE(service_->Authenticate(admin->access_token).ok());  // now cached
  auto bob_pair = service_->Login("bob@example.com", kPassword, kClient);
  ASSERT_TRUE(bob_pair.ok());

  auto forge = [&](const std::string& sub, const std::string& sid, const std::string& role) {
    JwtClaims c;
    c.sub = sub;
    c.sid = sid;
    c.role = role;
    c.iat = std::chrono::system_clock::to_time_t(clock_.Now());
    c.exp = c.iat + 600;
    c.jti = "forged";
    return *signer_->Sign(c);
  };
  // Bob's id on the admin's (cached) session: refused.
  auto other = service_->Authenticate(forge(bob, admin->session_id, "system_admin"));
  ASSERT_FALSE(other.ok()) << "a cached session vouched for another user";
  EXPECT_EQ(other.error().code, ErrorCode::kUnauthenticated);
  // Bob's own session with a system_admin claim: Bob stays a bot admin, cached or not.
  for (int i = 0; i < 2; ++i) {
    auto self = service_->Authenticate(forge(bob, bob_pair->session_id, "system_admin"));
    ASSERT_TRUE(self.ok());
    EXPECT_EQ(self->role, kRoleBotAdmin);
    EXPECT_FALSE(self->IsSystemAdmin());
  }
}

// Item 7: concurrent wrong logins are counted atomically: no more than the threshold are checked.
TEST_P(AuthHardeningTest, ConcurrentWrongLoginsNeverExceedTheThreshold) {
  std::atomic<int> checked{0};
  std::atomic<int> locked{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&, i] {
      // Different IPs, so that only the account's count applies.
      ClientInfo client{"10.0.0." + std::to_string(i), "ua", "r"};
      auto r = service_->Login(kAdmin, "wrong password!", client);
      if (r.ok()) {
        ++other;
      } else if (r.error().code == ErrorCode::kUnauthenticated) {
        ++checked;
      } else if (r.error().code == ErrorCode::kRateLimited) {
        ++locked;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(checked.load(), 1);
  EXPECT_LE(checked.load(), config_.lockout_threshold);
  EXPECT_EQ(checked.load() + locked.load(), 40);
  EXPECT_EQ(CountActions("auth.login_failed"), checked.load());
}

// Item 8: a successful password reset lifts the account's lockout.
TEST_P(AuthHardeningTest, ASuccessfulResetLiftsTheLockout) {
  for (int i = 0; i < config_.lockout_threshold; ++i)
    EXPECT_FALSE(service_->Login(kAdmin, "wrong password!", kClient).ok());
  ASSERT_EQ(service_->Login(kAdmin, kPassword, kClient).error().code, ErrorCode::kRateLimited);
  std::string token = StartReset();
  ASSERT_TRUE(service_->ResetPassword(token, "a brand new password", kClient).ok());
  EXPECT_TRUE(service_->Login(kAdmin, "a brand new password", kClient).ok());
}

// Refused attempts do not extend the lock: after the window, the owner gets in even if an
// attacker kept trying meanwhile.
TEST_P(AuthHardeningTest, RefusedAttemptsDoNotKeepTheLockClosed) {
  for (int i = 0; i < config_.lockout_threshold; ++i)
    EXPECT_FALSE(service_->Login(kAdmin, "wrong password!", kClient).ok());
  for (int minute = 0; minute < 16; ++minute) {
    clock_.Advance(std::chrono::minutes(1));
    if (minute < 14) {
      EXPECT_EQ(service_->Login(kAdmin, "wrong password!", kClient).error().code,
                ErrorCode::kRateLimited);
    }
  }
  EXPECT_TRUE(service_->Login(kAdmin, kPassword, kClient).ok());
}

INSTANTIATE_TEST_SUITE_P(Engines, AuthHardeningTest,
                         ::testing::Values(Backend::kSqlite, Backend::kMariadb),
                         storage::BackendParamName);

}  // namespace
}  // namespace studybot::auth
