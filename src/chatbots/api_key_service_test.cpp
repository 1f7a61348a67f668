#include "chatbots/api_key_service.h"

#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "core/secret_box.h"
#include "test_server.h"

namespace studybot::chatbots {
namespace {

// The service over a real SQLite database, with a clock the test moves.
class ApiKeyServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::OpenMigratedSqlite(dir_.path() / "t.db");
    box_ = std::make_unique<SecretBox>(*SecretBox::FromKeyring(SecretBox::GenerateKeyring("k1")));
    users_ = std::make_unique<auth::UserRepository>(*db_);
    audit_ = std::make_unique<auth::AuditLog>(*db_, clock_);
    bots_ = std::make_unique<ChatbotRepository>(*db_);
    secrets_ = std::make_unique<SecretStore>(*db_, *box_, clock_);
    chatbots_ = std::make_unique<ChatbotService>(*bots_, *secrets_, *users_, *audit_, clock_);
    keys_repo_ = std::make_unique<auth::ApiKeyRepository>(*db_);
    keys_ = std::make_unique<ApiKeyService>(*keys_repo_, *bots_, *chatbots_, *audit_, clock_);
    auth::User admin;
    admin.id = admin_.user_id;
    admin.email = "admin@example.com";
    admin.password_hash = "x";
    admin.name = "Admin";
    admin.role = "system_admin";
    admin.created_at = admin.updated_at = FormatRfc3339Millis(clock_.Now());
    ASSERT_TRUE(users_->Insert(admin).ok());
    ChatbotInput in;
    in.name = "Bot";
    in.allowed_domains = std::vector<std::string>{"https://*.example.com"};
    auto bot = chatbots_->Create(admin_, in, {});
    ASSERT_TRUE(bot.ok()) << bot.error().message;
    bot_id_ = bot->id;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  auth::Principal admin_{"admin-1", "s-1", "system_admin"};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<SecretBox> box_;
  std::unique_ptr<auth::UserRepository> users_;
  std::unique_ptr<auth::AuditLog> audit_;
  std::unique_ptr<ChatbotRepository> bots_;
  std::unique_ptr<SecretStore> secrets_;
  std::unique_ptr<ChatbotService> chatbots_;
  std::unique_ptr<auth::ApiKeyRepository> keys_repo_;
  std::unique_ptr<ApiKeyService> keys_;
  std::string bot_id_;
};

TEST_F(ApiKeyServiceTest, ExpiredKeysAreRefused) {
  NewApiKey in{"short-lived", "publishable", FormatRfc3339(clock_.Now() + std::chrono::hours(1))};
  auto created = keys_->Create(admin_, bot_id_, in, {});
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(keys_->Authenticate(created->plaintext, bot_id_, "https://a.example.com", "").ok());
  clock_.Advance(std::chrono::minutes(61));
  auto r = keys_->Authenticate(created->plaintext, bot_id_, "https://a.example.com", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().slug, "api_key_expired");
}

TEST_F(ApiKeyServiceTest, LastUsedIsWrittenAtMostOnceAMinute) {
  auto created = keys_->Create(admin_, bot_id_, {"k", "secret", std::nullopt}, {});
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(keys_->Authenticate(created->plaintext, "", "", "").ok());
  auto first = (*keys_repo_->FindByHash(created->key.key_hash))->last_used_at;
  ASSERT_TRUE(first.has_value());
  clock_.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(keys_->Authenticate(created->plaintext, "", "", "").ok());
  EXPECT_EQ((*keys_repo_->FindByHash(created->key.key_hash))->last_used_at, first);
  clock_.Advance(std::chrono::seconds(31));
  ASSERT_TRUE(keys_->Authenticate(created->plaintext, "", "", "").ok());
  EXPECT_NE((*keys_repo_->FindByHash(created->key.key_hash))->last_used_at, first);
}

TEST_F(ApiKeyServiceTest, DisabledChatbotRefusesItsKeys) {
  auto created = keys_->Create(admin_, bot_id_, {"k", "secret", std::nullopt}, {});
  ASSERT_TRUE(created.ok());
  ChatbotInput off;
  off.status = "disabled";
  ASSERT_TRUE(chatbots_->Update(admin_, bot_id_, off, {}).ok());
  auto r = keys_->Authenticate(created->plaintext, "", "", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace studybot::chatbots
