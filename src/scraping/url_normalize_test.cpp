#include "scraping/url_normalize.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace studybot::scraping {
namespace {

struct Case {
  const char* in;
  const char* out;  // nullptr: refused
};

TEST(NormalizeUrlTest, Normalises) {
  for (const auto& c : std::vector<Case>{
           {"http://example.com", "http://example.com/"},
           {"https://example.com/", "https://example.com/"},
           {"HTTP://Example.COM/Path", "http://example.com/Path"},
           {"HtTpS://WWW.Example.com/a", "https://www.example.com/a"},
           {"http://example.com:80/a", "http://example.com/a"},
           {"https://example.com:443/a", "https://example.com/a"},
           {"http://example.com:443/a", "http://example.com:443/a"},
           {"https://example.com:80/a", "https://example.com:80/a"},
           {"https://example.com:8443/a", "https://example.com:8443/a"},
           {"https://example.com:0443/a", "https://example.com/a"},
           {"https://example.com:08443/a", "https://example.com:8443/a"},
           {"https://example.com:/a", "https://example.com/a"},
           {"https://example.com/a#frag", "https://example.com/a"},
           {"https://example.com/#", "https://example.com/"},
           {"https://example.com/a?q=1#frag#more", "https://example.com/a?q=1"},
           {"https://example.com/a/./b/../c", "https://example.com/a/c"},
           {"https://example.com/a/b/../../..", "https://example.com/"},
           {"https://example.com/../../x", "https://example.com/x"},
           {"https://example.com/a/.", "https://example.com/a/"},
           {"https://example.com/a/b/..", "https://example.com/a/"},
           {"https://example.com/a/", "https://example.com/a/"},  // trailing slash is significant
           {"https://example.com/a//b", "https://example.com/a//b"},
           {"https://example.com?x=1", "https://example.com/?x=1"},
           {"https://example.com/%7euser/%e2%82%ac", "https://example.com/~user/%E2%82%AC"},
           {"https://ex%61mple.com/", "https://example.com/"},
           {"https://example.com./a", "https://example.com/a"},
           {"https://127.0.0.1:8080/", "https://127.0.0.1:8080/"},
           {"http://[::1]:8080/x", "http://[::1]:8080/x"},
           {"http://my_host.internal/", "http://my_host.internal/"},
           // What people write in hrefs.
           {"  https://example.com/a b  ", "https://example.com/a%20b"},
           {"https://example.com/caf\xC3\xA9", "https://example.com/caf%C3%A9"},
           {"https://example.com/a|b?x={1}", "https://example.com/a%7Cb?x=%7B1%7D"},
           {"https://example.com/100%", "https://example.com/100%25"},
           {"https://example.com/a\\b", "https://example.com/a/b"},
           {"https://exa\tmple.com/\na", "https://example.com/a"},
           {"https://example.com/[x]", "https://example.com/%5Bx%5D"},
           // Refused.
           {"", nullptr},
           {"   ", nullptr},
           {"example.com", nullptr},
           {"/relative/path", nullptr},
           {"//example.com/a", nullptr},
           {"ftp://example.com/", nullptr},
           {"javascript:alert(1)", nullptr},
           {"mailto:a@example.com", nullptr},
           {"http:example.com", nullptr},
           {"http:/example.com", nullptr},
           {"http://", nullptr},
           {"http:///a", nullptr},
           {"https://user@example.com/", nullptr},
           {"https://user:pw@example.com/", nullptr},
           {"https://@example.com/", nullptr},
           {"https://trusted.com@evil.com/", nullptr},
           {"https://example.com:0/", nullptr},
           {"https://example.com:65536/", nullptr},
           {"https://example.com:99999999999999999999/", nullptr},
           {"https://example.com:8o/", nullptr},
           {"https://exa mple.com/", nullptr},
           {"https://b\xC3\xBC"
            "cher.de/",
            nullptr},
           {"https://a..b/", nullptr},
           {"https://a!b.com/", nullptr},
           {"https://[v1.x]/", nullptr},
       }) {
    auto got = NormalizeUrl(c.in);
    if (c.out == nullptr) {
      EXPECT_FALSE(got.has_value()) << c.in << " -> " << got.value_or("");
    } else {
      ASSERT_TRUE(got.has_value()) << c.in;
      EXPECT_EQ(*got, c.out) << c.in;
    }
  }
}

TEST(NormalizeUrlTest, StripsTrackingParamsAndKeepsTheRestInOrder) {
  for (const auto& c : std::vector<Case>{
           {"https://e.com/?utm_source=x", "https://e.com/"},
           {"https://e.com/?utm_source=x&utm_medium=y&UTM_Campaign=z", "https://e.com/"},
           {"https://e.com/p?b=2&utm_source=x&a=1", "https://e.com/p?b=2&a=1"},
           {"https://e.com/p?fbclid=abc&id=7", "https://e.com/p?id=7"},
           {"https://e.com/p?id=7&gclid=abc", "https://e.com/p?id=7"},
           {"https://e.com/p?id=7&GCLID=abc&msclkid=1", "https://e.com/p?id=7"},
           {"https://e.com/p?utm=1", "https://e.com/p?utm=1"},  // not a utm_ prefix
           {"https://e.com/p?x=utm_source", "https://e.com/p?x=utm_source"},
           {"https://e.com/p?a=1&&b=2&", "https://e.com/p?a=1&b=2"},
           {"https://e.com/p?", "https://e.com/p"},
           {"https://e.com/p?q=a+b&r=%26", "https://e.com/p?q=a+b&r=%26"},
           {"https://e.com/p?flag", "https://e.com/p?flag"},
       }) {
    auto got = NormalizeUrl(c.in);
    ASSERT_TRUE(got.has_value()) << c.in;
    EXPECT_EQ(*got, c.out) << c.in;
  }
}

TEST(NormalizeUrlTest, IsIdempotent) {
  for (const char* in :
       {"HTTP://Example.COM:80/a/./b/../c?utm_source=x&id=7#top", "https://e.com/caf\xC3\xA9 x",
        "https://e.com/100%", "https://e.com/%7e", "http://[::1]:8080", "https://e.com/a|b"}) {
    auto once = NormalizeUrl(in);
    ASSERT_TRUE(once.has_value()) << in;
    auto twice = NormalizeUrl(*once);
    ASSERT_TRUE(twice.has_value()) << *once;
    EXPECT_EQ(*once, *twice);
  }
}

TEST(NormalizeUrlTest, RefusesOverlongUrls) {
  std::string url = "https://example.com/" + std::string(9000, 'a');
  EXPECT_FALSE(NormalizeUrl(url).has_value());
  url = "https://example.com/" + std::string(4000, 'a');
  EXPECT_TRUE(NormalizeUrl(url).has_value());
}

TEST(NormalizeUrlTest, NeverReadsPastTheView) {
  // The view stops before "@evil.com"; reading beyond it would turn the URL into one with user
  // info (refused) and a different host.
  std::string buffer = "https://example.com/@evil.com";
  std::string_view view(buffer.data(), std::string_view("https://example.com").size());
  EXPECT_EQ(NormalizeUrl(view), "https://example.com/");
}

TEST(ResolveLinkTest, ResolvesRelativeReferences) {
  // RFC 3986 §5.4.1 normal examples (fragments dropped, results normalised).
  const char* base = "http://a/b/c/d;p?q";
  for (const auto& c : std::vector<Case>{
           {"g", "http://a/b/c/g"},
           {"./g", "http://a/b/c/g"},
           {"g/", "http://a/b/c/g/"},
           {"/g", "http://a/g"},
           {"//g", "http://g/"},
           {"?y", "http://a/b/c/d;p?y"},
           {"g?y", "http://a/b/c/g?y"},
           {"#s", "http://a/b/c/d;p?q"},
           {"g#s", "http://a/b/c/g"},
           {"g?y#s", "http://a/b/c/g?y"},
           {";x", "http://a/b/c/;x"},
           {"g;x", "http://a/b/c/g;x"},
           {"", "http://a/b/c/d;p?q"},
           {".", "http://a/b/c/"},
           {"./", "http://a/b/c/"},
           {"..", "http://a/b/"},
           {"../", "http://a/b/"},
           {"../g", "http://a/b/g"},
           {"../..", "http://a/"},
           {"../../", "http://a/"},
           {"../../g", "http://a/g"},
           // §5.4.2 abnormal examples.
           {"../../../g", "http://a/g"},
           {"../../../../g", "http://a/g"},
           {"/./g", "http://a/g"},
           {"/../g", "http://a/g"},
           {"g.", "http://a/b/c/g."},
           {".g", "http://a/b/c/.g"},
           {"g..", "http://a/b/c/g.."},
           {"..g", "http://a/b/c/..g"},
           {"./../g", "http://a/b/g"},
           {"./g/.", "http://a/b/c/g/"},
           {"g/./h", "http://a/b/c/g/h"},
           {"g/../h", "http://a/b/c/h"},
       }) {
    auto got = ResolveLink(base, c.in);
    ASSERT_TRUE(got.has_value()) << c.in;
    EXPECT_EQ(*got, c.out) << c.in;
  }
}

TEST(ResolveLinkTest, HandlesRealWorldHrefs) {
  const char* base = "https://www.example.com/docs/guide/intro.html";
  for (const auto& c : std::vector<Case>{
           {"setup.html", "https://www.example.com/docs/guide/setup.html"},
           {"  setup.html\n", "https://www.example.com/docs/guide/setup.html"},
           {"../api/", "https://www.example.com/docs/api/"},
           {"/pricing?utm_source=nav", "https://www.example.com/pricing"},
           {"//cdn.example.com/x.pdf", "https://cdn.example.com/x.pdf"},
           {"http://Other.example.org:80", "http://other.example.org/"},
           {"HTTPS://www.example.com/a", "https://www.example.com/a"},
           {"my page.html", "https://www.example.com/docs/guide/my%20page.html"},
           {"#section-2", "https://www.example.com/docs/guide/intro.html"},
           {"?page=2", "https://www.example.com/docs/guide/intro.html?page=2"},
           // Not crawlable.
           {"javascript:void(0)", nullptr},
           {"JavaScript:alert(1)", nullptr},
           {"java\tscript:alert(1)", nullptr},
           {" javascript:alert(1)", nullptr},
           {"mailto:info@example.com", nullptr},
           {"tel:+441234567", nullptr},
           {"data:text/html,<b>x</b>", nullptr},
           {"ftp://example.com/file", nullptr},
           {"whatsapp://send?text=x", nullptr},
           {"https://user@example.com/", nullptr},
           {"//user@example.com/", nullptr},
       }) {
    auto got = ResolveLink(base, c.in);
    if (c.out == nullptr) {
      EXPECT_FALSE(got.has_value()) << c.in << " -> " << got.value_or("");
    } else {
      ASSERT_TRUE(got.has_value()) << c.in;
      EXPECT_EQ(*got, c.out) << c.in;
    }
  }
}

TEST(ResolveLinkTest, BaseWithoutPath) {
  EXPECT_EQ(ResolveLink("https://example.com", "a"), "https://example.com/a");
  EXPECT_EQ(ResolveLink("https://example.com", "../a"), "https://example.com/a");
  EXPECT_EQ(ResolveLink("https://example.com?x=1", ""), "https://example.com/?x=1");
}

TEST(ResolveLinkTest, UnusableBaseOnlyResolvesAbsoluteLinks) {
  EXPECT_FALSE(ResolveLink("", "a.html").has_value());
  EXPECT_FALSE(ResolveLink("not a url", "a.html").has_value());
  EXPECT_FALSE(ResolveLink("ftp://example.com/", "a.html").has_value());
  EXPECT_EQ(ResolveLink("", "https://example.com/a"), "https://example.com/a");
}

TEST(OriginOfTest, KeepsOnlyNonDefaultPorts) {
  EXPECT_EQ(OriginOf("https://example.com/a?b"), "https://example.com");
  EXPECT_EQ(OriginOf("https://Example.com:443/a"), "https://example.com");
  EXPECT_EQ(OriginOf("http://example.com:8080/"), "http://example.com:8080");
  EXPECT_EQ(OriginOf("http://[::1]:3000/x"), "http://[::1]:3000");
  EXPECT_EQ(OriginOf("mailto:x@example.com"), "");
  EXPECT_EQ(OriginOf(""), "");
}

TEST(SameSiteTest, ComparesSchemeHostAndPort) {
  EXPECT_TRUE(SameSite("https://example.com/a", "https://EXAMPLE.com:443/b?c"));
  EXPECT_FALSE(SameSite("https://example.com/", "http://example.com/"));
  EXPECT_FALSE(SameSite("https://example.com/", "https://www.example.com/"));
  EXPECT_FALSE(SameSite("https://example.com/", "https://example.com:8443/"));
  EXPECT_FALSE(SameSite("https://example.com.evil.com/", "https://example.com/"));
  EXPECT_FALSE(SameSite("", ""));
  EXPECT_FALSE(SameSite("garbage", "garbage"));
}

}  // namespace
}  // namespace studybot::scraping
