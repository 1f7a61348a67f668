#include "ratelimit/redis_url.h"

#include <gtest/gtest.h>

namespace studybot::ratelimit {
namespace {

struct GoodCase {
  const char* url;
  const char* host;
  int port;
  const char* username;
  const char* password;
  int db;
  const char* redacted;
};

TEST(RedisUrlTest, Parses) {
  const GoodCase cases[] = {
      {"redis://localhost", "localhost", 6379, "", "", 0, "redis://localhost:6379/0"},
      {"redis://127.0.0.1:6380", "127.0.0.1", 6380, "", "", 0, "redis://127.0.0.1:6380/0"},
      {"redis://127.0.0.1:6380/", "127.0.0.1", 6380, "", "", 0, "redis://127.0.0.1:6380/0"},
      {"redis://cache.internal:6379/3", "cache.internal", 6379, "", "", 3,
       "redis://cache.internal:6379/3"},
      {"redis://:s3cret@h:1/2", "h", 1, "", "s3cret", 2, "redis://:***@h:1/2"},
      {"redis://app:s3cret@h", "h", 6379, "app", "s3cret", 0, "redis://app:***@h:6379/0"},
      {"redis://:p%40ss%3Aw%2Fd@h", "h", 6379, "", "p@ss:w/d", 0, "redis://:***@h:6379/0"},
      {"redis://:p@ss@h", "h", 6379, "", "p@ss", 0, "redis://:***@h:6379/0"},
      {"REDIS://H:7/0", "H", 7, "", "", 0, "redis://H:7/0"},
      {"redis://[::1]:6390/1", "::1", 6390, "", "", 1, "redis://[::1]:6390/1"},
      {"redis://[::1]", "::1", 6379, "", "", 0, "redis://[::1]:6379/0"},
  };
  for (const auto& c : cases) {
    auto url = ParseRedisUrl(c.url);
    ASSERT_TRUE(url.ok()) << c.url << ": " << url.error().message;
    EXPECT_EQ(url->host, c.host) << c.url;
    EXPECT_EQ(url->port, c.port) << c.url;
    EXPECT_EQ(url->username, c.username) << c.url;
    EXPECT_EQ(url->password, c.password) << c.url;
    EXPECT_EQ(url->db, c.db) << c.url;
    EXPECT_EQ(url->Redacted(), c.redacted) << c.url;
  }
}

TEST(RedisUrlTest, RejectsWithoutQuotingTheUrl) {
  const char* cases[] = {
      "",
      "localhost:6379",
      "http://h:6379",
      "rediss://:topsecret@h:6379",
      "redis://",
      "redis://:topsecret@",
      "redis://:topsecret@h:0",
      "redis://:topsecret@h:65536",
      "redis://:topsecret@h:port",
      "redis://:topsecret@h:",
      "redis://:topsecret@h:6379/x",
      "redis://:topsecret@h:6379/-1",
      "redis://:topsecret@h:6379/1/2",
      "redis://:topsecret@h:6379?db=1",
      "redis://topsecret@h:6379",
      "redis://:@h",
      "redis://:top%zzsecret@h",
      "redis://::1:6379",
      "redis://[::1:6379",
      "redis://[::1]x",
  };
  for (const char* c : cases) {
    auto url = ParseRedisUrl(c);
    ASSERT_FALSE(url.ok()) << c;
    EXPECT_EQ(url.error().code, ErrorCode::kInvalidArgument) << c;
    EXPECT_EQ(url.error().message.find("topsecret"), std::string::npos) << c;
    EXPECT_EQ(url.error().message.find("secret"), std::string::npos) << c;
  }
}

}  // namespace
}  // namespace studybot::ratelimit
