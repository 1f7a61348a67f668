#include "scraping/robots.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace studybot::scraping {
namespace {

struct PathCase {
  const char* path;
  bool allowed;
};

void ExpectPaths(const RobotsRules& rules, const std::vector<PathCase>& cases,
                 const std::string& who) {
  for (const auto& c : cases) {
    EXPECT_EQ(rules.Allowed(c.path), c.allowed) << who << " " << c.path;
  }
}

// RFC 9309 §5.1.
constexpr char kRfcSimpleExample[] =
    "User-Agent: *\n"
    "Disallow: *.gif$\n"
    "Disallow: /example/\n"
    "Allow: /publications/\n"
    "\n"
    "User-Agent: foobot\n"
    "Disallow:/\n"
    "Allow:/example/page.html\n"
    "Allow:/example/allowed.gif\n"
    "\n"
    "User-Agent: barbot\n"
    "User-Agent: bazbot\n"
    "Disallow: /example/page.html\n"
    "\n"
    "User-Agent: quxbot\n"
    "\n"
    "EOF\n";

TEST(RobotsRulesTest, RfcSimpleExample) {
  ExpectPaths(RobotsRules::Parse(kRfcSimpleExample, "foobot"),
              {{"/example/page.html", true},
               {"/example/allowed.gif", true},
               {"/example/other.gif", false},
               {"/publications/", false},
               {"/", false}},
              "foobot");
  for (const char* bot : {"barbot", "bazbot"}) {
    ExpectPaths(RobotsRules::Parse(kRfcSimpleExample, bot),
                {{"/example/page.html", false},
                 {"/example/other.html", true},
                 {"/image.gif", true},
                 {"/", true}},
                bot);
  }
  ExpectPaths(RobotsRules::Parse(kRfcSimpleExample, "quxbot"),
              {{"/example/page.html", true}, {"/image.gif", true}, {"/", true}}, "quxbot");
  ExpectPaths(RobotsRules::Parse(kRfcSimpleExample, "studybot"),
              {{"/image.gif", false},
               {"/image.gif?x=1", true},  // '$' anchors to the end of path and query
               {"/example/", false},
               {"/example/page.html", false},
               {"/publications/", true},
               {"/publications/a.html", true},
               {"/publications/a.gif", true},  // "/publications/" is longer than "*.gif$"
               {"/", true}},
              "studybot");
}

// RFC 9309 §5.2.
TEST(RobotsRulesTest, RfcLongestMatchExample) {
  auto rules = RobotsRules::Parse(
      "User-Agent: foobot\n"
      "Allow: /example/page/\n"
      "Disallow: /example/page/disallowed.gif\n",
      "foobot");
  ExpectPaths(rules,
              {{"/example/page/", true},
               {"/example/page/x.html", true},
               {"/example/page/disallowed.gif", false},
               {"/example/", true}},
              "foobot");
}

// RFC 9309 §2.2.1: several groups for the same agent are merged.
TEST(RobotsRulesTest, MergesGroupsForTheSameAgent) {
  auto rules = RobotsRules::Parse(
      "user-agent: ExampleBot\n"
      "disallow: /foo\n"
      "disallow: /bar\n"
      "\n"
      "user-agent: ExampleBot\n"
      "disallow: /baz\n",
      "examplebot");
  ExpectPaths(rules, {{"/foo", false}, {"/bar", false}, {"/baz", false}, {"/qux", true}}, "");
}

TEST(RobotsRulesTest, MatchesProductTokenCaseInsensitivelyAndFallsBackToStar) {
  constexpr char kText[] =
      "User-agent: *\n"
      "Disallow: /\n"
      "\n"
      "User-agent: StudyBot/2.1 (+https://studybot.example)\n"
      "Disallow: /private\n";
  ExpectPaths(RobotsRules::Parse(kText, "studybot"), {{"/", true}, {"/private/x", false}}, "");
  ExpectPaths(RobotsRules::Parse(kText, "STUDYBOT"), {{"/", true}, {"/private/x", false}}, "");
  // A longer token is another crawler, not us.
  ExpectPaths(RobotsRules::Parse("User-agent: studybot-news\nDisallow: /\n", "studybot"),
              {{"/", true}}, "");
  ExpectPaths(RobotsRules::Parse(kText, "otherbot"), {{"/", false}, {"/robots.txt", true}}, "");
  ExpectPaths(RobotsRules::Parse(kText, ""), {{"/", false}}, "");
}

TEST(RobotsRulesTest, SpecificGroupReplacesStarGroupEntirely) {
  auto rules = RobotsRules::Parse(
      "User-agent: *\nDisallow: /a\nCrawl-delay: 10\n\nUser-agent: studybot\nDisallow: /b\n",
      "studybot");
  ExpectPaths(rules, {{"/a", true}, {"/b", false}}, "");
  EXPECT_FALSE(rules.crawl_delay_seconds().has_value());
}

TEST(RobotsRulesTest, NoMatchingGroupAllowsEverything) {
  auto rules = RobotsRules::Parse("User-agent: otherbot\nDisallow: /\n", "studybot");
  ExpectPaths(rules, {{"/", true}, {"/x", true}}, "");
}

TEST(RobotsRulesTest, AgentLinesAfterRulesStartANewGroup) {
  auto rules = RobotsRules::Parse(
      "User-agent: a\nDisallow: /a\nUser-agent: studybot\nDisallow: /s\n", "studybot");
  ExpectPaths(rules, {{"/a", true}, {"/s", false}}, "");
  rules =
      RobotsRules::Parse("User-agent: a\nDisallow: /a\nUser-agent: studybot\nDisallow: /s\n", "a");
  ExpectPaths(rules, {{"/a", false}, {"/s", true}}, "");
}

TEST(RobotsRulesTest, RulesBeforeAnyAgentAreIgnored) {
  auto rules = RobotsRules::Parse("Disallow: /\nUser-agent: *\nDisallow: /x\n", "studybot");
  ExpectPaths(rules, {{"/", true}, {"/x", false}}, "");
}

TEST(RobotsRulesTest, LongestMatchWinsAndAllowWinsTies) {
  auto rules = RobotsRules::Parse(
      "User-agent: *\n"
      "Disallow: /docs\n"
      "Allow: /docs/public\n"
      "Disallow: /docs/public/secret\n"
      "Allow: /same\n"
      "Disallow: /same\n"
      "Disallow: /tie$\n"
      "Allow: /tie*\n",
      "studybot");
  ExpectPaths(rules,
              {{"/docs", false},
               {"/docs/x", false},
               {"/docs/public", true},
               {"/docs/public/page", true},
               {"/docs/public/secret", false},
               {"/docs/public/secret.html", false},
               {"/same", true},
               {"/tie", true}},
              "");
}

TEST(RobotsRulesTest, WildcardsAndEndAnchor) {
  auto rules = RobotsRules::Parse(
      "User-agent: *\n"
      "Disallow: /*.pdf$\n"
      "Disallow: /search*q=\n"
      "Disallow: /exact$\n"
      "Disallow: /a/*/b\n"
      "Disallow: *?sessionid=\n"
      "Disallow: /mid$dle\n",
      "studybot");
  ExpectPaths(rules,
              {{"/file.pdf", false},
               {"/dir/file.pdf", false},
               {"/file.pdf?download=1", true},
               {"/file.pdfx", true},
               {"/search?q=x", false},
               {"/search/results?page=2&q=x", false},
               {"/search?page=2", true},
               {"/exact", false},
               {"/exact/", true},
               {"/exactly", true},
               {"/a/x/b", false},
               {"/a/x/y/b/c", false},
               {"/a/b", true},
               {"/page?sessionid=1", false},
               {"/mid$dle", false},  // '$' other than at the end is a literal
               {"/middle", true}},
              "");
}

TEST(RobotsRulesTest, HostilePatternsStayFast) {
  std::string text = "User-agent: *\nDisallow: /";
  for (int i = 0; i < 200; ++i)
    text += "*a";
  text += "*b$\n";
  auto rules = RobotsRules::Parse(text, "studybot");
  EXPECT_TRUE(rules.Allowed("/" + std::string(5000, 'a')));
  EXPECT_FALSE(rules.Allowed("/" + std::string(5000, 'a') + "b"));
}

// RFC 9309 §2.2.2 percent-encoding table, plus the reverse directions.
TEST(RobotsRulesTest, NormalisesPercentEncoding) {
  auto rules = RobotsRules::Parse(
      "User-agent: *\n"
      "Disallow: /foo/bar?baz=quz\n"
      "Disallow: /foo/bar/\xE3\x83\x84\n"
      "Disallow: /foo/bar/%62%61%7A\n"
      "Disallow: /caf%c3%a9\n"
      "Disallow: /a%2Fb\n",
      "studybot");
  ExpectPaths(rules,
              {{"/foo/bar?baz=quz", false},
               {"/foo/bar/%E3%83%84", false},
               {"/foo/bar/%e3%83%84", false},
               {"/foo/bar/\xE3\x83\x84", false},
               {"/foo/bar/baz", false},
               {"/foo/bar/%62az", false},
               {"/caf\xC3\xA9", false},
               {"/caf%C3%A9", false},
               {"/a%2fb", false},
               {"/a/b", true},  // an encoded '/' is data, not a separator
               {"/foo/bar/other", true}},
              "");
}

TEST(RobotsRulesTest, EmptyDisallowAllowsEverything) {
  auto rules = RobotsRules::Parse("User-agent: *\nDisallow:\n", "studybot");
  ExpectPaths(rules, {{"/", true}, {"/anything", true}}, "");
  rules = RobotsRules::Parse("User-agent: *\nDisallow: /\nAllow:\n", "studybot");
  ExpectPaths(rules, {{"/", false}}, "");
}

TEST(RobotsRulesTest, RobotsTxtIsAlwaysAllowed) {
  for (const auto& rules : {RobotsRules::DisallowAll(),
                            RobotsRules::Parse("User-agent: *\nDisallow: /\n", "studybot")}) {
    EXPECT_TRUE(rules.Allowed("/robots.txt"));
    EXPECT_TRUE(rules.Allowed("/robots.txt?x=1"));
    EXPECT_FALSE(rules.Allowed("/robots.txt.bak"));
    EXPECT_FALSE(rules.Allowed("/"));
  }
}

TEST(RobotsRulesTest, AllowAllAndDisallowAll) {
  auto all = RobotsRules::AllowAll();
  ExpectPaths(all, {{"/", true}, {"/x?y", true}, {"", true}}, "allow all");
  EXPECT_TRUE(all.sitemaps().empty());
  EXPECT_FALSE(all.crawl_delay_seconds().has_value());
  ExpectPaths(RobotsRules::DisallowAll(), {{"/", false}, {"/x?y", false}, {"", false}},
              "disallow all");
}

TEST(RobotsRulesTest, PathsWithoutLeadingSlashOrWithFragment) {
  auto rules = RobotsRules::Parse("User-agent: *\nDisallow: /private\n", "studybot");
  EXPECT_FALSE(rules.Allowed("private/x"));
  EXPECT_TRUE(rules.Allowed(""));
  EXPECT_TRUE(rules.Allowed("/public#/private"));
  // A pattern without a leading '/' means one.
  rules = RobotsRules::Parse("User-agent: *\nDisallow: private\n", "studybot");
  EXPECT_FALSE(rules.Allowed("/private"));
}

TEST(RobotsRulesTest, ToleratesMessyInput) {
  auto rules = RobotsRules::Parse(
      "\xEF\xBB\xBF# leading comment\r\n"
      "USER-AGENT : *   # trailing comment\r\n"
      "this line means nothing\r\n"
      "Unknown-Key: value\r\n"
      "Host: example.com\r"
      "  Disallow :  /a  \t\r\n"
      "Dissallow: /typo\n"
      "Disallow: /b # comment\n"
      "Disallow /no-colon\n"
      "Crawl-delay: 2.5\n",
      "studybot");
  ExpectPaths(
      rules,
      {{"/a", false}, {"/typo", false}, {"/b", false}, {"/b%20", false}, {"/no-colon", true}}, "");
  EXPECT_EQ(rules.crawl_delay_seconds(), 2.5);
}

TEST(RobotsRulesTest, CrawlDelay) {
  auto delay = [](const std::string& value) {
    return RobotsRules::Parse("User-agent: *\nCrawl-delay: " + value + "\n", "studybot")
        .crawl_delay_seconds();
  };
  EXPECT_EQ(delay("10"), 10.0);
  EXPECT_EQ(delay("0.5"), 0.5);
  EXPECT_FALSE(delay("").has_value());
  EXPECT_FALSE(delay("soon").has_value());
  EXPECT_FALSE(delay("-1").has_value());
  EXPECT_FALSE(delay("5s").has_value());
  EXPECT_FALSE(delay("inf").has_value());
  EXPECT_FALSE(delay("nan").has_value());
}

TEST(RobotsRulesTest, CollectsSitemapsFromEverywhere) {
  auto rules = RobotsRules::Parse(
      "Sitemap: https://example.com/sitemap.xml\n"
      "User-agent: otherbot\n"
      "Sitemap: https://example.com/news.xml\n"
      "Disallow: /\n"
      "sitemap:https://example.com/sitemap.xml\n"
      "Sitemap:\n",
      "studybot");
  EXPECT_EQ(rules.sitemaps(), (std::vector<std::string>{"https://example.com/sitemap.xml",
                                                        "https://example.com/news.xml"}));
}

TEST(RobotsRulesTest, SitemapLineDoesNotSplitAgentLines) {
  auto rules = RobotsRules::Parse(
      "User-agent: a\nSitemap: https://e.com/s.xml\nUser-agent: studybot\nDisallow: /\n",
      "studybot");
  EXPECT_FALSE(rules.Allowed("/x"));
}

TEST(RobotsRulesTest, CapsParsedInputAndDropsTheCutLine) {
  std::string text = "User-agent: *\nDisallow: /early\n";
  text += std::string(RobotsRules::kMaxParsedBytes - text.size() - 10, '#');
  text += "\nAllow: /early/abcdef\n";  // straddles the limit: only "Allow: /" would fit
  text += "Disallow: /late\n";
  ASSERT_GT(text.size(), RobotsRules::kMaxParsedBytes);
  auto rules = RobotsRules::Parse(text, "studybot");
  EXPECT_FALSE(rules.Allowed("/early/abcdef"));
  EXPECT_FALSE(rules.Allowed("/early/x"));
  EXPECT_TRUE(rules.Allowed("/late"));
}

TEST(RobotsRulesTest, EmptyAndBinaryInput) {
  ExpectPaths(RobotsRules::Parse("", "studybot"), {{"/", true}}, "");
  std::string binary;
  for (int i = 0; i < 4096; ++i)
    binary += static_cast<char>((i * 7919) & 0xFF);
  auto rules = RobotsRules::Parse(binary, "studybot");
  (void)rules.Allowed("/");  // must not crash
}

}  // namespace
}  // namespace studybot::scraping
