// Secrets at rest: sealed in the database, masked in the API, re-sealed by `studybot keys rotate`.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api_client.h"
#include "core/secret_box.h"
#include "core/strings.h"
#include "fake_smtp_server.h"
#include "process.h"
#include "test_server.h"

namespace studybot::testing {
namespace {

const std::string kBinary = STUDYBOT_BINARY;
const std::string kProviderKey = "sk-proj-THIS-IS-A-PROVIDER-SECRET-0123456789";

TEST(SecretsTest, SealedAtRestMaskedInTheApiAndRotated) {
  std::string k1 = SecretBox::GenerateKeyring("k1");
  TempDir dir;
  std::string data_dir;
  {
    TestServer server([&](Config& c) {
      c.admin.email = "root@example.com";
      c.admin.password = "correct horse battery";
      c.encryption_key = k1;
      c.data_dir = dir.path().string();  // outlives the server, for the CLI below
    });
    data_dir = server.config().data_dir;
    ApiClient api(server.port());
    std::string root = api.Login("root@example.com", "correct horse battery");
    auto bot = api.Post("/api/chatbots",
                        {{"name", "Bot"}, {"secrets", {{"openai_api_key", kProviderKey}}}}, root);
    ASSERT_EQ(bot.status, 201u) << bot.raw.body();
    EXPECT_EQ(bot.raw.body().find(kProviderKey), std::string::npos);
    EXPECT_EQ(bot.at("secrets").at("openai_api_key").at("hint").as_string(), "sk-p…6789");
    std::string id(bot.at("id").as_string());
    auto got = api.Get("/api/chatbots/" + id, root);
    EXPECT_EQ(got.raw.body().find(kProviderKey), std::string::npos);
    EXPECT_TRUE(got.at("secrets").at("openai_api_key").at("set").as_bool());
    auto bad_name = api.Put("/api/chatbots/" + id, {{"secrets", {{"Bad Name", "x"}}}}, root);
    EXPECT_EQ(bad_name.status, 400u);
    // Removing one and setting another.
    auto changed = api.Put(
        "/api/chatbots/" + id,
        {{"secrets", {{"openai_api_key", nullptr}, {"azure_key", "azure-secret-value-1"}}}}, root);
    ASSERT_EQ(changed.status, 200u) << changed.raw.body();
    EXPECT_FALSE(changed.at("secrets").as_object().contains("openai_api_key"));
    EXPECT_TRUE(changed.at("secrets").as_object().contains("azure_key"));
    // A webhook's signing secret: shown once, sealed at rest, masked afterwards.
    auto hook = api.Post("/api/chatbots/" + id + "/webhooks",
                         {{"url", "https://hooks.example.com/studybot"}}, root);
    ASSERT_EQ(hook.status, 201u) << hook.raw.body();
    std::string hook_secret(hook.at("secret").as_string());
    EXPECT_EQ(hook_secret.substr(0, 6), "whsec_");
    auto hooks = api.Get("/api/chatbots/" + id + "/webhooks", root);
    EXPECT_EQ(hooks.raw.body().find(hook_secret), std::string::npos);
    EXPECT_EQ(hooks.at("items").at(0).at("secret_hint").as_string(),
              "whsec_…" + hook_secret.substr(hook_secret.size() - 4));
    auto found = server.app().secrets().Get(id, "azure_key");
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(**found, "azure-secret-value-1");
    server.Stop();
    auto bytes = DatabaseFileBytes(data_dir);
    EXPECT_EQ(bytes.find(kProviderKey), std::string::npos);
    EXPECT_EQ(bytes.find("azure-secret-value-1"), std::string::npos);
    EXPECT_EQ(bytes.find(hook_secret), std::string::npos);
    EXPECT_EQ(bytes.find(hook_secret.substr(6)), std::string::npos);
    // Nor in the log.
    EXPECT_EQ(server.LogText().find("azure-secret-value-1"), std::string::npos);
  }
  // Rotation: a new current key, the old one still listed.
  std::string ring = SecretBox::GenerateKeyring("k2") + "," + k1;
  std::map<std::string, std::string> env = {{"STUDYBOT_DATA_DIR", data_dir},
                                            {"STUDYBOT_ENCRYPTION_KEY", ring}};
  auto rotate = RunProcess({kBinary, "keys", "rotate"}, env);
  EXPECT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_NE(rotate.out.find("re-sealed 1 chatbot secret(s), 1 webhook secret(s) and 0 system"),
            std::string::npos)
      << rotate.out;
  auto again = RunProcess({kBinary, "keys", "rotate"}, env);
  EXPECT_NE(again.out.find("re-sealed 0 chatbot secret(s), 0 webhook secret(s) and 0 system"),
            std::string::npos)
      << again.out;
  // Sealed under k2 now: readable with k2 alone.
  auto k2_only = ring.substr(0, ring.find(','));
  auto still = RunProcess({kBinary, "keys", "rotate"},
                          {{"STUDYBOT_DATA_DIR", data_dir}, {"STUDYBOT_ENCRYPTION_KEY", k2_only}});
  EXPECT_EQ(still.exit_code, 0) << still.err;
  EXPECT_EQ(rotate.out.find("k2:"), std::string::npos);
  EXPECT_EQ(rotate.err.find(k1.substr(3)), std::string::npos);  // key material never printed
}

TEST(SecretsTest, SealedSmtpPasswordIsOpenedAtStart) {
  TempDir dir;
  std::string ring = SecretBox::GenerateKeyring("k1");
  std::map<std::string, std::string> env = {{"STUDYBOT_DATA_DIR", dir.path().string()},
                                            {"STUDYBOT_ENCRYPTION_KEY", ring}};
  auto sealed = RunProcess({kBinary, "secrets", "seal", "--name", "smtp.password"}, env,
                           "smtp-secret-password\n");
  ASSERT_EQ(sealed.exit_code, 0) << sealed.err;
  std::string value(Trim(sealed.out));
  EXPECT_EQ(value.substr(0, 6), "v1.k1.");
  EXPECT_EQ(value.find("smtp-secret-password"), std::string::npos);

  FakeSmtpServer smtp("mailer", "smtp-secret-password");
  TestServer server([&](Config& c) {
    c.admin.email = "root@example.com";
    c.admin.password = "correct horse battery";
    c.encryption_key = ring;
    c.smtp.url = smtp.url();
    c.smtp.username = "mailer";
    c.smtp.password = value;
    c.smtp.require_tls = false;
  });
  ApiClient api(server.port());
  EXPECT_EQ(api.Post("/api/auth/password/forgot", {{"email", "root@example.com"}}).status, 202u);
  auto mails = smtp.WaitForMail();
  EXPECT_EQ(mails.size(), 1u);  // the server authenticated with the opened password

  // A value sealed under another key stops start-up with a message naming the setting.
  try {
    TestServer wrong([&](Config& c) {
      c.encryption_key = SecretBox::GenerateKeyring("k1");
      c.smtp.url = smtp.url();
      c.smtp.password = value;
    });
    ADD_FAILURE() << "start-up should have failed";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("smtp.password"), std::string::npos) << e.what();
  }
}

TEST(SecretsTest, SmtpPasswordStoredSealedInTheDatabase) {
  TempDir dir;
  std::string ring = SecretBox::GenerateKeyring("k1");
  std::map<std::string, std::string> env = {{"STUDYBOT_DATA_DIR", dir.path().string()},
                                            {"STUDYBOT_ENCRYPTION_KEY", ring}};
  auto set = RunProcess({kBinary, "secrets", "set", "--name", "smtp.password"}, env,
                        "db-kept-smtp-password\n");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto unknown = RunProcess({kBinary, "secrets", "set", "--name", "jwt.secret"}, env, "x\n");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("unknown system secret"), std::string::npos) << unknown.err;
  EXPECT_EQ(DatabaseFileBytes(dir.path().string()).find("db-kept-smtp-password"),
            std::string::npos);

  // Rotation re-seals it; the server opens it with the new key alone.
  std::string ring2 = SecretBox::GenerateKeyring("k2") + "," + ring;
  auto rotate = RunProcess({kBinary, "keys", "rotate"}, {{"STUDYBOT_DATA_DIR", dir.path().string()},
                                                         {"STUDYBOT_ENCRYPTION_KEY", ring2}});
  ASSERT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_NE(rotate.out.find("and 1 system secret(s)"), std::string::npos) << rotate.out;

  FakeSmtpServer smtp("mailer", "db-kept-smtp-password");
  TestServer server([&](Config& c) {
    c.data_dir = dir.path().string();
    c.admin.email = "root@example.com";
    c.admin.password = "correct horse battery";
    c.encryption_key = ring2.substr(0, ring2.find(','));
    c.smtp.url = smtp.url();
    c.smtp.username = "mailer";
    c.smtp.require_tls = false;
  });
  ApiClient api(server.port());
  EXPECT_EQ(api.Post("/api/auth/password/forgot", {{"email", "root@example.com"}}).status, 202u);
  EXPECT_EQ(smtp.WaitForMail().size(), 1u);  // authenticated with the stored password
}

}  // namespace
}  // namespace studybot::testing
