#include "chatbots/origin_pattern.h"

#include <gtest/gtest.h>

namespace studybot::chatbots {
namespace {

TEST(OriginPatternTest, ParsesAndNormalises) {
  struct Case {
    const char* in;
    const char* out;  // nullptr: refused
  };
  for (const auto& c : std::vector<Case>{
           {"https://Example.com", "https://example.com"},
           {"https://example.com/", "https://example.com"},
           {"https://example.com:443", "https://example.com"},
           {"http://localhost:3000", "http://localhost:3000"},
           {"https://*.example.com", "https://*.example.com"},
           {"example.com", nullptr},
           {"ftp://example.com", nullptr},
           {"https://example.com/path", nullptr},
           {"https://user@example.com", nullptr},
           {"https://*.com", nullptr},
           {"https://a.*.example.com", nullptr},
           {"https://exa mple.com", nullptr},
           {"https://example.com:99999", nullptr},
           {"https://", nullptr},
       }) {
    auto p = OriginPattern::Parse(c.in);
    if (c.out == nullptr) {
      EXPECT_FALSE(p.ok()) << c.in;
    } else {
      ASSERT_TRUE(p.ok()) << c.in << ": " << p.error().message;
      EXPECT_EQ(p->text(), c.out);
    }
  }
}

TEST(OriginPatternTest, MatchesSchemeHostAndPort) {
  auto exact = *OriginPattern::Parse("https://shop.example.com");
  auto wild = *OriginPattern::Parse("https://*.example.com");
  auto dev = *OriginPattern::Parse("http://localhost:3000");
  struct Case {
    const OriginPattern* p;
    const char* origin;
    bool match;
  };
  for (const auto& c : std::vector<Case>{
           {&exact, "https://shop.example.com", true},
           {&exact, "https://SHOP.example.com", true},
           {&exact, "https://shop.example.com:443", true},
           {&exact, "http://shop.example.com", false},
           {&exact, "https://shop.example.com:8443", false},
           {&exact, "https://shop.example.com.evil.test", false},
           {&exact, "https://evilshop.example.com", false},
           {&wild, "https://a.example.com", true},
           {&wild, "https://a.b.example.com", true},
           {&wild, "https://example.com", false},
           {&wild, "https://badexample.com", false},
           {&wild, "http://a.example.com", false},
           {&wild, "null", false},
           {&dev, "http://localhost:3000", true},
           {&dev, "http://localhost:3001", false},
           {&dev, "http://localhost", false},
       }) {
    EXPECT_EQ(c.p->Matches(c.origin), c.match) << c.p->text() << " vs " << c.origin;
  }
}

TEST(OriginPatternTest, OriginOfReferer) {
  EXPECT_EQ(OriginOfUrl("https://shop.example.com/page?x=1"), "https://shop.example.com");
  EXPECT_EQ(OriginOfUrl("http://localhost:3000/"), "http://localhost:3000");
  EXPECT_EQ(OriginOfUrl("not a url"), "");
}

}  // namespace
}  // namespace studybot::chatbots
