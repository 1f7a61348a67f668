#include "auth/auth_service.h"

#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "test_server.h"

namespace studybot::auth {
namespace {

// The service over a real SQLite database, with a clock the test moves.
class AuthServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::OpenMigratedSqlite(dir_.path() / "t.db");
    users_ = std::make_unique<UserRepository>(*db_);
    sessions_ = std::make_unique<SessionRepository>(*db_);
    audit_ = std::make_unique<AuditLog>(*db_, clock_);
    JwtOptions jwt;
    jwt.current = {"k1", std::string(40, 'k')};
    signer_ = std::make_unique<JwtSigner>(jwt);
    verifier_ = std::make_unique<JwtVerifier>(jwt, clock_);
    config_.session_cache_ttl = std::chrono::milliseconds(0);  // every call reads the session
    service_ = std::make_unique<AuthService>(config_, *users_, *sessions_, *audit_, hasher_,
                                             policy_, *signer_, *verifier_, clock_);
    ASSERT_TRUE(service_->CreateAdmin("a@example.com", "a long password", "A").ok());
  }

  testing::TempDir dir_;
  FakeClock clock_;
  AuthConfig config_;
  BcryptPasswordHasher hasher_{4};
  PasswordPolicy policy_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<UserRepository> users_;
  std::unique_ptr<SessionRepository> sessions_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<JwtSigner> signer_;
  std::unique_ptr<JwtVerifier> verifier_;
  std::unique_ptr<AuthService> service_;
};

TEST_F(AuthServiceTest, LastUsedFollowsAccessTokensAtMostOnceAMinute) {
  auto pair = service_->Login("a@example.com", "a long password", {"1.2.3.4", "ua", "r"});
  ASSERT_TRUE(pair.ok()) << pair.error().message;
  auto created = (*sessions_->FindSession(pair->session_id))->last_used_at;
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(service_->Authenticate(pair->access_token).ok());
  EXPECT_EQ((*sessions_->FindSession(pair->session_id))->last_used_at, created);
  clock_.Advance(std::chrono::seconds(45));
  ASSERT_TRUE(service_->Authenticate(pair->access_token).ok());
  EXPECT_NE((*sessions_->FindSession(pair->session_id))->last_used_at, created);
}

TEST_F(AuthServiceTest, ExpiredSessionsAndTokensAreRefused) {
  auto pair = service_->Login("a@example.com", "a long password", {"1.2.3.4", "ua", "r"});
  ASSERT_TRUE(pair.ok());
  clock_.Advance(std::chrono::minutes(16));  // past the 15 min access token
  auto r = service_->Authenticate(pair->access_token);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().slug, "token_expired");
  // The refresh token still works, and gives a working access token.
  auto fresh = service_->Refresh(pair->refresh_token, {"1.2.3.4", "ua", "r"});
  ASSERT_TRUE(fresh.ok()) << fresh.error().message;
  EXPECT_TRUE(service_->Authenticate(fresh->access_token).ok());
  clock_.Advance(std::chrono::hours(24 * 31));  // past the 30 day refresh token
  EXPECT_FALSE(service_->Refresh(fresh->refresh_token, {"1.2.3.4", "ua", "r"}).ok());
}

TEST_F(AuthServiceTest, ResetTokensExpire) {
  auto started = service_->StartPasswordReset("a@example.com", {});
  ASSERT_TRUE(started.ok());
  ASSERT_TRUE(started->has_value());
  clock_.Advance(std::chrono::minutes(31));
  auto r = service_->ResetPassword((*started)->second, "another long password", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().slug, "invalid_reset_token");
}

TEST_F(AuthServiceTest, LockoutEndsAfterTheWindow) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(service_->Login("a@example.com", "wrong password!", {"9.9.9.9", "", ""}).ok());
  }
  auto locked = service_->Login("a@example.com", "a long password", {"9.9.9.9", "", ""});
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().code, ErrorCode::kRateLimited);
  ASSERT_TRUE(locked.error().retry_after_seconds.has_value());
  EXPECT_LE(*locked.error().retry_after_seconds, 15 * 60 + 1);
  clock_.Advance(std::chrono::minutes(16));
  EXPECT_TRUE(service_->Login("a@example.com", "a long password", {"9.9.9.9", "", ""}).ok());
}

}  // namespace
}  // namespace studybot::auth
