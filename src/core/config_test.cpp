#include "core/config.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace studybot {
namespace {

TEST(ConfigTest, DefaultsAreValid) {
  auto c = LoadConfig({});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->http.host, "127.0.0.1");
  EXPECT_EQ(c->http.port, 8080);
  EXPECT_EQ(c->EffectiveDatabaseUrl(), "sqlite:./data/studybot.db");
}

TEST(ConfigTest, EnvironmentOverridesFileAndFlagsOverrideEnvironment) {
  std::string path = testing::TempDir() + "/studybot_config_test.toml";
  {
    std::ofstream f(path);
    f << "data_dir = \"/tmp/x\"\n[http]\nport = 9000\nidle_timeout = \"5s\"\n"
         "cors_origins = [\"https://a.example\", \"https://b.example\"]\n";
  }
  ConfigSources s;
  s.toml_file = path;
  s.environment = {{"STUDYBOT_HTTP_PORT", "9001"}, {"STUDYBOT_HTTP_BODY_LIMIT", "2MiB"}};
  auto c = LoadConfig(s);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->http.port, 9001);
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_EQ(c->http.idle_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c->http.body_limit_bytes, 2u * 1024 * 1024);
  ASSERT_EQ(c->http.cors_origins.size(), 2u);
  s.flags = {{"http.port", "9002"}};
  c = LoadConfig(s);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->http.port, 9002);
  std::remove(path.c_str());
}

TEST(ConfigTest, InvalidValuesNameTheSetting) {
  struct Case {
    std::string env;
    std::string value;
  };
  for (const auto& [env, value] : std::vector<Case>{{"STUDYBOT_HTTP_PORT", "70000"},
                                                    {"STUDYBOT_HTTP_PORT", "80a"},
                                                    {"STUDYBOT_HTTP_IDLE_TIMEOUT", "5 parsecs"},
                                                    {"STUDYBOT_LOG_LEVEL", "loud"},
                                                    {"STUDYBOT_DATABASE_MIGRATE_ON_START", "maybe"},
                                                    {"STUDYBOT_DATABASE_URL", "postgres://x"},
                                                    {"STUDYBOT_RATELIMIT_PER_IP", "100"},
                                                    {"STUDYBOT_RATELIMIT_PER_IP", "2000000/1s"},
                                                    {"STUDYBOT_JWT_SECRET", "too-short"}}) {
    ConfigSources s;
    s.environment = {{env, value}};
    auto c = LoadConfig(s);
    ASSERT_FALSE(c.ok()) << env << "=" << value;
    EXPECT_NE(c.error().message.find(env), std::string::npos) << c.error().message;
  }
}

TEST(ConfigTest, UnknownKeysInFileOrFlagsAreRefused) {
  ConfigSources s;
  s.flags = {{"http.prot", "1"}};
  auto c = LoadConfig(s);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("http.prot"), std::string::npos);
}

TEST(ConfigTest, DescribeRedactsPasswords) {
  ConfigSources s;
  s.environment = {{"STUDYBOT_DATABASE_URL", "mysql://app:s3cr3t-pw@db:3306/studybot"}};
  auto c = LoadConfig(s);
  ASSERT_TRUE(c.ok());
  for (const auto& [k, v] : DescribeConfig(*c)) {
    EXPECT_EQ(v.find("s3cr3t-pw"), std::string::npos) << k;
  }
  EXPECT_EQ(RedactUrl("mysql://app:pw@db/x"), "mysql://app:***@db/x");
  EXPECT_EQ(RedactUrl("sqlite:/data/x.db"), "sqlite:/data/x.db");
}

}  // namespace
}  // namespace studybot
